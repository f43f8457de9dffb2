// `node -r ./test/operator/support/swc-register.cjs operator/src/main.ts`: runs the operator's
// TypeScript sources directly, so process-level tests need no build.
'use strict';
require('../../../cdk8s/swc-register.cjs');
