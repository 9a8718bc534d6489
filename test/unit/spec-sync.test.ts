import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import { Annotation, MediaType } from '../../src/oci/media-types.js';
import { ROOT } from '../helpers/cli.js';

/** First-column code spans of the markdown tables in a catalog-spec page. */
async function tableCodes(file: string): Promise<Set<string>> {
  const text = await readFile(join(ROOT, 'catalog-spec', file), 'utf8');
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|/.exec(line);
    if (m?.[1]) out.add(m[1]);
  }
  return out;
}

test('catalog-spec/error-codes.md lists exactly the codes in src/errors.ts', async () => {
  const documented = await tableCodes('error-codes.md');
  const code = new Set<string>(Object.values(ErrorCode));
  assert.deepEqual(
    [...code].filter((c) => !documented.has(c)),
    [],
    'codes missing from error-codes.md',
  );
  assert.deepEqual(
    [...documented].filter((c) => !code.has(c)),
    [],
    'codes documented but not in src/errors.ts',
  );
});

test('catalog-spec/media-types.md lists every media type and annotation key scrydon uses', async () => {
  const documented = await tableCodes('media-types.md');
  const used = new Set<string>([...Object.values(MediaType), ...Object.values(Annotation)]);
  assert.deepEqual(
    [...used].filter((c) => !documented.has(c)),
    [],
    'missing from media-types.md',
  );
});
