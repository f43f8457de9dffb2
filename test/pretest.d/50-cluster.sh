#!/usr/bin/env bash
# The real one-node cluster of test/e2e (test/harness/cluster): Debian's containerd, runc, CNI
# plugins, netfilter tools and docker-registry (the kubelet pulls from it; the harness runs it on
# the cluster bridge, not as the package's service), and the node components built once from
# test/cluster/ with the machine's Go (about 5 min after the envtest build has warmed the Go build cache; then cached).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
  echo "pretest: the test cluster needs root (containerd, kubelet, network namespaces, iptables); test/e2e will fail without it" >&2
  exit 0
fi
have() { command -v "$1" >/dev/null 2>&1; }
need=()
have containerd || need+=(containerd)
have runc || need+=(runc)
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] || need+=(containernetworking-plugins)
have conntrack || need+=(conntrack)
have iptables || need+=(iptables)
have nft || need+=(nftables)
have ip || need+=(iproute2)
have socat || need+=(socat)
have ipset || need+=(ipset)
have ethtool || need+=(ethtool)
have docker-registry || need+=(docker-registry)
if [ ${#need[@]} -gt 0 ]; then
  have apt-get || { echo "pretest: missing for the test cluster: ${need[*]} (Debian packages)" >&2; exit 1; }
  echo "pretest: installing ${need[*]} (apt-get, for the test cluster)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
  # Under systemd the package starts its own registry on every interface (:5000): not wanted here.
  if [[ " ${need[*]} " == *" docker-registry "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
  fi
fi
bash test/cluster/build.sh >/dev/null
