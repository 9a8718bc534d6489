/**
 * A registry credential and where it came from. `source` is shown in messages ("from ~/.docker/config.json",
 * "from docker-credential-pass") so a user can tell which one a registry refused; the secret never is.
 */
export type Credential =
  | { kind: 'basic'; username: string; password: string; source: string }
  /** Docker's `identitytoken`: an OAuth2 refresh token, exchanged at the token realm (grant_type=refresh_token). */
  | { kind: 'identity-token'; username: string; token: string; source: string };

export function basicHeader(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

/** The key a registry's credential is kept under in scrydon's secret store. */
export function registrySecretKey(registry: string): string {
  return `registry-${registry}`;
}
