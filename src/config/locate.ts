import { lineOf, scanJson } from './json-locate.js';

/**
 * Problems found in a JSON or YAML document, and where they are: a JSON pointer to the value at fault and
 * the line it is on. Parsing keeps positions (JSON here, YAML in yaml-locate.ts, which alone loads the YAML parser),
 * so every schema or rule violation can name its key path and its line.
 */
export interface Problem {
  /** JSON pointer of the value at fault: `/packs/0/artifact/path`; `''` for the whole document. */
  path: string;
  /** 1-based line in the source, when known. */
  line?: number;
  message: string;
}

/** Finds the line of the value at `pointer`, or of the key `key` inside it (for unknown or missing keys). */
export type Locator = (pointer: string, key?: string) => number | undefined;

export const noLocator: Locator = () => undefined;

export function toPointer(segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `/packs/0/artifact/path` → `packs[0].artifact.path`; keys that are not plain names are quoted: `dependencies["acme.core"]`. */
export function keyPath(pointer: string): string {
  let out = '';
  for (const seg of fromPointer(pointer)) {
    if (/^(?:0|[1-9]\d*)$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** `packs[0]: unknown key 'verison' (line 7)`: one problem, for an error message. */
export function formatProblem(p: Problem): string {
  const where = keyPath(p.path);
  return `${where ? `${where}: ` : ''}${p.message}${p.line !== undefined ? ` (line ${p.line})` : ''}`;
}

/** `FILE:LINE: key.path: message`: one problem, the way compilers and linters print them. */
export function problemLine(file: string, p: Problem): string {
  const where = keyPath(p.path);
  return `${file}${p.line !== undefined ? `:${p.line}` : ''}: ${where ? `${where}: ` : ''}${p.message}`;
}

/** The message of a ScrydonError listing every problem of `source`, one per line. */
export function describeProblems(source: string, problems: readonly Problem[]): string {
  const n = problems.length;
  return `${source}: ${n} problem${n === 1 ? '' : 's'}\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`;
}

/** Document order: by line (unknown lines last), then key path; duplicates dropped. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const k = `${p.path}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return unique
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i)
    .map(({ p }) => p);
}

export interface Parsed {
  /** The parsed value; undefined when the text does not parse. */
  value: unknown;
  locate: Locator;
  /** Syntax problems (with lines); when there are some, `value` is undefined. */
  problems: Problem[];
}

/**
 * Parses JSON (JSON.parse is the authority on the value) and locates with one scan of the text (json-locate.ts), made
 * only when a duplicate key is found or a line is asked for: most texts parse clean and are never located.
 * Duplicate keys are a problem: two parsers may keep different ones.
 */
export function parseJsonText(text: string): Parsed {
  const src = stripBom(text);
  let value: unknown;
  try {
    value = JSON.parse(src);
  } catch (e) {
    const msg = firstLine((e as Error).message);
    const line = jsonErrorLine(src, msg);
    return {
      value: undefined,
      locate: noLocator,
      problems: [{ path: '', ...(line ? { line } : {}), message: `JSON syntax: ${msg}` }],
    };
  }
  let scanned: ReturnType<typeof scanJson> | undefined;
  const scan = (): ReturnType<typeof scanJson> => (scanned ??= scanJson(src));
  const locate: Locator = (pointer, key) =>
    lineOf(scan().root, key === undefined ? fromPointer(pointer) : [...fromPointer(pointer), key]);
  if (!hasDuplicateKey(src)) return { value, locate, problems: [] };
  const problems: Problem[] = scan().duplicateLines.map((line) => ({
    path: '',
    line,
    message: 'duplicate key (each key may appear once per object)',
  }));
  return { value: problems.length > 0 ? undefined : value, locate, problems };
}

/** Whether some object of `src` (text JSON.parse accepted) names a key twice. */
export function hasDuplicateKey(src: string): boolean {
  const stack: Array<Set<string> | null> = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === '"') {
      let j = i + 1;
      let escaped = false;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? ((escaped = true), 2) : 1;
      const raw = src.slice(i, j + 1);
      i = j;
      const keys = stack[stack.length - 1];
      if (!keys) continue;
      let k = j + 1;
      while (k < src.length && (src[k] === ' ' || src[k] === '\t' || src[k] === '\n' || src[k] === '\r')) k++;
      if (src[k] !== ':') continue;
      const key = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      if (keys.has(key)) return true;
      keys.add(key);
    }
  }
  return false;
}

function jsonErrorLine(src: string, msg: string): number | undefined {
  const lineCol = /line (\d+) column \d+/.exec(msg);
  if (lineCol?.[1]) return Number(lineCol[1]);
  const pos = /position (\d+)/.exec(msg);
  if (pos?.[1]) return src.slice(0, Number(pos[1])).split('\n').length;
  if (/end of (?:JSON )?input/i.test(msg)) return src.split('\n').length;
  return undefined;
}

export function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

export function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).trim();
}
