#!/usr/bin/env bash
# The end-to-end suite, always as an unprivileged user (see scripts/as-unprivileged.sh).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# pasta needs /dev/net/tun open to users, its mode on most distributions (0666); some
# minimal machines ship it 0600. As root, give the test user what a workstation has.
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ]; then chmod 0666 /dev/net/tun; fi
exec bash "$repo/scripts/as-unprivileged.sh" minictl-test bash -c 'cd test && exec npx vitest run "$@"' vitest "$@"
