import type { CopyEvent } from '../../src/content/events.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { Annotation } from '../../src/oci/media-types.js';

function human(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${u[i]}`;
}

/** `0:07`, `1:02:03`. */
function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  const [h, m, sec] = hms.map((x) => String(x).padStart(2, '0'));
  return hms[0] ? `${Number(h)}:${m}:${sec}` : `${Number(m)}:${sec}`;
}

/** Items smaller than this get no bar: they finish between two redraws (a manifest, a config, a signature). */
const SMALL = 256 * 1024;
const REDRAW_MS = 100;

/**
 * What a person calls a blob: its file title (`acme.fraud-1.2.0.scrydon-pack.tar.gz`), a pack manifest's id and
 * version, else its kind and a short digest.
 */
function progressLabel(d: Descriptor): string {
  const a = d.annotations ?? {};
  const title = a[Annotation.title];
  const id = a[Annotation.packId];
  const version = a[Annotation.version];
  if (id && version) return `${id} ${version}`;
  if (title) return title;
  const kind = /manifest|index/.test(d.mediaType) ? 'manifest' : /config/.test(d.mediaType) ? 'config' : 'blob';
  return `${kind} ${d.digest.slice(7, 19)}`;
}

/** `s` cut to `width` columns, with an ellipsis when cut. */
function fit(s: string, width: number): string {
  if (width <= 0) return '';
  return s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`;
}

interface Item {
  size: number;
  done: number;
  label: string;
  started: number;
}

/**
 * Progress on a TTY: one line per blob in flight (bar, bytes, bytes/s, ETA), redrawn at most 10 times a second,
 * and a line as each large one finishes. Every line fits the terminal's current width (a wrapped line would leave
 * stale copies behind on the next redraw); small items get no bar.
 */
export class ProgressRenderer {
  readonly #out: NodeJS.WriteStream;
  readonly #now: () => number;
  readonly #active = new Map<string, Item>();
  #last = 0;
  #drawn = 0;

  constructor(out: NodeJS.WriteStream, now: () => number = Date.now) {
    this.#out = out;
    this.#now = now;
  }

  #width(): number {
    return Math.max(20, this.#out.columns || 80) - 1; // never the last column: some terminals wrap there
  }

  onEvent(e: CopyEvent): void {
    const key = e.descriptor.digest;
    if (e.type === 'start') {
      this.#active.set(key, {
        size: e.descriptor.size,
        done: 0,
        label: progressLabel(e.descriptor),
        started: this.#now(),
      });
    } else if (e.type === 'progress') {
      const a = this.#active.get(key);
      if (a) a.done = e.bytes;
    } else {
      const a = this.#active.get(key);
      this.#active.delete(key);
      if (e.descriptor.size >= SMALL) {
        this.#clear();
        const secs = a ? (this.#now() - a.started) / 1000 : 0;
        const rate = e.type === 'done' && secs > 0.05 ? `  ${human(e.descriptor.size / secs)}/s` : '';
        const what = e.type === 'skipped' ? 'exists' : 'copied';
        const line = `${what}  ${progressLabel(e.descriptor)}  ${human(e.descriptor.size)}${rate}`;
        this.#out.write(`${fit(line, this.#width())}\n`);
      }
    }
    const now = this.#now();
    if (now - this.#last >= REDRAW_MS) {
      this.#last = now;
      this.#draw();
    }
  }

  #clear(): void {
    if (this.#drawn > 0) this.#out.write(`\u001b[${this.#drawn}A\u001b[J`);
    this.#drawn = 0;
  }

  /**
   * `label [####----] 12.0 MiB/40.0 MiB 8.1 MiB/s ETA 0:03` on a wide terminal; narrower, the bar goes, then the
   * byte counts give way to a percentage, and the label is cut last.
   */
  #line(a: Item, width: number): string {
    const secs = (this.#now() - a.started) / 1000;
    const rate = secs > 0 && a.done > 0 ? a.done / secs : 0;
    const frac = a.size > 0 ? Math.min(1, a.done / a.size) : 1;
    const pct = `${Math.floor(frac * 100)}%`;
    const speed = rate > 0 ? ` ${human(rate)}/s ETA ${clock((a.size - a.done) / rate)}` : '';
    for (const tail of [`${human(a.done)}/${human(a.size)}${speed}`, `${pct}${speed}`]) {
      const labelRoom = width - tail.length - 1;
      if (labelRoom < 8) continue;
      const label = fit(a.label, Math.min(32, labelRoom));
      const bar = Math.min(30, width - label.length - tail.length - 4);
      if (bar >= 10) return `${label} [${'#'.repeat(Math.round(frac * bar)).padEnd(bar, '-')}] ${tail}`;
      return `${label} ${tail}`;
    }
    return fit(`${a.label} ${pct}`, width);
  }

  #draw(): void {
    this.#clear();
    const width = this.#width();
    for (const a of this.#active.values()) {
      if (a.size < SMALL) continue;
      this.#out.write(`${this.#line(a, width)}\n`);
      this.#drawn++;
    }
  }

  finish(): void {
    this.#clear();
  }
}

export { human as humanBytes };
