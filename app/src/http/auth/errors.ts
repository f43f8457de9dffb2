// Bearer-token failures (RFC 6750 §3): the challenge travels in WWW-Authenticate, the body is
// FastAPI's `{"detail": ...}`. An issuer we cannot reach is a 503, never an open door.
import { AppError, ServiceUnavailableError } from '../../domain/errors.js';

export const REALM = 'fastapiapp';

const quoted = (s: string) => s.replace(/["\\]/g, '');

export function challenge(error: 'invalid_token' | 'insufficient_scope', description: string, scope: string): string {
  return `Bearer realm="${REALM}", error="${error}", error_description="${quoted(description)}", scope="${quoted(scope)}"`;
}

/** No, malformed, expired or otherwise unacceptable token: 401. */
export class InvalidTokenError extends AppError {
  constructor(detail: string, readonly reason?: string) {
    super(401, detail);
  }

  /** The same failure answered for a route needing `scope`. */
  withChallenge(scope: string): this {
    this.headers = { 'WWW-Authenticate': challenge('invalid_token', String(this.detail), scope) };
    return this;
  }
}

/** A valid token without the scope the route needs: 403. */
export class InsufficientScopeError extends AppError {
  constructor(scope: string) {
    super(403, `Not enough permissions: scope "${scope}" required`);
    this.headers = { 'WWW-Authenticate': challenge('insufficient_scope', `scope ${scope} required`, scope) };
  }
}

/** The issuer's discovery document or JWKS could not be fetched (and no cached key fits): 503. */
export class AuthUnavailableError extends ServiceUnavailableError {
  constructor(cause?: unknown) {
    super('Authorization server unavailable; retry later', cause, 5);
  }
}
