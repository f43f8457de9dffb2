// helmet's headers on every response. The API answers JSON, so its CSP allows nothing at all;
// /docs sets its own, still strict, policy (routes/docs.ts). HSTS is sent too: browsers ignore it
// over plain HTTP and keep it once the app is reached over TLS (docs/platform/security.md).
import type { RequestHandler } from 'express';
import helmet from 'helmet';

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
    },
  });
}
