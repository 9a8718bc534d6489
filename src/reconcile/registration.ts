import { resolve } from 'node:path';
import type { HomePaths } from '../config/paths.js';
import { ScrydonError } from '../errors.js';
import type { SecretStore, SetResult } from '../registry/credentials/secret-store.js';
import {
  checkCredential,
  resolveSource,
  sourceSecretKey,
  type Source,
  type SourceSpec,
} from '../sources/source-spec.js';
import { readSourceFile, readSourceList, updateSourcesFile } from '../sources/sources-file.js';
import { retireSourcePacks, type StatusChange } from './lifecycle.js';
import { invalidateRevision, removeSourceState } from './source-state.js';

/**
 * Registering, removing, enabling and disabling sources in `$SCRYDON_HOME/sources.yaml`, each change with what it
 * implies: a credential kept in the secret store, packs retired, the recorded revision dropped so the next
 * reconcile runs.
 */

function notRegistered(name: string): ScrydonError {
  return new ScrydonError('source_not_found', `no source named ${name} is registered`, {
    hint: 'scrydon source ls lists them; scrydon source add registers one',
  });
}

function alreadyRegistered(name: string): ScrydonError {
  return new ScrydonError('source_exists', `a source named ${name} is already registered`, {
    hint: `pick another name (scrydon source set-credential ${name} --credential-stdin rotates its credential)`,
  });
}

export async function registeredSource(paths: HomePaths, name: string): Promise<Source> {
  const s = (await readSourceList(paths.sources)).sources.find((x) => x.name === name);
  if (!s) throw notRegistered(name);
  return s;
}

interface AddedSource {
  source: Source;
  /** Where the credential went, when one was given. */
  stored: SetResult | undefined;
}

/**
 * `source add`: checked first (flags, credential shape, the name free), then in two steps that undo each other:
 * the credential into the secret store, then the entry into sources.yaml under its lock; a failed second step
 * deletes the credential again, unless the name was taken meanwhile (the credential is then the other source's).
 */
export async function addSource(
  paths: HomePaths,
  spec: SourceSpec,
  credential: string | undefined,
  secrets: () => Promise<SecretStore>,
  now = new Date(),
): Promise<AddedSource> {
  const source = resolveSource(spec);
  if (source.signaturePolicy.attestations?.length) {
    const { requiredAttestations } = await import('../sources/attestation-requirements.js'); // semver, when asked
    requiredAttestations(source.signaturePolicy, source);
  }
  if (credential !== undefined) checkCredential(source, credential);
  if ((await readSourceList(paths.sources)).sources.some((s) => s.name === source.name))
    throw alreadyRegistered(source.name);
  const stored =
    credential !== undefined ? await (await secrets()).set(sourceSecretKey(source.name), credential) : undefined;
  const entry: SourceSpec = {
    ...spec,
    credential: credential !== undefined ? 'stored' : 'none',
    addedAt: now.toISOString(),
  };
  try {
    await updateSourcesFile(paths.sources, (list, sources) => {
      if (sources.some((s) => s.name === source.name)) throw alreadyRegistered(source.name);
      return { next: { ...list, sources: [...list.sources, entry] }, result: undefined };
    });
  } catch (e) {
    if (stored && !(e instanceof ScrydonError && e.code === 'source_exists'))
      await (await secrets()).delete(sourceSecretKey(source.name));
    throw e;
  }
  await invalidateRevision(paths, source.name);
  return { source, stored };
}

interface RemovedSource {
  retired: StatusChange[];
  credentialDeleted: boolean;
}

/** `source rm`: the entry, then its credential, its packs retired (files and blobs stay), its state. */
export async function removeSource(
  paths: HomePaths,
  name: string,
  secrets: () => Promise<SecretStore>,
): Promise<RemovedSource> {
  await updateSourcesFile(paths.sources, (list, sources) => {
    if (!sources.some((s) => s.name === name)) throw notRegistered(name);
    return { next: { ...list, sources: list.sources.filter((s) => s.name !== name) }, result: undefined };
  });
  const credentialDeleted = await (await secrets()).delete(sourceSecretKey(name));
  const retired = await retireSourcePacks(paths.packs, name);
  await removeSourceState(paths, name);
  return { retired, credentialDeleted };
}

/**
 * `source set-credential`: a new credential for a registered source (or none, with `undefined`), its packs and
 * state untouched. The credential is checked for the source's kind first; the secret store changes, then the
 * entry's marker under the sources lock (a source removed meanwhile has the secret deleted again); the next
 * reconcile is a full run, so a source that failed on its old credential is retried.
 */
export async function setSourceCredential(
  paths: HomePaths,
  name: string,
  credential: string | undefined,
  secrets: () => Promise<SecretStore>,
): Promise<{ stored: SetResult | undefined; deleted: boolean }> {
  const source = await registeredSource(paths, name);
  if (credential !== undefined) checkCredential(source, credential);
  const store = await secrets();
  const stored = credential !== undefined ? await store.set(sourceSecretKey(name), credential) : undefined;
  const deleted = credential === undefined ? await store.delete(sourceSecretKey(name)) : false;
  const marker: SourceSpec['credential'] = credential !== undefined ? 'stored' : 'none';
  try {
    await updateSourcesFile(paths.sources, (list, sources) => {
      if (!sources.some((s) => s.name === name)) throw notRegistered(name);
      const next = list.sources.map((s) => (s.name === name ? { ...s, credential: marker } : s));
      return { next: { ...list, sources: next }, result: undefined };
    });
  } catch (e) {
    if (stored && e instanceof ScrydonError && e.code === 'source_not_found') await store.delete(sourceSecretKey(name));
    throw e;
  }
  await invalidateRevision(paths, name);
  return { stored, deleted };
}

/** `source enable` / `source disable`: a disabled source's packs are retired; either way its next run is a full one. */
export async function setSourceEnabled(paths: HomePaths, name: string, enabled: boolean): Promise<StatusChange[]> {
  await updateSourcesFile(paths.sources, (list, sources) => {
    if (!sources.some((s) => s.name === name)) throw notRegistered(name);
    return {
      next: { ...list, sources: list.sources.map((s) => (s.name === name ? { ...s, enabled } : s)) },
      result: undefined,
    };
  });
  const retired = enabled ? [] : await retireSourcePacks(paths.packs, name);
  await invalidateRevision(paths, name);
  return retired;
}

/**
 * The sources a reconcile covers: the registered ones, or those of `-f FILE` ("managed by file", never
 * registered, and never sharing a name with a registered one); all enabled ones when none is named.
 */
export async function selectSources(
  paths: HomePaths,
  names: readonly string[],
  file: string | undefined,
): Promise<Source[]> {
  const registered = (await readSourceList(paths.sources)).sources;
  let all = registered;
  if (file !== undefined) {
    all = await readSourceFile(resolve(file));
    const clash = all.find((s) => registered.some((r) => r.name === s.name));
    if (clash)
      throw new ScrydonError('usage', `source ${clash.name} in ${file} is also registered in ${paths.sources}`, {
        hint: 'one owner per name: rename it in the file, or scrydon source rm it',
      });
  }
  if (names.length === 0) return all.filter((s) => s.enabled);
  return names.map((name) => {
    const s = all.find((x) => x.name === name);
    if (!s)
      throw new ScrydonError('source_not_found', `no source named ${name}${file ? ` in ${file}` : ' is registered'}`, {
        hint: 'scrydon source ls lists them',
      });
    if (!s.enabled)
      throw new ScrydonError('usage', `source ${name} is disabled`, { hint: `scrydon source enable ${name}` });
    return s;
  });
}
