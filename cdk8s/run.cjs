// Runs a TypeScript entry point (default cdk8s/main.ts) from source, compiling each .ts file
// with swc on require, so `npm run synth` needs neither a build step nor the cdk8s CLI and
// __dirname-relative paths point into the source tree.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS script */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};

require(path.resolve(process.argv[2] ?? path.join(__dirname, 'main.ts')));
