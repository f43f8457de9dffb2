// API versioning: the items/predict/model API is served under /v1; the lab's unversioned paths stay
// as aliases of the same handlers (never removed), answered with RFC 9745 `Deprecation` and a
// `Link` to their /v1 successor. A /v1 request is routed by stripping the prefix, so both spellings
// run the same route (and share its metrics label, e.g. /items/:id). Service endpoints (/, /health,
// probes, /metrics, docs) are not versioned. Clients: docs/app/api.md.
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export const API_PREFIX = '/v1';

/** The versioned resources (what follows /v1). */
const VERSIONED = /^\/(?:items|predict|model)(?:[/?]|$)/;

/** When the unversioned paths were deprecated (2026-12-07T00:00:00Z), as RFC 9745's @epoch. */
export const DEPRECATED_SINCE = '@1796601600';
const DOCS_LINK = '</docs>; rel="deprecation"; type="text/html"';

declare module 'express-serve-static-core' {
  interface Locals {
    /** '/v1' when the request came in versioned, else '' (for Location and Link headers). */
    apiBase?: string;
  }
}

export const apiVersion: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
  const url = req.url;
  if (url.startsWith(API_PREFIX) && VERSIONED.test(url.slice(API_PREFIX.length))) {
    req.url = url.slice(API_PREFIX.length);
    res.locals.apiBase = API_PREFIX;
  } else if (VERSIONED.test(url)) {
    res.locals.apiBase = '';
    res.setHeader('Deprecation', DEPRECATED_SINCE);
    res.append('Link', [`<${API_PREFIX}${req.path}>; rel="successor-version"`, DOCS_LINK]);
  }
  next();
};
