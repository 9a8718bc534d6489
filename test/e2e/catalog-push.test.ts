import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir, type RunOptions } from '../helpers/cli.js';
import { addOciSourceArgs, ociCatalog } from '../helpers/oci-catalog.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

/**
 * `scrydon catalog push` publishes a scrydon.yaml as the artifact an `oci` source reads: validated first (a bad file
 * pushes nothing), the same shape `oras push REPO:catalog --artifact-type application/vnd.scrydon.catalog.v1+yaml`
 * makes (read back with skopeo, byte for byte), reproducible (an unchanged file gives the same digest), optionally
 * signed; a node adds the repository as an oci source and reconciles from it.
 */

const PW = { COSIGN_PASSWORD: 'pw' };
const CATALOG_TYPE = 'application/vnd.scrydon.catalog.v1+yaml';
let registry: RunningRegistry;
let keys: string;
let publisher: RunOptions & { home: string };
let catalogFile: string;

async function env(): Promise<RunOptions & { home: string }> {
  return { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir(), ...PW } };
}

function skopeo(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sha256(s: string | Buffer): string {
  return `sha256:${createHash('sha256').update(s).digest('hex')}`;
}

interface Pushed {
  reference: string;
  digest: string;
  packs: number;
  signatures: Array<{ digest: string; signature: string; format: string }>;
}

before(async () => {
  registry = await startRegistry();
  keys = await tempDir();
  publisher = await env();
  await ok(['key', 'generate', '--dir', keys], publisher);
  const entries: Array<[string, string, string, string, string]> = [];
  const pub = await readFile(join(keys, 'cosign.pub'), 'utf8');
  for (const [dir, id, version, repo] of [
    ['acme-core', 'acme.core', '1.0.0', 'site/acme/core'],
    ['acme-fraud', 'acme.fraud', '1.2.0', 'site/acme/fraud'],
  ] as const) {
    await ok(['build', join(FIXTURES, 'packs', dir)], publisher);
    await ok(['sign', `${id}:${version}`, '--key', join(keys, 'cosign.key')], publisher);
    await ok(['push', `${id}:${version}`, `${registry.host}/${repo}:${version}`, '--plain-http'], publisher);
    entries.push([id, version, `${registry.host}/${repo}:${version}`, 'cosign-key', pub]);
  }
  catalogFile = join(await tempDir(), 'scrydon.yaml');
  await writeFile(catalogFile, ociCatalog(entries));
});

after(async () => {
  await registry?.stop();
  await cleanupTemps();
});

describe('catalog push', () => {
  test('publishes the oras-shaped artifact; skopeo reads it; the same file gives the same digest', async () => {
    const ref = `${registry.host}/site/catalog`;
    const a = await json<Pushed>(['catalog', 'push', catalogFile, ref, '--plain-http', '--json'], publisher);
    assert.equal(a.reference, `${ref}:catalog`);
    assert.equal(a.packs, 2);
    const raw = skopeo('inspect', '--raw', '--tls-verify=false', `docker://${ref}:catalog`);
    assert.equal(raw.status, 0, raw.stderr);
    assert.equal(sha256(raw.stdout), a.digest, 'the registry holds exactly the manifest scrydon reported');
    const m = JSON.parse(raw.stdout) as {
      artifactType: string;
      config: { mediaType: string; digest: string };
      layers: Array<{ mediaType: string; digest: string; annotations: Record<string, string> }>;
    };
    assert.equal(m.artifactType, CATALOG_TYPE);
    assert.equal(m.config.mediaType, 'application/vnd.oci.empty.v1+json');
    assert.equal(m.config.digest, sha256('{}'));
    assert.equal(m.layers.length, 1);
    assert.equal(m.layers[0]?.mediaType, CATALOG_TYPE);
    assert.equal(m.layers[0]?.annotations['org.opencontainers.image.title'], 'scrydon.yaml');
    assert.equal(m.layers[0]?.digest, sha256(await readFile(catalogFile)), 'the layer is the file, byte for byte');
    const again = await json<Pushed>(['catalog', 'push', catalogFile, ref, '--plain-http', '--json'], publisher);
    assert.equal(again.digest, a.digest, 'no timestamp: an unchanged catalog keeps its digest');
  });

  test('a node adds the published catalog as an oci source and reconciles every pack, verified', async () => {
    const ref = `${registry.host}/site/node-catalog:v1`;
    await ok(['catalog', 'push', catalogFile, ref, '--plain-http'], publisher);
    const node = await env();
    await ok(
      addOciSourceArgs('site', `${registry.host}/site/node-catalog`, join(keys, 'cosign.pub'), '--ref', 'v1'),
      node,
    );
    const runs = await json<Array<{ packs: Array<{ id: string; outcome: string }> }>>(['reconcile', '--json'], node);
    const outcomes = runs.flatMap((r) => r.packs.map((p) => `${p.id}=${p.outcome}`)).sort();
    assert.deepEqual(outcomes, ['acme.core=installed', 'acme.fraud=installed']);
  });

  test('--key signs the catalog artifact; verify --remote accepts it with the public key', async () => {
    const ref = `${registry.host}/site/signed-catalog:catalog`;
    const a = await json<Pushed>(
      ['catalog', 'push', catalogFile, ref, '--plain-http', '--key', join(keys, 'cosign.key'), '--json'],
      publisher,
    );
    assert.equal(a.signatures.length, 1);
    assert.equal(a.signatures[0]?.digest, a.digest);
    await ok(['verify', `${ref}`, '--remote', '--plain-http', '--key', join(keys, 'cosign.pub')], publisher);
  });

  test('an invalid catalog is refused with its problems and nothing is pushed', async () => {
    const bad = join(await tempDir(), 'scrydon.yaml');
    await writeFile(
      bad,
      'apiVersion: scrydon.io/v1\nkind: PackCatalog\npacks:\n  - id: acme.core\n    versoin: 1.0.0\n',
    );
    const ref = `${registry.host}/site/bad-catalog`;
    const r = expectError(await scrydon(['catalog', 'push', bad, ref, '--plain-http'], publisher), 'catalog_invalid');
    assert.match(
      r.stderr,
      /unknown key 'versoin' \(did you mean 'version'\?\) \(line 5\)/,
      'each problem with its line',
    );
    const tags = skopeo('list-tags', '--tls-verify=false', `docker://${ref}`);
    assert.notEqual(tags.status, 0, 'the repository was never created');
    assert.match(tags.stderr, /NAME_UNKNOWN|not found|unknown/i);
  });

  test('a digest reference is a usage error', async () => {
    const r = await scrydon(
      ['catalog', 'push', catalogFile, `${registry.host}/site/x@${sha256('x')}`, '--plain-http'],
      publisher,
    );
    expectError(r, 'usage', 2);
  });
});
