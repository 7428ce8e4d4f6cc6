#!/usr/bin/env bash
# Installs what rig needs on Debian 12 (or Ubuntu): the Arm toolchain, QEMU, openocd and udev from
# the distribution, then the npm packages and the TypeScript build. Safe to run again: it only
# installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: used by the report's browser test (rig/report/report.e2e.test.ts), headless.
# redis-server: the lab's queue (rig worker, --queue); the tests start their own on a free port.
APT_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm openocd udev chromium redis-server)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing ${missing[*]}, and this system has no apt-get; install them with your package manager" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      echo "setup: missing ${missing[*]}; run as root or install sudo" >&2
      exit 1
    fi
  fi
  echo "setup: installing ${missing[*]}" >&2
  # Without --no-install-recommends, qemu-system-arm pulls in about 3 GB of desktop packages.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present (${APT_PACKAGES[*]})" >&2
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: rig needs Node.js 20 or newer, found $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund
else
  echo "setup: node_modules up to date" >&2
fi

echo "setup: building" >&2
npm run --silent build
echo "setup: done; try: npx rig bench" >&2
