#!/usr/bin/env bash
# One command from a fresh clone: set up, build, and run every test. Unit tests run as the
# caller; end-to-end tests always run as an unprivileged user (test/run-e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx nx run-many -t test --parallel=1 --outputStyle=static
