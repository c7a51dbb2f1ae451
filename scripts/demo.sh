#!/usr/bin/env bash
# From a fresh clone: set up, build, make a small image from this machine's busybox (or its
# own shell), and run a container from it as an unprivileged user. On a terminal, it ends in
# an interactive shell inside the container.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec bash scripts/as-unprivileged.sh minictl-demo bash -c '
  set -e
  dir=$(mktemp -d)
  trap "rm -rf \"\$dir\"" EXIT
  image=$dir/demo.tar.gz
  bash scripts/make-image.sh "$image"
  echo "+ minictl run $image sh -c ..."
  npx minictl run "$image" sh -c "
    echo \"hello from container \$(hostname), as \$(id -un) (uid \$(id -u))\"
    echo \"uid_map: \$(cat /proc/self/uid_map)\"
    echo \"my pid: \$\$; processes I can see: \$(ls /proc | grep -c \"^[0-9]\")\"
    echo \"network: \$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d \" \")\"
  "
  if [ -t 0 ] && [ -t 1 ]; then
    echo "+ minictl run $image sh   (exit the shell to finish)"
    npx minictl run "$image" sh
  fi
'
