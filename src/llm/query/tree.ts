/**
 * The span hierarchy of one trace, built on the server (the old service sent a flat list
 * and left nesting to each client). Pure: spans in, tree out.
 *
 * A span whose parent is not in the trace (an SDK that sent the child first, a parent
 * that never ended, an id typed wrong) is an orphan and sits at the root with
 * `orphan: true`, never dropped. A cycle of parents (A under B under A) has no root, so
 * the first span of the cycle in start order is put at the root as an orphan; every span
 * appears in the tree exactly once. Children are in the order of `spans` (start time).
 */
export interface TreeNode<S> {
  span: S
  orphan: boolean
  children: TreeNode<S>[]
}

export function buildTree<S extends { id: string; parent_span_id: string | null }>(
  spans: readonly S[],
): TreeNode<S>[] {
  const nodes = new Map<string, TreeNode<S>>()
  for (const span of spans) if (!nodes.has(span.id)) nodes.set(span.id, { span, orphan: false, children: [] })
  const roots: TreeNode<S>[] = []
  const placed = new Set<TreeNode<S>>()
  for (const node of nodes.values()) {
    const parentId = node.span.parent_span_id
    const parent = parentId === null || parentId === node.span.id ? undefined : nodes.get(parentId)
    if (parentId === null) roots.push(node)
    else if (!parent) {
      node.orphan = true
      roots.push(node)
    } else parent.children.push(node)
  }
  const mark = (n: TreeNode<S>) => {
    const stack = [n]
    while (stack.length > 0) {
      const cur = stack.pop() as TreeNode<S>
      if (placed.has(cur)) continue
      placed.add(cur)
      stack.push(...cur.children)
    }
  }
  for (const r of roots) mark(r)
  // What is left hangs off a cycle: walk up to the cycle and cut it at its earliest span.
  const order = new Map<TreeNode<S>, number>([...nodes.values()].map((n, i) => [n, i]))
  for (const node of nodes.values()) {
    if (placed.has(node)) continue
    const path: TreeNode<S>[] = []
    let cur = node
    while (!path.includes(cur)) {
      path.push(cur)
      cur = nodes.get(cur.span.parent_span_id as string) as TreeNode<S>
    }
    const cycle = path.slice(path.indexOf(cur))
    const cut = cycle.reduce((a, b) => ((order.get(a) as number) <= (order.get(b) as number) ? a : b))
    const parent = nodes.get(cut.span.parent_span_id as string) as TreeNode<S>
    parent.children.splice(parent.children.indexOf(cut), 1)
    cut.orphan = true
    roots.push(cut)
    mark(cut)
  }
  return roots
}
