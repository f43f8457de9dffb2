// One Postgres and one control plane (etcd + kube-apiserver) for the whole jest run.
// Each harness exports setup()/teardown() and publishes connection details through process.env,
// which jest hands to every test worker.
import { setup as setupPostgres } from './harness/postgres/global.mjs';
import { setup as setupControlPlane } from './harness/envtest/global.mjs';

export default async function globalSetup() {
  await Promise.all([setupPostgres(), setupControlPlane()]);
}
