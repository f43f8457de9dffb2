// requireScope(scope): the route needs a valid bearer token (RFC 6750 §2.1) carrying `scope`.
// The verified principal is left in res.locals for the rate limiter's client key.
import type { RequestHandler } from 'express';
import { InsufficientScopeError, InvalidTokenError } from './errors.js';
import type { Principal, TokenVerifier } from './verifier.js';

declare module 'express-serve-static-core' {
  interface Locals {
    /** The caller, when the route verified a bearer token. */
    principal?: Principal;
  }
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function requireScope(verifier: TokenVerifier, scope: string): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token === undefined) {
      next(new InvalidTokenError(header === undefined ? 'Not authenticated' : 'Authorization header is not a bearer token').withChallenge(scope));
      return;
    }
    verifier.verify(token).then(
      (principal) => {
        if (!principal.scopes.has(scope)) return next(new InsufficientScopeError(scope));
        res.locals.principal = principal;
        next();
      },
      (err: unknown) => next(err instanceof InvalidTokenError ? err.withChallenge(scope) : err),
    );
  };
}
