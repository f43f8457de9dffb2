// Runs a TypeScript entry point (default cdk8s/main.ts) from source, so `npm run synth` needs
// neither a build step nor the cdk8s CLI and __dirname-relative paths point into the source tree.
'use strict';
const path = require('node:path');

require('./swc-register.cjs');
require(path.resolve(process.argv[2] ?? path.join(__dirname, 'main.ts')));
