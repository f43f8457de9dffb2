// The NetworkPolicy of the app's pods (serving and migration: both reach the database).
// Ingress: the app port only from the app's namespace (or the pods spec.networkPolicy picks
// there), the allowed namespaces and CIDRs, and the monitoring namespace (Prometheus scrapes the
// app's /metrics). Egress is limited only once spec.networkPolicy.database says where the database
// is: to it, cluster DNS and the issuer's JWKS. Without it egress stays open (limiting it would cut
// the app off from a database the operator cannot know). Enforced only by a CNI that implements
// NetworkPolicy (Calico, Cilium, the VPC CNI with network policies on); others accept and ignore it.
import type { V1NetworkPolicy, V1NetworkPolicyEgressRule, V1NetworkPolicyIngressRule, V1NetworkPolicyPeer, V1NetworkPolicyPort } from '@kubernetes/client-node';
import { DEFAULT_DATABASE_PORT } from '../api/defaults';
import type { FastApiApp } from '../api/types';
import { withDefaults } from './defaults';
import { HTTP_PORT_NAME, METRICS_PORT_NAME } from './deployment';
import { APP_NAME, childLabels, INSTANCE_LABEL, NAME_LABEL } from './labels';
import { childName } from './names';
import { childMetadata } from './owner';

/** Label every namespace carries (Kubernetes >= 1.22): selects a namespace by name. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const namespacePeer = (name: string): V1NetworkPolicyPeer => ({ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: name } } });
/** Cluster DNS: kube-dns / CoreDNS pods in kube-system. */
const DNS_PEER: V1NetworkPolicyPeer = { ...namespacePeer('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } };

/** An ingress rule as JSON: client-node's model names `from` `_from` (its serializer renames it; these objects are sent as they are). */
const ingressRule = (from: V1NetworkPolicyPeer[], ports: V1NetworkPolicyPort[]): V1NetworkPolicyIngressRule =>
  ({ from, ports } as unknown as V1NetworkPolicyIngressRule);

export function buildNetworkPolicy(app: FastApiApp): V1NetworkPolicy {
  const np = withDefaults(app.spec).networkPolicy;
  const sources: V1NetworkPolicyPeer[] = [
    { podSelector: np.allowedPodLabels ? { matchLabels: { ...np.allowedPodLabels } } : {} },
    ...np.allowedNamespaces.map(namespacePeer),
    ...np.allowedCIDRs.map((cidr) => ({ ipBlock: { cidr } })),
  ];
  const appPort: V1NetworkPolicyPort[] = [{ protocol: 'TCP', port: HTTP_PORT_NAME }];
  const policy: V1NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: childMetadata(app, childName(app), childLabels(app)),
    spec: {
      podSelector: { matchLabels: { [NAME_LABEL]: APP_NAME, [INSTANCE_LABEL]: app.metadata.name } },
      policyTypes: np.database ? ['Ingress', 'Egress'] : ['Ingress'],
      ingress: [
        ingressRule(sources, appPort),
        // the app serves /metrics only on its metrics port (METRICS_PORT); Prometheus scrapes it pod to pod
        ingressRule([namespacePeer(np.monitoringNamespace)], [{ protocol: 'TCP', port: METRICS_PORT_NAME }]),
      ],
    },
  };
  if (np.database) {
    const db = np.database;
    const egress: V1NetworkPolicyEgressRule[] = [
      { to: [db.cidr ? { ipBlock: { cidr: db.cidr } } : { podSelector: { matchLabels: { ...db.podLabels } } }], ports: [{ protocol: 'TCP', port: db.port ?? DEFAULT_DATABASE_PORT }] },
      { to: [DNS_PEER], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
    ];
    if (np.issuer.cidrs.length > 0) egress.push({ to: np.issuer.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: np.issuer.port }] });
    policy.spec!.egress = egress;
  }
  return policy;
}
