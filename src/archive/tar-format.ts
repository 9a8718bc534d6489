/**
 * The tar header format (POSIX ustar, plus the pax and GNU long-name extensions a reader meets in the wild).
 * Pure: bytes in, values out. Only what scrydon's archives need: regular files and directories are written;
 * everything is decoded so the index can name and refuse what it does not accept.
 */
export const BLOCK = 512;

export type EntryType =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'hardlink'
  | 'char-device'
  | 'block-device'
  | 'fifo'
  | 'pax'
  | 'pax-global'
  | 'gnu-long-name'
  | 'gnu-long-link'
  | 'other';

interface RawHeader {
  name: string;
  linkname: string;
  size: number;
  type: EntryType;
  /** The raw typeflag character, for messages. */
  flag: string;
}

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '5': 'directory',
  '2': 'symlink',
  '1': 'hardlink',
  '3': 'char-device',
  '4': 'block-device',
  '6': 'fifo',
  x: 'pax',
  g: 'pax-global',
  L: 'gnu-long-name',
  K: 'gnu-long-link',
};

/** Rounds a data size up to whole blocks. */
export function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

export function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < b.byteLength; i++) if (b[i] !== 0) return false;
  return true;
}

function cString(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

/** An octal field, or GNU base-256 when the top bit of the first byte is set. NaN when malformed. */
function numeric(b: Buffer, off: number, len: number): number {
  const first = b[off] ?? 0;
  if (first & 0x80) {
    if (first !== 0x80) return NaN; // negative or absurdly large
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + (b[i] ?? 0);
    return Number.isSafeInteger(v) ? v : NaN;
  }
  const s = b
    .toString('latin1', off, off + len)
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (s === '') return 0;
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : NaN;
}

function checksumOf(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (b[i] as number);
  return sum;
}

type DecodeResult = { ok: true; header: RawHeader } | { ok: false; why: string };

/** Decodes one 512-byte header block (not a zero block). */
export function decodeHeader(b: Buffer): DecodeResult {
  const sum = numeric(b, 148, 8);
  if (Number.isNaN(sum) || sum !== checksumOf(b)) return { ok: false, why: 'header checksum does not match' };
  const size = numeric(b, 124, 12);
  if (Number.isNaN(size)) return { ok: false, why: 'header size field is malformed' };
  const flag = String.fromCharCode(b[156] ?? 0);
  let name = cString(b, 0, 100);
  const magic = b.toString('latin1', 257, 263);
  if (magic === 'ustar\u000000' || magic === 'ustar\u0000') {
    const prefix = cString(b, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return { ok: true, header: { name, linkname: cString(b, 157, 100), size, type: TYPES[flag] ?? 'other', flag } };
}

/** Parses pax extended-header records (`<len> key=value\n`). Throws a plain Error on malformed data. */
export function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.byteLength) {
    if (data[pos] === 0) break;
    const sp = data.indexOf(0x20, pos);
    const len = sp > pos ? Number(data.toString('latin1', pos, sp)) : NaN;
    if (!Number.isSafeInteger(len) || len <= 0 || pos + len > data.byteLength || data[pos + len - 1] !== 0x0a) {
      throw new Error('malformed pax record');
    }
    const rec = data.toString('utf8', sp + 1, pos + len - 1);
    const eq = rec.indexOf('=');
    if (eq <= 0) throw new Error('malformed pax record');
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}

function writeOctal(b: Buffer, off: number, len: number, v: number): void {
  b.write(v.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
}

/** What every header scrydon writes holds besides its name, size and checksum, one per type; with its byte sum. */
const TEMPLATES = new Map(
  (['file', 'directory'] as const).map((type) => {
    const b = Buffer.alloc(BLOCK);
    writeOctal(b, 100, 8, type === 'directory' ? 0o755 : 0o644);
    writeOctal(b, 108, 8, 0);
    writeOctal(b, 116, 8, 0);
    writeOctal(b, 136, 12, 0);
    b.write(type === 'directory' ? '5' : '0', 156, 1, 'latin1');
    b.write('ustar\u000000', 257, 8, 'latin1');
    b.write('root', 265, 32, 'latin1');
    b.write('root', 297, 32, 'latin1');
    b.write('        ', 148, 8, 'latin1');
    return [type, { block: b, sum: checksumOf(b) }];
  }),
);

function byteSum(b: Buffer, off: number, end: number): number {
  let sum = 0;
  for (let i = off; i < end; i++) sum += b[i] as number;
  return sum;
}

/**
 * Encodes a ustar header for a regular file or directory (names up to 100 bytes; sizes of any length) into
 * `dst` at `off`: a copy of the type's template, the name and size written in, the checksum summed from the
 * template's and theirs (no pass over the whole block).
 */
export function encodeHeaderInto(
  dst: Buffer,
  off: number,
  name: string,
  size: number,
  type: 'file' | 'directory',
): void {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  const t = TEMPLATES.get(type) as { block: Buffer; sum: number };
  t.block.copy(dst, off);
  const n = dst.write(name, off, 100, 'utf8');
  dst.fill(0, off + n, off + 100);
  if (size < 8 ** 11) writeOctal(dst, off + 124, 12, size);
  else {
    dst[off + 124] = 0x80;
    let v = size;
    for (let i = off + 135; i > off + 124; i--) {
      dst[i] = v % 256;
      v = Math.floor(v / 256);
    }
  }
  const sum = t.sum + byteSum(dst, off, off + n) + byteSum(dst, off + 124, off + 136);
  dst.write(sum.toString(8).padStart(6, '0') + '\0 ', off + 148, 8, 'latin1');
}

/** encodeHeaderInto a block of its own. */
export function encodeHeader(name: string, size: number, type: 'file' | 'directory'): Buffer {
  const b = Buffer.allocUnsafe(BLOCK);
  encodeHeaderInto(b, 0, name, size, type);
  return b;
}
