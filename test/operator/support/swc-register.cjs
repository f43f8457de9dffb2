// `node -r ./test/operator/support/swc-register.cjs operator/src/main.ts`: runs the operator's
// TypeScript sources directly, so process-level tests need no build.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload hook */
'use strict';
require('../../../cdk8s/swc-register.cjs');
