import { ScrydonError } from '../errors.js';
import { parseReference } from '../oci/reference.js';
import { parseRemoteReference, type RemoteReference } from '../names/remote.js';
import { foreignTransport, withoutRegistryScheme } from '../names/transports.js';

/** Where `copy` reads or writes: the local store, an OCI layout directory, or a registry. */
export type Location =
  | { kind: 'store'; ref: string }
  | { kind: 'layout'; path: string; ref: string | undefined }
  | { kind: 'remote'; ref: RemoteReference };

/**
 * Parses a copy endpoint:
 * - `oci:PATH[:REF]`: an OCI image layout directory; REF is its `ref.name` (split at the first colon, as skopeo does);
 * - `store:REF`: the local store, explicitly;
 * - `docker://REF` or `registry://REF`: a registry, explicitly (Docker Hub when no registry is named);
 * - otherwise a reference whose first component is a host (`ghcr.io/…`, `localhost:5000/…`) is a registry,
 *   and any other (`acme.fraud:1.2.0`) names the local store.
 */
export function parseLocation(input: string): Location {
  if (input.startsWith('oci:')) {
    const rest = input.slice(4);
    const colon = rest.indexOf(':');
    const path = colon < 0 ? rest : rest.slice(0, colon);
    const ref = colon < 0 ? undefined : rest.slice(colon + 1);
    if (!path)
      throw new ScrydonError('invalid_reference', `"${input}" names no directory`, { hint: 'use oci:PATH[:REF]' });
    if (ref !== undefined && !/^[A-Za-z0-9_./:@+-]+$/.test(ref))
      throw new ScrydonError('invalid_reference', `"${input}": "${ref}" is not a valid ref name`);
    return { kind: 'layout', path, ref: ref || undefined };
  }
  if (input.startsWith('store:')) {
    parseReference(input.slice(6));
    return { kind: 'store', ref: input.slice(6) };
  }
  const foreign = foreignTransport(input, 'scrydon copy');
  if (foreign) throw foreign;
  const bare = withoutRegistryScheme(input);
  if (bare !== input) return { kind: 'remote', ref: parseRemoteReference(bare) };
  const r = parseReference(input);
  if (r.registry !== undefined) return { kind: 'remote', ref: parseRemoteReference(input) };
  return { kind: 'store', ref: input };
}
