// The host side of the cluster: the bridge and its guard rules, the sysctls and paths the
// components change, and the teardown that puts all of it back. Everything it changes is
// recorded first (saveHostState) so restoreHost can undo it from the state file alone, even
// after the process that started the cluster was killed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { BRIDGE, BRIDGE_IP, BRIDGE_PREFIX, FIXED_HOST_PATHS, SERVICE_CIDR, TOUCHED_SYSCTLS } from './layout.mjs';

const GUARD_CHAIN = 'FAPI-GUARD';

export function run(cmd, args, { allowFail = false, input } = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], input });
  } catch (err) {
    if (allowFail) return '';
    const detail = err.code === 'ENOENT' ? 'command not found' : (err.stderr || err.message).trim();
    throw new Error(`cluster: ${cmd} ${args.join(' ')}: ${detail}`);
  }
}

const sysctlPath = (key) => `/proc/sys/${key.replaceAll('.', '/')}`;

export function readSysctls(keys = TOUCHED_SYSCTLS) {
  const out = {};
  for (const key of keys) {
    try {
      out[key] = fs.readFileSync(sysctlPath(key), 'utf8').trim();
    } catch {
      // not present on this kernel (e.g. conntrack before the module loads)
    }
  }
  return out;
}

function writeSysctls(values) {
  const failed = [];
  for (const [key, value] of Object.entries(values)) {
    try {
      if (fs.readFileSync(sysctlPath(key), 'utf8').trim() !== value) fs.writeFileSync(sysctlPath(key), `${value}\n`);
    } catch (err) {
      failed.push(`${key}: ${err.message}`);
    }
  }
  return failed;
}

const nftTables = () => run('nft', ['list', 'tables']).split('\n').map((l) => l.trim()).filter(Boolean);

/** Everything restoreHost needs, taken before anything is changed. */
export function saveHostState() {
  return {
    sysctls: readSysctls(),
    nftTables: nftTables(),
    iptables: run('iptables-save', []),
    ip6tables: run('ip6tables-save', []),
    existingPaths: FIXED_HOST_PATHS.filter((p) => fs.existsSync(p)),
  };
}

/** The bridge everything lives on, the service range routed onto it, and the forwarding guard. */
export function setUpNetwork() {
  if (run('ip', ['-o', 'link', 'show', BRIDGE], { allowFail: true })) {
    throw new Error(`cluster: link ${BRIDGE} already exists: a cluster is running or was not torn down (npm run cluster -- down)`);
  }
  run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  fs.writeFileSync(`/proc/sys/net/ipv6/conf/${BRIDGE}/disable_ipv6`, '1\n');
  run('ip', ['addr', 'add', `${BRIDGE_IP}/${BRIDGE_PREFIX}`, 'dev', BRIDGE]);
  run('ip', ['link', 'set', BRIDGE, 'up']);
  // A ClusterIP that no rule translates stays on the bridge instead of following the default route.
  run('ip', ['route', 'add', SERVICE_CIDR, 'dev', BRIDGE, 'src', BRIDGE_IP]);
  // The CNI bridge plugin turns ip_forward on: nothing may be forwarded between the bridge and any
  // other interface (the uplink), in either direction, while the cluster runs.
  run('iptables', ['-w', '-N', GUARD_CHAIN]);
  run('iptables', ['-w', '-A', GUARD_CHAIN, '-i', BRIDGE, '!', '-o', BRIDGE, '-j', 'DROP']);
  run('iptables', ['-w', '-A', GUARD_CHAIN, '!', '-i', BRIDGE, '-o', BRIDGE, '-j', 'DROP']);
  run('iptables', ['-w', '-I', 'FORWARD', '1', '-j', GUARD_CHAIN]);
}

/** Detaches and removes anything mounted below `dir` (netns, pod volumes, overlay snapshots), deepest first. */
export function unmountBelow(dir) {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((m) => m && (m === dir || m.startsWith(prefix)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) run('umount', ['-l', m], { allowFail: true });
  return mounts.length;
}

/** Removes the cgroups the kubelet made (cgroupfs driver: `kubepods` under every v1 controller). */
export function removeKubeCgroups() {
  const roots = fs.readdirSync('/sys/fs/cgroup').map((c) => `/sys/fs/cgroup/${c}/kubepods`).filter((p) => fs.existsSync(p));
  const rmTree = (p) => {
    for (const e of fs.readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) rmTree(`${p}/${e.name}`);
    try {
      fs.rmdirSync(p);
    } catch {
      // a process still in it; reported by the caller's host comparison
    }
  };
  for (const r of roots) rmTree(r);
}

/** Veths left attached to the bridge (their pod's netns is gone but the link survived). */
function removeBridgeLinks() {
  const links = run('ip', ['-o', 'link', 'show', 'master', BRIDGE], { allowFail: true });
  for (const line of links.split('\n')) {
    const name = line.split(':')[1]?.trim().split('@')[0];
    if (name) run('ip', ['link', 'del', name], { allowFail: true });
  }
  run('ip', ['link', 'del', BRIDGE], { allowFail: true });
}

/**
 * Puts the host back as saveHostState found it: iptables (kube-proxy's, the kubelet's and our
 * guard) restored to the saved rules and new nft tables dropped, the bridge and veths deleted,
 * the fixed host paths removed if they were new, sysctls restored. Returns problems, if any.
 */
export function restoreHost(saved, { kubeProxy } = {}) {
  const problems = [];
  if (kubeProxy) run(kubeProxy[0], [...kubeProxy.slice(1), '--cleanup'], { allowFail: true });
  removeBridgeLinks();
  run('iptables-restore', ['-w'], { input: saved.iptables, allowFail: true });
  run('ip6tables-restore', ['-w'], { input: saved.ip6tables, allowFail: true });
  for (const table of nftTables()) {
    if (!saved.nftTables.includes(table)) {
      const [, family, name] = table.split(/\s+/);
      run('nft', ['delete', 'table', family, name], { allowFail: true });
    }
  }
  removeKubeCgroups();
  for (const p of FIXED_HOST_PATHS) {
    if (saved.existingPaths.includes(p) || !fs.existsSync(p)) continue;
    unmountBelow(p);
    try {
      fs.rmSync(p, { recursive: true, force: true });
    } catch (err) {
      problems.push(`remove ${p}: ${err.message}`);
    }
  }
  problems.push(...writeSysctls(saved.sysctls));
  return problems;
}

/** What a comparison before `up` and after `down` looks at: links, addresses, routes, rules, sysctls. */
export function hostSnapshot() {
  const rules = (text) => text.split('\n').filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '')).join('\n');
  return {
    links: run('ip', ['-o', 'link', 'show']).split('\n').map((l) => l.replace(/^\d+: /, '').split(' ')[0]).filter(Boolean).sort(),
    addresses: run('ip', ['-o', 'addr', 'show']).split('\n').map((l) => l.replace(/^\d+: /, '').replace(/\\.*$/, '').trim()).filter(Boolean).sort(),
    routes: run('ip', ['route', 'show', 'table', 'all']).split('\n').filter(Boolean).sort(),
    iptables: rules(run('iptables-save', [])),
    ip6tables: rules(run('ip6tables-save', [])),
    nftTables: nftTables(),
    sysctls: readSysctls(),
    paths: FIXED_HOST_PATHS.filter((p) => fs.existsSync(p)),
    kubepodsCgroups: fs.readdirSync('/sys/fs/cgroup').filter((c) => fs.existsSync(`/sys/fs/cgroup/${c}/kubepods`)),
  };
}
