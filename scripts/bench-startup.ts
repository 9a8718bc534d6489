/**
 * The start-up benchmark (scripts/bench-startup.sh runs it): each command line below, for the npm build and
 * the single executable, beside `node -e 0`, all alternating within each round so that whatever else the
 * machine does weighs on all alike. Wall time (median), CPU time (user + system, median: steadier on a shared
 * machine) and peak RSS (GNU time).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN } from '../test/helpers/cli.js';
import { median, timed, type Sample } from './bench-common.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const LINES: ReadonlyArray<readonly [string, string[]]> = [
  ['--help', ['--help']],
  ['pull --help', ['pull', '--help']],
  ['source add --help', ['source', 'add', '--help']],
  ['--version', ['--version']],
  ['ls (empty store)', ['ls']],
];
/** What the goal (issue 16) asks of every help line: at most this many milliseconds. */
const HELP_GOAL_MS = 150;

interface Task {
  name: string;
  cmd: string[];
}

async function main(): Promise<void> {
  const sea = resolve(process.argv[2] ?? '');
  const npmBin = resolve(process.env.BENCH_BIN ?? BIN);
  const dir = await mkdtemp('/var/tmp/scrydon-bench-startup-');
  const home = join(dir, 'home');
  const timeFile = join(dir, 'time.txt');
  // BENCH_OLD_BIN: another build's bundle (an older commit's dist/bin/scrydon.js) measured in the same rounds
  const old = process.env.BENCH_OLD_BIN ? resolve(process.env.BENCH_OLD_BIN) : undefined;
  const builds: Array<[string, string[] | undefined]> = [
    ...(old ? [['old', [process.execPath, old]] as [string, string[]]] : []),
    ['npm', [process.execPath, npmBin]],
    ['sea', existsSync(sea) ? [sea] : undefined],
  ];
  const tasks: Task[] = [{ name: 'node -e 0', cmd: [process.execPath, '-e', '0'] }];
  for (const [build, prefix] of builds)
    if (prefix) for (const [name, args] of LINES) tasks.push({ name: `${build} ${name}`, cmd: [...prefix, ...args] });
  try {
    const samples = new Map<string, Sample[]>(tasks.map((t) => [t.name, []]));
    for (let round = 0; round <= RUNS; round++) {
      for (const t of tasks) {
        const s = await timed(t.cmd, { SCRYDON_HOME: home, NO_COLOR: '1' }, timeFile);
        if (round > 0) samples.get(t.name)?.push(s); // round 0 warms the page cache
      }
    }
    const ms = (n: string, k: 'seconds' | 'cpu') => median((samples.get(n) ?? []).map((s) => s[k])) * 1000;
    const peak = (n: string) => Math.max(...(samples.get(n) ?? []).map((s) => s.rssMiB));
    const base = ms('node -e 0', 'seconds');
    const baseCpu = ms('node -e 0', 'cpu');
    const row = (name: string) => {
      const wall = ms(name, 'seconds');
      const goal = name.includes('help') ? `  ${wall <= HELP_GOAL_MS ? 'ok' : 'MISSED'} (<= ${HELP_GOAL_MS} ms)` : '';
      return `${name.padEnd(22)} ${wall.toFixed(0).padStart(6)} ms ${(wall / base).toFixed(2).padStart(6)}x  ${ms(name, 'cpu').toFixed(0).padStart(6)} ms ${(ms(name, 'cpu') / baseCpu).toFixed(2).padStart(6)}x  ${peak(name).toFixed(0).padStart(5)} MiB${goal}`;
    };
    const absent = builds
      .filter(([, p]) => !p)
      .flatMap(([build]) => LINES.map(([name]) => `${`${build} ${name}`.padEnd(22)} absent (${sea} not built)`));
    process.stdout.write(
      [
        `start-up: median of ${RUNS} runs after a warm-up, alternating; load average ${loadavg()[0]?.toFixed(2)} (2 cores want < 2); npm build ${npmBin}${old ? `; old: ${old}` : ''}`,
        `${'command'.padEnd(22)} ${'wall'.padStart(9)} ${'/node'.padStart(7)}  ${'cpu'.padStart(9)} ${'/node'.padStart(7)}  ${'peak RSS'.padStart(9)}`,
        ...tasks.map((t) => row(t.name)),
        ...absent,
        `JSON ${JSON.stringify({ runs: RUNS, wallMs: Object.fromEntries(tasks.map((t) => [t.name, ms(t.name, 'seconds')])), cpuMs: Object.fromEntries(tasks.map((t) => [t.name, ms(t.name, 'cpu')])), peakRssMiB: Object.fromEntries(tasks.map((t) => [t.name, peak(t.name)])) })}`,
        '',
      ].join('\n'),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
