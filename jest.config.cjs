// Three tiers, as jest projects (`--selectProjects`):
// - unit: pure code and files; no Postgres, no API server, no root, no Go (`npm run test:unit`).
// - integration: one embedded Postgres and one etcd + kube-apiserver per run (global setup),
//   Debian tools (promtool, buildah, ...); every test file not listed in another tier.
// - timed: the integration suites that bound latency under their own load; `npm test` runs them one
//   at a time after the integration tier, so no other test shares the cores with them.
// - cluster: the real one-node cluster suites; each starts its own cluster under a machine-wide
//   lock, so `npm test` runs them one at a time after the other tiers (test/run-tiers.sh).
// JEST_TIER=unit[,integration|timed|cluster] keeps only those projects (`npm run test:unit -- <path>`;
// jest's own --selectProjects would also swallow the path that follows it).
// @swc/jest transforms our TypeScript and the ESM-only dependencies to CommonJS; type-checking is
// a separate step (`npm run typecheck`).
const { UNIT, TIMED, CLUSTER } = require('./test/tiers.cjs');

const esm = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose'];
const at = (files) => files.map((f) => `<rootDir>/${f}`);

/** What every tier shares. */
const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esm.join('|')})/)`],
  // Sources import with NodeNext's explicit `.js` extensions; under jest resolve them to the `.ts` files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/cdk8s/dist/'],
};

/** One Postgres and one kube-apiserver per run; each test file makes its own database / namespace. */
const services = { globalSetup: '<rootDir>/test/global-setup.mjs', globalTeardown: '<rootDir>/test/global-teardown.mjs' };

const projects = [
  { ...base, displayName: 'unit', testMatch: at(UNIT) },
  {
    ...base,
    ...services,
    displayName: 'integration',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    testPathIgnorePatterns: [...UNIT, ...TIMED, ...CLUSTER].map((f) => `<rootDir>/${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
  },
  { ...base, ...services, displayName: 'timed', testMatch: at(TIMED) },
  { ...base, displayName: 'cluster', testMatch: at(CLUSTER) },
];
const tiers = process.env.JEST_TIER?.split(',');
const unknown = tiers?.filter((t) => !projects.some((p) => p.displayName === t)) ?? [];
if (unknown.length) throw new Error(`JEST_TIER: unknown tier(s) ${unknown.join(', ')} (unit, integration, timed, cluster)`);

/** @type {import('jest').Config} */
module.exports = {
  projects: tiers ? projects.filter((p) => tiers.includes(p.displayName)) : projects,
  reporters: ['default', '<rootDir>/test/summary-reporter.cjs'],
  maxWorkers: 2,
  testTimeout: 60000,
};
