// JSON body parsing for the routes that take a body (not app-wide: GETs skip it entirely).
// Wrong content type -> 415; bodies over 1 MB -> 413 and malformed JSON -> 422 as FastAPI answers it (via the error handler).
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from '../../domain/errors.js';

export const BODY_LIMIT = '1mb';

const parse = express.json({ limit: BODY_LIMIT, strict: false, type: ['application/json', 'application/*+json'] });

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

export const jsonBody: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
  if (hasBody(req) && !req.is(['application/json', 'application/*+json'])) {
    next(new AppError(415, 'Unsupported Media Type: send application/json'));
    return;
  }
  parse(req, res, next);
};
