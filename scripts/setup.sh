#!/usr/bin/env bash
# Install what minictl needs and build it: Debian packages (when run as root and missing),
# the npm packages, then the native core and the TypeScript packages.
set -euo pipefail
cd "$(dirname "$0")/.."

# uidmap: newuidmap/newgidmap for subuid ranges; busybox-static: the demo and test image;
# passt: pasta, for --network pasta; runc: its `runc spec --rootless` configs are tested;
# zlib, zstd and OpenSSL headers: minictl-unpack decompresses and hashes images in C.
packages=(uidmap busybox-static passt runc zlib1g-dev libzstd-dev libssl-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: optional packages missing: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  fi
fi

npm ci --no-audit --no-fund --loglevel=error
npx nx run-many -t build --outputStyle=static
