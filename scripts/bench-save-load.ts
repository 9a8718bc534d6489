/**
 * The save/load benchmark (scripts/bench-save-load.sh runs the built copy). One random-content pack of
 * BENCH_SIZE_MIB is stored, then in one run, alternating, each after a warm-up and BENCH_RUNS times:
 *   save:   scrydon save REF -o F            vs  skopeo copy oci:CATALOG:REF oci-archive:F2:REF
 *   load:   scrydon load -i F (fresh home)   vs  skopeo copy oci-archive:F2:REF oci:DIR:REF
 *   and the baselines: node sha256 of the layer in 1 MiB chunks, cp of the layer, and `scrydon --version`
 *   (the CLI's start-up, which every scrydon figure includes).
 * Each input is read (untimed) just before its run, so all start hot-cache; outputs are deleted (and the
 * page cache flushed to disk with sync) between runs. Prints medians (wall and CPU), the ratios scrydon/skopeo
 * (save ≤ 0.15, load ≤ 0.2: issue 18's goals) and the peak RSS of each (GNU time), each figure beside its
 * physical limit: save and load copy the blob and hash it on the way, so neither can beat the slower of cp
 * and node's sha256 of the blob.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { seedPack } from '../test/helpers/seed-store.js';
import { BIN } from '../test/helpers/cli.js';
import { goalAgainstLimit, hashSeconds, median, run, timed, type Sample } from './bench-common.js';

const SIZE_MIB = Number(process.env.BENCH_SIZE_MIB ?? 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const REF = 'bench.pack:1.0.0';

interface Task {
  name: string;
  cmd: string[];
  env?: NodeJS.ProcessEnv;
  /** Inputs read (untimed) just before the run, so every task starts with its input in the page cache. */
  warm: string[];
  cleanup: string[];
}

async function measure(t: Task, timeFile: string): Promise<Sample> {
  // this kind of machine pages out file cache idle for about a minute (DAMON), so an input last read a
  // round ago may be on disk again: read each input first, untimed, for equal (hot-cache) conditions
  for (const f of t.warm) run(['dd', `if=${f}`, 'of=/dev/null', 'bs=1M', 'status=none']);
  const sample = await timed(t.cmd, t.env ?? {}, timeFile);
  for (const p of t.cleanup) await rm(p, { recursive: true, force: true });
  run(['sync']);
  return sample;
}

async function main(): Promise<void> {
  const dir = process.env.BENCH_DIR ?? (await mkdtemp('/var/tmp/scrydon-bench-'));
  const home = join(dir, 'home');
  const catalog = join(home, 'catalog');
  const timeFile = join(dir, 'time.txt');
  try {
    process.stderr.write(`bench: storing a ${SIZE_MIB} MiB random pack in ${catalog}\n`);
    const seeded = await seedPack(catalog, REF, join(dir, 'work'), { layers: [SIZE_MIB * 1024 * 1024] });
    await rm(join(dir, 'work'), { recursive: true, force: true });
    const layer = join(catalog, 'blobs', 'sha256', (seeded.layers[0]?.digest ?? '').slice(7));
    const ours = join(dir, 'in-scrydon.tar');
    const theirs = join(dir, 'in-skopeo.tar');
    run([process.execPath, BIN, 'save', REF, '-o', ours, '-q'], { SCRYDON_HOME: home });
    run(['skopeo', 'copy', '-q', `oci:${catalog}:${REF}`, `oci-archive:${theirs}:${REF}`]);

    const out = join(dir, 'out');
    const sha = `const h=require('crypto').createHash('sha256');const s=require('fs').createReadStream(process.argv[1],{highWaterMark:1<<20});s.on('data',c=>h.update(c));s.on('end',()=>console.log(h.digest('hex')))`;
    const tasks: Task[] = [
      {
        name: 'save scrydon',
        cmd: [process.execPath, BIN, 'save', REF, '-o', `${out}.tar`, '-q'],
        env: { SCRYDON_HOME: home },
        warm: [layer],
        cleanup: [`${out}.tar`],
      },
      {
        name: 'save skopeo',
        cmd: ['skopeo', 'copy', '-q', `oci:${catalog}:${REF}`, `oci-archive:${out}.tar:${REF}`],
        warm: [layer],
        cleanup: [`${out}.tar`],
      },
      {
        name: 'load scrydon',
        cmd: [process.execPath, BIN, 'load', '-i', ours, '-q'],
        env: { SCRYDON_HOME: `${out}-home` },
        warm: [ours],
        cleanup: [`${out}-home`],
      },
      {
        name: 'load skopeo',
        cmd: ['skopeo', 'copy', '-q', `oci-archive:${theirs}:${REF}`, `oci:${out}-oci:${REF}`],
        warm: [theirs],
        cleanup: [`${out}-oci`],
      },
      { name: 'sha256 node', cmd: [process.execPath, '-e', sha, layer], warm: [layer], cleanup: [] },
      { name: 'cp', cmd: ['cp', layer, `${out}.bin`], warm: [layer], cleanup: [`${out}.bin`] },
      // the CLI's fixed cost (node, yargs, every command module): part of each scrydon figure above
      { name: 'scrydon start', cmd: [process.execPath, BIN, '--version'], warm: [], cleanup: [] },
    ];
    const samples = new Map<string, Sample[]>(tasks.map((t) => [t.name, []]));
    for (let round = 0; round <= RUNS; round++) {
      for (const t of tasks) {
        const s = await measure(t, timeFile);
        if (round > 0) samples.get(t.name)?.push(s); // round 0 is the warm-up
        process.stderr.write(
          `  ${round === 0 ? 'warm-up' : `run ${round}`}  ${t.name.padEnd(14)} ${s.seconds.toFixed(2)} s  cpu ${s.cpu.toFixed(2)} s  ${s.rssMiB.toFixed(0)} MiB\n`,
        );
      }
    }
    const med = (n: string) => median((samples.get(n) ?? []).map((s) => s.seconds));
    const medCpu = (n: string) => median((samples.get(n) ?? []).map((s) => s.cpu));
    const peak = (n: string) => Math.max(...(samples.get(n) ?? []).map((s) => s.rssMiB));
    const rows = tasks.map(
      (t) =>
        `${t.name.padEnd(14)} ${med(t.name).toFixed(2).padStart(7)} s  ${medCpu(t.name).toFixed(2).padStart(7)} s  ${peak(t.name).toFixed(0).padStart(5)} MiB`,
    );
    const ratios = {
      save: med('save scrydon') / med('save skopeo'),
      load: med('load scrydon') / med('load skopeo'),
      loadVsSha: med('load scrydon') / med('sha256 node'),
      saveVsSha: med('save scrydon') / med('sha256 node'),
    };
    const limit = Math.max(med('cp'), med('sha256 node'));
    const hashOnly = hashSeconds(layer, RUNS);
    const floor = Math.max(med('cp'), hashOnly);
    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    const rssOk = peak('save scrydon') <= 150 && peak('load scrydon') <= 150;
    const sec = (n: string): string => `${med(n).toFixed(2)} s`;
    const figure = (verb: 'save' | 'load', goal: number): string =>
      `${verb.padEnd(6)} ${sec(`${verb} scrydon`).padStart(9)} ${sec(`${verb} skopeo`).padStart(9)} ${ratios[verb].toFixed(2).padStart(6)}  ${`<= ${goal.toFixed(2)} ${verdict(ratios[verb] <= goal)}`.padEnd(15)} ${(med(`${verb} scrydon`) / limit).toFixed(2)} x max(cp ${sec('cp')}, sha256 node ${sec('sha256 node')})`;
    process.stdout.write(
      [
        `save/load of a ${SIZE_MIB} MiB pack: median of ${RUNS} runs after a warm-up, alternating; load average ${loadavg()[0]?.toFixed(2)} (2 cores want < 2)`,
        `${'task'.padEnd(14)} ${'median'.padStart(9)}  ${'cpu'.padStart(9)}  ${'peak RSS'.padStart(9)}`,
        ...rows,
        `${'figure'.padEnd(6)} ${'scrydon'.padStart(9)} ${'skopeo'.padStart(9)} ${'ratio'.padStart(6)}  ${'goal'.padEnd(15)} limit`,
        figure('save', 0.15),
        figure('load', 0.2),
        `sha256 compute ${hashOnly.toFixed(2)} s (one thread, 1 MiB pieces from the cache): the floor under a copy that verifies`,
        goalAgainstLimit('save', 0.15, med('save skopeo'), floor, 'cp or sha256 compute, the slower'),
        goalAgainstLimit('load', 0.2, med('load skopeo'), floor, 'cp or sha256 compute, the slower'),
        `load / sha256 less start-up ${((med('load scrydon') - med('scrydon start')) / med('sha256 node')).toFixed(2)}  (the CLI's fixed start-up left out)`,
        `load / sha256 in CPU time   ${(medCpu('load scrydon') / medCpu('sha256 node')).toFixed(2)}  (steadier when the machine is shared)`,
        `save / sha256 in CPU time   ${(medCpu('save scrydon') / medCpu('sha256 node')).toFixed(2)}`,
        `peak RSS save/load          ${peak('save scrydon').toFixed(0)} / ${peak('load scrydon').toFixed(0)} MiB  (goal <= 150: ${verdict(rssOk)})`,
        `JSON ${JSON.stringify({ sizeMiB: SIZE_MIB, runs: RUNS, medians: Object.fromEntries(tasks.map((t) => [t.name, med(t.name)])), cpu: Object.fromEntries(tasks.map((t) => [t.name, medCpu(t.name)])), peakRssMiB: Object.fromEntries(tasks.map((t) => [t.name, peak(t.name)])), ratios })}`,
        '',
      ].join('\n'),
    );
  } finally {
    if (!process.env.BENCH_DIR) await rm(dir, { recursive: true, force: true });
  }
}

await main();
