/**
 * The LLM pages fed by every road a trace takes, in headless Chromium against the real
 * server: the official `openai` and `@anthropic-ai/sdk` clients through the proxy (the
 * fake upstream replays the providers' recorded answers), the OpenTelemetry JS SDK's OTLP
 * exporter, and the signed native POST /v1/traces. The base URLs, key and OTLP endpoint
 * the clients use are the ones the settings page's setup guide shows and copies. Then the
 * pages are walked: live updates on the open list, a failed call's issue, feedback, the
 * content policy, search, an OTLP agent of 100 spans, experiments, both themes at 375 px
 * and a WCAG AA contrast check of every LLM page. Every test fails on a console error or
 * a failed request (dashboard.helpers.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { sign } from '../../src/errors/ingest/hmac'
import {
  clipboard,
  type DashboardServer,
  pageSettled,
  scrollsSideways,
  shot,
  signedInAdmin,
  startDashboardServer,
  takeProblems,
  watch,
} from '../dashboard.helpers'
import { projectOnSqlite } from '../helpers'
import { exportSpans, type SpanSpec } from '../llm.otlp.helpers'
import { type FakeUpstream, startFakeUpstream } from '../llm.proxy.fake'

setDefaultTimeout(60_000)

let fake: FakeUpstream
let server: DashboardServer
let browser: Browser
let context: BrowserContext
let page: Page
let key: string

/** What the setup guide's snippets say, read from the page in the first test. */
const guide = { openai: '', anthropic: '', otlp: '', key: '', env: {} as Record<string, string> }
let experimentId = ''
/** The failed proxied call's trace (its page shows the error notice and the issue link). */
let failedTrace = ''

async function post(path: string, body: unknown): Promise<Response> {
  const text = JSON.stringify(body)
  return fetch(`${server.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-project-key': key, 'x-signature': sign(key, text) },
    body: text,
  })
}

async function sendNative(trace: Record<string, unknown>): Promise<void> {
  const res = await post('/v1/traces', trace)
  expect(res.status).toBe(200)
}

const openai = (headers: Record<string, string> = {}) =>
  new OpenAI({
    baseURL: guide.openai,
    apiKey: 'sk-test-provider-key',
    defaultHeaders: { 'X-Bloop-Key': guide.key, ...headers },
    maxRetries: 0,
  })

const rowIds = (p: Page = page) =>
  p.$$eval('.trace-row', (rs) => rs.map((r) => (r as HTMLElement).dataset.id as string))

/** The rows' ids once there are `n` of them, without the page navigating in between. */
async function waitRows(n: number): Promise<string[]> {
  await page.waitForFunction((k) => document.querySelectorAll('.trace-row').length === k, n, {
    timeout: 10_000,
  })
  return rowIds()
}

const text = async (selector: string, p: Page = page) =>
  ((await p.locator(selector).first().textContent()) ?? '').trim()

beforeAll(async () => {
  fake = startFakeUpstream()
  server = await startDashboardServer({
    llm_tracing: {
      default_content_storage: 'full',
      proxy: { openai_base_url: `${fake.url}/v1`, anthropic_base_url: fake.url },
    } as never,
  })
  const db = server.served.runtime.core.db
  const project = projectOnSqlite(db, { name: 'Shop assistant', slug: 'shop' })
  key = project.api_key
  ;({ browser, context, page } = await signedInAdmin(server, { clipboard: true }))
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  fake?.stop()
})

afterEach(() => {
  expect(takeProblems()).toEqual([])
})

/** A GenAI-conventions agent: a root, a model call, a tool call. */
function otlpAgent(at: number): SpanSpec {
  return {
    name: 'invoke_agent support',
    start: at,
    end: at + 900,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.conversation.id': 'conv-otlp-1',
      'bloop.prompt.name': 'support',
    },
    children: [
      {
        name: 'chat gpt-4o-mini',
        start: at + 10,
        end: at + 410,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 300,
          'gen_ai.usage.output_tokens': 40,
        },
      },
      {
        name: 'execute_tool lookup_order',
        start: at + 420,
        end: at + 880,
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order' },
      },
    ],
  }
}

describe('traces by every road, on every LLM page', () => {
  test("the setup guide shows the project's real key and endpoints, and copies each snippet", async () => {
    await page.goto(`${server.origin}/llm/settings?project=shop`)
    await page.waitForSelector('#llm-setup [data-snippet="openai"]')
    await pageSettled(page)
    const copied = async (tab: string) => {
      await page.click(`#llm-setup .tabs button:text-is("${tab}")`)
      const shown = await text('#llm-setup .snippet pre')
      await page.click('#llm-setup .snippet button:text-is("Copy snippet")')
      await page.waitForSelector('#llm-setup .snippet button:text-is("Copied")')
      expect(await clipboard(page)).toBe(shown)
      return shown
    }
    const o = await copied('OpenAI (proxy)')
    guide.openai = /baseURL: "([^"]+)"/.exec(o)?.[1] ?? ''
    guide.key = /'X-Bloop-Key': "([^"]+)"/.exec(o)?.[1] ?? ''
    expect(guide).toMatchObject({ openai: `${server.origin}/v1/proxy/openai`, key })
    const a = await copied('Anthropic (proxy)')
    guide.anthropic = /baseURL: "([^"]+)"/.exec(a)?.[1] ?? ''
    expect(guide.anthropic).toBe(`${server.origin}/v1/proxy/anthropic`)
    expect(a).toContain(`'X-Bloop-Key': "${key}"`)
    const env = await copied('OpenTelemetry')
    expect(env).toContain(`export OTEL_EXPORTER_OTLP_HEADERS="X-Bloop-Key=${key}"`)
    for (const [, name, value] of env.matchAll(/^export (\w+)="?([^"\n]*)"?$/gm))
      guide.env[name as string] = value as string
    expect(Object.keys(guide.env)).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_EXPORTER_OTLP_HEADERS',
    ])
    const js = await copied('OpenTelemetry (JS)')
    guide.otlp = /url: "([^"]+)"/.exec(js)?.[1] ?? ''
    expect(guide.otlp).toBe(`${server.origin}/otlp/v1/traces`)
    expect(await copied('Python (proxy)')).toContain(`default_headers={"X-Bloop-Key": "${key}"}`)
    await page.click('#llm-setup .tabs button:text-is("OpenAI (proxy)")')
    await shot(page, 'llm-setup', { docs: true })
  })

  test('traces sent through the proxy, OTLP and the native API appear on the open list without a reload', async () => {
    // The live stream is open once its answer's headers arrive.
    const live = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/stream')
    await page.goto(`${server.origin}/llm/traces?project=shop`)
    await page.waitForSelector('#llm-traces-empty')
    await pageSettled(page)
    expect((await live).status()).toBe(200)
    // Mark the document: a reload would lose the mark.
    await page.evaluate(() => Object.assign(window, { sameDocument: true }))

    const chat = await openai().chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Say bonjour in French please' }],
    })
    expect(chat.choices[0]?.message.content).toBe('Bonjour, café ☕ — prêt ?')
    const [proxied] = await waitRows(1)

    const anthropic = new Anthropic({
      baseURL: guide.anthropic,
      apiKey: 'sk-ant-test',
      defaultHeaders: { 'X-Bloop-Key': guide.key },
      maxRetries: 0,
    })
    const msg = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 512,
      messages: [{ role: 'user', content: 'What is the weather in Zürich?' }],
    })
    expect(msg.model).toBe('claude-sonnet-4-5-20250929')
    expect(await waitRows(2)).toContain(proxied as string)

    // The exporter configured only by the environment variables of the guide's snippet.
    const saved = { ...process.env }
    Object.assign(process.env, guide.env)
    const exported = await exportSpans('proto', null, [otlpAgent(Date.now() - 60_000)]).finally(() => {
      for (const name of Object.keys(guide.env)) {
        if (saved[name] === undefined) delete process.env[name]
        else process.env[name] = saved[name]
      }
    })
    expect(exported.code).toBe(0)
    await waitRows(3)

    await sendNative({
      id: 'native-1',
      name: 'checkout-helper',
      session_id: 'conv-native',
      user_id: 'u-7',
      status: 'completed',
      started_at: Date.now() - 30_000,
      ended_at: Date.now() - 29_000,
      spans: [
        {
          id: 'n1',
          span_type: 'generation',
          name: 'suggest',
          model: 'gpt-4o',
          provider: 'openai',
          input_tokens: 500,
          output_tokens: 100,
          cost: 0.0025,
          started_at: Date.now() - 30_000,
          latency_ms: 1000,
        },
      ],
    })
    // A provider failure reaches the client unchanged and is traced as an error.
    const failed = await openai({ 'x-fake-scenario': '500' })
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .then(
        () => 0,
        (e: { status?: number }) => e.status,
      )
    expect(failed).toBe(500)
    const ids = await waitRows(5)
    expect(ids).toContain('native-1')
    expect(ids).toContain(exported.traceIds[0] as string)
    expect(await page.evaluate(() => (window as { sameDocument?: boolean }).sameDocument)).toBe(true)
    expect(await text('#llm-traces-total')).toBe('5 traces')
    // The arrow keys move through the list as j and k do.
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('ArrowDown')
    expect(
      await page.evaluate(
        () => (document.activeElement?.closest('.trace-row') as HTMLElement | null)?.dataset.id,
      ),
    ).toBe(ids[1])
    await shot(page, 'llm-traces', { docs: true })
  })

  test('the overview, models, sessions and prompts show what each road sent', async () => {
    await page.goto(`${server.origin}/llm?project=shop`)
    await page.waitForSelector('#llm-card-p95')
    await pageSettled(page)
    expect(await text('#llm-card-traces strong')).toBe('5')
    // Spans: 1 + 1 proxied + 3 OTLP + 1 native + 1 failed call.
    expect(await text('#llm-card-spans strong')).toBe('7')
    expect(await text('#llm-card-errors strong')).toBe('20.0%')
    // p95 of seven span latencies is the slowest, the OTLP root's 900 ms or the native 1000 ms.
    expect(await text('#llm-card-p95 strong')).toMatch(/^(9\d\d ms|1\.0\d s)$/)
    expect(await text('#llm-card-p95 .delta')).toBe('no previous data')

    await page.click('.subnav a:text-is("Models")')
    await page.waitForSelector('#llm-models')
    await pageSettled(page)
    const models = await page.$$eval('#llm-models tbody tr', (trs) =>
      trs.map((tr) =>
        [...tr.children]
          .slice(0, 2)
          .map((td) => (td.textContent ?? '').trim())
          .join(' / '),
      ),
    )
    expect(models).toEqual(
      expect.arrayContaining([
        'gpt-4o-2024-08-06 / openai',
        'claude-sonnet-4-5-20250929 / anthropic',
        'gpt-4o-mini / openai',
        'gpt-4o / openai',
      ]),
    )

    await page.click('.subnav a:text-is("Sessions")')
    await page.waitForSelector('.session-row')
    await pageSettled(page)
    expect(
      (await page.$$eval('.session-row', (rs) => rs.map((r) => (r as HTMLElement).dataset.id))).sort(),
    ).toEqual(['conv-native', 'conv-otlp-1'])

    await page.click('.subnav a:text-is("Prompts")')
    await page.waitForSelector('#llm-prompts tr[data-prompt="support"]')
    await pageSettled(page)
  })

  test("a failed proxied call's span links to the issue it became; votes show on the trace", async () => {
    await page.goto(`${server.origin}/llm/traces?project=shop`)
    await page.waitForSelector('.trace-row')
    await pageSettled(page)
    await page.selectOption('#llm-f-status', 'error')
    await page.waitForURL((u) => u.searchParams.get('status') === 'error')
    await page.waitForFunction(() => document.querySelectorAll('.trace-row').length === 1)
    await page.click('.trace-row a')
    await page.waitForSelector('#llm-span')
    await pageSettled(page)
    failedTrace = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() as string)
    expect(await text('#llm-span .notice.error')).toBe(
      'The server had an error while processing your request. Sorry about that!',
    )
    // The issue is submitted after the trace's commit; wait until it is stored.
    const db = server.served.runtime.core.db
    for (let i = 0; i < 100; i++) {
      if (db.query("SELECT 1 FROM issues WHERE source = 'llm'").get()) break
      await Bun.sleep(20)
    }
    await page.click('#llm-span-issue')
    await page.waitForURL((u) => u.pathname.startsWith('/issues/'))
    await page.waitForSelector('article.issue')
    await pageSettled(page)
    expect(await text('article.issue')).toContain('LLMError')

    for (const [user, value, comment] of [
      ['shopper-1', 1, 'helpful'],
      ['shopper-2', -1, 'wrong size'],
    ] as const) {
      const res = await post('/v1/llm/traces/native-1/feedback', { user_id: user, value, comment })
      expect(res.status).toBe(200)
    }
    await page.goto(`${server.origin}/llm/traces/native-1?project=shop`)
    await page.waitForSelector('#llm-feedback-sum')
    await pageSettled(page)
    expect(await text('#llm-feedback-sum')).toBe('1 up, 1 down')
    expect(
      await page.$$eval('#llm-feedback .vote', (vs) =>
        vs.map((v) => [(v as HTMLElement).dataset.user, v.querySelector('.vote-mark')?.textContent]),
      ),
    ).toEqual(
      expect.arrayContaining([
        ['shopper-1', '👍 up'],
        ['shopper-2', '👎 down'],
      ]),
    )
    // The span that did not fail links to no issue.
    expect(await page.locator('#llm-span-issue').count()).toBe(0)
  })

  test('search finds stored content; after the policy is set to none the next call keeps none', async () => {
    await page.goto(`${server.origin}/llm/traces?project=shop`)
    await page.waitForSelector('.trace-row')
    await pageSettled(page)
    await page.fill('#llm-f-search', 'bonjour in French')
    await page.press('#llm-f-search', 'Enter')
    await page.waitForURL((u) => u.searchParams.get('search') === 'bonjour in French')
    await page.waitForFunction(() => document.querySelectorAll('.trace-row').length === 1)
    const [first] = await rowIds()

    await page.goto(`${server.origin}/llm/settings?project=shop`)
    await page.waitForSelector('#llm-policy')
    expect(await text('#llm-policy-current')).toBe('full')
    await page.selectOption('#llm-policy-select', 'none')
    await page.click('#llm-policy button:text-is("Save policy")')
    await page.waitForSelector('#llm-policy .notice.ok')
    expect(await text('#llm-policy-current')).toBe('none')

    // The same prompt again, through the proxy.
    const again = await openai()
      .chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Say bonjour in French please' }],
      })
      .withResponse()
    const second = again.response.headers.get('x-bloop-trace-id') as string
    expect(second).toBeTruthy()
    await page.goto(`${server.origin}/llm/traces/${second}?project=shop`)
    await page.waitForSelector('#llm-span')
    await pageSettled(page)
    expect(await page.locator('#llm-span [data-not-stored]').count()).toBe(2)
    // The earlier call keeps its content: the policy applies from the next trace on.
    await page.goto(`${server.origin}/llm/traces/${first}?project=shop`)
    await page.waitForSelector('#llm-span')
    await pageSettled(page)
    expect(await page.locator('#llm-span [data-not-stored]').count()).toBe(0)
    expect(await text('#llm-span .chat-msg[data-role="user"] .chat-text')).toBe(
      'Say bonjour in French please',
    )
    // Nothing of the second call's prompt was indexed either.
    await page.goto(`${server.origin}/llm/traces?project=shop&search=bonjour+in+French`)
    await page.waitForSelector('.trace-row')
    await pageSettled(page)
    expect(await rowIds()).toEqual([first as string])
  })

  test('an OTLP agent of 100 spans: depth first in start order, each bar inside its parent', async () => {
    // Away from the live list first: its re-read on this trace's commit would race the navigation below.
    await page.goto(`${server.origin}/llm/models?project=shop`)
    await pageSettled(page)
    const t1 = Date.now() - 120_000
    const steps: SpanSpec[] = []
    for (let i = 0; i < 9; i++) {
      const at = t1 + 1 + i * 100
      steps.push({
        name: `step ${i}`,
        start: at,
        end: at + 90,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.system': 'openai',
        },
        children: Array.from({ length: 10 }, (_, j) => ({
          name: `call ${i}.${j}`,
          start: at + 1 + j * 8,
          end: at + 7 + j * 8,
          attributes: { 'gen_ai.operation.name': 'execute_tool' },
          ...(i === 4 && j === 7 ? { error: 'tool timed out' } : {}),
        })),
      })
    }
    const root: SpanSpec = { name: 'big agent', start: t1, end: t1 + 1000, children: steps }
    const sent = await exportSpans('json', guide.otlp, [root], { headers: { 'X-Bloop-Key': guide.key } })
    expect(sent.code).toBe(0)
    await page.goto(`${server.origin}/llm/traces/${sent.traceIds[0]}?project=shop`)
    await page.waitForSelector('#llm-waterfall')
    await pageSettled(page)
    const rows = await page.$$eval('#llm-waterfall .span-row', (bs) =>
      bs.map((b) => {
        const el = b as HTMLElement
        const bar = el.querySelector('.span-bar') as HTMLElement
        return {
          name: (el.querySelector('.span-name')?.textContent ?? '').replace(/^\S+\s/, '').trim(),
          depth: Number(el.dataset.depth),
          from: Number(bar.dataset.offsetMs),
          to: Number(bar.dataset.offsetMs) + Number(bar.dataset.durationMs),
          error: el.classList.contains('error'),
        }
      }),
    )
    const expected: [string, number][] = [['big agent', 0]]
    for (let i = 0; i < 9; i++) {
      expected.push([`step ${i}`, 1])
      for (let j = 0; j < 10; j++) expected.push([`call ${i}.${j}`, 2])
    }
    expect(rows.map((r) => [r.name, r.depth])).toEqual(expected)
    let parent = rows[0] as (typeof rows)[0]
    let step = parent
    for (const r of rows.slice(1)) {
      if (r.depth === 1) step = r
      parent = r.depth === 1 ? (rows[0] as (typeof rows)[0]) : step
      expect({ name: r.name, inside: r.from >= parent.from && r.to <= parent.to }).toEqual({
        name: r.name,
        inside: true,
      })
    }
    expect(rows.filter((r) => r.error).map((r) => r.name)).toEqual(['call 4.7'])
  })

  test('an experiment created in the form compares its variants in plain words', async () => {
    await page.goto(`${server.origin}/llm/experiments?project=shop`)
    await page.waitForSelector('#llm-experiments-empty')
    await pageSettled(page)
    await page.fill('#llm-exp-name', 'shorter summary prompt')
    await page.fill('#llm-exp-prompt', 'summary')
    await page.fill('#llm-exp-planned', '30')
    // A split that does not sum to 100% is said at once, nothing sent.
    await page.fill('[data-variant="1"] input[type="number"]', '60')
    await page.click('#llm-experiment-form button:text-is("Create experiment")')
    expect(await text('#llm-experiment-form .notice.error')).toBe(
      'The traffic must sum to 100%; it sums to 110%.',
    )
    expect(new URL(page.url()).searchParams.has('experiment')).toBe(false)
    await page.fill('[data-variant="1"] input[type="number"]', '50')
    await page.click('#llm-experiment-form button:text-is("Create experiment")')
    await page.waitForURL((u) => u.searchParams.has('experiment'))
    experimentId = new URL(page.url()).searchParams.get('experiment') as string
    await page.waitForSelector('#llm-variants')
    await pageSettled(page)
    expect(
      await page.$$eval('#llm-variants tbody tr', (trs) =>
        trs.map((tr) => [...tr.children].slice(0, 4).map((td) => (td.textContent ?? '').trim())),
      ),
    ).toEqual([
      ['a', 'v1', '50%', '0'],
      ['b', 'v2', '50%', '0'],
    ])

    // 40 traces per version, as an app would send them after asking `assign`: v2 costs 23% less.
    const now = Date.now()
    const arm = (version: string, cost: number) =>
      Array.from({ length: 40 }, (_, i) => ({
        id: `exp-${version}-${i}`,
        name: 'summarise',
        prompt_name: 'summary',
        prompt_version: version,
        status: 'completed',
        started_at: now + i,
        ended_at: now + i + 400 + (i % 7) * 25,
        spans: [
          {
            id: 's',
            span_type: 'generation',
            model: 'gpt-4o-mini',
            provider: 'openai',
            input_tokens: 100,
            output_tokens: 20,
            cost: cost + (i % 5) * 0.0002,
            started_at: now + i,
            latency_ms: 400 + (i % 7) * 25,
          },
        ],
      }))
    for (const batch of [arm('v1', 0.01), arm('v2', 0.0077)]) {
      const res = await post('/v1/traces/batch', { traces: batch })
      expect(res.status).toBe(200)
    }
    await page.reload()
    await page.waitForSelector('.experiment-compare li')
    await pageSettled(page)
    expect(
      await page.$$eval('#llm-variants tbody tr', (trs) =>
        trs.map((tr) => (tr.children[3]?.textContent ?? '').trim()),
      ),
    ).toEqual(['40', '40'])
    const api = (await (
      await page.request.get(
        `${server.origin}/v1/llm/experiments/${experimentId}/compare?project_id=shop&baseline=v1&treatment=v2`,
      )
    ).json()) as { results: { metric: string; summary: string }[]; recommendation: string }
    const shown = await page.$$eval('.experiment-compare li', (ls) =>
      ls.map((l) => [(l as HTMLElement).dataset.metric, (l.textContent ?? '').trim()]),
    )
    const sentence = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}.`
    expect(shown).toEqual(api.results.map((r) => [r.metric, sentence(r.summary)]))
    const cost = shown.find(([m]) => m === 'cost_usd')?.[1] ?? ''
    expect(cost).toMatch(/^B \(v2\) is 2\d% cheaper \(95% CI \d+-\d+%\), p (<|=) 0\.\d+/)
    // No votes yet: said so in words, not as a number.
    expect(shown.find(([m]) => m === 'thumbs_up_rate')?.[1]).toStartWith(
      'Not enough data yet for thumbs-up rate',
    )
    expect(await text('[data-recommendation]')).toBe(api.recommendation)
    expect(await text('[data-sample-ratio]')).toStartWith(
      'Assignment matches the traffic split (40 in a (v1), 40 in b (v2)',
    )
    await shot(page, 'llm-experiments', { docs: true })
  })

  test('an experiment is paused, resumed and concluded from its page; a concluded one is final', async () => {
    await page.goto(`${server.origin}/llm/experiments?project=shop&experiment=${experimentId}`)
    await page.waitForSelector('#llm-experiment')
    await pageSettled(page)
    const status = () => text('#llm-experiment-title .badge')
    const buttons = () =>
      page.$$eval('#llm-experiment .page-head button', (bs) => bs.map((b) => (b.textContent ?? '').trim()))
    expect([await status(), await buttons()]).toEqual(['running', ['Pause', 'Conclude']])
    await page.click('#llm-experiment button:text-is("Pause")')
    await page.waitForSelector('#llm-experiment button:text-is("Resume")')
    expect([await status(), await buttons()]).toEqual(['paused', ['Resume', 'Conclude']])
    await page.click('#llm-experiment button:text-is("Resume")')
    await page.waitForSelector('#llm-experiment button:text-is("Pause")')
    await page.click('#llm-experiment button:text-is("Conclude")')
    await page.waitForFunction(() => !document.querySelector('#llm-experiment .page-head button'))
    expect(await status()).toBe('concluded')
    const stored = server.served.runtime.core.db
      .query<{ status: string }, [string]>('SELECT status FROM llm_experiments WHERE id = ?')
      .get(experimentId)
    expect(stored).toEqual({ status: 'concluded' })
  })
})

/** The LLM pages as a visitor reaches them, with one of each kind of content. */
const PAGES = () => [
  '/llm?project=shop',
  '/llm/traces?project=shop',
  '/llm/traces/native-1?project=shop',
  `/llm/traces/${encodeURIComponent(failedTrace)}?project=shop`,
  '/llm/sessions?project=shop',
  '/llm/sessions/conv-native?project=shop',
  '/llm/prompts?project=shop&prompt=summary',
  `/llm/experiments?project=shop&experiment=${experimentId}`,
  '/llm/models?project=shop',
  '/llm/settings?project=shop',
]

/**
 * Every element with text of its own, visible, against the background it is drawn on
 * (the nearest opaque ancestor's, with translucent layers blended in): the WCAG 2 contrast
 * ratio, 4.5:1 for normal text, 3:1 for large (24 px, or 18.66 px bold). Disabled controls
 * are exempt, as WCAG has them. Answers the failures.
 */
const lowContrast = (p: Page) =>
  p.evaluate(() => {
    type C = [number, number, number, number]
    const parse = (c: string): C | null => {
      const m = /rgba?\(([^)]+)\)/.exec(c)
      if (!m) return null
      const v = (m[1] as string)
        .split(/[\s,/]+/)
        .filter(Boolean)
        .map(Number)
      return [v[0] ?? 0, v[1] ?? 0, v[2] ?? 0, v[3] ?? 1]
    }
    const over = (top: C, under: C): C => {
      const a = top[3]
      return [
        top[0] * a + under[0] * (1 - a),
        top[1] * a + under[1] * (1 - a),
        top[2] * a + under[2] * (1 - a),
        1,
      ]
    }
    const lum = (c: C) => {
      const f = (x: number) => {
        const s = x / 255
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
      }
      return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2])
    }
    const background = (el: Element): C => {
      const layers: C[] = []
      for (let e: Element | null = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor)
        if (c && c[3] > 0) {
          layers.push(c)
          if (c[3] >= 1) break
        }
      }
      let bg: C = [255, 255, 255, 1]
      for (const l of layers.reverse()) bg = over(l, bg)
      return bg
    }
    const out: string[] = []
    for (const el of document.querySelectorAll('body *')) {
      if (el.closest('option, [disabled], svg, canvas')) continue
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && (n.textContent ?? '').trim() !== '')
      if (!own) continue
      const cs = getComputedStyle(el)
      const box = el.getBoundingClientRect()
      if (cs.visibility !== 'visible' || box.width === 0 || box.height === 0) continue
      const bg = background(el)
      const fg = over(parse(cs.color) ?? [0, 0, 0, 1], bg)
      const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a) as [number, number]
      const ratio = (hi + 0.05) / (lo + 0.05)
      const size = Number.parseFloat(cs.fontSize)
      const large = size >= 24 || (Number(cs.fontWeight) >= 700 && size >= 18.66)
      if (ratio < (large ? 3 : 4.5))
        out.push(
          `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${(el.textContent ?? '').trim().slice(0, 24)}" ${cs.color} on rgb(${bg.slice(0, 3).map(Math.round).join(', ')}): ${ratio.toFixed(2)}`,
        )
    }
    return [...new Set(out)]
  })

describe('every LLM page, in both themes', () => {
  for (const scheme of ['light', 'dark'] as const) {
    test(`keeps WCAG AA contrast for all its text in the ${scheme} theme`, async () => {
      const c = await browser.newContext({
        storageState: await context.storageState(),
        viewport: { width: 1280, height: 860 },
        colorScheme: scheme,
      })
      const p = await c.newPage()
      watch(p)
      // The check sees a failure when there is one: grey on grey is 1.4:1.
      await p.goto(`${server.origin}/llm?project=shop`)
      await pageSettled(p)
      await p.evaluate(() => {
        const probe = Object.assign(document.createElement('p'), { textContent: 'grey on grey' })
        // Set through the CSSOM, which the strict CSP allows (a style element it would refuse).
        probe.style.color = '#999'
        probe.style.background = '#bbb'
        document.querySelector('main')?.append(probe)
      })
      expect((await lowContrast(p)).filter((f) => f.includes('grey on grey'))).toHaveLength(1)
      const failures: Record<string, string[]> = {}
      for (const to of PAGES()) {
        await p.goto(`${server.origin}${to}`)
        await pageSettled(p)
        const bad = await lowContrast(p)
        if (bad.length > 0) failures[to] = bad
      }
      expect(failures).toEqual({})
      await c.close()
    })

    test(`fits a 375 px wide screen in the ${scheme} theme`, async () => {
      const c = await browser.newContext({
        storageState: await context.storageState(),
        viewport: { width: 375, height: 800 },
        colorScheme: scheme,
      })
      const p = await c.newPage()
      watch(p)
      for (const to of PAGES()) {
        await p.goto(`${server.origin}${to}`)
        await pageSettled(p)
        expect({ to, sideways: await scrollsSideways(p) }).toEqual({ to, sideways: false })
      }
      expect(await p.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
        scheme === 'dark' ? 'rgb(15, 17, 21)' : 'rgb(245, 246, 248)',
      )
      await p.goto(`${server.origin}/llm/experiments?project=shop&experiment=${experimentId}`)
      await pageSettled(p)
      await shot(p, `llm-experiments-375px-${scheme}`)
      await c.close()
    })
  }
})
