import type { Digest } from '../oci/digest.js';
import { responseError } from './registry-error.js';
import type { RepositoryTarget } from './repository-target.js';
import { discard } from './transport/http.js';

/** What a registry did with a manifest delete. */
export type DeleteOutcome = 'deleted' | 'absent' | 'unsupported';

/**
 * Deletes a manifest by digest (`DELETE /v2/<name>/manifests/<digest>`; every tag naming it goes with it; its blobs
 * stay until the registry's own garbage collection). `unsupported`: the registry does not delete (distribution
 * answers 405 unless `storage.delete.enabled`); `absent`: it was not there.
 */
export async function deleteManifest(
  repo: RepositoryTarget,
  digest: Digest,
  o: { signal?: AbortSignal | undefined } = {},
): Promise<DeleteOutcome> {
  const what = `deleting manifest ${digest} from ${repo.name}`;
  const res = await repo.client.send({
    method: 'DELETE',
    url: `/v2/${repo.repository}/manifests/${digest}`,
    repository: repo.repository,
    scopes: [`repository:${repo.repository}:delete`],
    signal: o.signal,
    what,
  });
  if (res.status === 202 || res.status === 200 || res.status === 204) {
    discard(res);
    return 'deleted';
  }
  if (res.status === 404) {
    discard(res);
    return 'absent';
  }
  if (res.status === 405) {
    discard(res);
    return 'unsupported';
  }
  throw await responseError(res, { what, registry: repo.client.registry, code: 'push_failed' });
}
