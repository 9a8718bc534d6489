#!/usr/bin/env bash
# scale: stores of many small packs (BENCH_SCALE_SIZES, default 1000,5000,10000; issue 18): ls, ls --id, ls --json,
# inspect, tag, rm, gc --dry-run, gc --grace 0, check, save --all and load into an empty home, best of BENCH_RUNS
# (default 3) with peak RSS, each beside its baseline in the same run (node parsing index.json and every manifest,
# sha256sum of every blob, tar cf / tar xf of catalog/, node -e 0); prints the goals table with pass/MISS and
# save/load per pack at each size. Run via scripts/bench (which builds first). BENCH_DIR picks the scratch
# directory (an empty one; default under /var/tmp, ~1 GiB free for 10,000 packs); BENCH_BIN another bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BENCH_BIN:-}" ] || [ -f dist/bin/scrydon.js ] || npm run --silent build
exec node dist/scripts/bench-scale.js
