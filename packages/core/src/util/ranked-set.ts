/** A key of a ranked set: a number, ties broken by an id. */
interface Node {
  k: number
  id: string
  /** Heap priority (random): keeps the tree balanced in expectation. */
  p: number
  size: number
  l: Node | undefined
  r: Node | undefined
}

const sizeOf = (n: Node | undefined) => n?.size ?? 0
const before = (k: number, id: string, n: Node) => k < n.k || (k === n.k && id < n.id)

function fix(n: Node): Node {
  n.size = 1 + sizeOf(n.l) + sizeOf(n.r)
  return n
}

/** Splits into the keys before (k, id) and the rest. */
function split(n: Node | undefined, k: number, id: string): [Node | undefined, Node | undefined] {
  if (!n) return [undefined, undefined]
  if (before(n.k, n.id, { k, id } as Node)) {
    const [a, b] = split(n.r, k, id)
    n.r = a
    return [fix(n), b]
  }
  const [a, b] = split(n.l, k, id)
  n.l = b
  return [a, fix(n)]
}

function merge(a: Node | undefined, b: Node | undefined): Node | undefined {
  if (!a) return b
  if (!b) return a
  if (a.p > b.p) {
    a.r = merge(a.r, b)
    return fix(a)
  }
  b.l = merge(a, b.l)
  return fix(b)
}

/**
 * An ordered set of (number, id) keys that says how many keys come before a given one: insert,
 * delete and rank in O(log n) expected (a treap with subtree sizes). The memory queue's place in
 * line, as Redis's ZRANK gives it.
 */
export class RankedSet {
  private root: Node | undefined

  get size(): number {
    return sizeOf(this.root)
  }

  insert(k: number, id: string): void {
    const [a, b] = split(this.root, k, id)
    this.root = merge(merge(a, { k, id, p: Math.random(), size: 1, l: undefined, r: undefined }), b)
  }

  /** Removes the key if present. */
  delete(k: number, id: string): void {
    const [a, rest] = split(this.root, k, id)
    // `rest` starts with the key when it is there: drop its first node.
    let first = rest
    let parent: Node | undefined
    while (first?.l) {
      parent = first
      first = first.l
    }
    if (!first || first.k !== k || first.id !== id) {
      this.root = merge(a, rest)
      return
    }
    let remaining: Node | undefined
    if (parent) {
      // Sizes on the path from `rest` down to `parent` shrink by one; then `first` is cut out.
      for (let n = rest; n && n !== first; n = n.l) n.size--
      parent.l = first.r
      remaining = rest
    } else remaining = first.r
    this.root = merge(a, remaining)
  }

  /** How many keys come before (k, id). */
  rank(k: number, id: string): number {
    let n = this.root
    let ahead = 0
    while (n) {
      if (before(n.k, n.id, { k, id } as Node)) {
        ahead += sizeOf(n.l) + 1
        n = n.r
      } else n = n.l
    }
    return ahead
  }

  /** The smallest key, if any. */
  first(): { k: number; id: string } | undefined {
    let n = this.root
    while (n?.l) n = n.l
    return n ? { k: n.k, id: n.id } : undefined
  }
}
