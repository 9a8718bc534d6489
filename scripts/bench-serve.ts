/**
 * The serve benchmark (scripts/bench-serve.sh runs the built copy). One random-content pack of BENCH_SIZE_MIB is
 * stored and pushed (untimed) to a CNCF distribution registry on 127.0.0.1; `scrydon serve` serves the store on
 * 127.0.0.1 too. Then in one run, alternating, after a warm-up and BENCH_RUNS times:
 *   skopeo copy docker://SERVE/bench.pack:1.0.0 oci:OUT     vs  skopeo copy docker://REGISTRY/bench/pack:1.0.0 oci:OUT
 *   curl GET of the layer blob from each (the servers alone, without skopeo's hashing and writing)
 * The blob file is read (untimed) before each run so both start hot-cache; outputs are deleted and synced between
 * runs. Prints medians, the ratio serve/distribution, the CPU time each server spent per task (steadier than
 * wall time on a busy 2-core machine, where the server shares the CPU with skopeo) and each server's peak RSS
 * (VmHWM) over the whole run.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry } from '../test/helpers/registry.js';
import { seedPack } from '../test/helpers/seed-store.js';
import { startServe } from '../test/helpers/serve.js';
import { median, run } from './bench-common.js';

const SIZE_MIB = Number(process.env.BENCH_SIZE_MIB ?? 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const REF = 'bench.pack:1.0.0';

/** CPU seconds (user + system) a process has used so far (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s). */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  const stat = await readFile(`/proc/${pid ?? 0}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident set size of a process in MiB (VmHWM: the high-water mark since it started). */
async function peakRssMiB(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid ?? 0}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}

interface Task {
  name: string;
  /** The server process whose CPU time the task is charged. */
  server: number | undefined;
  cmd: string[];
  warm: string;
  cleanup: string[];
}

async function main(): Promise<void> {
  const dir = process.env.BENCH_DIR ?? (await mkdtemp('/var/tmp/scrydon-bench-serve-'));
  const home = join(dir, 'home');
  const catalog = join(home, 'catalog');
  let stopAll = async (): Promise<void> => undefined;
  try {
    process.stderr.write(`bench: storing a ${SIZE_MIB} MiB random pack in ${catalog}\n`);
    const seeded = await seedPack(catalog, REF, join(dir, 'work'), { layers: [SIZE_MIB * 1024 * 1024] });
    await rm(join(dir, 'work'), { recursive: true, force: true });
    const digest = seeded.layers[0]?.digest ?? '';
    const storeBlob = join(catalog, 'blobs', 'sha256', digest.slice(7));

    const registry = await startRegistry({ kind: 'none' }, { storage: join(dir, 'registry') });
    const serve = await startServe(home);
    stopAll = async () => {
      await serve.stop();
      await registry.stop();
    };
    process.stderr.write(`bench: pushing it to distribution at ${registry.host} (untimed)\n`);
    run([
      'skopeo',
      'copy',
      '-q',
      '--dest-tls-verify=false',
      `oci:${catalog}:${REF}`,
      `docker://${registry.host}/bench/pack:1.0.0`,
    ]);
    const registryBlob = join(
      registry.storage,
      'docker',
      'registry',
      'v2',
      'blobs',
      'sha256',
      digest.slice(7, 9),
      digest.slice(7),
      'data',
    );

    const out = join(dir, 'out');
    const skopeoPull = (src: string): string[] => [
      'skopeo',
      'copy',
      '-q',
      '--src-tls-verify=false',
      `docker://${src}`,
      `oci:${out}:x`,
    ];
    const curl = (url: string): string[] => ['curl', '-sSf', '-o', '/dev/null', url];
    const tasks: Task[] = [
      {
        name: 'skopeo <- serve',
        server: serve.process.pid,
        cmd: skopeoPull(`${serve.host}/${REF}`),
        warm: storeBlob,
        cleanup: [out],
      },
      {
        name: 'skopeo <- distribution',
        server: registry.process.pid,
        cmd: skopeoPull(`${registry.host}/bench/pack:1.0.0`),
        warm: registryBlob,
        cleanup: [out],
      },
      {
        name: 'curl <- serve',
        server: serve.process.pid,
        cmd: curl(`${serve.url}/v2/bench.pack/blobs/${digest}`),
        warm: storeBlob,
        cleanup: [],
      },
      {
        name: 'curl <- distribution',
        server: registry.process.pid,
        cmd: curl(`http://${registry.host}/v2/bench/pack/blobs/${digest}`),
        warm: registryBlob,
        cleanup: [],
      },
    ];
    const samples = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
    const cpu = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
    for (let round = 0; round <= RUNS; round++) {
      for (const t of tasks) {
        run(['dd', `if=${t.warm}`, 'of=/dev/null', 'bs=1M', 'status=none']);
        const cpu0 = await cpuSeconds(t.server);
        const start = process.hrtime.bigint();
        run(t.cmd);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const serverCpu = (await cpuSeconds(t.server)) - cpu0;
        for (const p of t.cleanup) await rm(p, { recursive: true, force: true });
        run(['sync']);
        if (round > 0) {
          samples.get(t.name)?.push(seconds);
          cpu.get(t.name)?.push(serverCpu);
        }
        process.stderr.write(
          `  ${round === 0 ? 'warm-up' : `run ${round}`}  ${t.name.padEnd(23)} ${seconds.toFixed(2)} s  server CPU ${serverCpu.toFixed(2)} s\n`,
        );
      }
    }
    const rssServe = await peakRssMiB(serve.process.pid);
    const rssRegistry = await peakRssMiB(registry.process.pid);
    const med = (n: string) => median(samples.get(n) ?? []);
    const medCpu = (n: string) => median(cpu.get(n) ?? []);
    const ratio = med('skopeo <- serve') / med('skopeo <- distribution');
    const curlRatio = med('curl <- serve') / med('curl <- distribution');
    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    process.stdout.write(
      [
        `serve: skopeo pulling a ${SIZE_MIB} MiB pack, median of ${RUNS} runs after a warm-up, alternating`,
        `${'task'.padEnd(24)} ${'median'.padStart(8)}  ${'MiB/s'.padStart(7)}  ${'server CPU'.padStart(10)}`,
        ...tasks.map(
          (t) =>
            `${t.name.padEnd(24)} ${med(t.name).toFixed(2).padStart(6)} s  ${(SIZE_MIB / med(t.name)).toFixed(0).padStart(7)}  ${medCpu(t.name).toFixed(2).padStart(8)} s`,
        ),
        `ratio skopeo serve/distribution  ${ratio.toFixed(2)}  (target <= 1.0: ${verdict(ratio <= 1.0)})`,
        `ratio curl serve/distribution    ${curlRatio.toFixed(2)}`,
        `peak RSS scrydon serve           ${rssServe.toFixed(0)} MiB  (target < 150: ${verdict(rssServe < 150)})`,
        `peak RSS distribution            ${rssRegistry.toFixed(0)} MiB`,
        `JSON ${JSON.stringify({ sizeMiB: SIZE_MIB, runs: RUNS, medians: Object.fromEntries(tasks.map((t) => [t.name, med(t.name)])), serverCpuSeconds: Object.fromEntries(tasks.map((t) => [t.name, medCpu(t.name)])), ratio, curlRatio, peakRssMiB: { serve: rssServe, distribution: rssRegistry } })}`,
        '',
      ].join('\n'),
    );
  } finally {
    await stopAll();
    if (!process.env.BENCH_DIR) await rm(dir, { recursive: true, force: true });
  }
}

await main();
