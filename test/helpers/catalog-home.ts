import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { homePaths } from '../../src/config/paths.js';
import { appendRun, type RunRecord } from '../../src/reconcile/history.js';
import { cleanupTemps, FIXTURES, json, ok, tempDir } from './cli.js';
import { startServe, type RunningServe } from './serve.js';

/**
 * The store the catalog page's tests serve, made with the built CLI: acme.fraud 1.2.0 (signed, verified with
 * --key, installed, also tagged `acme.fraud:stable`) and 1.3.0 (unsigned; one file edited, one added, one copied, a
 * binary file added; it also needs acme.ledger ^2.0.0, which nothing stored meets),
 * acme.core 1.0.0 (stored, what both fraud versions depend on), and the run history of a source `prod` that is not
 * registered (its last run refused 1.3.0 for want of a signature).
 */
interface CatalogHome {
  home: string;
  v12: string;
  v13: string;
  core: string;
}

function run(n: number, extra: Partial<RunRecord>): RunRecord {
  const at = new Date(Date.UTC(2025, 5, 1, 12, n)).toISOString();
  return {
    runId: `run-${n}`,
    source: 'prod',
    trigger: 'watch',
    startedAt: at,
    endedAt: at,
    revision: `sha256:${'c'.repeat(64)}`,
    outcome: 'success',
    unsignedAllowed: false,
    packs: [],
    ...extra,
  };
}

async function makeCatalogHome(): Promise<CatalogHome> {
  const home = await tempDir();
  const env = { COSIGN_PASSWORD: 'test-password' };
  const v12 = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home })).digest;
  const dir = join(await tempDir(), 'acme-fraud');
  await cp(join(FIXTURES, 'packs', 'acme-fraud'), dir, { recursive: true });
  const pj = JSON.parse(await readFile(join(dir, 'pack.json'), 'utf8')) as {
    package: { version: string };
    dependencies: Record<string, string>;
  };
  pj.package.version = '1.3.0';
  pj.dependencies['acme.ledger'] = '^2.0.0'; // nothing stored meets it
  await writeFile(join(dir, 'pack.json'), JSON.stringify(pj, null, 2));
  await writeFile(join(dir, 'workflows', 'scripts', 'score.sh'), '#!/bin/sh\necho 0.97\n', { mode: 0o755 });
  await writeFile(join(dir, 'ontology', 'chargebacks.json'), '{"entity": "Chargeback"}\n');
  await cp(join(dir, 'process-flows', 'case-triage.yaml'), join(dir, 'process-flows', 'escalation.yaml'));
  await writeFile(join(dir, 'ontology', 'model.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
  const v13 = (await json<{ digest: string }>(['build', dir], { home })).digest;
  const core = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-core')], { home })).digest;
  await ok(['tag', 'acme.fraud:1.2.0', 'acme.fraud:stable'], { home });
  await ok(['install', 'acme.fraud:1.2.0', '--no-deps'], { home }); // acme.core stays stored, not installed
  const keys = await tempDir();
  await ok(['key', 'generate', '--dir', keys], { home, env });
  await ok(['sign', `acme.fraud@${v12}`, '--key', join(keys, 'cosign.key')], { home, env });
  await ok(['verify', `acme.fraud@${v12}`, '--key', join(keys, 'cosign.pub')], { home });
  // verified again, now as the policy's scope decides: the newer receipt names that rule
  const pub = (await readFile(join(keys, 'cosign.pub'), 'utf8')).trimEnd().split('\n');
  await writeFile(
    join(home, 'policy.yaml'),
    [
      'apiVersion: scrydon.io/v1',
      'kind: SecurityPolicy',
      'profile: secure',
      'scopes:',
      '  - name: acme packs',
      '    match: "**"',
      '    signatures:',
      '      - kind: cosign-key',
      '        publicKey: |',
      ...pub.map((l) => `          ${l}`),
      '',
    ].join('\n'),
  );
  await ok(['verify', `acme.fraud@${v12}`], { home });
  const paths = homePaths(home);
  await appendRun(
    paths,
    run(1, { packs: [{ id: 'acme.fraud', version: '1.2.0', digest: v12, outcome: 'installed' }] }),
  );
  await appendRun(
    paths,
    run(2, {
      outcome: 'failed',
      packs: [
        {
          id: 'acme.fraud',
          version: '1.3.0',
          digest: v13,
          outcome: 'failed',
          code: 'signature_not_found',
          detail: 'no signature for sha256:…',
        },
        { id: 'acme.core', version: '1.0.0', outcome: 'unchanged' },
      ],
    }),
  );
  return { home, v12, v13, core };
}

/** Makes the catalog home and serves it for the enclosing describe (before/after hooks); read both in tests. */
export function servedCatalog(): { readonly c: CatalogHome; readonly serve: RunningServe } {
  let c: CatalogHome | undefined;
  let serve: RunningServe | undefined;
  before(async () => {
    c = await makeCatalogHome();
    serve = await startServe(c.home);
  });
  after(async () => {
    await serve?.stop();
    await cleanupTemps();
  });
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the catalog home is made in before()');
    return v;
  };
  return {
    get c() {
      return ready(c);
    },
    get serve() {
      return ready(serve);
    },
  };
}
