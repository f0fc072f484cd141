/**
 * Which features may run on PostgreSQL: the type of `Feature.backends` refuses `postgres`
 * for a feature whose Deps picks `db` (SQLite's connection; `tsc --noEmit` checks the
 * `@ts-expect-error` lines below, so a Feature type that stopped refusing would fail the
 * type check), and `featuresNotOn` names the features serve on PostgreSQL waits for.
 */
import { describe, expect, test } from 'bun:test'
import { type Core, type Feature, featuresNotOn } from '../../src/core/feature'
import { FEATURES } from '../../src/features'

const base = { config: [], migrations: [], start: () => ({}) }

/** Both shapes compile only as the type allows; the values are what the gate sees. */
const onSeam: Feature<Pick<Core, 'backend' | 'log'>> = {
  ...base,
  name: 'seam',
  backends: ['sqlite', 'postgres'],
}
const onSqlite: Feature<Pick<Core, 'db' | 'log'>> = { ...base, name: 'old', backends: ['sqlite'] }
export const refused: Feature<Pick<Core, 'db' | 'backend'>> = {
  ...base,
  name: 'refused',
  // @ts-expect-error a feature that takes Core.db cannot declare postgres
  backends: ['sqlite', 'postgres'],
}
const undeclared: Feature<Pick<Core, 'backend'>> = { ...base, name: 'undeclared' }

describe('the backends a feature declares', () => {
  test('a feature without backends runs on SQLite only', () => {
    expect(featuresNotOn('postgres', [onSeam, onSqlite, undeclared])).toEqual(['old', 'undeclared'])
    expect(featuresNotOn('sqlite', [onSeam, onSqlite, undeclared])).toEqual([])
  })

  test('every feature of the server runs on SQLite', () => {
    expect(featuresNotOn('sqlite', FEATURES)).toEqual([])
  })

  // What `bloop serve` on PostgreSQL still waits for. A feature's conversion to the seam
  // takes its name off the second list and puts it on the first; once the second is empty,
  // test/http/server.postgres.test.ts serves from PostgreSQL instead of refusing.
  test('the features that run on PostgreSQL, and those that do not yet', () => {
    const notYet = featuresNotOn('postgres', FEATURES)
    expect(FEATURES.map((f) => f.name).filter((name) => !notYet.includes(name))).toEqual([
      'projects',
      'auth',
      'tokens',
      'admin',
      'retention',
      'sourcemaps',
      'errors',
      'alerts',
      'llm',
      'dashboard',
      'analytics',
      'sentry',
      'sdk',
    ])
    expect(notYet).toEqual([])
  })
})
