/** Token scopes (`repository:acme/fraud:pull,push`) as resource → actions, to tell whether a token covers a request. */
export type ScopeSet = Map<string, Set<string>>;

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}
export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

export function parseScopes(scopes: Iterable<string>): ScopeSet {
  const out: ScopeSet = new Map();
  for (const s of scopes) {
    for (const one of s.split(' ')) {
      const i = one.lastIndexOf(':');
      if (i <= 0) continue;
      const resource = one.slice(0, i);
      const set = out.get(resource) ?? new Set<string>();
      for (const a of one.slice(i + 1).split(',')) if (a) set.add(a);
      out.set(resource, set);
    }
  }
  return out;
}

export function formatScopes(s: ScopeSet): string[] {
  return [...s].map(([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`).sort();
}

export function covers(have: ScopeSet, want: ScopeSet): boolean {
  for (const [resource, actions] of want) {
    const h = have.get(resource);
    if (!h) return false;
    for (const a of actions) if (!h.has(a) && !h.has('*')) return false;
  }
  return true;
}

export function union(a: ScopeSet, b: ScopeSet): ScopeSet {
  const out: ScopeSet = new Map([...a].map(([k, v]) => [k, new Set(v)]));
  for (const [k, v] of b) out.set(k, new Set([...(out.get(k) ?? []), ...v]));
  return out;
}
