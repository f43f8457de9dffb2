// `node -r ./test/operator/support/swc-register.cjs operator/src/main.ts`: runs the operator's
// TypeScript sources directly (swc strips types, as jest does), so process-level tests need no build.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload hook */
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
