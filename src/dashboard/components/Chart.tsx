/**
 * A uPlot time-series chart that fills its container's width and follows the colour
 * theme (read from the CSS tokens, redrawn when the system theme changes). Bars for
 * hourly counts, lines for everything else. x values are epoch milliseconds, or the
 * positions of `categories` (one bar per release, say).
 */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

export interface Series {
  label: string
  values: (number | null)[]
  /** A CSS colour token name, e.g. "--chart" (default) or "--danger". */
  color?: string
}

export interface ChartProps {
  xs: number[]
  series: Series[]
  height?: number
  kind?: 'bars' | 'line'
  /** Accessible description of what the chart shows. */
  label: string
  /** y-axis value format. */
  format?: (v: number) => string
  /** Names of the x positions 0..n-1, for a chart over categories instead of time. */
  categories?: string[]
  /** x values to mark with a vertical line (an issue's regressions on its trend). */
  markers?: number[]
}

/** Draws `markers` as dashed vertical lines in the danger colour, over the plot area. */
function markerHook(markers: number[]) {
  return (u: uPlot) => {
    const ctx = u.ctx
    ctx.save()
    ctx.strokeStyle = token('--danger')
    ctx.lineWidth = 2 * devicePixelRatio
    ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio])
    for (const x of markers) {
      const px = u.valToPos(x, 'x', true)
      if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) continue
      ctx.beginPath()
      ctx.moveTo(px, u.bbox.top)
      ctx.lineTo(px, u.bbox.top + u.bbox.height)
      ctx.stroke()
    }
    ctx.restore()
  }
}

const token = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim()
const dark = () => matchMedia('(prefers-color-scheme: dark)')

function options(p: ChartProps, width: number): uPlot.Options {
  const axis = {
    stroke: token('--muted'),
    grid: { stroke: token('--border'), width: 1 },
    ticks: { show: false },
  }
  const bars = uPlot.paths.bars?.({ size: [0.8, 24] })
  const cats = p.categories
  const xAxis: uPlot.Axis = cats
    ? { ...axis, grid: { show: false }, splits: () => cats.map((_, i) => i), values: () => cats }
    : { ...axis, space: 70 }
  return {
    // x values are epoch milliseconds.
    ms: 1,
    hooks: p.markers && p.markers.length > 0 ? { draw: [markerHook(p.markers)] } : {},
    width,
    height: p.height ?? 160,
    legend: { show: p.series.length > 1 },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: cats ? { time: false, range: () => [-0.5, cats.length - 0.5] } : { time: true },
      y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
    },
    axes: [
      xAxis,
      { ...axis, size: 44, values: (_u, ticks) => ticks.map((t) => (p.format ? p.format(t) : String(t))) },
    ],
    series: [
      { value: (_u, v) => (v === null ? '' : cats ? (cats[v] ?? '') : new Date(v).toLocaleString()) },
      ...p.series.map((s) => ({
        label: s.label,
        stroke: token(s.color ?? '--chart'),
        fill: p.kind === 'line' ? undefined : token('--chart-fill'),
        width: p.kind === 'line' ? 2 : 1,
        paths: p.kind === 'line' ? undefined : bars,
        points: { show: false },
      })),
    ],
  }
}

export function Chart(p: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = box.current
    if (!el) return
    const data: uPlot.AlignedData = [p.xs, ...p.series.map((s) => s.values)]
    let plot: uPlot | null = null
    const draw = () => {
      plot?.destroy()
      plot = new uPlot(options(p, el.clientWidth || 300), data, el)
    }
    draw()
    const resize = new ResizeObserver(() => plot?.setSize({ width: el.clientWidth, height: p.height ?? 160 }))
    resize.observe(el)
    const scheme = dark()
    scheme.addEventListener('change', draw)
    return () => {
      resize.disconnect()
      scheme.removeEventListener('change', draw)
      plot?.destroy()
    }
  }, [p.xs, p.series, p.height, p.kind, p.categories, p.markers])
  return (
    <div
      class="chart"
      ref={box}
      role="img"
      aria-label={p.label}
      data-markers={p.markers && p.markers.length > 0 ? p.markers.length : undefined}
    />
  )
}
