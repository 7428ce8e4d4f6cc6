#!/usr/bin/env bash
# How much the caches save: the same `rig bench` twice, first with an empty build folder and tool
# version cache (cold: gcc, the reference interpreter and the tools' --version run), then again
# (warm: the image, the reference CRC and the version lines come from the caches). Prints both wall
# times and their ratio, then where each run's time went (DEBUG=rig:timing). Not a test; the target
# is a warm run at least 3× faster than a cold one.
# Usage: scripts/bench-rig.sh [rig bench arguments]   (default: --model mcunet-in0 --schedule layer)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x dist/rig/cli/main.js ] || npm run build >/dev/null
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--model mcunet-in0 --schedule layer)
work=$(mktemp -d "${TMPDIR:-/tmp}/rig-bench-rig.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The tools' version lines are kept in the user's cache folder: a scratch one, so that cold is cold.
export XDG_CACHE_HOME="$work/xdg"

# Runs rig bench on the scratch build folder and database; prints the wall time in seconds.
run() {
  local log=$1 start end
  start=$(date +%s%N)
  DEBUG=rig:timing node dist/rig/cli/main.js bench "${args[@]}" --build-dir "$work/build" --db "$work/rig.db" >"$log.out" 2>"$log.err" || {
    cat "$log.err" >&2
    echo "rig bench failed" >&2
    exit 1
  }
  end=$(date +%s%N)
  awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }'
}

cold=$(run "$work/cold")
warm=$(run "$work/warm")
grep -q '(cached' "$work/warm.err" || echo "warning: the warm run was not served from the cache" >&2
awk -v cold="$cold" -v warm="$warm" 'BEGIN { printf "cold %.1f s, warm %.1f s: warm is %.1f× faster\n", cold, warm, cold / warm }'
# The phases rig times, and the rest of the wall time: Node's start-up and imports, the tools'
# versions (cold only) and the git revision recorded with the run, the database.
for phase in cold warm; do
  wall=$cold
  [ "$phase" = warm ] && wall=$warm
  echo "$phase:"
  sed -n 's/^rig:timing /  /p' "$work/$phase.err"
  sed -n 's/^rig:timing .* \([0-9]*\) ms.*/\1/p' "$work/$phase.err" |
    awk -v wall="$wall" '{ sum += $1 } END { printf "  rest (start-up, tool versions, git, database) %d ms\n", wall * 1000 - sum }'
done
# What the warm run still does, and why it must.
cat <<'EOF'
warm still: starts Node and imports rig; builds the model and plans the case (the image and reference
caches are keyed on the plan's content); asks git for the revision and a dirty tree (never cached);
boots QEMU and runs the inferences (every number comes from the firmware, never from a cache).
EOF
