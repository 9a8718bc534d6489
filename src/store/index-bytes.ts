import { type Descriptor } from '../oci/descriptor.js';
import { Annotation, isGraphNodeType } from '../oci/media-types.js';
import { nestedJson } from '../json-text.js';

/**
 * index.json as the bytes index-file.ts writes (`JSON.stringify(index, null, 2)` and a newline, keys schemaVersion,
 * mediaType, manifests, annotations), read and edited without parsing the whole file: a tag of a 10,000-pack store
 * parses the entries it touches, not 3.5 MB. Only bytes known to be that output are handed here (index-file.ts
 * checks them against the sha256 it recorded when it wrote them), so the layout below is certain:
 * - an entry of `manifests` is the text from a line `    {` to the next line `    }` (a string holds no raw
 *   newline; deeper objects are indented further), entries are joined by `,\n`, the array ends at the first `\n  ]`;
 * - an entry's own keys are the lines indented six spaces; its annotations (a string map, checked when the file was
 *   written) are the lines indented eight between `      "annotations": {` and the next `      }`.
 * Every edit keeps that form, so the result is byte for byte what JSON.stringify would give for the edited index.
 */
const ENTRY_START = Buffer.from('\n    {\n');
const ENTRY_END = Buffer.from('\n    }');
const ARRAY_END = Buffer.from('\n  ]');
const EMPTY_ARRAY = Buffer.from('\n  "manifests": []');
/** Bytes before `manifests` in the canonical form (schemaVersion and the index media type) and then some. */
const HEAD_BYTES = 256;
const ANNOTATIONS_OPEN = Buffer.from('\n      "annotations": {\n');
const ANNOTATIONS_CLOSE = Buffer.from('\n      }');
/** The annotation keys that name an entry (a tag) or tie it to its subject (a referrer), as their lines begin. */
const NAMED = [Annotation.refName, Annotation.subject].map((k) => Buffer.from(`\n        ${JSON.stringify(k)}: `));

interface Entry {
  /** Offset of the entry's first byte (the indent before `{`) and just past its `}`. */
  start: number;
  end: number;
  descriptor: Descriptor;
}

/** Whether descriptor `d` is a foreign entry: a graph node with neither a ref.name nor an io.scrydon.subject. */
export function isForeignEntry(d: Descriptor): boolean {
  const a = d.annotations;
  return a?.[Annotation.refName] === undefined && a?.[Annotation.subject] === undefined && isGraphNodeType(d.mediaType);
}

export class CanonicalIndex {
  #bytes: Buffer;
  /** Whether some entry is foreign (isForeignEntry), when known: recorded beside the bytes' sha256, or found. */
  #foreign: boolean | undefined;

  constructor(bytes: Buffer, foreign?: boolean) {
    this.#bytes = bytes;
    this.#foreign = foreign;
  }

  get bytes(): Buffer {
    return this.#bytes;
  }

  /** someForeign() when it is known without a search (recorded, or searched already). */
  get knownForeign(): boolean | undefined {
    return this.#foreign;
  }

  /** The first entry whose ref.name is `name`. */
  tagged(name: string): Descriptor | undefined {
    return this.#annotated(Annotation.refName, name)[0]?.descriptor;
  }

  /** The first entry of `digest`. */
  withDigest(digest: string): Descriptor | undefined {
    const needle = Buffer.from(`\n      "digest": ${JSON.stringify(digest)}`);
    for (let at = this.#bytes.indexOf(needle); at >= 0; at = this.#bytes.indexOf(needle, at + 1)) {
      if (!this.#lineEnds(at + needle.length)) continue;
      return this.#entryAround(at).descriptor;
    }
    return undefined;
  }

  /**
   * The names (ref.name) whose tag, the part after the last `:`, is `tag` (`…:sha256-<hex>.sig`), in file order:
   * one search for the tag's text, each hit checked to be an entry's ref.name annotation.
   */
  namesWithTag(tag: string): string[] {
    const b = this.#bytes;
    const needle = Buffer.from(`:${tag}"`);
    const key = Buffer.from(`\n        ${JSON.stringify(Annotation.refName)}: "`);
    const out: string[] = [];
    for (let at = b.indexOf(needle); at >= 0; at = b.indexOf(needle, at + 1)) {
      if (!this.#lineEnds(at + needle.length)) continue;
      const line = b.lastIndexOf(0x0a, at);
      if (line < 0 || !b.subarray(line, line + key.length).equals(key)) continue;
      const name = JSON.parse(b.toString('utf8', line + key.length - 1, at + needle.length)) as string;
      // the line must be the entry's own annotation (the same check #annotated makes)
      if (this.#annotated(Annotation.refName, name).length > 0 && !out.includes(name)) out.push(name);
    }
    return out;
  }

  /**
   * Calls `fn` with every entry, in file order, each parsed on its own: a listing of 10,000 entries makes small
   * objects that die young instead of one 3.5 MB string and a whole parsed index held until the last entry is read.
   */
  forEachEntry(fn: (d: Descriptor) => void): void {
    const b = this.#bytes;
    for (let at = b.indexOf(ENTRY_START); at >= 0;) {
      const end = b.indexOf(ENTRY_END, at + ENTRY_START.length) + ENTRY_END.length;
      fn(JSON.parse(b.toString('utf8', at + 1, end)) as Descriptor);
      at = b.indexOf(ENTRY_START, end);
    }
  }

  /** Every entry whose io.scrydon.subject is `digest`, in file order. */
  withSubject(digest: string): Descriptor[] {
    return this.#annotated(Annotation.subject, digest).map((e) => e.descriptor);
  }

  /**
   * Whether some entry is foreign (isForeignEntry): an untagged manifest another tool wrote (a referrer it keeps?).
   * Known from the record when this store wrote the bytes; else entries with neither annotation are parsed, the rest
   * are not.
   */
  someForeign(): boolean {
    this.#foreign ??= this.#searchForeign();
    return this.#foreign;
  }

  #searchForeign(): boolean {
    const b = this.#bytes;
    for (let at = b.indexOf(ENTRY_START); at >= 0;) {
      const end = b.indexOf(ENTRY_END, at + ENTRY_START.length);
      const ann = b.indexOf(ANNOTATIONS_OPEN, at);
      const annEnd = ann >= 0 && ann < end ? b.indexOf(ANNOTATIONS_CLOSE, ann + 1) : -1;
      // searched within the entry's annotations only: an unbounded search for a key most entries lack (the
      // subject) would run to the end of the file from every entry
      const annotations = annEnd >= 0 ? b.subarray(ann, annEnd) : undefined;
      const hasName = annotations !== undefined && NAMED.some((n) => annotations.includes(n));
      if (!hasName && isForeignEntry(this.#entryAround(at + 1).descriptor)) return true;
      at = b.indexOf(ENTRY_START, end);
    }
    return false;
  }

  /** Removes the first entry whose ref.name is `name` (every one, with `all`); whether one was there. */
  untag(name: string, all = false): boolean {
    const hits = this.#annotated(Annotation.refName, name);
    const drop = all ? hits : hits.slice(0, 1);
    // last first, so earlier offsets stay right
    for (const e of drop.reverse()) this.#remove(e);
    return drop.length > 0;
  }

  /** Appends an entry at the end of `manifests`. */
  append(d: Descriptor): void {
    if (this.#foreign === false && isForeignEntry(d)) this.#foreign = true;
    const b = this.#bytes;
    const text = `    ${nestedJson(d, '    ')}`;
    // `manifests` follows schemaVersion and mediaType, so an empty array is within the first bytes; `\n  ]` ends
    // the one array at this depth, so it is the last one in the file: neither search runs through 3.5 MB
    const empty = b.subarray(0, HEAD_BYTES).indexOf(EMPTY_ARRAY);
    const close = b.lastIndexOf(ARRAY_END);
    if (empty >= 0 && (close < 0 || empty < close)) {
      const at = empty + EMPTY_ARRAY.length - 1;
      this.#bytes = splice(b, at, at, `\n${text}\n  `);
    } else {
      this.#bytes = splice(b, close, close, `,\n${text}`);
    }
  }

  /** Entries with annotation `key` = `value`, in file order. */
  #annotated(key: string, value: string): Entry[] {
    const b = this.#bytes;
    const needle = Buffer.from(`\n        ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
    const out: Entry[] = [];
    for (let at = b.indexOf(needle); at >= 0; at = b.indexOf(needle, at + 1)) {
      if (!this.#lineEnds(at + needle.length)) continue;
      const e = this.#entryAround(at);
      // the line must be one of the entry's annotations, not a key of some other object in it
      const ann = b.indexOf(ANNOTATIONS_OPEN, e.start);
      if (ann < 0 || ann > at || b.indexOf(ANNOTATIONS_CLOSE, ann + 1) < at) continue;
      if (e.descriptor.annotations?.[key] === value) out.push(e);
    }
    return out;
  }

  /** Whether a value that ends at `at` ends its line (`,` or newline next), not a longer string's prefix. */
  #lineEnds(at: number): boolean {
    const c = this.#bytes[at];
    return c === 0x2c || c === 0x0a;
  }

  /** The entry holding offset `at`, parsed. */
  #entryAround(at: number): Entry {
    const b = this.#bytes;
    const start = b.lastIndexOf(ENTRY_START, at) + 1;
    const end = b.indexOf(ENTRY_END, at) + ENTRY_END.length;
    return { start, end, descriptor: JSON.parse(b.toString('utf8', start, end)) as Descriptor };
  }

  #remove(e: Entry): void {
    const b = this.#bytes;
    if (b[e.end] === 0x2c) {
      // not the last: the entry and the `,\n` after it
      this.#bytes = splice(b, e.start, e.end + 2, '');
    } else if (b[e.start - 2] === 0x5b) {
      // the only one: `[\n    {…}\n  ]` becomes `[]`
      const open = e.start - 2;
      const close = b.indexOf(ARRAY_END, e.end) + ARRAY_END.length;
      this.#bytes = splice(b, open + 1, close - 1, '');
    } else {
      // the last of several: the `,\n` before it and the entry
      this.#bytes = splice(b, e.start - 2, e.end, '');
    }
  }
}

function splice(b: Buffer, from: number, to: number, text: string): Buffer {
  return Buffer.concat([b.subarray(0, from), Buffer.from(text), b.subarray(to)]);
}
