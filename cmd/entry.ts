#!/usr/bin/env node
/**
 * The `scrydon` bin entry: checks the Node version before any other module is loaded, then imports the CLI
 * (main.ts). On an older Node, the CLI's modules (and yargs's, sigstore-js's) may not even parse — Node 18
 * stops at string-width's regular expressions with the `v` flag — so this file must parse everywhere an ES
 * module runs: plain syntax only (no `??`, `?.`, class fields, imports other than the dynamic one below).
 * It prints the one error line itself: src/errors.ts is not loaded yet (`unsupported_runtime` is listed there
 * and in catalog-spec/error-codes.md).
 *
 * SCRYDON_TEST_NODE_VERSION, for tests only, stands in for the version Node reports (no older Node is
 * installable where the tests run).
 */

/** The oldest Node scrydon runs on: package.json's `engines.node` (test/e2e/release-checks.test.ts checks the two agree). */
const REQUIRED = [20, 19, 0];

function olderThanRequired(version: string): boolean {
  const parts = version.replace(/^v/, '').split('.');
  for (let i = 0; i < REQUIRED.length; i++) {
    const n = Number(parts[i] || '0');
    const want = REQUIRED[i] as number;
    if (!(n >= 0)) return true; // not a version at all: refuse rather than guess
    if (n !== want) return n < want;
  }
  return false;
}

const found = process.env.SCRYDON_TEST_NODE_VERSION || process.versions.node;
if (olderThanRequired(found)) {
  const required = REQUIRED.join('.');
  process.stderr.write(
    'error[unsupported_runtime]: scrydon needs Node ' +
      required +
      ' or newer; this is Node ' +
      found +
      ' (' +
      process.execPath +
      ')\n' +
      'hint: install Node ' +
      required +
      ' or newer (Node 20 LTS or later), or use the single executable scrydon-<version>-linux-x64, which carries its own Node\n',
  );
  process.exitCode = 1;
} else {
  import('./main.js').catch(function (e: unknown) {
    process.stderr.write(
      'error[internal]: scrydon could not start: ' +
        (e instanceof Error ? e.message : String(e)) +
        '\nhint: this is a bug in scrydon (or an incomplete installation); reinstall it and report the output\n',
    );
    process.exitCode = 1;
  });
}

export {};
