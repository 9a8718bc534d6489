/**
 * Line coverage of src/ from the V8 coverage Node writes when NODE_V8_COVERAGE is set (Node's own data, no
 * dependency: Node 20's `--experimental-test-coverage` reporter fails on this tree with "Cannot read properties of
 * undefined (reading 'line')"). Counts the lines of the compiled JavaScript under dist/src (tsc keeps them close to
 * the TypeScript's), a line covered when any process ran its first character; files no process loaded count as 0.
 *
 *   node dist/scripts/coverage.js COVERAGE-DIR [--floor src/content=70 ...] [--files src/content,src/store]
 *
 * Prints each src/ folder's figure (and the files of the folders given with --files); exits 1 when a folder is
 * under its floor.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  url: string;
  functions: Array<{ ranges: Range[] }>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST_SRC = join(ROOT, 'dist', 'src');

/** The compiled files of src/ (not those a build left behind whose source is gone). */
async function jsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await jsFiles(p)));
    else if (e.name.endsWith('.js') && existsSync(join(ROOT, relative(join(ROOT, 'dist'), p)).replace(/\.js$/, '.ts')))
      out.push(p);
  }
  return out.sort();
}

/** The offsets at which each line's code starts: lines that are blank, only comments or only types are left out. */
function codeLines(text: string): Map<number, number> {
  const lines = new Map<number, number>();
  let inBlock = false;
  let offset = 0;
  text.split('\n').forEach((line, i) => {
    let rest = line.trim();
    if (inBlock) {
      const end = rest.indexOf('*/');
      rest = end === -1 ? '' : rest.slice(end + 2).trim();
      inBlock = end === -1;
    }
    while (rest.startsWith('/*')) {
      const end = rest.indexOf('*/', 2);
      if (end === -1) {
        inBlock = true;
        rest = '';
      } else rest = rest.slice(end + 2).trim();
    }
    // `export {};`: what tsc leaves of a file of types only, which nothing loads
    if (rest !== '' && !rest.startsWith('//') && rest !== 'export {};')
      lines.set(i + 1, offset + line.indexOf(rest.charAt(0)));
    offset += line.length + 1;
  });
  return lines;
}

/** The lines of one script that ran in one process: V8's ranges nest, and the innermost one's count holds. */
function coveredLines(text: string, script: ScriptCoverage, lines: Map<number, number>, into: Set<number>): void {
  const counts = new Uint32Array(text.length);
  const ranges = script.functions
    .flatMap((f) => f.ranges)
    .sort((a, b) => a.startOffset - b.startOffset || b.endOffset - a.endOffset);
  for (const r of ranges) counts.fill(r.count, r.startOffset, Math.min(r.endOffset, text.length));
  for (const [line, at] of lines) if ((counts[at] ?? 0) > 0) into.add(line);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dir = args[0];
  if (!dir) throw new Error('usage: coverage.js COVERAGE-DIR [--floor FOLDER=PERCENT ...] [--files FOLDER,...]');
  const floors = new Map<string, number>();
  const detailed = new Set<string>();
  for (let i = 1; i < args.length; i += 2) {
    const [flag, value = ''] = [args[i], args[i + 1]];
    if (flag === '--floor') {
      const [folder = '', pct = ''] = value.split('=');
      floors.set(folder, Number(pct));
    } else if (flag === '--files') value.split(',').forEach((f) => detailed.add(f));
    else throw new Error(`unknown argument ${flag}`);
  }

  const files = await jsFiles(DIST_SRC);
  const texts = new Map<string, string>();
  const lines = new Map<string, Map<number, number>>();
  const covered = new Map<string, Set<number>>();
  for (const f of files) {
    const text = await readFile(f, 'utf8');
    texts.set(f, text);
    lines.set(f, codeLines(text));
    covered.set(f, new Set());
  }
  const byUrl = new Map(files.map((f) => [pathToFileURL(f).href, f]));
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.json')) continue;
    const data = JSON.parse(await readFile(join(dir, name), 'utf8')) as { result?: ScriptCoverage[] };
    for (const script of data.result ?? []) {
      const f = byUrl.get(script.url);
      if (f) coveredLines(texts.get(f) ?? '', script, lines.get(f) ?? new Map(), covered.get(f) ?? new Set());
    }
  }

  /** src/<folder> of a file (src/errors.ts and the like: src). */
  const folderOf = (f: string): string => {
    const parts = relative(DIST_SRC, f).split(sep);
    return parts.length > 1 ? `src/${parts[0]}` : 'src';
  };
  const pct = (hit: number, all: number): string => (all === 0 ? '100.0' : ((100 * hit) / all).toFixed(1)).padStart(5);
  const totals = new Map<string, { hit: number; all: number }>();
  const rows: string[] = [];
  for (const f of files) {
    const all = lines.get(f)?.size ?? 0;
    const hit = covered.get(f)?.size ?? 0;
    const folder = folderOf(f);
    for (const key of [folder, 'all of src']) {
      const t = totals.get(key) ?? { hit: 0, all: 0 };
      totals.set(key, { hit: t.hit + hit, all: t.all + all });
    }
    if (detailed.has(folder))
      rows.push(`  ${pct(hit, all)} %  ${relative(join(ROOT, 'dist'), f).replace(/\.js$/, '.ts')}`);
  }
  process.stdout.write(`line coverage of src/ by the unit tests (compiled lines run / lines)\n`);
  for (const [key, t] of [...totals].sort(([a], [b]) => a.localeCompare(b))) {
    const floor = floors.get(key);
    process.stdout.write(
      `  ${pct(t.hit, t.all)} %  ${key}  (${t.hit}/${t.all})${floor === undefined ? '' : `  floor ${floor} %`}\n`,
    );
  }
  if (rows.length) process.stdout.write(`${rows.join('\n')}\n`);
  let under = false;
  for (const [folder, floor] of floors) {
    const t = totals.get(folder);
    const got = t && t.all > 0 ? (100 * t.hit) / t.all : 0;
    if (!(got >= floor)) {
      under = true;
      process.stderr.write(`coverage of ${folder} is ${got.toFixed(1)} %, under its floor of ${floor} %\n`);
    }
  }
  if (under) process.exitCode = 1;
}

await main();
