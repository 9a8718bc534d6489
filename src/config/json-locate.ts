/**
 * Lines in JSON text that JSON.parse accepted: one scan records where each key and value starts, so a problem found
 * in the parsed value can name its line, and where an object names a key twice. No YAML parser is loaded for it.
 */

interface Node {
  line: number;
  /** An object's keys (the first of each name), with the line of the key. */
  keys?: Map<string, { line: number; value: Node }>;
  items?: Node[];
}

interface Scanned {
  root: Node;
  /** Lines of keys an object names a second (or later) time. */
  duplicateLines: number[];
}

/** Scans `src` (valid JSON). */
export function scanJson(src: string): Scanned {
  let i = 0;
  let line = 1;
  const duplicateLines: number[] = [];
  const space = (): void => {
    for (let c = src.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = src.charCodeAt(++i))
      if (c === 0x0a) line++;
  };
  const string = (): string => {
    const start = i;
    let escaped = false;
    for (i++; src.charCodeAt(i) !== 0x22; i++) {
      if (src.charCodeAt(i) === 0x5c) {
        escaped = true;
        i++;
      }
    }
    i++;
    const raw = src.slice(start, i);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };
  const value = (): Node => {
    space();
    const node: Node = { line };
    const c = src[i];
    if (c === '{') {
      node.keys = new Map();
      i++;
      space();
      while (src[i] !== '}') {
        const keyLine = line;
        const key = string();
        space();
        i++; // ':'
        const v = value();
        if (node.keys.has(key)) duplicateLines.push(keyLine);
        else node.keys.set(key, { line: keyLine, value: v });
        space();
        if (src[i] === ',') i++;
        space();
      }
      i++;
    } else if (c === '[') {
      node.items = [];
      i++;
      space();
      while (src[i] !== ']') {
        node.items.push(value());
        space();
        if (src[i] === ',') i++;
        space();
      }
      i++;
    } else if (c === '"') string();
    else while (i < src.length && !',]}\t\n\r '.includes(src[i] as string)) i++;
    return node;
  };
  return { root: value(), duplicateLines };
}

/**
 * The line of the value at `segments` (or of the key `key` inside it): the line of the last key or item on the way
 * that exists, as a reader would look for it.
 */
export function lineOf(root: Node, segments: readonly string[]): number {
  let node = root;
  let line = root.line;
  for (const seg of segments) {
    const hit = node.keys?.get(seg);
    if (hit) {
      line = hit.line;
      node = hit.value;
      continue;
    }
    const item = node.items?.[Number(seg)];
    if (!item) return line;
    line = item.line;
    node = item;
  }
  return line;
}
