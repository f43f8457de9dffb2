// Typed errors. The HTTP layer's one error handler turns them into responses;
// anything that is not an AppError becomes a bare 500 (details only in the log), and an
// uncaught exception ends the process (start.ts), since its state can no longer be trusted.

export interface ValidationIssue {
  /** FastAPI-style location, e.g. ["body", "name"] or ["path", "item_id"]. */
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class AppError extends Error {
  /** Response headers that belong to this error (WWW-Authenticate, Retry-After). */
  headers?: Readonly<Record<string, string>>;

  constructor(
    readonly status: number,
    /** Client-facing `detail`: never internals. */
    readonly detail: unknown,
    message?: string,
  ) {
    super(message ?? (typeof detail === 'string' ? detail : 'application error'));
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(readonly issues: ValidationIssue[]) {
    super(422, issues, issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
  }
}

export class NotFoundError extends AppError {
  constructor(detail = 'Not Found') {
    super(404, detail);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(detail: string, override readonly cause?: unknown, retryAfterSeconds?: number) {
    super(503, detail);
    if (retryAfterSeconds !== undefined) this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

/** A conditional write (If-Match) named a version the item no longer has: someone else changed it. */
export class PreconditionFailedError extends AppError {
  constructor() {
    super(412, 'Precondition Failed: the item changed since that version (read it again)');
  }
}

/** Idempotency-Key: a request with this key is still being processed (retry later). */
export class IdempotencyConflictError extends AppError {
  constructor() {
    super(409, 'A request with this Idempotency-Key is still being processed; retry later');
  }
}

/** Idempotency-Key reused with a different request body. */
export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super(422, 'This Idempotency-Key was already used with a different request body');
  }
}

/** The database could not be reached (refused, timed out, restarting). */
export class DatabaseUnavailableError extends ServiceUnavailableError {
  constructor(cause?: unknown) {
    super('Database unavailable', cause);
  }
}

export class ModelUnavailableError extends ServiceUnavailableError {
  constructor() {
    super('Sentiment model not loaded');
  }
}

/** The worker scoring this request stopped (crashed, ran out of memory, was killed); it is replaced, so a retry works. */
export class ScoringFailedError extends ServiceUnavailableError {
  constructor(cause?: unknown) {
    super('Sentiment scoring failed (worker stopped); retry the request', cause);
  }
}

/** Too many batches are waiting to be scored (SCORING_QUEUE_MAX): shed load instead of queueing without bound. */
export class ScoringBusyError extends ServiceUnavailableError {
  constructor() {
    super('Sentiment scoring is at capacity; retry later', undefined, 1);
  }
}

/** A batch was not scored within its deadline (SCORING_DEADLINE_MS). */
export class ScoringTimeoutError extends ServiceUnavailableError {
  constructor() {
    super('Sentiment scoring took too long; retry later', undefined, 1);
  }
}

/** The client went away before its work started: the work is dropped (logged and counted as 499). */
export class RequestAbortedError extends AppError {
  constructor() {
    super(499, 'Client closed request');
  }
}
