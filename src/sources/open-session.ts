import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isScrydonError, ScrydonError } from '../errors.js';
import { CATALOG_FILE_MAX_BYTES, parseCatalogFile, type PackCatalog } from './catalog-file.js';
import { readCatalogArtifact } from './catalog-artifact.js';
import { openGitAccess } from './git-access.js';
import { GitRepo } from './git-repo.js';
import { GitSession } from './git-session.js';
import { OciSession } from './oci-session.js';
import { OfflineSession } from './offline-session.js';
import type { SessionDeps, SourceSession } from './session.js';
import { type Source } from './source-spec.js';
import { ociCatalogReference, ociRepository } from '../names/sources.js';

/** The session a run uses for `source`: offline (store only), git or OCI. */
export async function openSession(source: Source, deps: SessionDeps, o: { offline: boolean }): Promise<SourceSession> {
  if (o.offline) return new OfflineSession(source, deps);
  return source.type === 'git' ? GitSession.open(source, deps) : new OciSession(source, deps);
}

/** A catalog that does not parse is the run's `parse_failed`, naming every key path and line. */
export function parseSourceCatalog(bytes: Buffer, where: string): PackCatalog {
  try {
    return parseCatalogFile(bytes.toString('utf8'), where);
  } catch (e) {
    if (isScrydonError(e, 'catalog_invalid'))
      throw new ScrydonError('parse_failed', e.message, { cause: e, ...(e.hint ? { hint: e.hint } : {}) });
    throw e;
  }
}

interface SourceTestResult {
  source: string;
  type: Source['type'];
  /** The commit or catalog manifest digest the source is at. */
  revision: string;
  packs: Array<{ id: string; version: string; artifact: string }>;
}

/**
 * `source test`: reach the source with the given credential and parse its catalog,
 * persisting nothing (a git fetch goes to a temporary repository that is removed; an OCI catalog is read from
 * the registry into memory).
 */
export async function testSource(source: Source, deps: Omit<SessionDeps, 'store'>): Promise<SourceTestResult> {
  let revision: string;
  let bytes: Buffer;
  let where: string;
  if (source.type === 'oci') {
    const ref = ociCatalogReference(source);
    const remote = await deps.openRemote([ociRepository(source.url).registry]);
    try {
      const c = await readCatalogArtifact(remote.repository(ref), ref, source.catalogPath, { signal: deps.signal });
      revision = c.descriptor.digest;
      bytes = c.bytes;
      where = `${ref} (${revision})`;
    } finally {
      await remote.close();
    }
  } else {
    await mkdir(deps.git.tmpDir, { recursive: true });
    const root = await mkdtemp(join(deps.git.tmpDir, 'source-test-'));
    const access = await openGitAccess(source, deps.credential, deps.git);
    try {
      const repo = await GitRepo.open(root, source.url, access, deps.signal);
      revision = await repo.fetch(source.ref);
      bytes = await repo.readFile(revision, source.catalogPath, CATALOG_FILE_MAX_BYTES);
      where = `${source.url} ${source.catalogPath} at ${revision.slice(0, 12)}`;
    } finally {
      await access.dispose();
      await rm(root, { recursive: true, force: true });
    }
  }
  const catalog = parseSourceCatalog(bytes, where);
  return {
    source: source.name,
    type: source.type,
    revision,
    packs: catalog.packs.map((p) => ({
      id: p.id,
      version: p.version,
      artifact: p.artifact.kind === 'oci' ? p.artifact.ref : `git-tar ${p.artifact.path}@${p.artifact.ref}`,
    })),
  };
}
