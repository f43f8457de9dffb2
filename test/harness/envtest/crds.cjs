// Installs CustomResourceDefinitions from YAML files (server-side apply, field manager
// "envtest") and waits until the API server reports them Established.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { parseAllDocuments } = require('yaml');
const { apiRequest } = require('./kubeconfig.cjs');
const { waitFor } = require('../poll.cjs');

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

class CrdError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CrdError';
  }
}

/** CRD objects in a YAML file; other kinds are rejected so a misplaced manifest is noticed. */
function readCrds(file) {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  const objects = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new CrdError(`${file}: ${doc.errors[0].message}`);
    const obj = doc.toJSON();
    if (obj == null) continue;
    if (obj.kind !== 'CustomResourceDefinition') {
      throw new CrdError(`${file}: expected only CustomResourceDefinition documents, found ${obj.kind} ${obj.metadata?.name ?? ''}`);
    }
    objects.push(obj);
  }
  return objects;
}

/** *.yaml / *.yml directly in dir (not subdirectories such as crds/examples/), sorted. */
function crdFilesIn(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
}

async function applyCrd(conn, crd) {
  const name = crd.metadata?.name;
  if (!name) throw new CrdError('CRD without metadata.name');
  await apiRequest(conn, 'PATCH', `${CRD_PATH}/${name}?fieldManager=envtest&force=true`,
    { body: crd, contentType: 'application/apply-patch+yaml' });
  return name;
}

/** Polls until every named CRD has condition Established=True. */
async function waitForCrdsEstablished(conn, names, { timeoutMs = 30000, intervalMs = 100 } = {}) {
  const pending = new Set(names);
  await waitFor(`CRDs Established (${names.join(', ')})`, async () => {
    for (const name of [...pending]) {
      const crd = await apiRequest(conn, 'GET', `${CRD_PATH}/${name}`);
      const established = (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
      if (established) pending.delete(name);
    }
    return pending.size === 0 ? true : undefined;
  }, timeoutMs, intervalMs, { makeError: (m) => new CrdError(`${m}; not yet: ${[...pending].join(', ')}`) });
}

/** Applies every CRD in the files and waits for all of them; returns the CRD names. */
async function installCrdFiles(conn, files, options) {
  const names = [];
  for (const file of files) {
    for (const crd of readCrds(file)) names.push(await applyCrd(conn, crd));
  }
  await waitForCrdsEstablished(conn, names, options);
  return names;
}

module.exports = { readCrds, crdFilesIn, applyCrd, waitForCrdsEstablished, installCrdFiles, CrdError };
