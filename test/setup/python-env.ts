/**
 * `npm test`'s first step (the `pretest` script): the Python tools some tests run (scipy
 * and statsmodels for reference statistics; later the official Python clients) live in
 * `.venv-ci`, made from the pinned `test/requirements.txt`. This keeps the README's one
 * test command true on a machine that has Python 3 but none of those packages.
 *
 * - Idempotent: a stamp file holds the SHA-256 of the requirements the venv was made
 *   from; an unchanged file costs one hash, a changed one reinstalls.
 * - BLOOP_TEST_PYTHON set (CI may point it at its own interpreter): nothing to do.
 * - No Python 3 (or no venv module): says what to install and exits 1, because the tests
 *   that need it would fail anyway, later and less clearly.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dir, '..', '..')
const VENV = join(ROOT, '.venv-ci')
const REQUIREMENTS = join(ROOT, 'test', 'requirements.txt')
const STAMP = join(VENV, '.requirements.sha256')

function run(argv: string[]): void {
  const r = Bun.spawnSync(argv, { cwd: ROOT, stdout: 'inherit', stderr: 'inherit' })
  if (r.exitCode !== 0) {
    process.stderr.write(`pretest: \`${argv.join(' ')}\` failed (exit ${r.exitCode})\n`)
    process.exit(1)
  }
}

function main(): void {
  if (process.env.BLOOP_TEST_PYTHON) return
  const wanted = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex')
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === wanted) return
  const probe = Bun.spawnSync(['python3', '-c', 'import venv, ensurepip'], { stderr: 'pipe' })
  if (probe.exitCode !== 0) {
    process.stderr.write(
      'pretest: the test suite needs Python 3 with its venv module (Debian: apt-get install python3 python3-venv);\n' +
        'then run `npm test` again: it installs test/requirements.txt into .venv-ci by itself.\n',
    )
    process.exit(1)
  }
  process.stderr.write('pretest: installing the Python test tools (test/requirements.txt) into .venv-ci\n')
  rmSync(VENV, { recursive: true, force: true })
  run(['python3', '-m', 'venv', VENV])
  run([join(VENV, 'bin', 'pip'), 'install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS])
  writeFileSync(STAMP, `${wanted}\n`)
  process.stderr.write('pretest: Python test tools ready\n')
}

main()
