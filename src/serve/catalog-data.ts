import type { HomePaths } from '../config/paths.js';
import { listInstalled } from '../install/uninstall.js';
import type { Descriptor } from '../oci/descriptor.js';
import { listSources, readRuns, type RunPack } from '../reconcile/history.js';
import { listStore, type ListEntry } from '../pack/list.js';
import type { Store } from '../store/store-target.js';
import { servedName } from '../names/served.js';
import { signatureStatus, type SignatureStatus } from './signature-status.js';
import { byCodeUnits } from '../text-order.js';
import { byVersionDesc, COSIGN_TAG } from './artifact-rows.js';

/** The data of the catalog page (`GET /api/packs`): packs grouped by id, and the other tagged artifacts. */
interface PackVersion {
  version: string;
  ref: string;
  /** Repository and tag this serve answers for it (see names.ts); null when it cannot be served. */
  repository: string | null;
  tag: string | null;
  digest: string;
  mediaType: string;
  size: number;
  created: string | null;
  signature: SignatureStatus;
  /** This exact digest is what the install root has for the pack. */
  installed: boolean;
}

interface PackInstall {
  version: string;
  digest: string;
  status: string;
  source: string;
  installedAt: string;
}

export interface PackEntry {
  id: string;
  /** Newest version first (semver order; tags that are not semver after, by name). */
  versions: PackVersion[];
  installed: PackInstall | null;
}

export interface OtherArtifact {
  ref: string;
  repository: string | null;
  tag: string | null;
  digest: string;
  mediaType: string;
  artifactType: string | null;
  size: number;
  created: string | null;
  signature: SignatureStatus;
}

export interface CatalogData {
  generatedAt: string;
  packs: PackEntry[];
  artifacts: OtherArtifact[];
}

const HISTORY_RUNS_SCANNED = 50;

function byVersionThenRef(a: PackVersion, b: PackVersion): number {
  return byVersionDesc(a.version, b.version) || byCodeUnits(a.ref, b.ref);
}

/** The newest run-history entry of every digest reconcile has handled (for failed signature checks). */
export async function lastRunByDigest(paths: HomePaths): Promise<Map<string, RunPack>> {
  const out = new Map<string, RunPack>();
  for (const source of await listSources(paths)) {
    for (const run of await readRuns(paths, source, { limit: HISTORY_RUNS_SCANNED })) {
      for (const p of run.packs) if (p.digest && !out.has(p.digest)) out.set(p.digest, p);
    }
  }
  return out;
}

function served(ref: string): { repository: string | null; tag: string | null } {
  const n = servedName(ref);
  return { repository: n?.repository ?? null, tag: n?.tag ?? null };
}

export async function catalogData(store: Store, paths: HomePaths, installRoot = paths.packs): Promise<CatalogData> {
  const [entries, installed, runs] = await Promise.all([
    listStore(store),
    listInstalled(installRoot),
    lastRunByDigest(paths),
  ]);
  const installs = new Map(installed.map((r) => [r.id, r]));
  const status = (e: ListEntry) =>
    signatureStatus(
      store,
      { mediaType: e.mediaType, digest: e.digest as Descriptor['digest'], size: 0 },
      { lastRun: runs.get(e.digest) },
    );
  const packs = new Map<string, PackEntry>();
  const artifacts: OtherArtifact[] = [];
  await Promise.all(
    entries.map(async (e) => {
      if (e.id === null || e.version === null) {
        if (COSIGN_TAG.test(e.ref)) return;
        const { ref, digest, mediaType, artifactType, size, created } = e;
        artifacts.push({
          ref,
          ...served(ref),
          digest,
          mediaType,
          artifactType,
          size,
          created,
          signature: await status(e),
        });
        return;
      }
      let pack = packs.get(e.id);
      if (!pack) {
        const rec = installs.get(e.id);
        const inst = rec
          ? {
              version: rec.version,
              digest: rec.digest,
              status: rec.status,
              source: rec.source,
              installedAt: rec.installedAt,
            }
          : null;
        packs.set(e.id, (pack = { id: e.id, versions: [], installed: inst }));
      }
      const v: PackVersion = {
        version: e.version,
        ref: e.ref,
        ...served(e.ref),
        digest: e.digest,
        mediaType: e.mediaType,
        size: e.size,
        created: e.created,
        signature: { status: 'unknown', signers: [] },
        installed: pack.installed?.digest === e.digest,
      };
      pack.versions.push(v);
      v.signature = await status(e);
    }),
  );
  for (const rec of installed) {
    if (!packs.has(rec.id)) {
      const { version, digest, status: st, source, installedAt } = rec;
      packs.set(rec.id, { id: rec.id, versions: [], installed: { version, digest, status: st, source, installedAt } });
    }
  }
  const list = [...packs.values()].sort((a, b) => byCodeUnits(a.id, b.id));
  for (const p of list) p.versions.sort(byVersionThenRef);
  artifacts.sort((a, b) => byCodeUnits(a.ref, b.ref));
  return { generatedAt: new Date().toISOString(), packs: list, artifacts };
}
