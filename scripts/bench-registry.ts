/**
 * The registry benchmark (scripts/bench-registry.sh runs the built copy). For each size, one random-content
 * pack is stored, then in one run, alternating, after a warm-up and BENCH_RUNS times:
 *   pull:  scrydon pull REG/bench/pack:1 (fresh home)   vs  skopeo copy docker://… oci:DIR:x
 *   push:  scrydon push REF REG/bench/pack:1            vs  skopeo copy oci:CATALOG:REF docker://…
 *          each push into a freshly started registry that lacks the blob (skopeo remembers blob locations)
 *   limits: curl GET of the blob to /dev/null and to a file, node sha256 of the blob, curl PUT of the blob
 *   (monolithic upload).
 * Prints medians (wall and CPU), the ratios (pull ≤ 0.3 × skopeo, push ≤ 0.8 × skopeo: issue 18's goals) and
 * peak RSS (≤ 150 MiB), each figure beside its physical limit: a pull hashes while it writes, so it cannot beat
 * the slower of curl GET to a file and node's sha256; a push cannot beat curl PUT of the same blob.
 * Each ratio is the median of the per-round ratios (a round runs every task once, back to back, so both sides of
 * a ratio see the same phase of a machine whose speed drifts by ±30 %); the ratio of the medians is printed too,
 * and the spread of the per-round ratios. Every other round runs the tasks in reverse order, so neither side of a
 * pair always runs first or always follows the same task (the pairs sit next to each other in both orders).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { BIN, cleanupTemps } from '../test/helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../test/helpers/registry.js';
import { seedPack } from '../test/helpers/seed-store.js';
import { goalAgainstLimit, hashSeconds, median, run, timed, type Sample } from './bench-common.js';

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
      {
        name: 'curl GET file',
        prepare: async () => ({
          cmd: ['curl', '-sf', '-o', `${out}.curl`, `http://${source.host}/v2/bench/pack/blobs/${layerDigest}`],
        }),
        cleanup: () => rm(`${out}.curl`, { force: true }),
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
    const medCpu = (n: string): number => median((samples.get(n) ?? []).map((s) => s.cpu));
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
    /** A pull's limit, per round: the slower of the download to a file and the hash (it must do both). */
    const pullLimit = (samples.get('curl GET file') ?? []).map((c, i) =>
      Math.max(c.seconds, samples.get('sha256 node')?.[i]?.seconds ?? NaN),
    );
    const hashOnly = hashSeconds(layer, RUNS);
    const pullVsLimit = median((samples.get('pull scrydon') ?? []).map((x, i) => x.seconds / (pullLimit[i] ?? NaN)));
    const ratios = {
      pull: paired('pull scrydon', 'pull skopeo'),
      pullVsLimit,
      pullVsSha: paired('pull scrydon', 'sha256 node'),
      pullVsCurl: paired('pull scrydon', 'curl GET'),
      pullVsCurlFile: paired('pull scrydon', 'curl GET file'),
      push: paired('push scrydon', 'push skopeo'),
      pushVsCurl: paired('push scrydon', 'curl PUT'),
    };
    const ofMedians = (a: string, b: string): string => `(of medians ${(med(a) / med(b)).toFixed(2)})`;
    const rss = Math.max(peak('pull scrydon'), peak('push scrydon'));
    const sec = (n: string): string => `${med(n).toFixed(2)} s`;
    return [
      `registry pull/push of a ${sizeMiB} MiB pack: median of ${RUNS} runs after a warm-up, alternating, every other round in reverse order; ratios: median of the per-round ratios; load average ${loadavg()[0]?.toFixed(2)} (2 cores want < 2)`,
      `${'task'.padEnd(14)} ${'median'.padStart(9)}  ${'cpu'.padStart(9)}  ${'peak RSS'.padStart(9)}`,
      ...tasks.map(
        (t) =>
          `${t.name.padEnd(14)} ${med(t.name).toFixed(2).padStart(7)} s  ${medCpu(t.name).toFixed(2).padStart(7)} s  ${peak(t.name).toFixed(0).padStart(5)} MiB`,
      ),
      `${'figure'.padEnd(6)} ${'scrydon'.padStart(9)} ${'skopeo'.padStart(9)} ${'ratio'.padStart(6)}  ${'goal'.padEnd(15)} limit`,
      `${'pull'.padEnd(6)} ${sec('pull scrydon').padStart(9)} ${sec('pull skopeo').padStart(9)} ${ratios.pull.toFixed(2).padStart(6)}  ${`<= 0.30 ${verdict(ratios.pull <= 0.3)}`.padEnd(15)} ${ratios.pullVsLimit.toFixed(2)} x max(curl GET to a file ${sec('curl GET file')}, sha256 node ${sec('sha256 node')}); curl GET to /dev/null ${sec('curl GET')}`,
      `${'push'.padEnd(6)} ${sec('push scrydon').padStart(9)} ${sec('push skopeo').padStart(9)} ${ratios.push.toFixed(2).padStart(6)}  ${`<= 0.80 ${verdict(ratios.push <= 0.8)}`.padEnd(15)} ${ratios.pushVsCurl.toFixed(2)} x curl PUT ${sec('curl PUT')}`,
      `sha256 compute ${hashOnly.toFixed(2)} s (one thread, 1 MiB pieces from the cache): the floor under a pull that verifies`,
      goalAgainstLimit(
        'pull',
        0.3,
        med('pull skopeo'),
        Math.max(med('curl GET file'), hashOnly),
        'download to a file or sha256 compute, the slower',
      ),
      goalAgainstLimit('push', 0.8, med('push skopeo'), med('curl PUT'), 'curl PUT of the same blob'),
      `pull scrydon/skopeo ${ofMedians('pull scrydon', 'pull skopeo')}  ${rounds('pull scrydon', 'pull skopeo')}`,
      `pull / sha256 node ${ratios.pullVsSha.toFixed(2)}, / curl GET to /dev/null ${ratios.pullVsCurl.toFixed(2)}, / curl GET to a file ${ratios.pullVsCurlFile.toFixed(2)}; in CPU time / sha256 node ${(medCpu('pull scrydon') / medCpu('sha256 node')).toFixed(2)}`,
      `push scrydon/skopeo ${ofMedians('push scrydon', 'push skopeo')}  ${rounds('push scrydon', 'push skopeo')}`,
      `push / curl PUT ${ofMedians('push scrydon', 'curl PUT')}  ${rounds('push scrydon', 'curl PUT')}`,
      `peak RSS pull/push          ${peak('pull scrydon').toFixed(0)} / ${peak('push scrydon').toFixed(0)} MiB  (goal <= 150: ${verdict(rss <= 150)})`,
      `JSON ${JSON.stringify({ sizeMiB, runs: RUNS, medians: Object.fromEntries(tasks.map((t) => [t.name, med(t.name)])), cpu: Object.fromEntries(tasks.map((t) => [t.name, medCpu(t.name)])), peakRssMiB: Object.fromEntries(tasks.map((t) => [t.name, peak(t.name)])), ratios })}`,
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
