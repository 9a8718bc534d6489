import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

/**
 * Problems found in a JSON or YAML document, and where they are: a JSON pointer to the value at fault and
 * the line it is on. Parsing here keeps positions (the `yaml` package parses JSON too), so every schema or
 * rule violation can name its key path and its line.
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

function fromPointer(pointer: string): string[] {
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

/** A locator over a parsed YAML (or JSON) document. */
function yamlLocator(doc: Document, lc: LineCounter): Locator {
  const lineAt = (offset: number | undefined): number | undefined => {
    if (offset === undefined) return undefined;
    const { line } = lc.linePos(offset);
    return line > 0 ? line : 1;
  };
  return (pointer, key) => {
    let node: unknown = doc.contents;
    let line = lineAt(rangeStart(node));
    const segs = fromPointer(pointer);
    if (key !== undefined) segs.push(key);
    for (const seg of segs) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === seg);
        if (!pair) return line;
        line = lineAt(rangeStart(pair.key)) ?? line;
        node = pair.value;
      } else if (isSeq(node)) {
        const item: unknown = node.items[Number(seg)];
        if (item === undefined) return line;
        line = lineAt(rangeStart(item)) ?? line;
        node = item;
      } else {
        return line;
      }
    }
    return line;
  };
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const range = (node as { range?: unknown }).range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

interface Parsed {
  /** The parsed value; undefined when the text does not parse. */
  value: unknown;
  locate: Locator;
  /** Syntax problems (with lines); when there are some, `value` is undefined. */
  problems: Problem[];
}

/** Parses YAML keeping positions. Duplicate keys, multiple documents and alias bombs are problems. */
export function parseYamlText(text: string): Parsed {
  const lc = new LineCounter();
  const doc = parseDocument(stripBom(text), { lineCounter: lc, prettyErrors: false, uniqueKeys: true, strict: true });
  const locate = yamlLocator(doc, lc);
  const problems: Problem[] = doc.errors.map((e) => {
    const line = lc.linePos(e.pos[0]).line;
    return { path: '', ...(line > 0 ? { line } : {}), message: `YAML syntax: ${firstLine(e.message)}` };
  });
  if (problems.length > 0) return { value: undefined, locate, problems };
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }), locate, problems };
  } catch (e) {
    return { value: undefined, locate, problems: [{ path: '', message: `YAML: ${firstLine((e as Error).message)}` }] };
  }
}

/**
 * Parses JSON (JSON.parse is the authority on the value) and locates with the YAML parser, which reads JSON too.
 * Duplicate keys are a problem: two parsers may keep different ones. The YAML parse (≈10× JSON.parse) runs only
 * when a duplicate key is found or a line is asked for: most texts parse clean and are never located.
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
  let located: { doc: Document; lc: LineCounter } | undefined;
  const yamlDoc = (): { doc: Document; lc: LineCounter } => {
    if (!located) {
      const lc = new LineCounter();
      located = { doc: parseDocument(src, { lineCounter: lc, prettyErrors: false, uniqueKeys: true }), lc };
    }
    return located;
  };
  let locator: Locator | undefined;
  const locate: Locator = (pointer, key) => {
    if (!locator) {
      const { doc, lc } = yamlDoc();
      locator = doc.errors.every((e) => e.code === 'DUPLICATE_KEY') ? yamlLocator(doc, lc) : noLocator;
    }
    return locator(pointer, key);
  };
  if (!hasDuplicateKey(src)) return { value, locate, problems: [] };
  const { doc, lc } = yamlDoc();
  const problems: Problem[] = doc.errors
    .filter((e) => e.code === 'DUPLICATE_KEY')
    .map((e) => {
      const line = lc.linePos(e.pos[0]).line;
      return {
        path: '',
        ...(line > 0 ? { line } : {}),
        message: 'duplicate key (each key may appear once per object)',
      };
    });
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

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).trim();
}
