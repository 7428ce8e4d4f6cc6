#!/usr/bin/env bash
# Benchmarks every built-in network on the emulated boards (layer-wise) and prints the tables.
# Networks that do not fit a board get a does-not-fit row. Takes a few minutes; not a test.
# Usage: scripts/bench-zoo.sh [BOARD ...]   (default: f746 f412); extra rig options via RIG_BENCH_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
boards=("$@")
[ ${#boards[@]} -gt 0 ] || boards=(f746 f412)
models=()
while read -r name; do models+=(--model "$name"); done < <(node dist/rig/cli/main.js models --json | node -e '
  for (const m of JSON.parse(require("fs").readFileSync(0, "utf8"))) if (m.model !== "tiny-cnn") console.log(m.model)')
for board in "${boards[@]}"; do
  echo "== $board (emulated)"
  # shellcheck disable=SC2086
  node dist/rig/cli/main.js bench --board "$board" --emulate "${models[@]}" ${RIG_BENCH_ARGS:-} || true
done
