// /openapi.json and /docs: Swagger UI from the swagger-ui-dist package (no CDN), and only the files
// its page loads (not the package's folder: no package.json, no stock index loading an example
// API). The page runs under a strict CSP: no inline script, everything from this origin.
import path from 'node:path';
import type { IRouter, Response } from 'express';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>API docs</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

// persistAuthorization keeps a token pasted into Authorize across reloads of the page.
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', persistAuthorization: true });`;

/** The UI's CSS embeds its icons as data: URLs; "Try it out" and the spec are fetched from this origin. */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// The package's main module loads the whole 1 MB UI bundle into the server: resolve the folder only.
const ASSETS = path.dirname(require.resolve('swagger-ui-dist/package.json'));
/** Everything the page loads from the package. */
export const DOCS_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js'] as const;

function page(res: Response, type: string, body: string): void {
  res.setHeader('Content-Security-Policy', DOCS_CSP);
  res.type(type).send(body);
}

export function docsRoutes(r: IRouter, openApi: object): void {
  const doc = JSON.stringify(openApi);
  r.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(doc);
  });
  r.get('/docs', (_req, res) => page(res, 'html', PAGE)); // also matches /docs/ (non-strict routing)
  r.get('/docs/init.js', (_req, res) => page(res, 'application/javascript', INIT));
  for (const file of DOCS_ASSETS) {
    r.get(`/docs/${file}`, (_req, res, next) => {
      res.setHeader('Content-Security-Policy', DOCS_CSP);
      res.sendFile(path.join(ASSETS, file), { maxAge: '1h' }, (err) => err && next(err));
    });
  }
}
