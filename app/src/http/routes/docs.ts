// /openapi.json and /docs (Swagger UI served from the swagger-ui-dist package: no CDN).
import path from 'node:path';
import express, { type IRouter } from 'express';
import { openApiDocument } from '../openapi.js';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>API docs</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

// The package's main module loads the whole 1 MB UI bundle into the server: resolve the folder only.
const ASSETS = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });`;

export function docsRoutes(r: IRouter, info: { service: string; version: string }): void {
  const doc = JSON.stringify(openApiDocument(info));
  r.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(doc);
  });
  r.get('/docs', (_req, res) => { // also matches /docs/ (non-strict routing)
    res.type('html').send(PAGE);
  });
  r.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  r.use(
    '/docs',
    (_req, res, next) => {
      res.locals.routeLabel = '/docs/*';
      next();
    },
    express.static(ASSETS, { index: false, maxAge: '1h' }),
  );
}
