// The order compose's depends_on asks for: a cycle in it is an error. Pure.

/** A cycle in depends_on (as a path that ends where it starts), or undefined. */
export function findCycle(nodes: readonly string[], deps: ReadonlyMap<string, ReadonlyArray<{ name: string }>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const d of deps.get(n) ?? []) {
      const c = visit(d.name);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of nodes) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}
