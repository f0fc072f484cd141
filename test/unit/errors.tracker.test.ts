import { describe, expect, test } from 'bun:test'
import { MAX_TEMPLATE_CHARS, renderTemplate, templateProblem } from '../../src/errors/tracker'
import { releaseSpan } from '../../src/errors/triage.read'

const VALUES = {
  title: 'TypeError: a & b?',
  url: 'https://bloop.example/issues/f1?project=web',
  fingerprint: 'f1',
  project: 'web',
}

describe('tracker URL templates', () => {
  test.each([
    ['https://github.com/acme/app/issues/new?title={title}&body={url}', null],
    ['http://tracker.local/new?fp={fingerprint}&p={project}', null],
    ['https://linear.app/acme/new', null],
    ['javascript:alert(1)//{url}', 'must be an http or https URL'],
    ['ftp://files.example/{title}', 'must be an http or https URL'],
    ['/relative/{title}', 'must be an absolute URL'],
    ['https://x.example/{nope}', 'unknown placeholder {nope}; use {title}, {url}, {fingerprint}, {project}'],
    ['https://x.example/{}', 'unknown placeholder {}; use {title}, {url}, {fingerprint}, {project}'],
  ])('%s', (template, problem) => {
    expect(templateProblem(template)).toBe(problem)
  })

  test('the length cap: the longest allowed passes, one more character is refused', () => {
    const base = 'https://x.example/?t={title}&p='
    const longest = base + 'a'.repeat(MAX_TEMPLATE_CHARS - base.length)
    expect(longest.length).toBe(MAX_TEMPLATE_CHARS)
    expect(templateProblem(longest)).toBeNull()
    expect(templateProblem(`${longest}a`)).toBe(`must be at most ${MAX_TEMPLATE_CHARS} characters`)
  })

  test('every placeholder is URL-encoded; the rest of the template is kept as written', () => {
    expect(renderTemplate('https://github.com/acme/app/issues/new?title={title}&body={url}', VALUES)).toBe(
      'https://github.com/acme/app/issues/new?title=TypeError%3A%20a%20%26%20b%3F&body=https%3A%2F%2Fbloop.example%2Fissues%2Ff1%3Fproject%3Dweb',
    )
    expect(
      renderTemplate('https://t.example/{project}/{fingerprint}/{title}', { ...VALUES, title: '../x #1' }),
    ).toBe('https://t.example/web/f1/..%2Fx%20%231')
  })
})

describe('the release span of an issue', () => {
  test('first release by earliest sighting, last by latest first sighting, over environments', () => {
    const row = (release: string, first_seen: number, last_seen: number) => ({
      release,
      environment: 'production',
      total_count: 1,
      first_seen,
      last_seen,
    })
    expect(
      releaseSpan([row('2.0', 300, 900), row('1.0', 100, 1000), row('1.0', 50, 60), row('3.0', 800, 800)]),
    ).toEqual({ first_release: '1.0', last_release: '3.0' })
    expect(releaseSpan([])).toEqual({ first_release: null, last_release: null })
  })
})
