/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in
 * the text exposition format (version 0.0.4). It is small enough that a dependency
 * (prom-client, built around Node's cluster module) would cost more than it saves.
 */
type Labels = Record<string, string>

interface Series {
  labels: Labels
  value: number
}

const labelKey = (labels: Labels) => {
  const keys = Object.keys(labels)
  if (keys.length <= 1) return keys.length === 0 ? '' : `${keys[0]}=${labels[keys[0] as string]}`
  return keys
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',')
}

const escapeLabel = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"')
const fmtLabels = (labels: Labels) => {
  const keys = Object.keys(labels)
  if (keys.length === 0) return ''
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k] as string)}"`).join(',')}}`
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  abstract readonly type: string
  abstract render(): string[]
}

export class Counter extends Metric {
  readonly type = 'counter'
  private series = new Map<string, Series>()
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels)
    const s = this.series.get(key)
    if (s) s.value += by
    else this.series.set(key, { labels, value: by })
  }
  get(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.value ?? 0
  }
  render(): string[] {
    if (this.series.size === 0) return [`${this.name} 0`]
    return [...this.series.values()].map((s) => `${this.name}${fmtLabels(s.labels)} ${s.value}`)
  }
}

/**
 * A value read when scraped: a gauge, or a counter kept elsewhere (the process's CPU
 * time). Constant labels (build info) are rendered with it.
 */
export class Gauge extends Metric {
  constructor(
    name: string,
    help: string,
    private readonly read: () => number,
    private readonly labels: Labels = {},
    readonly type: 'gauge' | 'counter' = 'gauge',
  ) {
    super(name, help)
  }
  render(): string[] {
    return [`${this.name}${fmtLabels(this.labels)} ${this.read()}`]
  }
}

interface HistogramSeries {
  labels: Labels
  counts: number[]
  sum: number
  count: number
}

export class Histogram extends Metric {
  readonly type = 'histogram'
  private series = new Map<string, HistogramSeries>()
  constructor(
    name: string,
    help: string,
    private readonly buckets: number[],
  ) {
    super(name, help)
  }
  /** Counts `v`; callers keep label values to a small closed set (each set is a series). */
  observe(v: number, labels: Labels = {}): void {
    const key = labelKey(labels)
    let s = this.series.get(key)
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }
      this.series.set(key, s)
    }
    s.sum += v
    s.count++
    for (let i = 0; i < this.buckets.length; i++)
      if (v <= (this.buckets[i] as number)) s.counts[i] = (s.counts[i] as number) + 1
  }
  render(): string[] {
    const all = [...this.series.values()]
    if (all.length === 0) all.push({ labels: {}, counts: this.buckets.map(() => 0), sum: 0, count: 0 })
    return all.flatMap((s) => {
      const le = (bound: string) => fmtLabels({ ...s.labels, le: bound })
      const lines = this.buckets.map((b, i) => `${this.name}_bucket${le(String(b))} ${s.counts[i]}`)
      lines.push(
        `${this.name}_bucket${le('+Inf')} ${s.count}`,
        `${this.name}_sum${fmtLabels(s.labels)} ${s.sum}`,
        `${this.name}_count${fmtLabels(s.labels)} ${s.count}`,
      )
      return lines
    })
  }
}

export class Registry {
  private metrics: Metric[] = []
  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help))
  }
  gauge(name: string, help: string, read: () => number, labels: Labels = {}): Gauge {
    return this.add(new Gauge(name, help, read, labels))
  }
  /** A counter whose total is kept elsewhere and read when scraped. */
  sampledCounter(name: string, help: string, read: () => number): Gauge {
    return this.add(new Gauge(name, help, read, {}, 'counter'))
  }
  histogram(name: string, help: string, buckets: number[]): Histogram {
    return this.add(new Histogram(name, help, buckets))
  }
  private add<M extends Metric>(m: M): M {
    if (this.metrics.some((x) => x.name === m.name))
      throw new Error(`expected a unique metric name, got ${m.name} twice`)
    this.metrics.push(m)
    return m
  }
  render(): string {
    const out: string[] = []
    for (const m of this.metrics)
      out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.render())
    return `${out.join('\n')}\n`
  }
}
