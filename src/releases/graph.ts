/**
 * The dependency graph of a release: which services each service calls
 * (`dependsOn`), members and services outside the release alike. Pure
 * functions over a plain map, shared by the scenario schema (which rejects
 * unknown services and cycles) and the judge (which walks dependency paths).
 */
export type DependencyGraph = Readonly<Record<string, readonly string[]>>;

/**
 * A dependency cycle, as the path that closes it (`a → b → a`), or null when
 * the graph is acyclic. Unknown services are ignored here (the schema reports
 * them on their own). Services are visited in name order, so the same graph
 * always reports the same cycle.
 */
export function findCycle(graph: DependencyGraph): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (service: string): string[] | null => {
    const seen = state.get(service);
    if (seen === 'done') return null;
    if (seen === 'open') return [...path.slice(path.indexOf(service)), service];
    state.set(service, 'open');
    path.push(service);
    for (const next of [...(graph[service] ?? [])].sort()) {
      if (graph[next] === undefined) continue;
      const cycle = visit(next);
      if (cycle !== null) return cycle;
    }
    path.pop();
    state.set(service, 'done');
    return null;
  };
  for (const service of Object.keys(graph).sort()) {
    const cycle = visit(service);
    if (cycle !== null) return cycle;
  }
  return null;
}

/** Every service `service` reaches through its calls, directly or through any other service, itself excluded. */
export function dependencyClosure(graph: DependencyGraph, service: string): Set<string> {
  const reached = new Set<string>();
  const stack = [...(graph[service] ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (reached.has(next) || next === service) continue;
    reached.add(next);
    stack.push(...(graph[next] ?? []));
  }
  return reached;
}

/**
 * The services in dependency order: every service after all the services it
 * calls (a callee before its callers), ties in name order. The graph must be
 * acyclic (the schema guarantees it).
 */
export function dependencyOrder(graph: DependencyGraph, services: Iterable<string>): string[] {
  const wanted = [...new Set(services)];
  const depth = new Map<string, number>();
  const depthOf = (service: string, guard: number): number => {
    const known = depth.get(service);
    if (known !== undefined) return known;
    if (guard > Object.keys(graph).length) throw new Error('dependency cycle');
    const d = Math.max(0, ...(graph[service] ?? []).map((next) => 1 + depthOf(next, guard + 1)));
    depth.set(service, d);
    return d;
  };
  return wanted.sort((a, b) => depthOf(a, 0) - depthOf(b, 0) || (a < b ? -1 : a > b ? 1 : 0));
}
