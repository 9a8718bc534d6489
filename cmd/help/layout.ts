/**
 * yargs' help layout without its cost: a port of the part of cliui (columns, padding, right-aligned extras,
 * spans continued on the line before) and of wrap-ansi (hard wrapping of plain text) that help uses. cliui
 * measures every character with string-width, which builds an emoji regular expression per character: ~0.15 s
 * of a top-level --help. Here a character is one column: scripts/gen-help.ts refuses a command text with any
 * character string-width would not count as exactly one, so the two measure alike. test/unit/help.test.ts
 * compares the result with yargs' own help for every command at many widths.
 */

const TOP = 0;
const RIGHT = 1;
const BOTTOM = 2;
const LEFT = 3;

type Padding = [number, number, number, number];

interface Column {
  text: string;
  padding?: Padding;
  width?: number | undefined;
  align?: 'right';
}

interface Row {
  cols: Column[];
  span: boolean;
}

interface Line {
  text: string;
  span: boolean;
  hidden?: boolean;
}

/** Columns a text takes: one per code point (see above), so a surrogate pair counts once. */
export function textWidth(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

function measurePadding(s: string): Padding {
  return [0, (/\s*$/.exec(s)?.[0] ?? '').length, 0, (/^\s*/.exec(s)?.[0] ?? '').length];
}

/** wrap-ansi's wrapWord: a word longer than a line, cut across rows. */
function wrapWord(rows: string[], word: string, columns: number): void {
  const chars = [...word];
  let visible = textWidth(rows.at(-1) ?? '');
  chars.forEach((ch, index) => {
    if (visible + 1 <= columns) rows[rows.length - 1] += ch;
    else {
      rows.push(ch);
      visible = 0;
    }
    visible += 1;
    if (visible === columns && index < chars.length - 1) {
      rows.push('');
      visible = 0;
    }
  });
  if (!visible && (rows.at(-1) ?? '').length > 0 && rows.length > 1) rows[rows.length - 2] += rows.pop() ?? '';
}

function trimSpacesRight(s: string): string {
  const words = s.split(' ');
  let last = words.length;
  while (last > 0 && textWidth(words[last - 1] ?? '') === 0) last--;
  return last === words.length ? s : words.slice(0, last).join(' ') + words.slice(last).join('');
}

/** wrap-ansi's exec with { hard: true } for one line of plain text. */
function wrapLine(line: string, columns: number): string {
  if (line.trim() === '') return '';
  const words = line.split(' ');
  const rows = [''];
  words.forEach((word, index) => {
    rows[rows.length - 1] = (rows.at(-1) ?? '').trimStart();
    let rowLength = textWidth(rows.at(-1) ?? '');
    const length = textWidth(word);
    if (index !== 0 && rowLength > 0) {
      rows[rows.length - 1] += ' ';
      rowLength++;
    }
    if (length > columns) {
      const thisLine = 1 + Math.floor((length - (columns - rowLength) - 1) / columns);
      const nextLine = Math.floor((length - 1) / columns);
      if (nextLine < thisLine) rows.push('');
      wrapWord(rows, word, columns);
      return;
    }
    if (rowLength + length > columns && rowLength > 0 && length > 0) rows.push('');
    rows[rows.length - 1] += word;
  });
  return rows.map(trimSpacesRight).join('\n');
}

function wrap(text: string, columns: number): string {
  return text
    .normalize()
    .replaceAll('\r\n', '\n')
    .split('\n')
    .map((l) => wrapLine(l, columns))
    .join('\n');
}

function alignRight(s: string, width: number): string {
  const t = s.trim();
  const w = textWidth(t);
  return w < width ? ' '.repeat(width - w) + t : t;
}

/** cliui's UI with wrapping on, for the calls yargs' help makes. */
export class Layout {
  readonly #width: number;
  readonly #rows: Row[] = [];

  constructor(width: number) {
    this.#width = width;
  }

  div(...args: Array<Column | string>): Row {
    if (args.length === 0) this.div('');
    if (args.length === 1 && typeof args[0] === 'string' && /[\t\n]/.test(args[0])) return this.#dsl(args[0]);
    const row: Row = {
      cols: args.map((a) => (typeof a === 'string' ? { text: a, padding: measurePadding(a) } : { ...a })),
      span: false,
    };
    this.#rows.push(row);
    return row;
  }

  span(...args: Array<Column | string>): void {
    this.div(...args).span = true;
  }

  /** cliui's layout DSL, for text with line breaks (no tabs in help: one column per line). */
  #dsl(s: string): Row {
    for (const line of s.split('\n')) this.div({ text: line.trim(), padding: measurePadding(line), width: undefined });
    return this.#rows.at(-1) as Row;
  }

  toString(): string {
    const lines: Line[] = [];
    for (const row of this.#rows) this.#rowToString(row, lines);
    return lines
      .filter((l) => !l.hidden)
      .map((l) => l.text)
      .join('\n');
  }

  #rowToString(row: Row, lines: Line[]): void {
    this.#rasterize(row).forEach((rrow, r) => {
      let str = '';
      rrow.forEach((col, c) => {
        const spec = row.cols[c] as Column;
        const width = spec.width;
        const wrapWidth = negatePadding(spec);
        let ts = col;
        if (wrapWidth > textWidth(col)) ts += ' '.repeat(wrapWidth - textWidth(col));
        if (spec.align === 'right') {
          ts = alignRight(ts, wrapWidth);
          if (textWidth(ts) < wrapWidth) ts += ' '.repeat((width || 0) - textWidth(ts) - 1);
        }
        const padding = spec.padding ?? [0, 0, 0, 0];
        if (padding[LEFT]) str += ' '.repeat(padding[LEFT]);
        str += ts;
        if (padding[RIGHT]) str += ' '.repeat(padding[RIGHT]);
        const previous = lines.at(-1);
        if (r === 0 && previous) str = renderInline(str, previous);
      });
      lines.push({ text: str.replace(/ +$/, ''), span: row.span });
    });
  }

  #rasterize(row: Row): string[][] {
    const rrows: string[][] = [];
    const widths = this.#columnWidths(row.cols);
    row.cols.forEach((col, c) => {
      col.width = widths[c];
      const wrapped = wrap(col.text, negatePadding(col)).split('\n');
      if (col.padding) {
        wrapped.unshift(...new Array<string>(col.padding[TOP] || 0).fill(''));
        wrapped.push(...new Array<string>(col.padding[BOTTOM] || 0).fill(''));
      }
      wrapped.forEach((s, r) => {
        const rrow = rrows[r] ?? [];
        if (!rrows[r]) rrows.push(rrow);
        for (let i = 0; i < c; i++) if (rrow[i] === undefined) rrow.push('');
        rrow.push(s);
      });
    });
    return rrows;
  }

  #columnWidths(cols: readonly Column[]): number[] {
    let unset = cols.length;
    let remaining = this.#width;
    const widths = cols.map((c) => {
      if (!c.width) return undefined;
      unset--;
      remaining -= c.width;
      return c.width;
    });
    const unsetWidth = unset ? Math.floor(remaining / unset) : 0;
    return widths.map(
      (w, i) =>
        w ??
        Math.max(
          unsetWidth,
          1 + ((cols[i] as Column).padding?.[LEFT] || 0) + ((cols[i] as Column).padding?.[RIGHT] || 0),
        ),
    );
  }
}

function negatePadding(col: Column): number {
  let w = col.width || 0;
  if (col.padding) w -= (col.padding[LEFT] || 0) + (col.padding[RIGHT] || 0);
  return w;
}

/** A span's next column goes on the span's own line when it starts past the span's text. */
function renderInline(source: string, previous: Line): string {
  const leading = (/^ */.exec(source)?.[0] ?? '').length;
  const target = previous.text;
  const targetWidth = textWidth(target.trimEnd());
  if (!previous.span || leading < targetWidth) return source;
  previous.hidden = true;
  return target.trimEnd() + ' '.repeat(leading - targetWidth) + source.trimStart();
}
