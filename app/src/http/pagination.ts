// Pagination links for list responses (RFC 8288 `Link`), leaving the body the lab's plain array.
// A full page may have a successor: `rel="next"` names the keyset cursor after its last id, with
// the same limit and filters (offset is dropped: the cursor already skips what it skipped).
import type { Request } from 'express';
import type { ListQuery } from '../domain/types.js';

/** The `Link` value for the page after `items`, or undefined when this page was the last. */
export function nextLink(req: Request, q: ListQuery, items: readonly { id: number }[]): string | undefined {
  if (items.length < q.limit || items.length === 0) return undefined;
  const params = new URLSearchParams({ limit: String(q.limit) });
  if (q.sentiment) params.set('sentiment', q.sentiment);
  if (q.name !== undefined) params.set('name', q.name);
  params.set('after_id', String((items[items.length - 1] as { id: number }).id));
  const path = req.originalUrl.split('?', 1)[0] as string; // keeps a /v1 prefix the request came with
  return `<${path}?${params.toString()}>; rel="next"`;
}
