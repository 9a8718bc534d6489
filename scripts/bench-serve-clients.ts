/**
 * The load generator of `scripts/bench serve`'s clients mode, run as its own process (so its CPU is not the
 * server's or the benchmark's): reads the LoadOptions JSON file named by its argument, runs the load
 * (test/helpers/serve-load.ts) and prints the LoadResult as JSON on stdout.
 */
import { readFile } from 'node:fs/promises';
import { runLoad, type LoadOptions } from '../test/helpers/serve-load.js';

const file = process.argv[2];
if (!file) throw new Error('usage: bench-serve-clients.js OPTIONS.json');
const options = JSON.parse(await readFile(file, 'utf8')) as LoadOptions;
process.stdout.write(`${JSON.stringify(await runLoad(options))}\n`);
