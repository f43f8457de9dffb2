// Certificates for the control plane: a throwaway CA, the apiserver's serving cert and client
// certs (user = CN, groups = O). Keys come from node:crypto; node cannot write X.509, so
// certificates are issued by the openssl CLI (`req -x509 -CA`, OpenSSL >= 3.0).
'use strict';
const { generateKeyPairSync, randomBytes } = require('node:crypto');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

class EnvtestPkiError extends Error {
  constructor(message) {
    super(message);
    this.name = 'EnvtestPkiError';
  }
}

/** EC P-256 key pair as PEM (SEC1 private, SPKI public). */
function newKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { keyPem: privateKey, publicPem: publicKey };
}

// An explicit config keeps the distribution's openssl.cnf defaults (v3_ca on every -x509) out.
const minimalConfig = '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\n';

function dnPart(value) {
  if (!/^[\w.:@ -]+$/.test(value)) throw new EnvtestPkiError(`pki: unsupported character in subject part "${value}"`);
  return value;
}

function openssl(dir, args) {
  const cnf = path.join(dir, `.openssl-${randomBytes(4).toString('hex')}.cnf`);
  fs.writeFileSync(cnf, minimalConfig);
  try {
    execFileSync('openssl', ['req', '-config', cnf, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if (err.code === 'ENOENT') throw new EnvtestPkiError('pki: the openssl CLI is required (Debian: apt-get install openssl)');
    throw new EnvtestPkiError(`pki: openssl req failed: ${err.stderr?.toString() || err.message}`);
  } finally {
    fs.rmSync(cnf, { force: true });
  }
}

/** Writes <dir>/ca.key and <dir>/ca.crt; returns their paths. */
function createCa(dir, commonName = 'envtest-ca') {
  const keyFile = path.join(dir, 'ca.key');
  const certFile = path.join(dir, 'ca.crt');
  fs.writeFileSync(keyFile, newKeyPair().keyPem, { mode: 0o600 });
  openssl(dir, ['-x509', '-new', '-key', keyFile, '-subj', `/CN=${dnPart(commonName)}`, '-days', '3650',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-out', certFile]);
  return { keyFile, certFile };
}

/**
 * Issues <dir>/<name>.crt/.key signed by ca. For a client cert pass { user, groups }; for a
 * serving cert pass { serverNames: ['localhost'], ips: ['127.0.0.1'] }.
 */
function issueCert(ca, dir, name, { user, groups = [], serverNames = [], ips = [] }) {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  fs.writeFileSync(keyFile, newKeyPair().keyPem, { mode: 0o600 });
  const subject = groups.map((g) => `/O=${dnPart(g)}`).join('') + `/CN=${dnPart(user ?? name)}`;
  const server = serverNames.length + ips.length > 0;
  const ext = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${server ? 'serverAuth' : 'clientAuth'}`];
  if (server) ext.push(`subjectAltName=${[...serverNames.map((n) => `DNS:${n}`), ...ips.map((i) => `IP:${i}`)].join(',')}`);
  openssl(dir, ['-x509', '-new', '-key', keyFile, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-subj', subject,
    '-days', '365', ...ext.flatMap((e) => ['-addext', e]), '-out', certFile]);
  return { keyFile, certFile };
}

/** Service-account token signing key pair: <dir>/sa.key, <dir>/sa.pub. */
function createServiceAccountKeys(dir) {
  const { keyPem, publicPem } = newKeyPair();
  const keyFile = path.join(dir, 'sa.key');
  const publicKeyFile = path.join(dir, 'sa.pub');
  fs.writeFileSync(keyFile, keyPem, { mode: 0o600 });
  fs.writeFileSync(publicKeyFile, publicPem);
  return { keyFile, publicKeyFile };
}

module.exports = { createCa, issueCert, createServiceAccountKeys, EnvtestPkiError };
