// /items: CRUD. POST answers 201 Created with a Location header (the lab answered 200; see README).
import type { IRouter } from 'express';
import type { ItemsService } from '../../domain/items.js';
import { jsonBody } from '../middleware/json-body.js';
import { sendJson } from '../respond.js';
import { parseItemChanges, parseItemId, parseListQuery, parseNewItem } from '../validation.js';

export function itemsRoutes(r: IRouter, items: ItemsService): void {
  r.post('/items', jsonBody, async (req, res) => {
    const item = await items.create(parseNewItem(req.body));
    res.setHeader('Location', `/items/${item.id}`);
    sendJson(res, 201, item);
  });
  r.get('/items', async (req, res) => {
    sendJson(res, 200, await items.list(parseListQuery(req.query as Record<string, unknown>)));
  });
  r.get('/items/:id', async (req, res) => {
    sendJson(res, 200, await items.get(parseItemId(req.params.id)));
  });
  r.put('/items/:id', jsonBody, async (req, res) => {
    const id = parseItemId(req.params.id);
    sendJson(res, 200, await items.replace(id, parseNewItem(req.body)));
  });
  r.patch('/items/:id', jsonBody, async (req, res) => {
    const id = parseItemId(req.params.id);
    sendJson(res, 200, await items.update(id, parseItemChanges(req.body)));
  });
  r.delete('/items/:id', async (req, res) => {
    await items.remove(parseItemId(req.params.id));
    res.status(204).end();
  });
}
