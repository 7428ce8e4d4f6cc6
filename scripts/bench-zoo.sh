#!/usr/bin/env bash
# Every zoo network on the emulated boards under every schedule (layer, patch, stream1d, stream2d), then
# the schedules side by side (real and paper-metric peaks, MACs, emulated instructions). Networks
# that do not fit a board get a does-not-fit row. Takes a few minutes per board; not a test.
# Usage: scripts/bench-zoo.sh [BOARD ...]   (default: f746 f412)
# RIG_BENCH_ARGS replaces the default "--runs 1 --warmup 0" (under QEMU every run counts the same).
set -euo pipefail
cd "$(dirname "$0")/.."
boards=("$@")
[ ${#boards[@]} -gt 0 ] || boards=(f746 f412)
for board in "${boards[@]}"; do
  echo "== $board (emulated)"
  # shellcheck disable=SC2086
  node dist/rig/cli/main.js bench --board "$board" --emulate --model zoo ${RIG_BENCH_ARGS:---runs 1 --warmup 0} || true
done
