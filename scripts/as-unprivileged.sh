#!/usr/bin/env bash
# Run a command from the repository root as an unprivileged user: minictl is rootless, and
# what it does as root proves nothing. Called by a normal user, this just runs the command.
# Called as root (CI, a fresh machine), it creates USER with a subuid/subgid range, copies the
# built tree to a directory USER owns (the checkout may sit where USER cannot read it), runs
# the command there as USER, and removes the copy afterwards.
#   usage: as-unprivileged.sh USER COMMAND [ARG...]
set -euo pipefail
user=${1:?usage: as-unprivileged.sh USER COMMAND [ARG...]}
shift
repo=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" != 0 ]; then
  cd "$repo" && exec "$@"
fi

id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
# A range of 65536 ids past every range already granted.
for f in /etc/subuid /etc/subgid; do
  touch "$f"
  if ! grep -q "^$user:" "$f"; then
    start=$(awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}' "$f")
    echo "$user:$start:65536" >> "$f"
  fi
done

copy=$(mktemp -d /tmp/minictl-as-user.XXXXXX)
trap 'rm -rf "$copy"' EXIT
# 1 MiB records: tar's default 10 KiB writes leave the 100 MB executable in the page cache as
# small folios, and every start then maps it ~2 ms slower than the build's own copy (which
# postject writes 512 KiB at a time).
tar -C "$repo" --exclude=./.git --exclude=./.nx -b 2048 -cf - . | tar -C "$copy" -b 2048 -B -xf -
chown -R "$user:" "$copy"
chmod 755 "$copy"
home=$(getent passwd "$user" | cut -d: -f6)
cd "$copy"
runuser -u "$user" -- env -i PATH="$PATH" HOME="$home" USER="$user" LOGNAME="$user" \
  TERM="${TERM:-dumb}" CI="${CI:-}" "$@"
