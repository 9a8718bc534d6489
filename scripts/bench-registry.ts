/**
 * The registry benchmark (scripts/bench-registry.sh runs the built copy). For each size, one random-content
 * pack is stored, then in one run, alternating, after a warm-up and BENCH_RUNS times:
 *   pull:  scrydon pull REG/bench/pack:1 (fresh home)   vs  skopeo copy docker://… oci:DIR:x
 *   push:  scrydon push REF REG/bench/pack:1            vs  skopeo copy oci:CATALOG:REF docker://…
 *          each push into a freshly started registry that lacks the blob (skopeo remembers blob locations)
 *   baselines: curl GET of the blob to /dev/null, curl PUT of the blob (monolithic upload), node sha256.
 * Prints medians, the ratios (pull ≤ 0.5 × skopeo; push ≤ skopeo and ≤ 1.1 × curl PUT) and peak RSS (< 150 MiB).
 * Each ratio is the median of the per-round ratios (a round runs every task once, back to back, so both sides of
 * a ratio see the same phase of a machine whose speed drifts by ±30 %); the ratio of the medians is printed too,
 * and the spread of the per-round ratios. Every other round runs the tasks in reverse order, so neither side of a
 * pair always runs first or always follows the same task (the pairs sit next to each other in both orders).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, cleanupTemps } from '../test/helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../test/helpers/registry.js';
import { seedPack } from '../test/helpers/seed-store.js';
import { median, run, timed, type Sample } from './bench-common.js';

const SIZES = (process.env.BENCH_SIZES_MIB ?? '256 1024')
  .split(/[\s,]+/)
  .filter(Boolean)
  .map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 6);
const REF = 'bench.pack:1.0.0';

interface Task {
  name: string;
  /** Prepares the run (untimed) and returns the command to time. */
  prepare: () => Promise<{ cmd: string[]; env?: NodeJS.ProcessEnv }>;
  cleanup?: () => Promise<void>;
}

async function measure(t: Task, timeFile: string): Promise<Sample> {
  const { cmd, env } = await t.prepare();
  const sample = await timed(cmd, env ?? {}, timeFile);
  await t.cleanup?.();
  run(['sync']);
  return sample;
}

/** An upload session's URL (POST), for curl to PUT the blob into. */
async function uploadUrl(reg: RunningRegistry, digest: string): Promise<string> {
  const res = await fetch(`http://${reg.host}/v2/bench/curl/blobs/uploads/`, { method: 'POST' });
  await res.arrayBuffer();
  const loc = new URL(res.headers.get('location') ?? '', `http://${reg.host}`);
  loc.searchParams.set('digest', digest);
  return loc.toString();
}

async function benchSize(dir: string, sizeMiB: number): Promise<string[]> {
  const home = join(dir, `home-${sizeMiB}`);
  const catalog = join(home, 'catalog');
  const timeFile = join(dir, 'time.txt');
  process.stderr.write(`bench-registry: storing a ${sizeMiB} MiB random pack\n`);
  const seeded = await seedPack(catalog, REF, join(dir, 'work'), { layers: [sizeMiB * 1024 * 1024] });
  await rm(join(dir, 'work'), { recursive: true, force: true });
  const layerDigest = seeded.layers[0]?.digest ?? '';
  const layer = join(catalog, 'blobs', 'sha256', layerDigest.slice(7));

  // the registry pulls read from: holds the pack
  const source = await startRegistry();
  const scratch: RunningRegistry[] = [];
  const fresh = async (): Promise<RunningRegistry> => {
    const r = await startRegistry();
    scratch.push(r);
    return r;
  };
  const dropScratch = async (): Promise<void> => {
    for (const r of scratch.splice(0)) {
      await r.stop();
      await rm(r.storage, { recursive: true, force: true });
    }
  };
  try {
    run([process.execPath, BIN, 'push', REF, `${source.host}/bench/pack:1`, '--plain-http', '-q'], {
      SCRYDON_HOME: home,
    });
    const out = join(dir, 'out');
    const sha = `const h=require('crypto').createHash('sha256');const s=require('fs').createReadStream(process.argv[1],{highWaterMark:1<<20});s.on('data',c=>h.update(c));s.on('end',()=>console.log(h.digest('hex')))`;
    // each scrydon task sits between the tasks it is compared with, in both orders (see the rounds below)
    const tasks: Task[] = [
      {
        name: 'pull skopeo',
        prepare: async () => ({
          cmd: [
            'skopeo',
            'copy',
            '-q',
            '--src-tls-verify=false',
            `docker://${source.host}/bench/pack:1`,
            `oci:${out}-oci:x`,
          ],
        }),
        cleanup: () => rm(`${out}-oci`, { recursive: true, force: true }),
      },
      {
        name: 'pull scrydon',
        prepare: async () => ({
          cmd: [process.execPath, BIN, 'pull', `${source.host}/bench/pack:1`, '--plain-http', '-q'],
          env: { SCRYDON_HOME: `${out}-home` },
        }),
        cleanup: () => rm(`${out}-home`, { recursive: true, force: true }),
      },
      {
        name: 'curl GET',
        prepare: async () => ({
          cmd: ['curl', '-sf', '-o', '/dev/null', `http://${source.host}/v2/bench/pack/blobs/${layerDigest}`],
        }),
      },
      { name: 'sha256 node', prepare: async () => ({ cmd: [process.execPath, '-e', sha, layer] }) },
      {
        name: 'push skopeo',
        prepare: async () => ({
          cmd: [
            'skopeo',
            'copy',
            '-q',
            '--dest-tls-verify=false',
            `oci:${catalog}:${REF}`,
            `docker://${(await fresh()).host}/bench/pack:1`,
          ],
        }),
        cleanup: dropScratch,
      },
      {
        name: 'push scrydon',
        prepare: async () => ({
          cmd: [process.execPath, BIN, 'push', REF, `${(await fresh()).host}/bench/pack:1`, '--plain-http', '-q'],
          env: { SCRYDON_HOME: home },
        }),
        cleanup: dropScratch,
      },
      {
        name: 'curl PUT',
        prepare: async () => ({
          cmd: [
            'curl',
            '-sf',
            '-o',
            '/dev/null',
            '-H',
            'content-type: application/octet-stream',
            '-T',
            layer,
            await uploadUrl(await fresh(), layerDigest),
          ],
        }),
        cleanup: dropScratch,
      },
    ];
    const samples = new Map<string, Sample[]>(tasks.map((t) => [t.name, []]));
    for (let round = 0; round <= RUNS; round++) {
      for (const t of round % 2 ? tasks : [...tasks].reverse()) {
        run(['dd', `if=${layer}`, 'of=/dev/null', 'bs=1M', 'status=none']); // every run starts hot-cache
        const s = await measure(t, timeFile);
        if (round > 0) samples.get(t.name)?.push(s);
        process.stderr.write(
          `  ${sizeMiB} MiB ${round === 0 ? 'warm-up' : `run ${round}`}  ${t.name.padEnd(13)} ${s.seconds.toFixed(2)} s  ${s.rssMiB.toFixed(0)} MiB\n`,
        );
      }
    }
    const med = (n: string): number => median((samples.get(n) ?? []).map((s) => s.seconds));
    const peak = (n: string): number => Math.max(...(samples.get(n) ?? []).map((s) => s.rssMiB));
    const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
    /** a/b within each round, in round order. */
    const perRound = (a: string, b: string): number[] => {
      const ys = samples.get(b) ?? [];
      return (samples.get(a) ?? []).map((x, i) => x.seconds / (ys[i]?.seconds ?? NaN));
    };
    const paired = (a: string, b: string): number => median(perRound(a, b));
    const rounds = (a: string, b: string): string =>
      `per round ${perRound(a, b)
        .map((r) => r.toFixed(2))
        .join(' ')}`;
    const ratios = {
      pull: paired('pull scrydon', 'pull skopeo'),
      pullVsSha: paired('pull scrydon', 'sha256 node'),
      pullVsCurl: paired('pull scrydon', 'curl GET'),
      push: paired('push scrydon', 'push skopeo'),
      pushVsCurl: paired('push scrydon', 'curl PUT'),
    };
    const ofMedians = (a: string, b: string): string => `(of medians ${(med(a) / med(b)).toFixed(2)})`;
    const rss = Math.max(peak('pull scrydon'), peak('push scrydon'));
    return [
      `registry pull/push of a ${sizeMiB} MiB pack: median of ${RUNS} runs after a warm-up, alternating, every other round in reverse order; ratios: median of the per-round ratios`,
      `${'task'.padEnd(14)} ${'median'.padStart(9)}  ${'peak RSS'.padStart(9)}`,
      ...tasks.map(
        (t) =>
          `${t.name.padEnd(14)} ${med(t.name).toFixed(2).padStart(7)} s  ${peak(t.name).toFixed(0).padStart(5)} MiB`,
      ),
      `ratio pull scrydon/skopeo   ${ratios.pull.toFixed(2)}  (target <= 0.5: ${verdict(ratios.pull <= 0.5)})  ${ofMedians('pull scrydon', 'pull skopeo')}  ${rounds('pull scrydon', 'pull skopeo')}`,
      `pull / sha256 node          ${ratios.pullVsSha.toFixed(2)}`,
      `pull / curl GET             ${ratios.pullVsCurl.toFixed(2)}`,
      `ratio push scrydon/skopeo   ${ratios.push.toFixed(2)}  (target <= 1.0: ${verdict(ratios.push <= 1)})  ${ofMedians('push scrydon', 'push skopeo')}  ${rounds('push scrydon', 'push skopeo')}`,
      `push / curl PUT             ${ratios.pushVsCurl.toFixed(2)}  (target <= 1.1: ${verdict(ratios.pushVsCurl <= 1.1)})  ${ofMedians('push scrydon', 'curl PUT')}  ${rounds('push scrydon', 'curl PUT')}`,
      `peak RSS pull/push          ${peak('pull scrydon').toFixed(0)} / ${peak('push scrydon').toFixed(0)} MiB  (target < 150: ${verdict(rss < 150)})`,
      `JSON ${JSON.stringify({ sizeMiB, runs: RUNS, medians: Object.fromEntries(tasks.map((t) => [t.name, med(t.name)])), peakRssMiB: Object.fromEntries(tasks.map((t) => [t.name, peak(t.name)])), ratios })}`,
      '',
    ];
  } finally {
    await dropScratch();
    await source.stop();
    await rm(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = process.env.BENCH_DIR ?? (await mkdtemp('/var/tmp/scrydon-bench-registry-'));
  try {
    const lines: string[] = [];
    for (const size of SIZES) lines.push(...(await benchSize(dir, size)));
    process.stdout.write(lines.join('\n'));
  } finally {
    if (!process.env.BENCH_DIR) await rm(dir, { recursive: true, force: true });
    await cleanupTemps();
  }
}

await main();
