import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BIN,
  cleanupTemps,
  expectError,
  FIXTURES,
  json,
  ok,
  scrydon,
  tempDir,
  treeHash,
  type RunOptions,
} from '../helpers/cli.js';
import { makeGitRepo, type GitRepoFixture } from '../helpers/git-server.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

/**
 * The names people type (issue 20, section 1): ID:VERSION, ID@VERSION and a bare ID find a pack whatever store
 * name a reconcile gave it, in every command; two digests claiming one id and version are ambiguous_reference;
 * not_found names the nearest stored names; ls shows one row per artifact with its tags, --format, --filter, -q.
 */

interface LsEntry {
  ref: string;
  digest: string;
  id: string | null;
  version: string | null;
  tags: string[];
}

let repo: GitRepoFixture;
let registry: RunningRegistry;

before(async () => {
  repo = await makeGitRepo('acme');
  await repo.copy(join(FIXTURES, 'packs', 'acme-core'), 'packs/acme-core');
  await repo.copy(join(FIXTURES, 'packs', 'acme-fraud'), 'packs/acme-fraud');
  const entry = (id: string, version: string, path: string): string =>
    `  - id: ${id}\n    version: ${version}\n    artifact: {kind: git-tar, ref: main, path: ${path}}\n    signature: {kind: none}\n`;
  await repo.write(
    'scrydon.yaml',
    'apiVersion: scrydon.io/v1\nkind: PackCatalog\npacks:\n' +
      entry('acme.core', '1.0.0', 'packs/acme-core') +
      entry('acme.fraud', '1.2.0', 'packs/acme-fraud'),
  );
  repo.commit('two packs');
  registry = await startRegistry();
});

after(async () => {
  await registry?.stop();
  await cleanupTemps();
});

/** A home whose store holds the two packs only under the names a git source's reconcile gives them. */
async function mirrored(): Promise<RunOptions & { home: string }> {
  const o = {
    home: await tempDir(),
    env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir(), COSIGN_PASSWORD: 'pw' },
  };
  await ok(['source', 'add', 'acme', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'], o);
  await ok(['reconcile', '--mirror-only'], o);
  return o;
}

/** Another acme.fraud 1.2.0 (different bytes), stored only as `other/acme.fraud:1.2.0`. */
async function addImpostor(o: RunOptions): Promise<string> {
  const dir = join(await tempDir(), 'fraud');
  await mkdir(join(dir, 'ontology'), { recursive: true });
  await writeFile(
    join(dir, 'pack.json'),
    JSON.stringify({
      schemaVersion: 1,
      package: { id: 'acme.fraud', version: '1.2.0' },
      contents: [{ kind: 'ontology', path: 'ontology' }],
      installOrder: ['ontology'],
    }),
  );
  await writeFile(join(dir, 'ontology', 'x.json'), '{"impostor":true}\n');
  await ok(['build', dir, '-t', 'other/acme.fraud:1.2.0'], o);
  return (await json<{ digest: string }>(['inspect', 'other/acme.fraud:1.2.0'], o)).digest;
}

function sh(
  command: string,
  o: RunOptions & { home: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', command],
      { env: { ...process.env, ...o.env, SCRYDON_HOME: o.home, NO_COLOR: '1', S: `${process.execPath} ${BIN}` } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('ID:VERSION names a stored pack whatever it is called', () => {
  test('inspect, tag, save, sign/verify, install and push take ID:VERSION, ID@VERSION and a bare ID', async () => {
    const o = await mirrored();
    const ls = await json<LsEntry[]>(['ls'], o);
    const fraud = ls.find((e) => e.id === 'acme.fraud') as LsEntry;
    assert.match(fraud.ref, /^scrydon\.sources\/git-[0-9a-f]{16}\/acme\.fraud:1\.2\.0$/, 'only an internal name');
    for (const name of ['acme.fraud:1.2.0', 'acme.fraud@1.2.0', 'acme.fraud']) {
      const r = await json<{ reference: string; digest: string }>(['inspect', name], o);
      assert.equal(r.digest, fraud.digest, name);
      assert.equal(r.reference, fraud.ref, `${name} resolves to its store name`);
    }
    await ok(['tag', 'acme.fraud@1.2.0', 'mine/fraud:stable'], o);
    assert.equal((await json<{ digest: string }>(['inspect', 'mine/fraud:stable'], o)).digest, fraud.digest);

    const archive = join(await tempDir(), 'a.tar');
    const saved = await json<{ refs: Array<{ ref: string; digest: string }> }>(
      ['save', 'acme.fraud:1.2.0', '-o', archive],
      o,
    );
    assert.ok(saved.refs.some((r) => r.digest === fraud.digest));
    // the archive names it as typed, beside its store name: skopeo finds it by that name; a load keeps both
    const viaSkopeo = spawnSync('skopeo', ['inspect', '--raw', `oci-archive:${archive}:acme.fraud:1.2.0`], {
      encoding: 'utf8',
    });
    assert.equal(viaSkopeo.status, 0, viaSkopeo.stderr);
    assert.equal(`sha256:${createHash('sha256').update(viaSkopeo.stdout).digest('hex')}`, fraud.digest);
    const far = { home: await tempDir() };
    await ok(['load', archive], far);
    const loaded = await json<LsEntry[]>(['ls'], far);
    const tags = loaded.find((e) => e.digest === fraud.digest)?.tags ?? [];
    assert.ok(tags.includes('acme.fraud:1.2.0'), `the name typed: ${tags.join(', ')}`);
    assert.equal(tags.length, 2, `and the store name it resolved to: ${tags.join(', ')}`);

    const keys = await tempDir();
    await ok(['key', 'generate', '--dir', keys], o);
    await ok(['sign', 'acme.fraud:1.2.0', '--key', join(keys, 'cosign.key')], o);
    const v = await json<{ digest: string }>(['verify', 'acme.fraud@1.2.0', '--key', join(keys, 'cosign.pub')], o);
    assert.equal(v.digest, fraud.digest);

    const root = await tempDir();
    await ok(['install', 'acme.core:1.0.0', '--root', root], o);
    const inst = await json<{ record: { digest: string } }>(['install', 'acme.fraud:1.2.0', '--root', root], o);
    assert.equal(inst.record.digest, fraud.digest);

    const pushed = await json<{ digest: string }>(
      ['push', 'acme.fraud:1.2.0', `${registry.host}/names/fraud:1.2.0`, '--plain-http'],
      o,
    );
    assert.equal(pushed.digest, fraud.digest);
    // ID:VERSION says nothing of where to push: a target is needed (never the internal name's registry)
    expectError(await scrydon(['push', 'acme.fraud:1.2.0', '--plain-http'], o), 'usage', 2);
  });

  test('two digests claiming one id and version: ambiguous_reference lists both, nothing changes; an exact tag wins', async () => {
    const o = await mirrored();
    const impostor = await addImpostor(o);
    const real = (await json<LsEntry[]>(['ls', '--filter', 'source=acme'], o)).find(
      (e) => e.id === 'acme.fraud',
    ) as LsEntry;
    const before = await treeHash(o.home);
    const root = join(await tempDir(), 'root');
    for (const args of [
      ['inspect', 'acme.fraud:1.2.0'],
      ['install', 'acme.fraud@1.2.0', '--root', root],
      ['save', 'acme.fraud', '-o', join(root, 'x.tar')],
      ['tag', 'acme.fraud:1.2.0', 'x:1'],
    ]) {
      const r = expectError(await scrydon(args, o), 'ambiguous_reference');
      assert.ok(r.stderr.includes(impostor) && r.stderr.includes(real.digest), `${args[0]} lists both digests`);
      assert.ok(r.stderr.includes('other/acme.fraud:1.2.0') && r.stderr.includes(real.ref), 'with their names');
      assert.match(r.stderr, /hint: .*NAME@sha256:/);
    }
    assert.equal(await treeHash(o.home), before, 'nothing changed');
    // -q gives each a name that works
    const q = (await ok(['ls', '-q', '--filter', 'id=acme.fraud'], o)).stdout.trim().split('\n');
    assert.deepEqual(
      q.sort(),
      [`other/acme.fraud@${impostor}`, real.ref.replace(/:1\.2\.0$/, `@${real.digest}`)].sort(),
    );
    // the store's exact tag comes first
    await ok(['tag', 'other/acme.fraud:1.2.0', 'acme.fraud:1.2.0'], o);
    assert.equal((await json<{ digest: string }>(['inspect', 'acme.fraud:1.2.0'], o)).digest, impostor);
  });

  test('not_found names the nearest stored names with their tags, and changes nothing', async () => {
    const o = await mirrored();
    const before = await treeHash(o.home);
    const typo = expectError(await scrydon(['inspect', 'acme.fruad:1.2.0'], o), 'not_found');
    assert.match(
      typo.stderr,
      /nearest: acme\.fraud:1\.2\.0 \(tags: scrydon\.sources\/git-[0-9a-f]{16}\/acme\.fraud:1\.2\.0\)/,
    );
    const other = expectError(await scrydon(['save', 'acme.core@2.0.0', '-o', join(o.home, 'x.tar')], o), 'not_found');
    assert.match(other.stderr, /acme\.core@2\.0\.0 is not in the store; nearest: acme\.core:1\.0\.0 \(tags: /);
    assert.equal(await treeHash(o.home), before);
  });
});

describe('ls', () => {
  test('one row per digest with its tags; --format fields, table and json; unknown fields exit 2', async () => {
    const o = await mirrored();
    await ok(['tag', 'acme.fraud:1.2.0', 'acme.fraud:stable'], o);
    const table = (await ok(['ls'], o)).stdout.split('\n');
    const rows = table.filter((l) => l.startsWith('acme.fraud '));
    assert.equal(rows.length, 1, table.join('\n'));
    assert.match(rows[0] as string, /acme\.fraud:stable,scrydon\.sources\/.*acme\.fraud:1\.2\.0$/);
    const entries = await json<LsEntry[]>(['ls'], o);
    const stable = entries.find((e) => e.ref === 'acme.fraud:stable') as LsEntry;
    assert.equal(stable.tags.length, 2, '--json keeps one entry per tag and adds the tags of its digest');

    const fields = ['ID', 'Version', 'Digest', 'Tags', 'Ref', 'Size', 'Created', 'Source', 'Signed'];
    const format = fields.map((f) => `{{.${f}}}`).join('\\t');
    const line = (await ok(['ls', '--filter', 'id=acme.fraud', '--format', format], o)).stdout;
    const got = Object.fromEntries(
      line
        .replace(/\n$/, '')
        .split('\t')
        .map((v, i) => [fields[i], v]),
    );
    assert.deepEqual(
      { ...got, Size: undefined, Created: undefined },
      {
        ID: 'acme.fraud',
        Version: '1.2.0',
        Digest: stable.digest,
        Tags: stable.tags.join(','),
        Ref: 'acme.fraud:1.2.0',
        Size: undefined,
        Created: undefined,
        Source: 'acme',
        Signed: 'false',
      },
    );
    assert.match(got.Size as string, /^[\d.]+ (B|KiB)$/);
    const t = (await ok(['ls', '--format', 'table {{.Ref}}\\t{{.ArtifactType}}'], o)).stdout.split('\n');
    assert.match(t[0] as string, /^REF\s+ARTIFACT TYPE$/);
    const j = (await ok(['ls', '--format', 'json', '--filter', 'version=1.*'], o)).stdout.trim().split('\n');
    assert.deepEqual(j.map((l) => (JSON.parse(l) as { ref: string }).ref).sort(), [
      'acme.core:1.0.0',
      'acme.fraud:1.2.0',
    ]);
    const bad = expectError(await scrydon(['ls', '--format', '{{.Nope}}'], o), 'usage', 2);
    assert.match(bad.stderr, /unknown field \.Nope/);
    expectError(await scrydon(['ls', '--filter', 'colour=red'], o), 'usage', 2);
  });

  test('--filter id= (glob), source=, signed=; -q piped to xargs inspects each', async () => {
    const o = await mirrored();
    await ok(['build', join(FIXTURES, 'packs', 'acme-payments-integration')], o);
    const ids = async (...f: string[]): Promise<string[]> =>
      (await ok(['ls', ...f.flatMap((x) => ['--filter', x]), '--format', '{{.ID}}'], o)).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .sort();
    assert.deepEqual(await ids('id=acme.*,source=acme'), ['acme.core', 'acme.fraud']);
    assert.deepEqual(await ids('source=local', 'id=acme.*'), await ids('id=acme.pay*'));
    const keys = await tempDir();
    await ok(['key', 'generate', '--dir', keys], o);
    await ok(['sign', 'acme.core:1.0.0', '--key', join(keys, 'cosign.key')], o);
    assert.deepEqual(await ids('signed=true'), ['acme.core']);
    assert.ok(!(await ids('signed=false')).includes('acme.core'));

    const refs = (await ok(['ls', '-q', '--filter', 'id=acme.*'], o)).stdout.trim().split('\n');
    assert.deepEqual([...refs].sort(), ['acme.core:1.0.0', 'acme.fraud:1.2.0', 'acme.payments:0.3.0']);
    const r = await sh('$S ls -q --filter id=acme.* | xargs -n1 $S inspect | grep "^Reference:"', o);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 3, r.stdout);
  });
});
