import { spawnSync } from 'node:child_process';
import { ok, scrydon, tempDir, type RunOptions } from './cli.js';
import { addOciSourceArgs } from './oci-catalog.js';

/** What the publish tests share: homes, the reconcile result, skopeo, and a node registered on a site catalog. */

const PW = { COSIGN_PASSWORD: 'pw' };

export interface SiteRun {
  outcome: string;
  code?: string;
  detail?: string;
  packs: Array<{ id: string; version: string; outcome: string; code?: string; digest?: string }>;
}

/** A fresh home with a file credential store and the test key password. */
export async function siteHome(): Promise<RunOptions & { home: string }> {
  return { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir(), ...PW } };
}

/** A fresh node with the site's catalog (`REGISTRY/PREFIX/catalog`) as source `site`, trusting `publicKey`. */
export async function siteNode(catalog: string, publicKey: string): Promise<RunOptions & { home: string }> {
  const n = await siteHome();
  await ok(addOciSourceArgs('site', catalog, publicKey), n);
  return n;
}

/** `scrydon reconcile ARGS --json`: the runs (exit 0 or 1; anything else throws). */
export async function reconcileRuns(o: RunOptions, ...args: string[]): Promise<SiteRun[]> {
  const r = await scrydon(['reconcile', ...args, '--json'], o);
  if (r.code !== 0 && r.code !== 1) throw new Error(`reconcile exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as SiteRun[];
}

export function skopeo(...args: string[]): string {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
