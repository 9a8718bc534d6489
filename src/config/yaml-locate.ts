import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { firstLine, fromPointer, stripBom, type Locator, type Parsed, type Problem } from './locate.js';

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
