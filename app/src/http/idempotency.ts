// The Idempotency-Key request header (IETF httpapi draft "The Idempotency-Key HTTP Header Field"):
// a Structured Field string, e.g. `Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"` (an
// unquoted token is accepted too). Semantics live in ItemsService.createOnce.
import type { Request } from 'express';
import { ValidationError } from '../domain/errors.js';

const KEY = /^[\x21\x23-\x5b\x5d-\x7e][\x20\x21\x23-\x5b\x5d-\x7e]{0,254}$/; // printable ASCII, no quote or backslash

/** The request's key, undefined without one; 422 (FastAPI's shape, loc header) for a malformed one. */
export function idempotencyKey(req: Request): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' && raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (typeof value === 'string' && KEY.test(value)) return value;
  throw new ValidationError([
    { loc: ['header', 'idempotency-key'], msg: 'Idempotency-Key must be 1-255 printable ASCII characters (no quote or backslash), as a string', type: 'string_pattern_mismatch' },
  ]);
}
