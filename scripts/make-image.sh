#!/usr/bin/env bash
# Build a small rootfs tarball (gzip) from what this machine has: Debian's busybox-static
# when installed, otherwise the host's /bin/sh and a few tools with the libraries they need.
# Used by the demo, the end-to-end tests and the benchmarks. Needs no network and no root.
set -euo pipefail
out=${1:?usage: make-image.sh OUT.tar.gz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,home,usr/bin,usr/sbin,var/tmp}
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 700 "$root/root"

is_static() { ! ldd "$1" >/dev/null 2>&1; }

if [ -x /bin/busybox ] && is_static /bin/busybox; then
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
else
  # No static busybox: the host's own shell and tools, with every library ldd names.
  for tool in sh cat ls id hostname mkdir touch rm sleep true false env stat ps kill wc head tail cut tr grep; do
    # type -P: the file on PATH, never a shell builtin
    src=$(type -P "$tool" || true)
    [ -n "$src" ] || continue
    cp -L "$src" "$root/bin/$tool"
    ldd "$src" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
      mkdir -p "$root$(dirname "$lib")"
      cp -Ln "$lib" "$root$lib"
    done
  done
fi

cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
tty:x:5:
nogroup:x:65534:
GROUP
echo 'minictl-demo' > "$root/etc/hostname"
# What minictl mounts its own over, as in a distribution's image (a --read-only root needs them).
printf '127.0.0.1\tlocalhost\n' > "$root/etc/hosts"
: > "$root/etc/resolv.conf"

mkdir -p "$(dirname "$out")"
tar --numeric-owner --owner=0 --group=0 -C "$root" -czf "$out.tmp" .
mv "$out.tmp" "$out"
