// Raw requests to the test API server, so tests can see status codes and error messages exactly
// as kubectl would (422 bodies, Table output, /openapi/v3, subresources).
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface KubeResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** Warning headers (e.g. Pod Security admission warnings). */
  warnings: string[];
}

export interface RequestOptions {
  body?: unknown;
  /** Default application/json; use application/merge-patch+json or application/apply-patch+yaml for PATCH. */
  contentType?: string;
  accept?: string;
}

export async function kubeRequest(kc: KubeConfig, method: string, path: string, options: RequestOptions = {}): Promise<KubeResponse> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no current cluster');
  const url = new URL(path, server);
  const opts: https.RequestOptions = {
    method,
    hostname: url.hostname,
    port: url.port,
    path: `${url.pathname}${url.search}`,
    headers: { Accept: options.accept ?? 'application/json' },
  };
  await kc.applyToHTTPSOptions(opts);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (payload !== undefined) {
    opts.headers = { ...opts.headers, 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) };
  }
  return new Promise((resolve, reject) => {
    const req = https.request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        const warning = res.headers.warning;
        const warnings = warning === undefined ? [] : Array.isArray(warning) ? warning : [warning];
        resolve({ status: res.statusCode ?? 0, body, warnings });
      });
    });
    req.setTimeout(30000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Like kubeRequest, but throws unless the status is 2xx. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function kubeOk(kc: KubeConfig, method: string, path: string, options: RequestOptions = {}): Promise<any> {
  const res = await kubeRequest(kc, method, path, options);
  if (res.status < 200 || res.status >= 300) {
    throw new Error(`${method} ${path}: ${res.status} ${typeof res.body === 'object' ? res.body?.message : res.body}`);
  }
  return res.body;
}

export const appsPath = (namespace: string, name = '') =>
  `/apis/platform.fastapiapp.io/v1alpha1/namespaces/${namespace}/fastapiapps${name ? `/${name}` : ''}`;
