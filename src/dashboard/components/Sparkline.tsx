/** A tiny SVG area chart of hourly counts (issue rows). No axes; the title says the total. */

export function Sparkline({
  values,
  width = 96,
  height = 28,
}: {
  values: number[]
  width?: number
  height?: number
}) {
  const max = Math.max(1, ...values)
  const n = values.length
  const step = n > 1 ? width / (n - 1) : width
  const points = values.map((v, i) => [i * step, height - 1 - (v / max) * (height - 2)] as const)
  const line = points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('')
  const area = `${line}L${width},${height}L0,${height}Z`
  const total = values.reduce((a, b) => a + b, 0)
  return (
    <svg class="spark" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img">
      <title>{`${total} events in the last ${n} hours`}</title>
      {n > 0 && <path class="area" d={area} />}
      {n > 0 && <path class="line" d={line} />}
    </svg>
  )
}
