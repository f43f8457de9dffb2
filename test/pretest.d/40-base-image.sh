#!/usr/bin/env bash
# The local base image the image suites build on (localhost/node-base: debootstrap'd Debian bookworm
# + this machine's node/npm), since no registry image can be pulled here. Built once (~1-2 min) and
# cached outside the repo (buildah's vfs storage + ~/.cache/fastapiapp-images); a no-op afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
  # Other suites can still run; test/images fails on its own, saying the same.
  echo "pretest: skipping the base image: test/images needs root (buildah vfs + chroot isolation, mount)" >&2
  exit 0
fi
bash test/images/make-base-image.sh
