// Per-client rate limits (express-rate-limit): the client is the verified token's subject, else the
// IP address (an IPv6 client by its /56, as one host usually holds a whole prefix). Counters live
// in this process: each pod limits on its own, so a Service with N replicas admits up to N x the
// limit (docs/platform/security.md says why there is no shared store).
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { AppError } from '../../domain/errors.js';

class TooManyRequestsError extends AppError {
  constructor() {
    super(429, 'Too Many Requests');
  }
}

/** A limiter named `name` (the RateLimit-Policy name) of `limit` requests per `windowMs`; undefined when limit is 0 (unlimited). */
export function perClientLimit(name: string, limit: number, windowMs: number): RequestHandler | undefined {
  if (limit === 0) return undefined;
  return rateLimit({
    windowMs,
    limit,
    identifier: name,
    standardHeaders: 'draft-8', // RateLimit-Policy + RateLimit; Retry-After on a 429
    legacyHeaders: false,
    keyGenerator: (req, res) => {
      const subject = res.locals.principal?.subject;
      return subject !== undefined ? `sub:${subject}` : `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown', 56)}`;
    },
    handler: (_req, _res, next) => next(new TooManyRequestsError()),
  });
}
