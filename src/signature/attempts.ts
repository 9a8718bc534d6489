/** Each attempt run once, in order (one signature or attestation each): what passed, and what failed. */
export async function runAttempts<T>(
  attempts: ReadonlyArray<() => Promise<T>>,
): Promise<{ passed: T[]; failures: unknown[] }> {
  const passed: T[] = [];
  const failures: unknown[] = [];
  for (const attempt of attempts) {
    try {
      passed.push(await attempt());
    } catch (e) {
      failures.push(e);
    }
  }
  return { passed, failures };
}
