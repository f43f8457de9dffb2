// A free TCP port on 127.0.0.1 (the OS picks it; closed again before it is returned).
// CommonJS so the .mjs harnesses, the TypeScript suites and the benchmarks can all load it.
'use strict';
const net = require('node:net');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

module.exports = { freePort };
