// Pure builders of every component's configuration and flags, from the cluster's directory
// layout (paths) and ports. No I/O: cluster.mjs writes and runs them.
import {
  API_PORT, BRIDGE, BRIDGE_IP, BRIDGE_PREFIX, CLUSTER_CIDR, KUBELET_PORT, NODE_NAME, PAUSE_IMAGE, POD_SUBNET, REGISTRY_HOST, SERVICE_CIDR,
} from './layout.mjs';

/** The cluster directory's layout; every component keeps its state below `dir`. */
export function clusterPaths(dir) {
  const p = (...parts) => [dir, ...parts].join('/');
  return {
    dir,
    pki: p('pki'),
    logs: p('logs'),
    etcdData: p('etcd'),
    containerdRoot: p('containerd', 'root'),
    containerdState: p('containerd', 'state'),
    containerdConfig: p('containerd', 'config.toml'),
    containerdSocket: p('containerd', 'containerd.sock'),
    /** containerd's registry config_path: one directory per registry host holding its hosts.toml. */
    containerdCerts: p('containerd', 'certs.d'),
    registryConfig: p('registry.yaml'),
    registryData: p('registry'),
    cniConfDir: p('cni', 'net.d'),
    cniIpamDir: p('cni', 'ipam'),
    kubeletRoot: p('kubelet'),
    kubeletCertDir: p('kubelet-pki'),
    kubeletConfig: p('kubelet-config.yaml'),
    podLogs: p('pod-logs'),
    volumePlugins: p('volume-plugins'),
    resolvConf: p('resolv.conf'),
    proxyConfig: p('kube-proxy-config.yaml'),
    images: p('images'),
    kubeconfig: (name) => p(`${name}.kubeconfig`),
  };
}

export const apiServerUrl = () => `https://${BRIDGE_IP}:${API_PORT}`;

export function containerdConfig(paths) {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${paths.containerdRoot}"
state = "${paths.containerdState}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${paths.containerdSocket}"

[${cri}]
  sandbox_image = "${PAUSE_IMAGE}"
  # Root here lacks CAP_SYS_RESOURCE: a negative oom_score_adj would fail every sandbox.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
  [${cri}.registry]
    config_path = "${paths.containerdCerts}"
  [${cri}.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${paths.cniConfDir}"
    max_conf_num = 1
`;
}

/** docker-registry's configuration: listens on the bridge only, stores blobs below the cluster's directory. */
export function registryConfig(paths) {
  return {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: paths.registryData }, cache: { blobdescriptor: 'inmemory' } },
    http: { addr: REGISTRY_HOST },
  };
}

/** containerd's hosts.toml for the registry (under containerdCerts/<host:port>/): plain HTTP, pull and resolve. */
export function registryHostsToml() {
  return `# The test cluster's registry serves plain HTTP on the bridge; nothing else is a mirror.
server = "http://${REGISTRY_HOST}"

[host."http://${REGISTRY_HOST}"]
  capabilities = ["pull", "resolve"]
`;
}

/** One bridge network; no masquerading, so pod traffic can only reach the bridge and the host. */
export function cniConfig(paths) {
  return {
    cniVersion: '0.4.0',
    name: 'fastapiapp',
    plugins: [{
      type: 'bridge',
      bridge: BRIDGE,
      isGateway: true,
      ipMasq: false,
      hairpinMode: true,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: POD_SUBNET, gateway: BRIDGE_IP }]],
        routes: [{ dst: '0.0.0.0/0' }],
        dataDir: paths.cniIpamDir,
      },
    }],
  };
}

export function kubeletConfig(paths, { healthzPort }) {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: BRIDGE_IP,
    port: KUBELET_PORT,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort,
    cgroupDriver: 'cgroupfs',
    failSwapOn: false,
    failCgroupV1: false,
    containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: `${paths.pki}/ca.crt` },
    },
    authorization: { mode: 'Webhook' },
    tlsCertFile: `${paths.pki}/kubelet-serving.crt`,
    tlsPrivateKeyFile: `${paths.pki}/kubelet-serving.key`,
    rotateCertificates: false,
    podLogsDir: paths.podLogs,
    volumePluginDir: paths.volumePlugins,
    // No cluster DNS: pods resolve nothing, so no lookup can leave the machine.
    resolvConf: paths.resolvConf,
    // The disk is shared with everything else on the machine; do not evict test pods over it.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    maxPods: 60,
  };
}

export function kubeProxyConfig(paths, { healthzPort, metricsPort }) {
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clientConnection: { kubeconfig: paths.kubeconfig('kube-proxy') },
    hostnameOverride: NODE_NAME,
    clusterCIDR: CLUSTER_CIDR,
    healthzBindAddress: `127.0.0.1:${healthzPort}`,
    metricsBindAddress: `127.0.0.1:${metricsPort}`,
    nodePortAddresses: [`${BRIDGE_IP}/32`],
    iptables: { localhostNodePorts: false, masqueradeAll: false },
    // Zeros: leave the host's conntrack sysctls alone.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  };
}

export function etcdArgs(paths, { clientPort, peerPort }) {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=cluster', `--data-dir=${paths.etcdData}`,
    `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=cluster=${peer}`,
    '--unsafe-no-fsync', '--log-level=warn',
  ];
}

export function apiServerArgs(paths, { etcdUrl }) {
  const pki = paths.pki;
  return [
    // On the bridge, not loopback: pods reach it through the `kubernetes` Service's endpoint.
    `--bind-address=${BRIDGE_IP}`, `--advertise-address=${BRIDGE_IP}`, `--secure-port=${API_PORT}`,
    `--etcd-servers=${etcdUrl}`,
    `--cert-dir=${pki}`, `--tls-cert-file=${pki}/apiserver.crt`, `--tls-private-key-file=${pki}/apiserver.key`,
    `--client-ca-file=${pki}/ca.crt`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki}/sa.pub`, `--service-account-signing-key-file=${pki}/sa.key`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    `--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt`, `--kubelet-client-key=${pki}/apiserver-kubelet-client.key`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
    '--allow-privileged=true',
    '--profiling=false',
    '--v=0',
  ];
}

export function controllerManagerArgs(paths, { securePort }) {
  const pki = paths.pki;
  const kubeconfig = paths.kubeconfig('kube-controller-manager');
  return [
    'kube-controller-manager',
    `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1', `--secure-port=${securePort}`,
    '--controllers=*', '--use-service-account-credentials=true',
    `--service-account-private-key-file=${pki}/sa.key`, `--root-ca-file=${pki}/ca.crt`,
    `--cluster-signing-cert-file=${pki}/ca.crt`, `--cluster-signing-key-file=${pki}/ca.key`,
    '--allocate-node-cidrs=true', `--cluster-cidr=${CLUSTER_CIDR}`, `--node-cidr-mask-size=${BRIDGE_PREFIX}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--leader-elect=false', '--profiling=false', '--v=0',
  ];
}

export function schedulerArgs(paths, { securePort }) {
  const kubeconfig = paths.kubeconfig('kube-scheduler');
  return [
    'kube-scheduler',
    `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1', `--secure-port=${securePort}`, '--leader-elect=false', '--profiling=false', '--v=0',
  ];
}

export function kubeletArgs(paths) {
  return [
    'kubelet',
    `--config=${paths.kubeletConfig}`, `--kubeconfig=${paths.kubeconfig('kubelet')}`,
    `--hostname-override=${NODE_NAME}`, `--node-ip=${BRIDGE_IP}`,
    `--root-dir=${paths.kubeletRoot}`, `--cert-dir=${paths.kubeletCertDir}`, '--v=0',
  ];
}

export function kubeProxyArgs(paths) {
  return ['kube-proxy', `--config=${paths.proxyConfig}`, '--v=0'];
}

/** Client identities (user = CN, groups = O) each component authenticates with. */
export const COMPONENT_USERS = {
  'kube-controller-manager': { user: 'system:kube-controller-manager' },
  'kube-scheduler': { user: 'system:kube-scheduler' },
  kubelet: { user: `system:node:${NODE_NAME}`, groups: ['system:nodes'] },
  'kube-proxy': { user: 'system:kube-proxy' },
  admin: { user: 'cluster-admin', groups: ['system:masters'] },
};
