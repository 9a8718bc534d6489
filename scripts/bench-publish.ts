/**
 * The publish benchmark (scripts/bench-publish.sh runs the built copy; issue 19): a site store of
 * BENCH_PUBLISH_PACKS (default 500) small packs, each with a bundle signature (seeded and signed through the
 * library, as bench-scale seeds), and a fresh loopback distribution registry (Debian's docker-registry) per task.
 * Measured with GNU time (wall, CPU, peak RSS), median of BENCH_RUNS (default 1), in one run:
 *   publish            scrydon publish REG/site into an empty registry (packs, their signatures, the catalog)
 *   skopeo → registry  skopeo copy oci:STORE:ID:V docker://REG/skopeo/ID:V for every pack, BENCH_PARALLEL
 *                      (default 4, publish's own concurrency) at once: the manifest, config and layer of each
 *                      pack, NOT its signature (a referrer; skopeo copies none unless configured for sigstore
 *                      attachments); `skopeo sync` has no oci-layout source, so copy is the baseline
 *   republish          the same publish again, nothing new
 *   node reconcile     a node home with the published catalog as its oci source (cosign-key, the upstream key):
 *                      mirror, verify and install every pack
 *   skopeo → layout    skopeo copy docker://REG/site/ID:V oci:DIR/ID:ID:V for every pack, BENCH_PARALLEL at
 *                      once (one layout per pack: skopeo does not lock a shared index.json), no signatures
 * Goals (issue 19): publish <= 0.7x skopeo → registry; republish <= 2 s; node reconcile <= 2x skopeo → layout.
 * BENCH_DIR picks the scratch directory (default a new one under /var/tmp); BENCH_BIN another bundle.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePrivateKey } from '../src/signature/keys.js';
import { appendReceipts, receiptsFor } from '../src/signature/receipts.js';
import { signArtifact } from '../src/signature/sign.js';
import { verifySignatures } from '../src/signature/verify.js';
import { withLeasedStore } from '../src/store/leased-store.js';
import { Store } from '../src/store/store-target.js';
import { BIN, cleanupTemps } from '../test/helpers/cli.js';
import { startRegistry } from '../test/helpers/registry.js';
import { packId, packRef, seedSmallPacks } from '../test/helpers/small-pack.js';
import { median, run, timed, type Sample } from './bench-common.js';

const N = Number(process.env.BENCH_PUBLISH_PACKS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 4);
const PASSWORD = 'bench';

/**
 * Signs every pack in the store at `catalog` with the key in `keyFile` (a bundle referrer each, as `scrydon sign`),
 * then verifies it there and keeps the receipt (as `scrydon verify` does), so the catalog names the key.
 */
async function signAll(catalog: string, keyFile: string): Promise<void> {
  const key = await parsePrivateKey(await readFile(keyFile, 'utf8'), PASSWORD, keyFile);
  const store = await Store.open(catalog);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < N; i = next++) {
      const d = await store.resolve(packRef(i));
      await withLeasedStore(store, (s) =>
        signArtifact(s, d, key, {
          recursive: false,
          dockerReference: packId(i),
          legacyTagRef: () => packRef(i),
        }),
      );
      const verified = await verifySignatures(store, d, {
        requirement: { kind: 'key', key: key.publicKey },
        legacyRefs: [],
      });
      await appendReceipts(catalog, receiptsFor(verified, packRef(i)));
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

/** `skopeo copy SRC DEST` for every pack, PARALLEL at once (`{}` in the templates is the pack's index). */
function skopeoEach(list: string, src: string, dest: string, flags: string): string[] {
  return ['bash', '-c', `xargs -a "$0" -P ${PARALLEL} -I{} skopeo copy -q ${flags} "${src}" "${dest}"`, list];
}

async function main(): Promise<void> {
  const bin = resolve(process.env.BENCH_BIN ?? BIN);
  const dir = process.env.BENCH_DIR ?? (await mkdtemp('/var/tmp/scrydon-bench-publish-'));
  const site = join(dir, 'site');
  const keys = join(dir, 'keys');
  const timeFile = join(dir, 'time.txt');
  const list = join(dir, 'packs.txt');
  const scrydon = (...args: string[]): string[] => [process.execPath, bin, ...args];
  const env = { SCRYDON_HOME: site, SCRYDON_CREDENTIAL_STORE: 'file', COSIGN_PASSWORD: PASSWORD, NO_COLOR: '1' };
  const samples: Record<string, Sample[]> = {
    publish: [],
    'skopeo → registry': [],
    republish: [],
    'node reconcile': [],
    'skopeo → layout': [],
  };
  const add = (k: string, s: Sample): void => void samples[k]?.push(s);
  try {
    process.stderr.write(`bench: a site store of ${N} signed small packs in ${dir}\n`);
    await seedSmallPacks(join(site, 'catalog'), join(dir, 'work'), 0, N);
    run(scrydon('key', 'generate', '--dir', keys), env);
    await signAll(join(site, 'catalog'), join(keys, 'cosign.key'));
    // the upstream's key, registered on the site as a source's key: the catalog names it for each verified pack
    const upstream = ['--signature-policy', 'cosign-key', '--public-key', join(keys, 'cosign.pub')];
    run(scrydon('source', 'add', 'upstream', '--type', 'oci', '--url', '127.0.0.1:9/up/catalog', ...upstream), env);
    await writeFile(list, Array.from({ length: N }, (_, i) => packId(i)).join('\n') + '\n');
    for (let r = 0; r < RUNS; r++) {
      const reg = await startRegistry({ kind: 'none' }, { logFile: join(dir, 'registry.log') });
      const peer = await startRegistry({ kind: 'none' }, { logFile: join(dir, 'peer.log') });
      try {
        process.stderr.write(`bench: run ${r + 1}/${RUNS}: publish, skopeo → registry, republish\n`);
        const publish = scrydon('publish', `${reg.host}/site`, '--plain-http', '-q');
        add('publish', await timed(publish, env, timeFile));
        const store = join(site, 'catalog');
        const flags = '--dest-tls-verify=false';
        add(
          'skopeo → registry',
          await timed(
            skopeoEach(list, `oci:${store}:{}:1.0.0`, `docker://${peer.host}/skopeo/{}:1.0.0`, flags),
            {},
            timeFile,
          ),
        );
        add('republish', await timed(publish, env, timeFile));
        process.stderr.write(`bench: run ${r + 1}/${RUNS}: node reconcile, skopeo → layout\n`);
        const node = { SCRYDON_HOME: join(dir, `node-${r}`), SCRYDON_CREDENTIAL_STORE: 'file', NO_COLOR: '1' };
        run(
          scrydon(
            'source',
            'add',
            'site',
            '--type',
            'oci',
            '--url',
            `${reg.host}/site/catalog`,
            '--plain-http',
            '--signature-policy',
            'cosign-key',
            '--public-key',
            join(keys, 'cosign.pub'),
            '-q',
          ),
          node,
        );
        add('node reconcile', await timed(scrydon('reconcile', '-q'), node, timeFile));
        const layouts = join(dir, `layouts-${r}`);
        await mkdir(layouts, { recursive: true });
        add(
          'skopeo → layout',
          await timed(
            skopeoEach(
              list,
              `docker://${reg.host}/site/{}:1.0.0`,
              `oci:${layouts}/{}:{}:1.0.0`,
              '--src-tls-verify=false',
            ),
            {},
            timeFile,
          ),
        );
        await rm(node.SCRYDON_HOME, { recursive: true, force: true });
        await rm(layouts, { recursive: true, force: true });
      } finally {
        await reg.stop();
        await peer.stop();
      }
    }
    const wall = (k: string): number => median((samples[k] ?? []).map((s) => s.seconds));
    const row = (name: string, s: Sample[]): string =>
      `${name.padEnd(18)} ${median(s.map((x) => x.seconds))
        .toFixed(2)
        .padStart(8)} s ${median(s.map((x) => x.cpu))
        .toFixed(2)
        .padStart(8)} s ${median(s.map((x) => x.rssMiB))
        .toFixed(0)
        .padStart(6)} MiB`;
    const goal = (name: string, value: number, limit: number, text: string): string =>
      `${name.padEnd(42)} ${text.padStart(9)} ${`<= ${limit}${text.endsWith('s') ? ' s' : 'x'}`.padStart(8)}  ${value <= limit ? 'pass' : 'MISS'}`;
    const publishRatio = wall('publish') / wall('skopeo → registry');
    const reconcileRatio = wall('node reconcile') / wall('skopeo → layout');
    console.log(
      `publish of ${N} signed packs into a loopback distribution registry (median of ${RUNS}; skopeo ${PARALLEL} at once; load average ${loadavg()[0]?.toFixed(2)})`,
    );
    console.log(`${'task'.padEnd(18)} ${'wall'.padStart(10)} ${'cpu'.padStart(10)} ${'peak RSS'.padStart(10)}`);
    for (const [k, v] of Object.entries(samples)) console.log(row(k, v));
    console.log(`${'goal'.padEnd(42)} ${'value'.padStart(9)} ${'limit'.padStart(8)}`);
    console.log(goal('publish / skopeo → registry', publishRatio, 0.7, `${publishRatio.toFixed(2)}x`));
    console.log(goal('no-change republish', wall('republish'), 2, `${wall('republish').toFixed(2)} s`));
    console.log(goal('node reconcile / skopeo → layout', reconcileRatio, 2, `${reconcileRatio.toFixed(2)}x`));
    console.log(
      'skopeo copies each pack (manifest, config, layer) without its signature; publish also carries each bundle signature and writes the catalog',
    );
  } finally {
    await cleanupTemps();
    if (!process.env.BENCH_DIR && !process.env.BENCH_KEEP) await rm(dir, { recursive: true, force: true });
  }
}

await main();
