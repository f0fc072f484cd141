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

export class Gauge extends Metric {
  readonly type = 'gauge'
  constructor(
    name: string,
    help: string,
    private readonly read: () => number,
  ) {
    super(name, help)
  }
  render(): string[] {
    return [`${this.name} ${this.read()}`]
  }
}

export class Histogram extends Metric {
  readonly type = 'histogram'
  private counts: number[]
  private sum = 0
  private count = 0
  constructor(
    name: string,
    help: string,
    private readonly buckets: number[],
  ) {
    super(name, help)
    this.counts = buckets.map(() => 0)
  }
  observe(v: number): void {
    this.sum += v
    this.count++
    this.counts = this.counts.map((c, i) => (v <= (this.buckets[i] as number) ? c + 1 : c))
  }
  render(): string[] {
    const lines = this.buckets.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.counts[i]}`)
    lines.push(
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.count}`,
    )
    return lines
  }
}

export class Registry {
  private metrics: Metric[] = []
  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help))
  }
  gauge(name: string, help: string, read: () => number): Gauge {
    return this.add(new Gauge(name, help, read))
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
