import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, cleanupTemps, ok, tempDir } from '../helpers/cli.js';
import { withLoadLog } from '../helpers/load-log.js';
import { writeSmallPackDir } from '../helpers/small-pack.js';

after(cleanupTemps);

/**
 * What the everyday store commands load of Node itself (ARCHITECTURE.md, "Start-up"): an ES import of node:tls
 * reads every root certificate, and child_process, zlib, http and worker_threads take milliseconds each, so a tag,
 * an rm or an ls of a 10,000-pack store must not pay for the network, gzip or child processes it never uses.
 * Asserted by the modules loaded, not by a time.
 */
const NETWORK_OR_HEAVY = ['node:tls', 'node:net', 'node:http', 'node:https', 'node:child_process', 'node:zlib'];

test('with the listing kept, tag, rm, ls and ls -q load none of tls, net, http(s), child_process, zlib; a pull does', async () => {
  const home = await tempDir();
  const dir = join(await tempDir(), 'pack');
  await writeSmallPackDir(dir, 'acme.startup', '1.0.0');
  await ok(['build', dir], { home });
  await ok(['ls'], { home }); // the first ls reads the pack (gzip) and keeps what it shows; later ones use that
  for (const line of [
    ['tag', 'acme.startup:1.0.0', 'acme.startup:stable'],
    ['ls'],
    ['ls', '-q'],
    ['rm', 'acme.startup:stable'],
  ]) {
    const r = await withLoadLog(line, { home });
    assert.equal(r.code, 0, r.stderr);
    const heavy = r.builtins.filter((b) => NETWORK_OR_HEAVY.includes(b.replace(/^node:([a-z_]+).*$/, 'node:$1')));
    assert.deepEqual(heavy, [], `scrydon ${line.join(' ')} loaded ${heavy.join(', ')} (all: ${r.builtins.join(' ')})`);
    assert.ok(r.builtins.includes('node:fs/promises'), `the log sees Node's modules: ${r.builtins.join(' ')}`);
  }
  // the same log does see them where they are used (so the check above can fail)
  const pull = await withLoadLog(['pull', '127.0.0.1:9/none/such:1', '--plain-http', '--timeout', '1s'], { home });
  assert.notEqual(pull.code, 0);
  assert.ok(pull.builtins.includes('node:http'), `a pull loads http: ${pull.builtins.join(' ')}`);

  // inspect of a stored pack (a command that may talk to a registry, with --remote) loads neither the network nor
  // the registry client's settings and policy.yaml gate, whose YAML parser is the bundle's largest chunk
  const inspect = await withLoadLog(['inspect', 'acme.startup:1.0.0'], { home });
  assert.equal(inspect.code, 0, inspect.stderr);
  const yaml = (files: readonly string[]): string[] => files.filter((f) => f.startsWith('yaml-parse-'));
  assert.deepEqual(yaml(inspect.files), [], `inspect loaded ${inspect.files.join(' ')}`);
  assert.deepEqual(
    inspect.builtins.filter((b) => ['node:http', 'node:https', 'node:net', 'node:tls'].includes(b)),
    [],
    `inspect loaded ${inspect.builtins.join(' ')}`,
  );
  // nor the validators of schemas other than pack.json's, nor tweetnacl (only encrypted keys need it): the chunks it
  // loaded are read for what marks each (a schema's $id, nacl's secretbox)
  const marks = ['sources', 'scrydon-catalog', 'policy', 'attestation-policy']
    .map((s) => `"https://scrydon.io/schemas/${s}.schema.json"`)
    .concat(['crypto_secretbox']);
  const loaded = await Promise.all(inspect.files.map((f) => readFile(join(dirname(BIN), f), 'utf8')));
  assert.ok(
    loaded.some((text) => text.includes('"https://scrydon.io/schemas/pack.schema.json"')),
    'the marks are seen',
  );
  for (const m of marks) assert.ok(!loaded.some((text) => text.includes(m)), `inspect loaded the chunk of ${m}`);
  // the same log does see the YAML parser where it is used (so the check above can fail)
  const catalog = join(await tempDir(), 'scrydon.yaml');
  await writeFile(catalog, 'packs: [\n');
  const validate = await withLoadLog(['validate', catalog], { home });
  assert.notDeepEqual(yaml(validate.files), [], `validate of a YAML catalog loads it: ${validate.files.join(' ')}`);
});
