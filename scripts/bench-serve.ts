/**
 * The serve benchmark (scripts/bench-serve.sh runs the built copy). BENCH_SERVE_MODE picks the sections: `big`,
 * `clients`, or both (default).
 *
 * big: one random-content pack of BENCH_SIZE_MIB is stored and pushed (untimed) to a CNCF distribution registry on
 * 127.0.0.1; `scrydon serve` serves the store on 127.0.0.1 too. Then in one run, alternating, after a warm-up and
 * BENCH_RUNS times:
 *   skopeo copy docker://SERVE/bench.pack:1.0.0 oci:OUT     vs  skopeo copy docker://REGISTRY/bench/pack:1.0.0 oci:OUT
 *   curl GET of the layer blob from each (the servers alone, without skopeo's hashing and writing)
 * The blob file is read (untimed) before each run so both start hot-cache; outputs are deleted and synced between
 * runs. Prints medians, the ratio serve/distribution, the CPU time each server spent per task (steadier than
 * wall time on a busy 2-core machine, where the server shares the CPU with skopeo) and each server's peak RSS
 * (VmHWM) over the whole run.
 *
 * clients: BENCH_SERVE_PACKS small packs (default 1000) are seeded into a store and pushed with `scrydon push --all`
 * into distribution (untimed); then a load generator in its own process (scripts/bench-serve-clients.ts:
 * BENCH_SERVE_CLIENTS keep-alive clients, default 200, each looping GET manifest by tag, GET manifest by digest,
 * HEAD and GET of each blob of a random pack, checking every answer) runs for BENCH_SERVE_SECONDS (default 10)
 * against each server, alternating, after a warm-up and BENCH_RUNS times. Prints requests/s, errors, latency
 * p50/p99, each server's CPU time per 1,000 requests and peak RSS, and the ratio serve/distribution.
 * BENCH_BIN serves with another build (an older dist/bin/scrydon.js); BENCH_SERVE_CPU_PROF=DIR writes a CPU
 * profile of the serve process there (node --cpu-prof, written when the benchmark stops it with SIGTERM).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN } from '../test/helpers/cli.js';
import { startRegistry } from '../test/helpers/registry.js';
import { seedPack } from '../test/helpers/seed-store.js';
import { packsOfStore, type LoadOptions, type LoadResult } from '../test/helpers/serve-load.js';
import { startServe } from '../test/helpers/serve.js';
import { seedSmallPacks } from '../test/helpers/small-pack.js';
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

async function bigBlob(): Promise<void> {
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

interface ClientsSample {
  load: LoadResult;
  reqPerSecond: number;
  /** Server CPU seconds per 1,000 requests. */
  serverCpuPerK: number;
  /** The load generator's own CPU seconds (user + system). */
  loadCpu: number;
}

/**
 * Runs `cmd` to completion without blocking this process's event loop (which reads the servers' stderr pipes:
 * distribution logs every 404 of a push's existence checks, and a full pipe stalls it); resolves to its stdout.
 */
function runAsync(cmd: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0] as string, cmd.slice(1), {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd.join(' ')} exited ${code}`))));
  });
}

/** One run of the load generator (its own process, under GNU time) against `url`; charges `server` its CPU. */
async function loadRun(dir: string, server: number | undefined, o: LoadOptions): Promise<ClientsSample> {
  const optionsFile = join(dir, 'load.json');
  const timeFile = join(dir, 'load.time');
  await writeFile(optionsFile, JSON.stringify(o));
  const cpu0 = await cpuSeconds(server);
  const out = await runAsync([
    '/usr/bin/time',
    ...['-f', '%U %S', '-o', timeFile],
    process.execPath,
    join(BIN, '..', '..', 'scripts', 'bench-serve-clients.js'),
    optionsFile,
  ]);
  const serverCpu = (await cpuSeconds(server)) - cpu0;
  const load = JSON.parse(out) as LoadResult;
  const [user = NaN, sys = NaN] =
    (await readFile(timeFile, 'utf8')).trim().split('\n').pop()?.split(' ').map(Number) ?? [];
  return {
    load,
    reqPerSecond: load.requests / load.seconds,
    serverCpuPerK: (serverCpu * 1000) / Math.max(1, load.requests),
    loadCpu: user + sys,
  };
}

async function clients(): Promise<void> {
  const PACKS = Number(process.env.BENCH_SERVE_PACKS ?? 1000);
  const CLIENTS = Number(process.env.BENCH_SERVE_CLIENTS ?? 200);
  const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 10);
  const profileDir = process.env.BENCH_SERVE_CPU_PROF;
  const dir = process.env.BENCH_DIR
    ? join(process.env.BENCH_DIR, 'clients')
    : await mkdtemp('/var/tmp/scrydon-bench-serve-clients-');
  const home = join(dir, 'home');
  const catalog = join(home, 'catalog');
  let stopAll = async (): Promise<void> => undefined;
  try {
    process.stderr.write(`bench: storing ${PACKS} small packs in ${catalog}\n`);
    await seedSmallPacks(catalog, join(dir, 'work'), 0, PACKS);
    // as packaged (/etc/docker/registry/config.yml): blob descriptors cached in memory
    const registry = await startRegistry({ kind: 'none' }, { storage: join(dir, 'registry'), cache: true });
    // node runs the bundle through a wrapper, so that --cpu-prof (which NODE_OPTIONS may not carry) can be given
    const wrapper = join(dir, 'serve.sh');
    const prof = profileDir ? `--cpu-prof --cpu-prof-dir='${resolve(profileDir)}' ` : '';
    await writeFile(
      wrapper,
      `#!/bin/sh\nexec '${process.execPath}' ${prof}'${resolve(process.env.BENCH_BIN ?? BIN)}' "$@"\n`,
      { mode: 0o755 },
    );
    const serve = await startServe(home, [], {}, wrapper);
    stopAll = async () => {
      await serve.stop();
      await registry.stop();
    };
    process.stderr.write(`bench: pushing them to distribution at ${registry.host} (untimed)\n`);
    await runAsync([process.execPath, BIN, 'push', '--all', `${registry.host}/bench`, '--plain-http', '--quiet'], {
      SCRYDON_HOME: home,
      NO_COLOR: '1',
    });
    const servers = [
      {
        name: 'scrydon serve',
        pid: serve.process.pid,
        url: serve.url,
        packs: await packsOfStore(catalog, (n) => n),
      },
      {
        name: 'distribution',
        pid: registry.process.pid,
        url: `http://${registry.host}`,
        packs: await packsOfStore(catalog, (n) => `bench/${n}`),
      },
    ];
    const samples = new Map<string, ClientsSample[]>(servers.map((s) => [s.name, []]));
    for (let round = 0; round <= RUNS; round++) {
      for (const s of servers) {
        const durationMs = (round === 0 ? Math.min(3, SECONDS) : SECONDS) * 1000;
        const x = await loadRun(dir, s.pid, { url: s.url, packs: s.packs, clients: CLIENTS, durationMs });
        if (round > 0) samples.get(s.name)?.push(x);
        const l = x.load;
        process.stderr.write(
          `  ${round === 0 ? 'warm-up' : `run ${round}`}  ${s.name.padEnd(14)} ${x.reqPerSecond.toFixed(0).padStart(6)} req/s  errors ${l.errors} non-2xx ${l.non2xx} wrong ${l.wrong}  p50 ${l.p50ms.toFixed(1)} ms p99 ${l.p99ms.toFixed(1)} ms  server CPU ${x.serverCpuPerK.toFixed(3)} s/1k req  load CPU ${x.loadCpu.toFixed(2)} s  (load ${loadavg()[0]?.toFixed(1)})\n`,
        );
        for (const f of l.failures.slice(0, 3)) process.stderr.write(`    ${f}\n`);
      }
    }
    const rss = new Map<string, number>();
    for (const s of servers) rss.set(s.name, await peakRssMiB(s.pid));
    const med = (name: string, f: (x: ClientsSample) => number): number => median((samples.get(name) ?? []).map(f));
    const failed = (name: string): number =>
      (samples.get(name) ?? []).reduce((n, x) => n + x.load.errors + x.load.non2xx + x.load.wrong, 0);
    const ratio = med('scrydon serve', (x) => x.reqPerSecond) / med('distribution', (x) => x.reqPerSecond);
    const rssServe = rss.get('scrydon serve') ?? NaN;
    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    const row = (name: string): string =>
      [
        name.padEnd(14),
        med(name, (x) => x.reqPerSecond)
          .toFixed(0)
          .padStart(7),
        String(failed(name)).padStart(7),
        med(name, (x) => x.load.p50ms)
          .toFixed(1)
          .padStart(7),
        med(name, (x) => x.load.p99ms)
          .toFixed(1)
          .padStart(7),
        med(name, (x) => x.serverCpuPerK)
          .toFixed(3)
          .padStart(10),
        (rss.get(name) ?? NaN).toFixed(0).padStart(8),
        med(name, (x) => x.loadCpu)
          .toFixed(2)
          .padStart(9),
      ].join(' ');
    process.stdout.write(
      [
        `serve: ${CLIENTS} clients, ${PACKS} small packs, ${SECONDS} s per run, median of ${RUNS} runs after a warm-up, alternating (load average ${loadavg()
          .map((n) => n.toFixed(1))
          .join(' ')})`,
        `${'server'.padEnd(14)} ${'req/s'.padStart(7)} ${'failed'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'CPU s/1k'.padStart(10)} ${'RSS MiB'.padStart(8)} ${'load CPU'.padStart(9)}`,
        row('scrydon serve'),
        row('distribution'),
        `ratio req/s serve/distribution  ${ratio.toFixed(2)}  (target >= 0.8: ${verdict(ratio >= 0.8)})`,
        `failed requests scrydon serve   ${failed('scrydon serve')}  (target 0: ${verdict(failed('scrydon serve') === 0)})`,
        `peak RSS scrydon serve          ${rssServe.toFixed(0)} MiB  (target <= 150: ${verdict(rssServe <= 150)})`,
        `JSON ${JSON.stringify({ packs: PACKS, clients: CLIENTS, seconds: SECONDS, runs: RUNS, ratio, servers: Object.fromEntries(servers.map((s) => [s.name, { reqPerSecond: med(s.name, (x) => x.reqPerSecond), failed: failed(s.name), p50ms: med(s.name, (x) => x.load.p50ms), p99ms: med(s.name, (x) => x.load.p99ms), cpuSecondsPer1k: med(s.name, (x) => x.serverCpuPerK), peakRssMiB: rss.get(s.name) }])) })}`,
        '',
      ].join('\n'),
    );
  } finally {
    await stopAll();
    if (!process.env.BENCH_DIR) await rm(dir, { recursive: true, force: true });
  }
}

const MODE = process.env.BENCH_SERVE_MODE ?? 'all';
if (MODE === 'all' || MODE === 'big') await bigBlob();
if (MODE === 'all' || MODE === 'clients') await clients();
