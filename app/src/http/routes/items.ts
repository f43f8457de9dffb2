// /items: CRUD. POST answers 201 Created with a Location header (the lab answered 200; docs/app/api.md).
// Item responses carry an ETag; writes honour If-Match (conditional.ts); POST honours Idempotency-Key.
import type { IRouter } from 'express';
import type { ItemsService } from '../../domain/items.js';
import type { VersionedItem } from '../../domain/types.js';
import { expectedVersions, sendItem } from '../conditional.js';
import { idempotencyKey } from '../idempotency.js';
import { jsonBody } from '../middleware/json-body.js';
import { nextLink } from '../pagination.js';
import { sendJson } from '../respond.js';
import { parseItemChanges, parseItemId, parseListQuery, parseNewItem } from '../validation.js';

export function itemsRoutes(r: IRouter, items: ItemsService): void {
  r.post('/items', jsonBody, async (req, res) => {
    const key = idempotencyKey(req);
    const input = parseNewItem(req.body);
    let created: VersionedItem;
    if (key === undefined) {
      created = await items.create(input);
    } else {
      const once = await items.createOnce(key, input);
      created = once.created;
      if (once.replayed) res.setHeader('Idempotent-Replayed', 'true');
    }
    res.setHeader('Location', `${res.locals.apiBase ?? ''}/items/${created.item.id}`);
    sendItem(req, res, 201, created);
  });
  r.get('/items', async (req, res) => {
    const query = parseListQuery(req.query as Record<string, unknown>);
    const page = await items.list(query);
    const next = nextLink(req, query, page);
    if (next) res.append('Link', next);
    sendJson(res, 200, page);
  });
  r.get('/items/:id', async (req, res) => {
    sendItem(req, res, 200, await items.get(parseItemId(req.params.id)));
  });
  r.put('/items/:id', jsonBody, async (req, res) => {
    const id = parseItemId(req.params.id);
    sendItem(req, res, 200, await items.replace(id, parseNewItem(req.body), expectedVersions(req)));
  });
  r.patch('/items/:id', jsonBody, async (req, res) => {
    const id = parseItemId(req.params.id);
    sendItem(req, res, 200, await items.update(id, parseItemChanges(req.body), expectedVersions(req)));
  });
  r.delete('/items/:id', async (req, res) => {
    await items.remove(parseItemId(req.params.id), expectedVersions(req));
    res.status(204).end();
  });
}
