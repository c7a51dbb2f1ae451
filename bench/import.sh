#!/usr/bin/env bash
# Import benchmark (bench/import.js) on a Debian minbase root filesystem tarball, cached in
# bench/out/. Building it needs root, debootstrap (installed here when missing) and the Debian
# mirror; the measurement then runs as an unprivileged user (scripts/as-unprivileged.sh).
# Run scripts/setup.sh first. ROUNDS=N sets the repetitions (at least 5).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tarball=$repo/bench/out/debian-minbase.tar
if [ ! -s "$tarball" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bench: $tarball is missing; run this script as root once to build it with debootstrap" >&2
    exit 1
  fi
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  debootstrap --variant=minbase bookworm "$work/root" http://deb.debian.org/debian >"$work/log" 2>&1 ||
    { tail -5 "$work/log" >&2; exit 1; }
  # As a container image ships it: no package cache, no package lists, no device nodes.
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
  mkdir -p "$(dirname "$tarball")"
  tar --numeric-owner -C "$work/root" --exclude='./dev/*' -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi
exec bash "$repo/scripts/as-unprivileged.sh" minictl-bench env ROUNDS="${ROUNDS:-5}" node bench/import.js bench/out/debian-minbase.tar
