// Conditional requests (RFC 9110 §13) on items: the ETag is the item's version (updated_at in
// microseconds, stamped by the database). If-None-Match on GET -> 304; If-Match on writes -> the
// write applies only at one of the named versions (else 412: lost-update protection).
import type { Request, Response } from 'express';
import type { ExpectedVersions, VersionedItem } from '../domain/types.js';
import { sendJson } from './respond.js';

const ENTITY_TAG = /^(W\/)?"([^"]*)"$/;

export const etagOf = (version: string): string => `"${version}"`;

/** The opaque tags of a list header ('*' for any); weak tags dropped when the comparison is strong. */
function tags(header: string, strong: boolean): string[] | '*' {
  if (header.trim() === '*') return '*';
  const out: string[] = [];
  for (const part of header.split(',')) {
    const m = ENTITY_TAG.exec(part.trim());
    if (m && !(strong && m[1])) out.push(m[2] as string);
  }
  return out;
}

/** If-Match as the versions a write accepts; undefined when absent or `*` (any existing item). */
export function expectedVersions(req: Request): ExpectedVersions | undefined {
  const header = req.headers['if-match'];
  if (header === undefined) return undefined;
  const t = tags(header, true);
  return t === '*' ? undefined : t;
}

/** An item response with its ETag; 304 without a body when If-None-Match already names it. */
export function sendItem(req: Request, res: Response, status: number, { item, version }: VersionedItem): void {
  const etag = etagOf(version);
  res.setHeader('ETag', etag);
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && status === 200 && req.method === 'GET') {
    const t = tags(inm, false);
    if (t === '*' || t.includes(version)) {
      res.status(304).end();
      return;
    }
  }
  sendJson(res, status, item);
}
