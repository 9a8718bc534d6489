/**
 * The reconcile benchmark (scripts/bench-reconcile.sh runs the built copy): a git source whose scrydon.yaml
 * lists BENCH_ENTRIES (default 1,000) git-tar packs, each a small pack directory, served from a file://
 * repository. Measured with GNU time (wall, CPU, peak RSS):
 *   first:      scrydon reconcile into an empty home (fetch, check out, pack 1,000 directories, install 1,000)
 *   unchanged:  the same again (one ls-remote, then stop)
 *   forced:     --force (catalog fetched and parsed, 1,000 entries planned, nothing to install)
 *   baseline:   git clone --depth 1 of the same repository plus `tar czf` of every pack directory in one shell
 *               loop — the least any tool must do to get the same bytes off the repository
 * Prints medians of BENCH_RUNS (default 3) and the ratio first/baseline; memory should stay flat in N.
 * BENCH_BIN measures another bundle (an older build's dist/bin/scrydon.js, for before/after figures).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BIN } from '../test/helpers/cli.js';
import { median, run, timed, type Sample } from './bench-common.js';

const N = Number(process.env.BENCH_ENTRIES ?? 1000);
const BUNDLE = resolve(process.env.BENCH_BIN ?? BIN);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'b@b',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

async function makeRepo(dir: string): Promise<string> {
  const work = join(dir, 'work');
  const bare = join(dir, 'packs.git');
  await mkdir(work, { recursive: true });
  run(['git', 'init', '-q', '-b', 'main', work], GIT_ENV);
  const lines = ['apiVersion: scrydon.io/v1', 'kind: PackCatalog', 'packs:'];
  for (let i = 0; i < N; i++) {
    const id = `bench.p${String(i).padStart(4, '0')}`;
    const d = join(work, 'packs', id);
    await mkdir(join(d, 'ontology'), { recursive: true });
    await writeFile(
      join(d, 'pack.json'),
      JSON.stringify({
        schemaVersion: 1,
        package: { id, version: '1.0.0' },
        contents: [{ kind: 'ontology', path: 'ontology' }],
        installOrder: ['ontology'],
      }),
    );
    await writeFile(
      join(d, 'ontology', 'entities.json'),
      JSON.stringify({ entities: Array.from({ length: 20 }, (_, k) => ({ name: `E${i}_${k}`, key: 'id' })) }),
    );
    lines.push(
      `  - id: ${id}`,
      '    version: 1.0.0',
      `    artifact: {kind: git-tar, ref: main, path: packs/${id}}`,
      '    signature: {kind: none}',
    );
  }
  await writeFile(join(work, 'scrydon.yaml'), lines.join('\n') + '\n');
  run(['git', 'add', '-A'], GIT_ENV, work);
  run(['git', 'commit', '-q', '-m', 'bench'], GIT_ENV, work);
  run(['git', 'clone', '-q', '--bare', work, bare], GIT_ENV);
  return `file://${bare}`;
}

async function main(): Promise<void> {
  const dir = process.env.BENCH_DIR ?? (await mkdtemp('/var/tmp/scrydon-bench-reconcile-'));
  const timeFile = join(dir, 'time.txt');
  try {
    process.stderr.write(`bench: a git source with ${N} git-tar entries in ${dir}\n`);
    const url = await makeRepo(dir);
    const samples: Record<string, Sample[]> = { first: [], unchanged: [], forced: [], baseline: [] };
    for (let r = 0; r < RUNS; r++) {
      const home = join(dir, `home-${r}`);
      const env = { SCRYDON_HOME: home, SCRYDON_CREDENTIAL_STORE: 'file' };
      run(
        [
          process.execPath,
          BUNDLE,
          'source',
          'add',
          'bench',
          '--type',
          'git',
          '--url',
          url,
          '--signature-policy',
          'unsigned-allowed',
          '-q',
        ],
        env,
      );
      samples.first?.push(await timed([process.execPath, BUNDLE, 'reconcile', '-q'], env, timeFile));
      samples.unchanged?.push(await timed([process.execPath, BUNDLE, 'reconcile', '-q'], env, timeFile));
      samples.forced?.push(await timed([process.execPath, BUNDLE, 'reconcile', '--force', '-q'], env, timeFile));
      const clone = join(dir, `clone-${r}`);
      const out = join(dir, `tars-${r}`);
      await mkdir(out, { recursive: true });
      samples.baseline?.push(
        await timed(
          [
            'bash',
            '-c',
            `git clone -q --depth 1 "$0" "$1" && cd "$1/packs" && for d in *; do tar -czf "$2/$d.tar.gz" -C "$d" .; done`,
            url,
            clone,
            out,
          ],
          GIT_ENV,
          timeFile,
        ),
      );
      // each run's home, clone and tars stay until the bench ends: ext4 passes over inodes freed minutes before when
      // it allocates new ones (ialloc.c recently_deleted), so the next run would measure that scan (bench-scale.ts)
    }
    const row = (name: string, s: Sample[]) =>
      `${name.padEnd(11)} ${median(s.map((x) => x.seconds))
        .toFixed(2)
        .padStart(8)} s ${median(s.map((x) => x.cpu))
        .toFixed(2)
        .padStart(8)} s ${median(s.map((x) => x.rssMiB))
        .toFixed(0)
        .padStart(6)} MiB`;
    console.log(`reconcile of a ${N}-entry git catalog (median of ${RUNS})`);
    console.log(`${'task'.padEnd(11)} ${'wall'.padStart(10)} ${'cpu'.padStart(10)} ${'peak RSS'.padStart(10)}`);
    for (const [k, v] of Object.entries(samples)) console.log(row(k, v));
    const ratio =
      median((samples.first ?? []).map((x) => x.seconds)) / median((samples.baseline ?? []).map((x) => x.seconds));
    console.log(`first reconcile / (git clone + tar czf of every pack): ${ratio.toFixed(2)}x`);
  } finally {
    if (!process.env.BENCH_DIR) await rm(dir, { recursive: true, force: true });
  }
}

await main();
