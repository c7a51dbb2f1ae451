#!/usr/bin/env bash
# Run the end-to-end suite as an unprivileged user. As root (CI, a fresh machine) this creates
# the user "minictl-test" with a subuid/subgid range and runs the suite from a copy of the
# built tree that the user owns, since the checkout itself may sit where the user cannot read.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

if [ "$(id -u)" != 0 ]; then
  cd "$here" && exec npx vitest run "$@"
fi

user=minictl-test
if ! id "$user" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$user"
fi
# A range of 65536 ids past every range already granted, in both files.
for f in /etc/subuid /etc/subgid; do
  touch "$f"
  if ! grep -q "^$user:" "$f"; then
    start=$(awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}' "$f")
    echo "$user:$start:65536" >> "$f"
  fi
done

copy=$(mktemp -d /tmp/minictl-e2e.XXXXXX)
trap 'rm -rf "$copy"' EXIT
tar -C "$repo" --exclude=./.git --exclude=./.nx -cf - . | tar -C "$copy" -xf -
chown -R "$user:" "$copy"
chmod 755 "$copy"
home=$(getent passwd "$user" | cut -d: -f6)
cd "$copy/test"
runuser -u "$user" -- env -i PATH="$PATH" HOME="$home" USER="$user" LOGNAME="$user" TERM="${TERM:-dumb}" CI="${CI:-}" \
  npx vitest run "$@"
