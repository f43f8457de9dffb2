// Kubeconfig files with embedded credentials, and a minimal HTTPS client for the few raw calls
// the harness itself makes (/readyz, CRDs) without loading @kubernetes/client-node.
'use strict';
const fs = require('node:fs');
const https = require('node:https');

const b64 = (file) => fs.readFileSync(file).toString('base64');

/** Kubeconfig YAML (JSON is valid YAML) for one client-cert user; context name "envtest". */
function kubeconfigYaml({ server, caFile, certFile, keyFile, user }) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'envtest', cluster: { server, 'certificate-authority-data': b64(caFile) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(certFile), 'client-key-data': b64(keyFile) } }],
    contexts: [{ name: 'envtest', context: { cluster: 'envtest', user } }],
    'current-context': 'envtest',
  }, null, 2);
}

function writeKubeconfig(file, conn) {
  fs.writeFileSync(file, kubeconfigYaml(conn), { mode: 0o600 });
  return file;
}

class ApiError extends Error {
  constructor(method, path, statusCode, body) {
    super(`${method} ${path}: HTTP ${statusCode} ${body.slice(0, 500)}`);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.body = body;
  }
}

/** One request with the connection's client cert; resolves { statusCode, body } (any status). */
function rawRequest(conn, method, path, { body, contentType = 'application/json', timeoutMs = 5000 } = {}) {
  const url = new URL(path, conn.server);
  const payload = body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method,
      ca: fs.readFileSync(conn.caFile),
      cert: fs.readFileSync(conn.certFile),
      key: fs.readFileSync(conn.keyFile),
      headers: payload === undefined ? { accept: 'application/json' }
        : { accept: 'application/json', 'content-type': contentType, 'content-length': Buffer.byteLength(payload) },
      timeout: timeoutMs,
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { data += chunk; });
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body: data }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Like rawRequest, but a non-2xx status rejects with ApiError; resolves the parsed JSON body. */
async function apiRequest(conn, method, path, options) {
  const res = await rawRequest(conn, method, path, options);
  if (res.statusCode < 200 || res.statusCode > 299) throw new ApiError(method, path, res.statusCode, res.body);
  return res.body ? JSON.parse(res.body) : undefined;
}

module.exports = { kubeconfigYaml, writeKubeconfig, rawRequest, apiRequest, ApiError };
