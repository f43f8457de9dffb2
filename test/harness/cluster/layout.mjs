// Fixed facts of the test cluster: names, addresses and host paths. One cluster per machine at a
// time (containerd and the kubelet use a few fixed host paths), serialised by LOCK_FILE.
//
// Every address is on a bridge the harness creates: pods, the node IP and the API server all live
// on BRIDGE, and the service range is routed onto it, so no cluster packet can take the uplink.
export const NODE_NAME = 'fastapiapp-node';
export const BRIDGE = 'fapi0';
export const BRIDGE_IP = '10.244.0.1';
export const BRIDGE_PREFIX = 24;
export const POD_SUBNET = '10.244.0.0/24'; // = the node's podCIDR: the first /24 of CLUSTER_CIDR
export const CLUSTER_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/16';
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
export const API_PORT = 6443;
export const KUBELET_PORT = 10250;
export const PAUSE_IMAGE = 'localhost/fastapiapp-pause:1';
/**
 * The cluster's image registry (Debian's docker-registry): plain HTTP on the bridge, so only the
 * host and pods reach it. containerd is told it is plain HTTP (configs.mjs registryHostsToml).
 */
export const REGISTRY_PORT = 5000;
export const REGISTRY_HOST = `${BRIDGE_IP}:${REGISTRY_PORT}`;

/** Where a running cluster records itself: its directory, PIDs and the host state to restore. */
export const STATE_DIR = '/run/fastapiapp-cluster';
export const STATE_FILE = `${STATE_DIR}/state.json`;
export const LOCK_FILE = '/run/fastapiapp-cluster.lock';

/** Host paths containerd 1.6 and the kubelet use whatever they are told; removed at teardown if new. */
export const FIXED_HOST_PATHS = ['/run/containerd', '/var/lib/cni', '/var/lib/kubelet', '/var/log/containers', '/var/log/pods', '/etc/cni'];

/** Sysctls the kubelet (kernel tunables) and the CNI bridge plugin (ip_forward) change: saved and restored. */
export const TOUCHED_SYSCTLS = [
  'net.ipv4.ip_forward', 'net.ipv4.conf.all.forwarding', 'net.ipv6.conf.all.forwarding',
  'net.ipv4.conf.all.route_localnet', 'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables',
  'vm.overcommit_memory', 'vm.panic_on_oom', 'kernel.panic', 'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys', 'kernel.keys.root_maxbytes',
  'net.netfilter.nf_conntrack_max', 'net.netfilter.nf_conntrack_tcp_timeout_established',
  'net.netfilter.nf_conntrack_tcp_timeout_close_wait',
];
