#!/usr/bin/env bash
# actionlint (and shellcheck, which actionlint runs on every `run:` script) for test/cicd.
# actionlint is built from its Go module with the machine's Go into a cache outside the repo and
# reused while the pinned version is unchanged. test/cicd finds it through the same path.
set -euo pipefail
ACTIONLINT_VERSION=v1.7.12
bin_dir="${FASTAPIAPP_TOOLS_DIR:-$HOME/.cache/fastapiapp-tools}/actionlint-$ACTIONLINT_VERSION"
export PATH="/usr/local/go/bin:$PATH"

if [ ! -x "$bin_dir/actionlint" ]; then
  command -v go >/dev/null || { echo "pretest: actionlint needs the Go toolchain (/usr/local/go/bin/go)" >&2; exit 1; }
  echo "pretest: building actionlint $ACTIONLINT_VERSION into $bin_dir"
  mkdir -p "$bin_dir"
  GOBIN="$bin_dir" CGO_ENABLED=0 go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi

if ! command -v shellcheck >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "pretest: installing shellcheck (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends shellcheck >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; }
  else
    echo "pretest: shellcheck is missing. Install the Debian package: apt-get install shellcheck" >&2
    exit 1
  fi
fi
