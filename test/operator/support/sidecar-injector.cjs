// A sidecar injector, as a mutating webhook or a service mesh would be: its own field manager,
// server-side apply, adding a container, an env var and a volume mount to our app container.
// Shared by test/operator/ownership.test.ts and bench:operator (CommonJS so both can load it).

/**
 * Injects the sidecar into `deployment` through `client`'s transport (a KubeClient of the operator).
 * @param {{ transport: { request: (spec: object) => Promise<unknown> } }} client
 * @param {{ metadata: { name: string, namespace: string }, spec: { selector: object, template: { metadata: { labels: object } } } }} deployment
 */
exports.injectSidecar = (client, deployment) => {
  const { name, namespace } = deployment.metadata;
  return client.transport.request({
    verb: 'apply', resource: 'deployments', method: 'PATCH', contentType: 'application/apply-patch+yaml',
    path: `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`, query: { fieldManager: 'sidecar-injector', force: true },
    body: {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
      spec: {
        selector: deployment.spec.selector,
        template: {
          metadata: { labels: deployment.spec.template.metadata.labels },
          spec: {
            containers: [
              { name: 'app', env: [{ name: 'INJECTED_PROXY', value: 'http://127.0.0.1:15001' }], volumeMounts: [{ name: 'certs', mountPath: '/etc/certs' }] },
              { name: 'proxy', image: 'registry.example/proxy:1', resources: { limits: { cpu: '100m', memory: '64Mi' } } },
            ],
            volumes: [{ name: 'certs', emptyDir: {} }],
          },
        },
      },
    },
  });
};
