import { isSea } from 'node:sea';

/** Whether scrydon runs as the single executable (a Node single-executable application: scripts/release). */
export function isSingleExecutable(): boolean {
  return isSea();
}

/**
 * Why a secret went to the 0600 file instead of an OS keychain, as the warning of `login` and `source add` says
 * it: the single executable cannot carry the native keychain module (@napi-rs/keyring) at all.
 */
export function noKeychainReason(): string {
  return isSingleExecutable()
    ? 'the single executable has no OS keychain module (use the npm package for one)'
    : 'no OS keychain is reachable here';
}
