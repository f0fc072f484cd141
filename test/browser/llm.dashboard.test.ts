/**
 * The LLM pages of the dashboard in headless Chromium, against the real server: traces
 * are sent through the signed POST /v1/traces the SDKs use, then the overview, the trace
 * list (a filter applied through the URL), one multi-level trace's waterfall and the
 * models page are walked. Every test fails on a console error or a failed request (see
 * dashboard.helpers.ts). The last test measures what each LLM page adds to the landing,
 * compressed, into test-artifacts/llm-bundle-size.json.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { sign } from '../../src/errors/ingest/hmac'
import {
  ARTIFACTS,
  assetLog,
  type DashboardServer,
  type LoadedAsset,
  pageSettled,
  scrollsSideways,
  shot,
  signedInAdmin,
  startDashboardServer,
  takeProblems,
  watch,
} from '../dashboard.helpers'
import { projectOnSqlite } from '../helpers'

setDefaultTimeout(30_000)

let server: DashboardServer
let browser: Browser
let context: BrowserContext
let page: Page
let key: string

/** The agent run's start: an hour ago, well inside the default 24-hour window. */
const T0 = Date.now() - 3_600_000

async function send(trace: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify(trace)
  const res = await fetch(`${server.origin}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-project-key': key, 'x-signature': sign(key, body) },
    body,
  })
  expect({ status: res.status, body: await res.json() }).toEqual({
    status: 200,
    body: { status: 'accepted' },
  })
}

/** Three levels: the run, its steps, a retrieval inside the search tool; the answer fails. */
const agent = {
  id: 'run-1',
  name: 'support-agent',
  session_id: 'chat-7',
  user_id: 'u-42',
  status: 'error',
  started_at: T0,
  ended_at: T0 + 1000,
  input: 'Where is my order?',
  spans: [
    { id: 'root', span_type: 'custom', name: 'agent', started_at: T0, latency_ms: 1000 },
    {
      id: 'plan',
      parent_span_id: 'root',
      span_type: 'generation',
      name: 'plan',
      model: 'gpt-4o',
      provider: 'openai',
      input_tokens: 1200,
      output_tokens: 300,
      cost: 0.0054,
      started_at: T0 + 10,
      latency_ms: 200,
      time_to_first_token_ms: 50,
    },
    {
      id: 'search',
      parent_span_id: 'root',
      span_type: 'tool',
      name: 'search_orders',
      started_at: T0 + 220,
      latency_ms: 100,
    },
    {
      id: 'retrieve',
      parent_span_id: 'search',
      span_type: 'retrieval',
      name: 'orders-index',
      started_at: T0 + 230,
      latency_ms: 60,
    },
    {
      id: 'answer',
      parent_span_id: 'root',
      span_type: 'generation',
      name: 'answer',
      model: 'claude-sonnet-4',
      provider: 'anthropic',
      input_tokens: 2000,
      output_tokens: 0,
      started_at: T0 + 400,
      latency_ms: 500,
      status: 'error',
      error_message: 'overloaded_error: Overloaded',
    },
  ],
}
/** A cheap, fast one of another model, so a filter has something to leave out. */
const quick = {
  id: 'quick-1',
  name: 'classify',
  status: 'completed',
  started_at: T0 + 5000,
  ended_at: T0 + 5150,
  spans: [
    {
      id: 'q1',
      span_type: 'generation',
      name: 'classify',
      model: 'gpt-4o-mini',
      provider: 'openai',
      input_tokens: 100,
      output_tokens: 5,
      cost: 0.00002,
      started_at: T0 + 5000,
      latency_ms: 150,
    },
  ],
}

/** One trace in the window before the default one (30 hours ago), for the cards' change. */
const earlier = {
  ...quick,
  id: 'earlier-1',
  started_at: T0 - 29 * 3_600_000,
  ended_at: T0 - 29 * 3_600_000 + 150,
  spans: quick.spans.map((s) => ({ ...s, id: 'e1', started_at: T0 - 29 * 3_600_000 })),
}

beforeAll(async () => {
  server = await startDashboardServer()
  const db = server.served.runtime.core.db
  const project = projectOnSqlite(db, { name: 'Agents', slug: 'agents' })
  key = project.api_key
  await send(agent)
  await send(quick)
  await send(earlier)
  ;({ browser, context, page } = await signedInAdmin(server))
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

afterEach(() => {
  expect(takeProblems()).toEqual([])
})

const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim()

describe('the LLM pages in a real browser', () => {
  test('the navigation leads to the overview: cards, charts by model, the budget', async () => {
    await page.goto(`${server.origin}/?project=agents`)
    await pageSettled(page)
    await page.click('.mainnav a:text-is("LLM")')
    await page.waitForURL((u) => u.pathname === '/llm')
    await page.waitForSelector('#llm-card-traces')
    await pageSettled(page)
    expect(await text('#llm-card-traces strong')).toBe('2')
    expect(await text('#llm-card-spans strong')).toBe('6')
    // 1500 + 2000 + 105 tokens.
    expect(await text('#llm-card-tokens strong')).toBe('3.6k')
    expect(await text('#llm-card-errors strong')).toBe('50.0%')
    // Against the window before, which had one trace of one span and no error.
    expect(await text('#llm-card-traces .delta')).toBe('+100% vs previous')
    expect(await text('#llm-card-spans .delta')).toBe('+500% vs previous')
    expect(await page.getAttribute('#llm-card-cost .delta', 'class')).toBe('delta worse')
    expect(await text('#llm-card-errors .delta')).toBe('no previous data')
    // p95 of the six span latencies is the slowest, the run's 1000 ms (within the sketch's 1%),
    // against the window before's one 150 ms span: about +567%, and slower is worse.
    expect(await text('#llm-card-p95 strong')).toMatch(/^(99\d ms|1\.0\d s)$/)
    expect(await text('#llm-card-p95 .delta')).toMatch(/^\+5[5-8]\d% vs previous$/)
    expect(await page.getAttribute('#llm-card-p95 .delta', 'class')).toBe('delta worse')
    await page.waitForSelector('#llm-cost-chart .uplot')
    await page.waitForSelector('#llm-tokens-chart .uplot')
    const legend = await page.$$eval('#llm-tokens-chart .u-legend .u-series th', (ths) =>
      ths.map((t) => (t.textContent ?? '').trim()).filter(Boolean),
    )
    expect(legend).toEqual(expect.arrayContaining(['gpt-4o', 'claude-sonnet-4', 'gpt-4o-mini']))
    // One project chosen: its budget, with no budget set yet.
    expect(await text('#llm-budget')).toContain('No budget is set')
    await shot(page, 'llm-overview', { docs: true })
  })

  test('the trace list filters through the URL', async () => {
    await page.click('.subnav a:text-is("Traces")')
    await page.waitForURL((u) => u.pathname === '/llm/traces')
    await page.waitForSelector('.trace-row')
    await pageSettled(page)
    // Newest first.
    expect(await page.$$eval('.trace-row', (rs) => rs.map((r) => (r as HTMLElement).dataset.id))).toEqual([
      'quick-1',
      'run-1',
    ])
    await page.fill('#llm-f-model', 'gpt-4o-mini')
    await page.press('#llm-f-model', 'Enter')
    await page.waitForURL((u) => u.searchParams.get('model') === 'gpt-4o-mini')
    await page.waitForFunction(() => document.querySelectorAll('.trace-row').length === 1)
    expect(await page.getAttribute('.trace-row', 'data-id')).toBe('quick-1')
    // The search box: a span name of the agent run, as typed (a hyphen is text).
    await page.fill('#llm-f-model', '')
    await page.press('#llm-f-model', 'Enter')
    await page.fill('#llm-f-search', 'orders-index')
    await page.press('#llm-f-search', 'Enter')
    await page.waitForURL(
      (u) => u.searchParams.get('search') === 'orders-index' && !u.searchParams.has('model'),
    )
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>('.trace-row')].map((r) => r.dataset.id).join() === 'run-1',
    )
    // The status filter, straight from a shared URL.
    await page.goto(`${server.origin}/llm/traces?project=agents&status=error`)
    await page.waitForSelector('.trace-row')
    await pageSettled(page)
    expect(await page.$$eval('.trace-row', (rs) => rs.map((r) => (r as HTMLElement).dataset.id))).toEqual([
      'run-1',
    ])
    expect(await page.inputValue('#llm-f-status')).toBe('error')
    expect(await text('#llm-traces-total')).toBe('1 trace')
    await shot(page, 'llm-traces')
  })

  test('j and k move through the list and Enter opens the focused trace', async () => {
    await page.goto(`${server.origin}/llm/traces?project=agents`)
    await page.waitForSelector('.trace-row')
    await pageSettled(page)
    const focused = () =>
      page.evaluate(() => (document.activeElement?.closest('.trace-row') as HTMLElement | null)?.dataset.id)
    await page.keyboard.press('j')
    expect(await focused()).toBe('quick-1')
    await page.keyboard.press('j')
    expect(await focused()).toBe('run-1')
    await page.keyboard.press('k')
    await page.keyboard.press('j')
    await page.keyboard.press('Enter')
    await page.waitForURL((u) => u.pathname === '/llm/traces/run-1')
    await page.waitForSelector('#llm-waterfall')
    await pageSettled(page)
  })

  test('a trace shows its span tree as a waterfall to scale, nested, the failed span in red', async () => {
    await page.goto(`${server.origin}/llm/traces?project=agents&status=error`)
    await page.waitForSelector('.trace-row')
    await page.click('.trace-row a')
    await page.waitForURL((u) => u.pathname === '/llm/traces/run-1')
    await page.waitForSelector('#llm-waterfall')
    await pageSettled(page)
    const rows = await page.$$eval('#llm-waterfall .span-row', (bs) =>
      bs.map((b) => {
        const el = b as HTMLElement
        const bar = el.querySelector('.span-bar') as HTMLElement
        return {
          id: el.dataset.span,
          depth: Number(el.dataset.depth),
          offset: Number(bar.dataset.offsetMs),
          duration: Number(bar.dataset.durationMs),
          left: bar.style.left,
          width: bar.style.width,
          error: el.classList.contains('error'),
        }
      }),
    )
    // Depth first in start order; offsets and durations against the trace's 1000 ms.
    expect(rows).toEqual([
      { id: 'root', depth: 0, offset: 0, duration: 1000, left: '0%', width: '100%', error: false },
      { id: 'plan', depth: 1, offset: 10, duration: 200, left: '1%', width: '20%', error: false },
      { id: 'search', depth: 1, offset: 220, duration: 100, left: '22%', width: '10%', error: false },
      { id: 'retrieve', depth: 2, offset: 230, duration: 60, left: '23%', width: '6%', error: false },
      { id: 'answer', depth: 1, offset: 400, duration: 500, left: '40%', width: '50%', error: true },
    ])
    // Drawn, not just computed: the bar of the failed span is red and indented deeper rows sit further right.
    const colour = await page.$eval(
      '[data-span="answer"] .span-bar',
      (e) => getComputedStyle(e).backgroundColor,
    )
    const danger = await page.evaluate(() => {
      const probe = Object.assign(document.createElement('span'), { style: 'color: var(--danger)' })
      document.body.append(probe)
      const c = getComputedStyle(probe).color
      probe.remove()
      return c
    })
    expect(colour).toBe(danger)
    const indent = await page.$$eval('#llm-waterfall .span-name', (ns) =>
      ns.map((n) => n.getBoundingClientRect().left + Number.parseFloat(getComputedStyle(n).paddingLeft)),
    )
    expect(indent[1]).toBeGreaterThan(indent[0] as number)
    expect(indent[3]).toBeGreaterThan(indent[2] as number)
    // The generation's time to first token is marked at 10 + 50 ms.
    expect(await page.$eval('[data-span="plan"] .span-ttft', (e) => (e as HTMLElement).style.left)).toBe('6%')

    await page.click('[data-span="plan"]')
    expect(await text('#llm-span-model')).toBe('gpt-4o (openai)')
    expect(await text('#llm-span-tokens')).toBe('1.2k in / 300 out')
    expect(await text('#llm-span-cost')).toBe('$0.00540')
    expect(await text('#llm-span-cost-source')).toBe('client')
    // The server keeps no content by default: said so, not shown as empty.
    expect(await page.locator('#llm-span [data-not-stored]').count()).toBe(2)

    await page.click('[data-span="answer"]')
    expect(await text('#llm-span .notice.error')).toBe('overloaded_error: Overloaded')

    // A score added in the form is saved and listed.
    expect(await text('#llm-scores p.muted')).toBe('No scores yet.')
    await page.fill('#llm-score-value', '0.25')
    await page.fill('#llm-score-comment', 'gave up on the answer')
    await page.click('#llm-score-form button:text-is("Add score")')
    await page.waitForSelector('#llm-scores .score[data-name="accuracy"]')
    expect(await text('#llm-scores .score')).toContain('accuracy 0.25 (user) gave up on the answer')
    const stored = server.served.runtime.core.db
      .query<{ value: number; source: string }, []>(
        "SELECT value, source FROM llm_scores WHERE trace_id = 'run-1'",
      )
      .all()
    expect(stored).toEqual([{ value: 0.25, source: 'user' }])
    await shot(page, 'llm-trace', { docs: true })
  })

  test('a 100-span agent run: every span once, depth first in start order, each inside its parent', async () => {
    // A root, 9 steps, 10 tool calls in each step: the most spans a trace may have.
    const t1 = T0 + 20_000
    const spans: Record<string, unknown>[] = [
      { id: 'big', span_type: 'custom', name: 'agent', started_at: t1, latency_ms: 1000 },
    ]
    const expected: [string, number][] = [['big', 0]]
    for (let i = 0; i < 9; i++) {
      const at = t1 + 1 + i * 100
      spans.push({
        id: `step-${i}`,
        parent_span_id: 'big',
        span_type: 'generation',
        name: `step ${i}`,
        model: 'gpt-4o',
        started_at: at,
        latency_ms: 90,
      })
      expected.push([`step-${i}`, 1])
      for (let j = 0; j < 10; j++) {
        spans.push({
          id: `call-${i}-${j}`,
          parent_span_id: `step-${i}`,
          span_type: 'tool',
          name: `call ${i}.${j}`,
          started_at: at + 1 + j * 8,
          latency_ms: 6,
          ...(i === 4 && j === 7 ? { status: 'error', error_message: 'tool timed out' } : {}),
        })
        expected.push([`call-${i}-${j}`, 2])
      }
    }
    // Sent children first, so the nesting must come from the parents, not the order sent.
    await send({
      id: 'big-run',
      name: 'big-agent',
      status: 'error',
      started_at: t1,
      ended_at: t1 + 1000,
      spans: spans.reverse(),
    })
    await page.goto(`${server.origin}/llm/traces/big-run?project=agents`)
    await page.waitForSelector('#llm-waterfall')
    await pageSettled(page)
    const rows = await page.$$eval('#llm-waterfall .span-row', (bs) =>
      bs.map((b) => {
        const el = b as HTMLElement
        const bar = el.querySelector('.span-bar') as HTMLElement
        return {
          id: el.dataset.span as string,
          depth: Number(el.dataset.depth),
          from: Number(bar.dataset.offsetMs),
          to: Number(bar.dataset.offsetMs) + Number(bar.dataset.durationMs),
          error: el.classList.contains('error'),
        }
      }),
    )
    expect(rows.map((r) => [r.id, r.depth])).toEqual(expected)
    // Each bar lies within its parent's bar, and siblings follow one another in time.
    const byId = new Map(rows.map((r) => [r.id, r]))
    for (const r of rows) {
      if (r.depth === 0) continue
      const parent = byId.get(
        r.depth === 1 ? 'big' : r.id.replace(/^call-(\d+)-\d+$/, 'step-$1'),
      ) as (typeof rows)[0]
      expect({ id: r.id, inside: r.from >= parent.from && r.to <= parent.to }).toEqual({
        id: r.id,
        inside: true,
      })
    }
    expect(rows.filter((r) => r.error).map((r) => r.id)).toEqual(['call-4-7'])
    expect(byId.get('step-8')?.from).toBe(801)
  })

  test('a session lists its traces oldest first, each linked to its waterfall', async () => {
    await send({
      id: 'run-2',
      name: 'support-agent',
      session_id: 'chat-7',
      user_id: 'u-42',
      status: 'completed',
      started_at: T0 + 30_000,
      ended_at: T0 + 30_400,
      spans: [{ id: 'r2', span_type: 'custom', name: 'agent', started_at: T0 + 30_000, latency_ms: 400 }],
    })
    await page.goto(`${server.origin}/llm?project=agents`)
    await pageSettled(page)
    await page.click('.subnav a:text-is("Sessions")')
    await page.waitForSelector('.session-row')
    await pageSettled(page)
    expect(await page.$$eval('.session-row', (rs) => rs.map((r) => (r as HTMLElement).dataset.id))).toEqual([
      'chat-7',
    ])
    await page.click('.session-row a')
    await page.waitForURL((u) => u.pathname === '/llm/sessions/chat-7')
    await page.waitForSelector('.session-turn')
    await pageSettled(page)
    expect(await page.$$eval('.session-turn', (rs) => rs.map((r) => (r as HTMLElement).dataset.id))).toEqual([
      'run-1',
      'run-2',
    ])
    expect(await text('#llm-session-sums')).toBe('2 turns with u-42, 3.5k tokens, $0.0114')
    await page.click('.session-turn[data-id="run-2"] a')
    await page.waitForURL((u) => u.pathname === '/llm/traces/run-2')
    await page.waitForSelector('#llm-waterfall')
    await pageSettled(page)
  })

  test('the models page lists each model with its calls, tokens and latency', async () => {
    await page.goto(`${server.origin}/llm/models?project=agents`)
    await page.waitForSelector('#llm-models')
    await pageSettled(page)
    const models = await page.$$eval('#llm-models tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].slice(0, 3).map((td) => (td.textContent ?? '').trim())),
    )
    expect(models).toEqual(
      expect.arrayContaining([
        ['gpt-4o', 'openai', '1'],
        ['gpt-4o-mini', 'openai', '1'],
        ['claude-sonnet-4', 'anthropic', '1'],
      ]),
    )
    await shot(page, 'llm-models')
  })

  test('the content policy set in the UI applies to the next trace; the budget shows on the overview', async () => {
    await page.goto(`${server.origin}/llm?project=agents`)
    await pageSettled(page)
    await page.click('.subnav a:text-is("Settings")')
    await page.waitForURL((u) => u.pathname === '/llm/settings')
    await page.waitForSelector('#llm-policy')
    expect(await text('#llm-policy-current')).toBe('none')
    expect(await text('#llm-policy p.muted')).toContain("(the server's default)")
    await page.selectOption('#llm-policy-select', 'full')
    await page.click('#llm-policy button:text-is("Save policy")')
    await page.waitForSelector('#llm-policy .notice.ok')
    expect(await text('#llm-policy-current')).toBe('full')
    expect(await text('#llm-policy p.muted')).toContain('(set for this project)')

    await send({
      id: 'stored-1',
      name: 'with-content',
      status: 'completed',
      started_at: T0 + 9000,
      ended_at: T0 + 9100,
      spans: [
        {
          id: 's1',
          span_type: 'generation',
          name: 'reply',
          model: 'gpt-4o-mini',
          provider: 'openai',
          input: JSON.stringify([
            { role: 'system', content: 'Answer in one word.' },
            { role: 'user', content: [{ type: 'text', text: 'What is the capital of France?' }] },
          ]),
          output: 'Paris.',
          started_at: T0 + 9000,
          latency_ms: 100,
        },
      ],
    })
    await page.goto(`${server.origin}/llm/traces/stored-1?project=agents`)
    await page.waitForSelector('#llm-span')
    await pageSettled(page)
    expect(await page.locator('#llm-span [data-not-stored]').count()).toBe(0)
    // The input is chat messages: shown as a conversation, the output as text.
    const chat = await page.$$eval('#llm-span .chat-msg', (ms) =>
      ms.map((m) => [(m as HTMLElement).dataset.role, m.querySelector('.chat-text')?.textContent]),
    )
    expect(chat).toEqual([
      ['system', 'Answer in one word.'],
      ['user', 'What is the capital of France?'],
    ])
    expect(await page.$$eval('#llm-span .span-content pre', (ps) => ps.map((p) => p.textContent))).toEqual([
      'Paris.',
    ])
    await page.click('#llm-span .span-content button:text-is("Raw JSON")')
    expect(JSON.parse(await text('#llm-span .span-content pre'))[0]).toEqual({
      role: 'system',
      content: 'Answer in one word.',
    })
    await page.goto(`${server.origin}/llm/settings?project=agents`)
    await page.waitForSelector('#llm-budget-form')
    await page.fill('#llm-budget-dollars', '1')
    await page.fill('#llm-budget-rate', '50')
    await page.click('#llm-budget-form button:text-is("Save budget")')
    await page.waitForSelector('#llm-budget-form .notice.ok')
    expect(await text('#llm-budget-form p.muted')).toBe('Alert at 50.0% of the budget.')
    await shot(page, 'llm-settings')
    await page.click('.subnav a:text-is("Overview")')
    await page.waitForSelector('#llm-budget-spend')
    await pageSettled(page)
    // $0.0054 + $0.006 (table price of the answer) + $0.00002 this month, of a $1 budget.
    expect(await text('#llm-budget')).toContain('of $1.00 (1.1%)')
  })

  test('a model without a price is flagged on Models, priced in Settings, and its next span costed', async () => {
    const unpriced = (id: string, at: number) => ({
      id,
      name: 'in-house',
      status: 'completed',
      started_at: at,
      ended_at: at + 100,
      spans: [
        {
          id: `${id}-s`,
          span_type: 'generation',
          name: 'complete',
          model: 'acme-llm-1',
          provider: 'acme',
          input_tokens: 1000,
          output_tokens: 500,
          started_at: at,
          latency_ms: 100,
        },
      ],
    })
    await send(unpriced('acme-1', T0 + 40_000))
    await page.goto(`${server.origin}/llm/models?project=agents`)
    await page.waitForSelector('#llm-models')
    await pageSettled(page)
    expect(await text('tr[data-model="acme-llm-1"] [data-unpriced]')).toBe('1 unpriced: add a price')
    await page.click('tr[data-model="acme-llm-1"] [data-unpriced]')
    await page.waitForURL(
      (u) => u.pathname === '/llm/settings' && u.searchParams.get('price') === 'acme-llm-1',
    )
    await page.waitForSelector('#llm-unpriced li[data-model="acme-llm-1"]')
    await pageSettled(page)
    expect(await page.inputValue('#llm-price-model')).toBe('acme-llm-1')
    await page.click('#llm-unpriced li[data-model="acme-llm-1"] button')
    expect(await page.inputValue('#llm-price-provider')).toBe('acme')
    await page.fill('#llm-price-input', '2')
    await page.fill('#llm-price-output', '4')
    await page.click('#llm-price-form button:text-is("Save price")')
    await page.waitForSelector('#llm-overrides tr[data-model="acme-llm-1"]')
    expect(await text('#llm-pricing .notice.ok')).toBe('Saved: new spans of acme-llm-1 are priced with it.')

    // 1000 input tokens at $2 per million and 500 output at $4: $0.004. A price applies
    // from when it was saved, so the span is a fresh one.
    await send(unpriced('acme-2', Date.now()))
    await page.goto(`${server.origin}/llm/traces/acme-2?project=agents`)
    await page.waitForSelector('#llm-span')
    await pageSettled(page)
    await page.click('[data-span="acme-2-s"]')
    expect(await text('#llm-span-cost')).toBe('$0.00400')
    expect(await text('#llm-span-cost-source')).toBe('override')
  })

  test('prompts list their versions, each linked to its traces', async () => {
    const versioned = (id: string, version: string, cost: number, at: number) => ({
      id,
      name: 'summarise',
      prompt_name: 'summary',
      prompt_version: version,
      status: 'completed',
      started_at: at,
      ended_at: at + 200,
      spans: [
        {
          id: `${id}-s`,
          span_type: 'generation',
          model: 'gpt-4o-mini',
          provider: 'openai',
          input_tokens: 10,
          output_tokens: 2,
          cost,
          started_at: at,
          latency_ms: 200,
        },
      ],
    })
    await send(versioned('p1', 'v1', 0.002, T0 + 50_000))
    await send(versioned('p2', 'v2', 0.001, T0 + 51_000))
    await send(versioned('p3', 'v2', 0.003, T0 + 52_000))
    await page.goto(`${server.origin}/llm?project=agents`)
    await pageSettled(page)
    await page.click('.subnav a:text-is("Prompts")')
    await page.waitForSelector('#llm-prompts tr[data-prompt="summary"]')
    await pageSettled(page)
    await page.click('#llm-prompts tr[data-prompt="summary"] a')
    await page.waitForSelector('#llm-versions')
    await pageSettled(page)
    const versions = await page.$$eval('#llm-versions tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].slice(0, 3).map((td) => (td.textContent ?? '').trim())),
    )
    expect(versions).toEqual([
      ['v2', '2', '$0.00200'],
      ['v1', '1', '$0.00200'],
    ])
    await page.click('#llm-versions tr[data-version="v2"] a')
    await page.waitForURL(
      (u) => u.pathname === '/llm/traces' && u.searchParams.get('prompt_version') === 'v2',
    )
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>('.trace-row')].map((r) => r.dataset.id).join() === 'p3,p2',
    )
    expect(await page.inputValue('#llm-f-prompt_name')).toBe('summary')
  })

  test('the LLM pages fit a 375 px wide screen in the dark theme', async () => {
    const phone = await browser.newContext({
      storageState: await context.storageState(),
      viewport: { width: 375, height: 800 },
      colorScheme: 'dark',
    })
    const p = await phone.newPage()
    watch(p)
    for (const to of [
      '/llm',
      '/llm/traces',
      '/llm/traces/run-1',
      '/llm/models',
      '/llm/settings',
      '/llm/sessions',
      '/llm/sessions/chat-7',
      '/llm/experiments',
      '/llm/prompts',
    ]) {
      await p.goto(`${server.origin}${to}?project=agents`)
      await pageSettled(p)
      expect({ to, sideways: await scrollsSideways(p) }).toEqual({ to, sideways: false })
    }
    expect(await p.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(15, 17, 21)')
    await shot(p, 'llm-375px-dark')
    await phone.close()
  })

  test('each LLM page loads only its own code, measured compressed', async () => {
    const storageState = await context.storageState()
    const measure = async (to: string) => {
      const c = await browser.newContext({ storageState })
      const p = await c.newPage()
      watch(p)
      const log = assetLog(p)
      await p.goto(`${server.origin}/?project=agents`)
      await pageSettled(p)
      await log.take()
      await p.evaluate((h) => {
        const a = Object.assign(document.createElement('a'), { href: h })
        document.querySelector('main')?.append(a)
        a.click()
      }, to)
      await p.waitForURL((u) => u.pathname === new URL(to, server.origin).pathname)
      await pageSettled(p)
      const added = await log.take()
      await c.close()
      return added
    }
    const pages: Record<string, { gzip_bytes: number; chunks: LoadedAsset[] }> = {}
    const own: Record<string, string> = {
      overview: 'OverviewPage',
      traces: 'TracesPage',
      trace: 'TracePage',
      models: 'ModelsPage',
      settings: 'LlmSettingsPage',
      sessions: 'SessionsPage',
      prompts: 'PromptsPage',
      experiments: 'ExperimentsPage',
    }
    const targets: Record<string, string> = {
      overview: '/llm?project=agents',
      traces: '/llm/traces?project=agents',
      trace: '/llm/traces/run-1?project=agents',
      models: '/llm/models?project=agents',
      settings: '/llm/settings?project=agents',
      sessions: '/llm/sessions?project=agents',
      prompts: '/llm/prompts?project=agents',
      experiments: '/llm/experiments?project=agents',
    }
    for (const [name, to] of Object.entries(targets)) {
      const chunks = await measure(to)
      pages[name] = { gzip_bytes: chunks.reduce((n, a) => n + a.bytes, 0), chunks }
    }
    writeFileSync(join(ARTIFACTS, 'llm-bundle-size.json'), `${JSON.stringify(pages, null, 2)}\n`)
    for (const [name, p] of Object.entries(pages)) {
      console.log(
        `  llm ${name}: +${(p.gzip_bytes / 1024).toFixed(1)} KB gzip in ${p.chunks.length} chunk(s)`,
      )
      expect({ name, own: p.chunks.some((c) => c.url.includes(`/chunks/${own[name]}-`)) }).toEqual({
        name,
        own: true,
      })
      // The server compresses every asset over 512 bytes (smaller ones would not shrink).
      const gzipped = (c: LoadedAsset) => c.bytes > 0 && (c.encoding === 'gzip' || c.bytes <= 512)
      expect({ name, gzip: p.chunks.every(gzipped) }).toEqual({
        name,
        gzip: true,
      })
      expect({ name, small: p.gzip_bytes < 30 * 1024 }).toEqual({ name, small: true })
    }
  })
})
