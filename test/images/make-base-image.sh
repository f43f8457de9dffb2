#!/usr/bin/env bash
# Builds the local stand-in for node:24-bookworm-slim, since no registry image can be pulled here:
# a debootstrap minbase Debian bookworm rootfs plus this machine's node and npm, laid out like the
# official image (/usr/local/bin/node, /usr/local/lib/node_modules/npm), tagged localhost/node-base.
#
# Idempotent and cached outside the repo:
#   1. image already in the suites' buildah store  -> nothing to do (store: see buildah-flags.sh)
#   2. rootfs tarball in $FASTAPIAPP_IMAGE_CACHE   -> wrap it (seconds)
#   3. otherwise debootstrap (~40-90 s), save tarball, wrap it
# Env: NODE_BASE_IMAGE (default localhost/node-base), FASTAPIAPP_IMAGE_CACHE
# (default ~/.cache/fastapiapp-images), DEBIAN_MIRROR (default: first URI in apt sources).
set -euo pipefail

image="${NODE_BASE_IMAGE:-localhost/node-base}"
cache="${FASTAPIAPP_IMAGE_CACHE:-$HOME/.cache/fastapiapp-images}"
mapfile -t store < <(bash "$(dirname "$0")/buildah-flags.sh")
buildah=(buildah "${store[@]}")

for tool in buildah debootstrap node; do
  command -v "$tool" >/dev/null || { echo "make-base-image: missing $tool (apt-get install buildah debootstrap)" >&2; exit 1; }
done

# Bump when the recipe below changes: an image built by an older recipe is rebuilt.
recipe=2
if "${buildah[@]}" inspect --type image "$image" 2>/dev/null | grep -q "\"local.fastapiapp.base-recipe\": \"$recipe\""; then
  echo "make-base-image: $image present"
  exit 0
fi

node_bin="$(readlink -f "$(command -v node)")"
node_version="$("$node_bin" --version)"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" # .../npm/bin/npm-cli.js -> .../npm
[ -f "$npm_dir/package.json" ] || { echo "make-base-image: cannot locate npm (got $npm_dir)" >&2; exit 1; }
tarball="$cache/node-base-bookworm-${node_version}.tar"

mkdir -p "$cache"
work="$(mktemp -d "$cache/work.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ ! -f "$tarball" ]; then
  mirror="${DEBIAN_MIRROR:-$( { grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null || true; } \
    | head -n1 | awk '{print $2}')}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  echo "make-base-image: debootstrap bookworm from $mirror"
  start=$(date +%s)
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
  echo "make-base-image: debootstrap took $(( $(date +%s) - start )) s"
  root="$work/rootfs"
  # Like the slim image: no docs, man pages, locales or apt lists.
  rm -rf "$root"/usr/share/{doc,man,info,locale}/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
         "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log
  install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  tar -C "$root" --numeric-owner -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
fi

cp "$tarball" "$work/rootfs.tar"
# This machine reaches the npm registry through a TLS-inspecting egress proxy whose CA only the host's
# bundle holds. The stand-in base trusts that bundle (as the host's npm does) so `npm ci` works in
# builds; the Dockerfiles stay unaware of it, and the official node image needs nothing of the kind.
ca_line=""
host_ca="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
if [ -f "$host_ca" ]; then
  cp "$host_ca" "$work/host-ca.crt"
  ca_line=$'COPY host-ca.crt /etc/ssl/certs/ca-certificates.crt\nENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'
fi
cat >"$work/Containerfile" <<EOF
FROM scratch
ADD rootfs.tar /
${ca_line}
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin NODE_VERSION=${node_version#v}
LABEL local.fastapiapp.base-recipe="$recipe"
CMD ["node"]
EOF
"${buildah[@]}" bud --isolation chroot --pull=never --layers=false -q -f "$work/Containerfile" -t "$image" "$work" >/dev/null
echo "make-base-image: built $image ($node_version) from $tarball"
