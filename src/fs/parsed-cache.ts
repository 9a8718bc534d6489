/**
 * Parsed forms of small state files (index.json, installed.json) that one process reads again and again while
 * rewriting them under a lock: a reconcile of 1,000 packs otherwise re-parses and re-validates a growing file
 * 1,000 times. The cache is keyed by the file's exact text, so whatever another process wrote is parsed afresh;
 * only the parse is skipped, never the read. Cached values are deeply frozen: callers build new values from
 * them (spread), and a mutation throws instead of silently changing what the next caller sees.
 */
const cache = new Map<string, { text: string | Buffer; value: unknown }>();
/** Paths remembered; the oldest is dropped beyond this (staging stores of loads come and go in --watch). */
const MAX_ENTRIES = 8;

function put(path: string, entry: { text: string | Buffer; value: unknown }): void {
  cache.delete(path);
  cache.set(path, entry);
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

/**
 * `parse(text)`, or the value parsed last time this path had exactly this text. Given the file's bytes (a large
 * index.json), a repeated read costs a compare of bytes, not a decode.
 */
export function parseCached<T>(path: string, text: string, parse: (text: string) => T): T;
export function parseCached<T>(path: string, text: Buffer, parse: (text: Buffer) => T): T;
export function parseCached<T>(path: string, text: string | Buffer, parse: (text: never) => T): T {
  const hit = cache.get(path);
  if (hit && (typeof text === 'string' ? hit.text === text : Buffer.isBuffer(hit.text) && hit.text.equals(text)))
    return hit.value as T;
  const value = deepFreeze(parse(text as never));
  put(path, { text, value });
  return value;
}

/** The value parsed last time this path had exactly these bytes, if this process has it (nothing is parsed). */
export function parsedIfCached(path: string, bytes: Buffer): unknown {
  const hit = cache.get(path);
  return hit && Buffer.isBuffer(hit.text) && hit.text.equals(bytes) ? hit.value : undefined;
}

/** Records what this process just wrote to `path` (call after the atomic write, still holding the lock). */
export function rememberParsed<T>(path: string, text: string | Buffer, value: T): void {
  put(path, { text, value: deepFreeze(value) });
}
