import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, dirname } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { KNOWN_EXCEPTIONS, LAYERS } from '../helpers/layers.js';

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await tsFiles(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

async function imports(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
}

/** Code only: comments may name imports they do not make. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Every module a file names: static imports and re-exports (type-only ones too), side-effect imports, import(). */
function importSpecifiers(text: string): string[] {
  const t = code(text);
  const out = [...t.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
  out.push(...[...t.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string));
  out.push(...[...t.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] as string));
  return out;
}

/** The row of LAYERS a repository path belongs to, and the unit (folder or file) within it. */
function unitOf(rel: string): { row: number; unit: string } | undefined {
  for (const [row, units] of LAYERS.entries()) {
    for (const unit of units) if (rel === unit || rel.startsWith(`${unit}/`)) return { row, unit };
  }
  return undefined;
}

test('every import in src/ and cmd/, static or dynamic, points down the layer table (or within its own unit)', async () => {
  const problems: string[] = [];
  const files = [...(await tsFiles(join(ROOT, 'src'))), ...(await tsFiles(join(ROOT, 'cmd')))];
  let checked = 0;
  for (const f of files) {
    const rel = relative(ROOT, f);
    const from = unitOf(rel);
    if (!from) {
      problems.push(`${rel} is in no layer of test/helpers/layers.ts`);
      continue;
    }
    for (const spec of importSpecifiers(await readFile(f, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      checked++;
      const target = relative(ROOT, resolve(dirname(f), spec)).replace(/\.js$/, '.ts');
      const to = unitOf(target);
      if (!to) problems.push(`${rel} imports ${spec}, which is in no layer`);
      else if (to.unit !== from.unit && to.row >= from.row)
        problems.push(`${rel} imports ${spec} (${from.unit} may not import ${to.unit})`);
    }
  }
  assert.ok(checked > 500, `only ${checked} imports found: the import patterns no longer match the code`);
  const unexpected = problems.filter((p) => !KNOWN_EXCEPTIONS.includes(p));
  const gone = KNOWN_EXCEPTIONS.filter((p) => !problems.includes(p));
  assert.deepEqual({ unexpected, gone }, { unexpected: [], gone: [] });
});

test('ARCHITECTURE.md lists the layers in the order of the table', async () => {
  const text = await readFile(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
  const block = /## Layers[\s\S]*?```\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
  const listed = [...block.matchAll(/^(\S+)/gm)].map((m) => (m[1] as string).replace(/\/$/, ''));
  const units = LAYERS.flat().filter((u) => u !== 'src/index.ts');
  assert.deepEqual([...listed].sort(), [...units].sort(), 'every unit listed once');
  // top first in the document, lowest first in the table (peers on one row in either order)
  const rows = listed.map((u) => unitOf(u)?.row ?? -1);
  assert.deepEqual(
    rows,
    [...rows].sort((a, b) => b - a),
    `out of order: ${listed.join(', ')}`,
  );
});

test('src/ never imports cmd/, and src/oci does no I/O', async () => {
  const problems: string[] = [];
  for (const f of await tsFiles(join(ROOT, 'src'))) {
    const rel = relative(ROOT, f);
    for (const spec of await imports(f)) {
      if (spec.startsWith('.')) {
        const target = relative(ROOT, resolve(dirname(f), spec));
        if (target.startsWith('cmd')) problems.push(`${rel} imports ${spec}`);
      }
      if (rel.startsWith(join('src', 'oci')) && /^node:(fs|net|http|https|child_process|fs\/promises)$/.test(spec)) {
        problems.push(`${rel} (pure layer) imports ${spec}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('sigstore-js is called only from the files ARCHITECTURE.md names (type-only imports aside)', async () => {
  const text = await readFile(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
  const named = /sigstore-js only in ([^)]*)\)/.exec(text)?.[1] ?? '';
  const allowed = [...named.matchAll(/([\w-]+\.ts)/g)].map((m) => join('src', 'signature', m[1] as string));
  assert.ok(allowed.length >= 2, `ARCHITECTURE.md no longer says where sigstore-js is called: "${named}"`);
  const callers: string[] = [];
  for (const f of [...(await tsFiles(join(ROOT, 'src'))), ...(await tsFiles(join(ROOT, 'cmd')))]) {
    const t = code(await readFile(f, 'utf8'));
    const valueImport = [...t.matchAll(/^\s*(import|export)\s+(?!type\s)[^'"]*?from\s+['"](@sigstore\/[^'"]+)['"]/gm)];
    if (valueImport.length || /\bimport\(\s*['"]@sigstore\//.test(t)) callers.push(relative(ROOT, f));
  }
  assert.deepEqual(callers.sort(), [...allowed].sort());
});

test('src/ never touches process.stdout/stderr, process.env or process.exit', async () => {
  const problems: string[] = [];
  for (const f of await tsFiles(join(ROOT, 'src'))) {
    // comments may name what the code must not do; only code counts
    const text = (await readFile(f, 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const pat of ['process.stdout', 'process.stderr', 'process.env', 'process.exit(', 'console.']) {
      if (text.includes(pat)) problems.push(`${relative(ROOT, f)} uses ${pat}`);
    }
  }
  assert.deepEqual(problems, []);
});
