#!/usr/bin/env bash
# startup: the CLI's start-up — --help, pull --help, source add --help, --version, ls on an empty store — beside
# `node -e 0` in the same run, alternating (BENCH_RUNS rounds after a warm-up, default 20): medians, CPU time,
# ratios to `node -e 0` and peak RSS, for the npm build (node dist/bin/scrydon.js) and the single executable
# dist/release/scrydon-<version>-linux-x64 (built with scripts/release when missing and that script exists; else
# its rows say absent). BENCH_BIN measures another bundle as the npm build; BENCH_OLD_BIN adds an older build's
# bundle to the same rounds (before/after). Run via scripts/bench.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BENCH_BIN:-}" ] || [ -f dist/bin/scrydon.js ] || npm run --silent build
version=$(node -p 'require("./package.json").version')
sea="dist/release/scrydon-${version}-linux-x64"
if [ ! -x "$sea" ] && [ -f scripts/release ]; then
  echo "bench: building the single executable (bash scripts/release)" >&2
  bash scripts/release >&2 || echo "bench: scripts/release failed; the single executable's rows are absent" >&2
fi
exec node dist/scripts/bench-startup.js "$sea"
