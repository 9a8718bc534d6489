/**
 * A registry credential and where it came from. `source` is shown in messages ("from ~/.docker/config.json",
 * "from docker-credential-pass") so a user can tell which one a registry refused; the secret never is.
 */
export type Credential = (
  | { kind: 'basic'; username: string; password: string; source: string }
  /** Docker's `identitytoken`: an OAuth2 refresh token, exchanged at the token realm (grant_type=refresh_token). */
  | { kind: 'identity-token'; username: string; token: string; source: string }
) & {
  /** How to replace it when a registry refuses it (a source's credential: `scrydon source set-credential`). */
  fix?: string;
};

export function basicHeader(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

/** The key a registry's credential is kept under in scrydon's secret store. */
export function registrySecretKey(registry: string): string {
  return `registry-${registry}`;
}

/**
 * What to do when a registry refuses a credential: fix where it came from. A Docker or Podman file entry (or its
 * helper) is named, since logging in again with scrydon fixes it only because a scrydon login is consulted first.
 */
export function refusedCredentialHint(registry: string, c: Credential): string {
  if (c.fix) return c.fix;
  if (c.source === 'scrydon login') return `check the user name and password, then: scrydon login ${registry}`;
  if (c.source.startsWith('--')) return 'check the user name and password given on the command line';
  return `the credential for ${registry} in ${c.source} is refused: fix or remove it there, or run scrydon login ${registry} (used before ${c.source})`;
}
