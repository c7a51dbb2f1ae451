#!/usr/bin/env bash
# The end-to-end suite, always as an unprivileged user (see scripts/as-unprivileged.sh).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$repo/scripts/as-unprivileged.sh" minictl-test bash -c 'cd test && exec npx vitest run "$@"' vitest "$@"
