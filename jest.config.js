// @swc/jest transforms our TypeScript and the ESM-only dependencies to CommonJS.
// Type-checking is a separate step (`npm run typecheck`).
const esm = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose'];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esm.join('|')})/)`],
  // Sources import with NodeNext's explicit `.js` extensions; under jest resolve them to the `.ts` files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // One Postgres and one kube-apiserver per run; each test file makes its own database / namespace.
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  reporters: ['default', '<rootDir>/test/summary-reporter.cjs'],
  maxWorkers: 2,
  testTimeout: 60000,
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/cdk8s/dist/'],
};
