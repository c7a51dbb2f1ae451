#!/usr/bin/env bash
# Benchmarks, as an unprivileged user (see scripts/as-unprivileged.sh): builds the busybox test
# image, then runs bench/start.js. Run scripts/setup.sh first. ROUNDS=N sets the repetitions.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$repo/scripts/as-unprivileged.sh" minictl-bench bash -c '
  dir=$(mktemp -d)
  trap "rm -rf \"\$dir\"" EXIT
  image=$dir/bench.tar.gz
  bash scripts/make-image.sh "$image"
  ROUNDS='"${ROUNDS:-30}"' node bench/start.js "$image"
'
