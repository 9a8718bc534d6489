import type { CopyEvent } from '../../src/content/events.js';

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

/** One line per blob in flight on a TTY, redrawn at most 10 times a second. */
export class ProgressRenderer {
  readonly #out: NodeJS.WriteStream;
  readonly #active = new Map<string, { size: number; done: number; label: string }>();
  #last = 0;
  #drawn = 0;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
  }

  onEvent(e: CopyEvent): void {
    const key = e.descriptor.digest;
    const label = e.descriptor.digest.slice(7, 19);
    if (e.type === 'start') this.#active.set(key, { size: e.descriptor.size, done: 0, label });
    else if (e.type === 'progress') {
      const a = this.#active.get(key);
      if (a) a.done = e.bytes;
    } else {
      this.#active.delete(key);
      this.#clear();
      this.#out.write(`${e.type === 'skipped' ? 'exists ' : 'copied '} ${label} ${human(e.descriptor.size)}\n`);
    }
    const now = Date.now();
    if (now - this.#last > 100) {
      this.#last = now;
      this.#draw();
    }
  }

  #clear(): void {
    if (this.#drawn > 0) this.#out.write(`\u001b[${this.#drawn}A\u001b[J`);
    this.#drawn = 0;
  }

  #draw(): void {
    this.#clear();
    const width = 30;
    for (const a of this.#active.values()) {
      const frac = a.size > 0 ? a.done / a.size : 1;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '-');
      this.#out.write(`${a.label} [${bar}] ${human(a.done)}/${human(a.size)}\n`);
      this.#drawn++;
    }
  }

  finish(): void {
    this.#clear();
  }
}

export { human as humanBytes };
