/** The registry endpoints of the distribution spec's pull side, parsed from a request path (pure). */
export type RegistryRoute =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'tags'; name: string }
  | { kind: 'referrers'; name: string; digest: string }
  | { kind: 'upload'; name: string }
  | { kind: 'unknown' };

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** `/v2/…` → route; `undefined` for paths outside `/v2`. Names are not validated here (see names.ts). */
export function parseRegistryPath(pathname: string): RegistryRoute | undefined {
  if (pathname !== '/v2' && !pathname.startsWith('/v2/')) return undefined;
  const rest = pathname.slice(4);
  if (rest === '') return { kind: 'base' };
  if (rest === '_catalog') return { kind: 'catalog' };
  const upload = /^(.+)\/blobs\/uploads(?:\/.*)?$/.exec(rest);
  if (upload?.[1]) return named(upload[1], (name) => ({ kind: 'upload', name }));
  const tags = /^(.+)\/tags\/list$/.exec(rest);
  if (tags?.[1]) return named(tags[1], (name) => ({ kind: 'tags', name }));
  const m = /^(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(rest);
  if (!m?.[1] || !m[3]) return { kind: 'unknown' };
  const last = decode(m[3]);
  if (last === undefined) return { kind: 'unknown' };
  const verb = m[2];
  return named(m[1], (name) =>
    verb === 'manifests'
      ? { kind: 'manifest', name, reference: last }
      : verb === 'blobs'
        ? { kind: 'blob', name, digest: last }
        : { kind: 'referrers', name, digest: last },
  );
}

function named(raw: string, f: (name: string) => RegistryRoute): RegistryRoute {
  const name = decode(raw);
  return name === undefined ? { kind: 'unknown' } : f(name);
}
