import { ScrydonError } from '../errors.js';

/**
 * skopeo's and containers/image's transport prefixes. `docker://` (and scrydon's own `registry://`) name a
 * registry and are accepted wherever a registry reference is; the others have a scrydon way, named in the hint
 * (`oci:` is copy's own endpoint: copy reads it before asking here).
 */
const REGISTRY_SCHEMES = ['docker://', 'registry://'] as const;

const FOREIGN: ReadonlyArray<readonly [string, string]> = [
  [
    'oci-archive:',
    "an OCI layout tar: scrydon load FILE reads one (skopeo's too), scrydon save REF -o FILE writes one",
  ],
  [
    'docker-archive:',
    "docker save's tar: skopeo copy docker-archive:FILE oci-archive:OUT.tar, then scrydon load OUT.tar",
  ],
  ['dir:', "skopeo's dir: layout has no scrydon form; an OCI image layout directory is oci:PATH[:REF] in scrydon copy"],
  [
    'containers-storage:',
    'local podman images: podman push to a registry (or skopeo copy to oci-archive:), then scrydon pull or load',
  ],
  ['oci:', 'an OCI layout directory moves with scrydon copy oci:PATH[:REF] store:NAME (or the other way)'],
  [
    'docker-daemon:',
    'the Docker daemon: docker push to a registry (or skopeo copy to oci-archive:), then scrydon pull or load',
  ],
];

/** `input` without a registry scheme (`docker://ghcr.io/a:1` → `ghcr.io/a:1`), or unchanged. */
export function withoutRegistryScheme(input: string): string {
  for (const scheme of REGISTRY_SCHEMES) if (input.startsWith(scheme)) return input.slice(scheme.length);
  return input;
}

/** A usage error for another tool's transport (`oci-archive:x.tar`), naming the scrydon way; undefined otherwise. */
export function foreignTransport(input: string, where: string): ScrydonError | undefined {
  const hit = FOREIGN.find(([prefix]) => input.startsWith(prefix));
  if (!hit) return undefined;
  return new ScrydonError('usage', `${where} does not take ${hit[0]} references ("${input}")`, { hint: hit[1] });
}
