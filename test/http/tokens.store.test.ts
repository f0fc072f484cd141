/**
 * The API tokens store (src/tokens/store.ts) on the storage seam, on both backends with the
 * same cases: creation stores only the hash and answers the row, resolution refuses
 * malformed, unknown, revoked and expired tokens with their own messages and records use at
 * most once a minute, listing is by project and newest first, revocation happens once.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { AppError } from '../../src/http/errors'
import type { Backend } from '../../src/storage/backend'
import { createToken, getToken, listTokens, resolveToken, revokeToken } from '../../src/tokens/store'
import { BACKENDS, freshBackend, privatePgPerFile } from '../pg.helpers'

const pg = privatePgPerFile()

const T0 = 1_767_225_600_000
const DAY = 86_400_000

const addProject = (b: Backend, id: string) =>
  b.run(
    'INSERT INTO projects (id, name, slug, api_key, api_key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    [id, id.toUpperCase(), `${id}-slug`, `key-${id}`, `hash-${id}`, T0],
  )

const refusal = (r: unknown) => (r instanceof AppError ? `${r.code}: ${r.message}` : r)

for (const kind of BACKENDS) {
  describe(`API tokens on ${kind}`, () => {
    let b: Backend
    beforeAll(async () => {
      b = (await freshBackend(kind, pg(), { migrated: true })).backend
      await addProject(b, 'shop')
      await addProject(b, 'blog')
    })

    test('a new token is shown once and stored as its SHA-256, with the row it answers', async () => {
      const { token, row } = await createToken(
        b,
        { projectId: 'shop', name: 'ci', scopes: ['errors:read', 'sourcemaps:write'], createdBy: 'u1' },
        T0,
      )
      expect(token).toMatch(/^bloop_tk_[A-Za-z0-9_-]{43}$/)
      expect(row).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'ci',
        token_prefix: token.slice(0, 16),
        project_id: 'shop',
        scopes: ['errors:read', 'sourcemaps:write'],
        created_by: 'u1',
        created_at: T0,
        expires_at: null,
        last_used_at: null,
        revoked_at: null,
      })
      expect(await getToken(b, row.id)).toEqual(row)
      const stored = await b.get<{ token_hash: string }>('SELECT token_hash FROM api_tokens WHERE id = ?', [
        row.id,
      ])
      expect(stored?.token_hash).toBe(createHash('sha256').update(token).digest('hex'))
      expect(await getToken(b, 'nope')).toBeNull()
    })

    test('resolution answers the principal and records use at most once a minute', async () => {
      const { token, row } = await createToken(
        b,
        { projectId: 'blog', name: 'deploy', scopes: ['errors:write'] },
        T0,
      )
      expect(await resolveToken(b, token, T0 + 1000)).toEqual({
        kind: 'token',
        tokenId: row.id,
        tokenName: 'deploy',
        projectId: 'blog',
        projectSlug: 'blog-slug',
        scopes: ['errors:write'],
      })
      expect((await getToken(b, row.id))?.last_used_at).toBe(T0 + 1000)
      await resolveToken(b, token, T0 + 60_999)
      expect((await getToken(b, row.id))?.last_used_at).toBe(T0 + 1000)
      await resolveToken(b, token, T0 + 61_000)
      expect((await getToken(b, row.id))?.last_used_at).toBe(T0 + 61_000)
    })

    test('malformed, unknown, revoked and expired tokens are refused, each saying why', async () => {
      expect(refusal(await resolveToken(b, 'bloop_tk_short', T0))).toBe('invalid_token: malformed API token')
      expect(refusal(await resolveToken(b, `bloop_tk_${'A'.repeat(43)}`, T0))).toBe(
        'invalid_token: invalid API token',
      )
      const revoked = await createToken(b, { projectId: 'shop', name: 'old', scopes: ['errors:read'] }, T0)
      expect(await revokeToken(b, revoked.row.id, T0 + 5)).toBe(true)
      expect(await revokeToken(b, revoked.row.id, T0 + 6)).toBe(false)
      expect((await getToken(b, revoked.row.id))?.revoked_at).toBe(T0 + 5)
      expect(refusal(await resolveToken(b, revoked.token, T0 + 10))).toBe(
        'invalid_token: API token has been revoked',
      )
      expect(await revokeToken(b, 'nope', T0)).toBe(false)

      const expiring = await createToken(
        b,
        { projectId: 'shop', name: 'week', scopes: ['errors:read'], expiresInDays: 7 },
        T0,
      )
      expect(expiring.row.expires_at).toBe(T0 + 7 * DAY)
      expect(refusal(await resolveToken(b, expiring.token, T0 + 7 * DAY - 1))).toMatchObject({
        kind: 'token',
      })
      expect(refusal(await resolveToken(b, expiring.token, T0 + 7 * DAY))).toBe(
        'invalid_token: API token has expired',
      )
    })

    test('listing is by project, newest first, revoked tokens included', async () => {
      const { backend: own } = await freshBackend(kind, pg(), { migrated: true })
      await addProject(own, 'a')
      await addProject(own, 'z')
      const first = await createToken(own, { projectId: 'a', name: 'first', scopes: ['errors:read'] }, T0)
      const second = await createToken(
        own,
        { projectId: 'a', name: 'second', scopes: ['errors:read'] },
        T0 + 1,
      )
      const other = await createToken(own, { projectId: 'z', name: 'other', scopes: ['llm:read'] }, T0 + 2)
      await revokeToken(own, first.row.id, T0 + 3)
      expect((await listTokens(own, ['a'])).map((t) => [t.name, t.revoked_at])).toEqual([
        ['second', null],
        ['first', T0 + 3],
      ])
      expect((await listTokens(own, ['a', 'z'])).map((t) => t.id)).toEqual([
        other.row.id,
        second.row.id,
        first.row.id,
      ])
      expect(await listTokens(own, [])).toEqual([])
      expect(await listTokens(own, ['missing'])).toEqual([])
    })

    test('inside a transaction it writes through that transaction', async () => {
      let id = ''
      await expect(
        b.transaction(async (tx) => {
          id = (await createToken(tx, { projectId: 'shop', name: 'gone', scopes: ['errors:read'] }, T0)).row
            .id
          expect((await getToken(tx, id))?.name).toBe('gone')
          throw new Error('roll back')
        }),
      ).rejects.toThrow('roll back')
      expect(await getToken(b, id)).toBeNull()
    })
  })
}
