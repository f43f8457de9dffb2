// The one error handler for every route: AppErrors become their status and `detail`; body-parser
// errors their 4xx (malformed JSON a FastAPI-shaped 422, as the lab answered); anything else a bare
// 500. No stack traces or SQL ever reach the client.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, ValidationError, type ValidationIssue } from '../domain/errors.js';

/** Unknown route (FastAPI's body for it). */
export const notFound: RequestHandler = (_req, res) => {
  res.status(404).json({ detail: 'Not Found' });
};

interface HttpishError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
}

const PARSER_ERRORS: Record<string, [number, string]> = {
  'entity.too.large': [413, 'Request body too large (limit 1 MB)'],
  'encoding.unsupported': [415, 'Unsupported content encoding'],
  'charset.unsupported': [415, 'Unsupported charset: send UTF-8 JSON'],
  'request.aborted': [400, 'Request aborted'],
  'request.size.invalid': [400, 'Request size did not match Content-Length'],
};

export const errorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  res.locals.error = err;
  if (res.headersSent) {
    res.end();
    return;
  }
  if (err instanceof ValidationError) {
    res.status(422).json({ detail: err.issues });
    return;
  }
  if (err instanceof AppError) {
    if (err.headers) res.set(err.headers);
    res.status(err.status).json({ detail: err.detail });
    return;
  }
  const e = err as HttpishError;
  if (e?.type === 'entity.parse.failed') {
    res.status(422).json({ detail: [jsonDecodeIssue(err)] });
    return;
  }
  const known = e?.type ? PARSER_ERRORS[e.type] : undefined;
  if (known) {
    res.status(known[0]).json({ detail: known[1] });
    return;
  }
  const status = e?.status ?? e?.statusCode;
  // A 4xx from Express itself (e.g. a path parameter that is not valid percent-encoding) is the client's.
  if (typeof status === 'number' && status >= 400 && status < 500) {
    res.status(status).json({ detail: 'Bad Request' });
    return;
  }
  res.status(500).json({ detail: 'Internal Server Error' });
};

/**
 * FastAPI's answer to a body that is not JSON: 422 with one `json_invalid` issue at
 * ["body", <character position>] (the parser's position, when it names one; else 0).
 */
export function jsonDecodeIssue(err: unknown): ValidationIssue {
  const at = /position (\d+)/.exec(err instanceof Error ? err.message : '');
  return { loc: ['body', at ? Number(at[1]) : 0], msg: 'JSON decode error', type: 'json_invalid' };
}
