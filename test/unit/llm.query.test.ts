/** The pure parts of the LLM read API: the span tree, the dense sketch merge, percentiles, the window. */
import { describe, expect, test } from 'bun:test'
import { DenseSketch } from '../../src/llm/query/sketches'
import { percentileCont, percentileNearest } from '../../src/llm/query/stats'
import { buildTree, type TreeNode } from '../../src/llm/query/tree'
import { monthOf, windowOf } from '../../src/llm/query/window'
import { addValue, type Buckets, encode, mergeBlobs, quantile } from '../../src/llm/write/sketch'

const span = (id: string, parent: string | null = null) => ({ id, parent_span_id: parent })
const shape = (n: TreeNode<{ id: string }>): unknown => [n.span.id, n.orphan, n.children.map(shape)]

describe('buildTree', () => {
  test('nests children under parents in the order given, several roots kept', () => {
    const t = buildTree([span('a'), span('b', 'a'), span('c', 'a'), span('d', 'b'), span('e')])
    expect(t.map(shape)).toEqual([
      [
        'a',
        false,
        [
          ['b', false, [['d', false, []]]],
          ['c', false, []],
        ],
      ],
      ['e', false, []],
    ])
  })

  test('puts a span whose parent is missing, or itself, at the root as an orphan', () => {
    const t = buildTree([span('a'), span('x', 'missing'), span('y', 'x'), span('s', 's')])
    expect(t.map(shape)).toEqual([
      ['a', false, []],
      ['x', true, [['y', false, []]]],
      ['s', true, []],
    ])
  })

  test('cuts a cycle at its earliest span, keeping every span exactly once', () => {
    // c hangs off the cycle a -> b -> a; b is the earliest span of the cycle.
    const t = buildTree([span('c', 'a'), span('b', 'a'), span('a', 'b')])
    expect(t.map(shape)).toEqual([['b', true, [['a', false, [['c', false, []]]]]]])
  })

  test('an empty trace has an empty tree', () => {
    expect(buildTree([])).toEqual([])
  })
})

describe('DenseSketch', () => {
  test('merges stored sketches to the same percentiles as the write side', () => {
    const blobs: (Uint8Array | null)[] = []
    let seed = 7
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let h = 0; h < 50; h++) {
      const b: Buckets = new Map()
      for (let i = 0; i < 40; i++) addValue(b, Math.floor(rnd() ** 3 * 60_000))
      blobs.push(encode(b))
    }
    blobs.push(null)
    const dense = new DenseSketch()
    for (const b of blobs) dense.add(b)
    const merged = mergeBlobs(blobs)
    for (const q of [0, 0.01, 0.5, 0.9, 0.99, 1]) expect(dense.quantile(q)).toBe(quantile(merged, q))
    expect(dense.total).toBe(2000)
  })

  test('reads a blob that does not start on a 4-byte boundary', () => {
    const b: Buckets = new Map()
    for (const v of [5, 50, 500, 5000]) addValue(b, v)
    const blob = encode(b) as Uint8Array
    const shifted = new Uint8Array(blob.byteLength + 1)
    shifted.set(blob, 1)
    const dense = new DenseSketch()
    dense.add(shifted.subarray(1))
    for (const q of [0.25, 0.5, 1]) expect(dense.quantile(q)).toBe(quantile(b, q))
  })

  test('an empty sketch has no percentiles', () => {
    expect(new DenseSketch().quantile(0.5)).toBeNull()
  })
})

describe('percentiles', () => {
  test('continuous interpolates, nearest rounds the rank', () => {
    expect(percentileCont([60, 100], 0.99)).toBeCloseTo(99.6, 10)
    expect(percentileCont([1, 2, 3, 4], 0.5)).toBe(2.5)
    expect(percentileNearest([0.3, 0.9], 0.5)).toBe(0.9)
    expect(percentileNearest([0.3, 0.9], 0.1)).toBe(0.3)
    expect(percentileCont([], 0.5)).toBeNull()
  })
})

describe('windows', () => {
  test('hours whole buckets ending with the current hour', () => {
    const now = Date.UTC(2026, 10, 20, 10, 30)
    expect(windowOf(1, now).since).toBe(Date.UTC(2026, 10, 20, 10))
    expect(windowOf(24, now).since).toBe(Date.UTC(2026, 10, 19, 11))
  })

  test('months in UTC, with their length', () => {
    expect(monthOf(Date.UTC(2028, 1, 29, 23))).toEqual({
      start: Date.UTC(2028, 1, 1),
      end: Date.UTC(2028, 2, 1),
      days: 29,
      day: 29,
    })
  })
})
