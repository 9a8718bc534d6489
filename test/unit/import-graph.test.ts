import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, dirname } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

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
