#!/usr/bin/env bash
# Prints the global buildah flags the image suites use (one per line), so make-base-image.sh and the
# tests share one image store. overlay when this machine can mount it (layers cost nothing), in
# its own store under the cache dir; otherwise vfs in buildah's default store (every layer a full
# copy: slow with node_modules, but works everywhere). FASTAPIAPP_STORAGE_DRIVER=vfs|overlay forces one.
set -euo pipefail
cache="${FASTAPIAPP_IMAGE_CACHE:-$HOME/.cache/fastapiapp-images}"
driver="${FASTAPIAPP_STORAGE_DRIVER:-}"
# The probe's answer is remembered: every caller must see the same store, or an image built into
# one would be looked for in the other (a probe mount can fail on a busy machine).
decided="$cache/storage-driver"
if [ -z "$driver" ] && [ -s "$decided" ]; then driver="$(cat "$decided")"; fi
if [ -z "$driver" ]; then
  driver=vfs
  probe="$(mktemp -d)"
  mkdir -p "$probe"/{l,u,w,m}
  if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
    umount "$probe/m"
    driver=overlay
  fi
  rm -rf "$probe"
  mkdir -p "$cache" && echo "$driver" > "$decided.$$" && mv "$decided.$$" "$decided"
fi
case "$driver" in
  overlay) printf '%s\n' --storage-driver overlay --root "$cache/storage-overlay" --runroot /run/fastapiapp-images ;;
  vfs) printf '%s\n' --storage-driver vfs ;;
  *) echo "buildah-flags: unknown FASTAPIAPP_STORAGE_DRIVER=$driver (vfs|overlay)" >&2; exit 1 ;;
esac
