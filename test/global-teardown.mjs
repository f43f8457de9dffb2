import { teardown as teardownPostgres } from './harness/postgres/global.mjs';
import { teardown as teardownControlPlane } from './harness/envtest/global.mjs';

export default async function globalTeardown() {
  await Promise.allSettled([teardownPostgres(), teardownControlPlane()]);
}
