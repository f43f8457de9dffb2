// A kubeconfig exec credential plugin, as `aws eks get-token` is one: prints an ExecCredential
// (client.authentication.k8s.io/v1) on stdout. Run number N (counted in $PLUGIN_DIR/count)
// issues token tok-N, or with PLUGIN_MODE=cert the client certificate $PLUGIN_DIR/cert-N.crt/.key,
// valid for PLUGIN_TTL_MS (no expirationTimestamp when unset). Each run is logged to
// $PLUGIN_DIR/issued.jsonl with its expiry and the KUBERNETES_EXEC_INFO it was given.
// PLUGIN_FAIL=text makes it fail with that text on stderr; PLUGIN_API_VERSION overrides its apiVersion;
// PLUGIN_FIRST_TOKEN is the token of run 1 instead (e.g. one the API server does not know).
import fs from 'node:fs';
import path from 'node:path';

const dir = process.env.PLUGIN_DIR;
if (process.env.PLUGIN_FAIL) {
  process.stderr.write(`${process.env.PLUGIN_FAIL}\n`);
  process.exit(3);
}
const countFile = path.join(dir, 'count');
const n = (fs.existsSync(countFile) ? Number(fs.readFileSync(countFile, 'utf8')) : 0) + 1;
fs.writeFileSync(countFile, String(n));
const ttl = process.env.PLUGIN_TTL_MS ? Number(process.env.PLUGIN_TTL_MS) : undefined;
const expirationTimestamp = ttl === undefined ? undefined : new Date(Date.now() + ttl).toISOString();
const status = process.env.PLUGIN_MODE === 'cert'
  ? { clientCertificateData: fs.readFileSync(path.join(dir, `cert-${n}.crt`), 'utf8'), clientKeyData: fs.readFileSync(path.join(dir, `cert-${n}.key`), 'utf8') }
  : { token: n === 1 && process.env.PLUGIN_FIRST_TOKEN ? process.env.PLUGIN_FIRST_TOKEN : `tok-${n}` };
fs.appendFileSync(path.join(dir, 'issued.jsonl'), `${JSON.stringify({ n, expirationTimestamp, execInfo: JSON.parse(process.env.KUBERNETES_EXEC_INFO ?? 'null') })}\n`);
process.stdout.write(JSON.stringify({
  apiVersion: process.env.PLUGIN_API_VERSION ?? 'client.authentication.k8s.io/v1',
  kind: 'ExecCredential',
  status: { ...status, ...(expirationTimestamp ? { expirationTimestamp } : {}) },
}));
