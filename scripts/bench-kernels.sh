#!/usr/bin/env bash
# Every kernel variant on seven MobileNetV2-style layers, each alone (a one-block model, layer-wise)
# on the emulated F746's core with the mps2-an500's whole RAM (scripts/f746-qemu-bigram.json: two
# of the layers need more than the F746's 320 KB), in emulated instructions per MAC with the input
# copy measured and taken out; then one overall figure per variant, and mcunet-in0 and mcunet-vww1
# layer-wise on the emulated F746, everything included. A few minutes; a benchmark, not a test.
# Usage: scripts/bench-kernels.sh [VARIANT ...]   (default: every folder of firmware-templates/kernels/ but common)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/rig/bench/kernels-bench.js ] || npm run build >/dev/null
exec node dist/rig/bench/kernels-bench.js "$@"
