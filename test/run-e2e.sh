#!/usr/bin/env bash
# The end-to-end suite, always as an unprivileged user (see scripts/as-unprivileged.sh).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# pasta needs /dev/net/tun open to users, its mode on most distributions (0666); some
# minimal machines ship it 0600. As root, give the test user what a workstation has.
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ]; then chmod 0666 /dev/net/tun; fi
# Every scratch file of the run goes under one directory, removed at the end; files the tests
# gave to subordinate ids can only be removed from inside a user namespace with that range.
exec bash "$repo/scripts/as-unprivileged.sh" minictl-test bash -c '
  minictl="$PWD/apps/minictl/bin/minictl"
  scratch=$(mktemp -d)
  trap "\"$minictl\" unshare -- rm -rf \"$scratch\" 2>/dev/null || rm -rf \"$scratch\"" EXIT
  cd test && TMPDIR="$scratch" npx vitest run "$@"
' vitest "$@"
