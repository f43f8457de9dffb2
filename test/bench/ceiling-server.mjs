// The ceiling for the app benchmark: node:http + a plain pg Pool, no framework, no ORM, the same
// queries, the same database and the same sentiment model as the app. Whatever the app loses
// against this is framework, validation, ORM and observability overhead.
// Env: DATABASE_URL, PORT, DB_POOL_MAX (default 10, as the app), APP_BUILD (compiled app, default dist/).
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pg = require('pg');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { createSentimentModel } = require(path.join(process.env.APP_BUILD ?? path.join(root, 'dist'), 'app/src/domain/sentiment/model.js'));

const model = createSentimentModel();
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10), connectionTimeoutMillis: 2000 });
pool.on('error', () => {});
const COLUMNS = 'id, name, description, price, sentiment, sentiment_score, created_at';

function send(res, status, body) {
  sendText(res, status, JSON.stringify(body));
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString()));
      } catch (e) {
        reject(e);
      }
    });
  });
}

const toItem = (r) => ({ ...r, created_at: r.created_at.toISOString() });

// The list as Postgres builds it: one JSON text (row_to_json, string_agg), sent as it is (no row parsing,
// no Date objects, no JSON.stringify in Node), in the app's wire format (created_at in ms, UTC, Z).
const LIST_JSON = `SELECT '[' || coalesce(string_agg(row_to_json(t)::text, ',' ORDER BY t.id), '') || ']' AS body FROM (
  SELECT id, name, description, price, sentiment, sentiment_score,
         to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
  FROM items WHERE id > $3 ORDER BY id LIMIT $1 OFFSET $2) t`;

function sendText(res, status, json) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && (req.url === '/items' || req.url.startsWith('/items?'))) {
      const q = new URL(req.url, 'http://x').searchParams;
      const values = [Number(q.get('limit') ?? 100), Number(q.get('offset') ?? 0), Number(q.get('after_id') ?? 0)];
      const { rows } = await pool.query({ name: 'items_list_json', text: LIST_JSON, values });
      return sendText(res, 200, rows[0].body);
    }
    if (req.method === 'GET' && req.url.startsWith('/items/')) {
      const id = Number(req.url.slice(7));
      const { rows } = await pool.query({ name: 'item_by_id', text: `SELECT ${COLUMNS} FROM items WHERE id = $1 LIMIT 1`, values: [id] });
      return rows[0] ? send(res, 200, toItem(rows[0])) : send(res, 404, { detail: 'Item not found' });
    }
    if (req.method === 'POST' && req.url === '/items') {
      const b = await readJson(req);
      const p = model.predict(b.description);
      const { rows } = await pool.query({
        name: 'item_insert',
        text: `INSERT INTO items (name, description, price, sentiment, sentiment_score) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
        values: [b.name, b.description, b.price ?? 0, p.sentiment, p.score],
      });
      res.setHeader('Location', `/items/${rows[0].id}`);
      return send(res, 201, toItem(rows[0]));
    }
    if (req.method === 'POST' && req.url === '/predict') {
      return send(res, 200, model.predict((await readJson(req)).text));
    }
    if (req.method === 'GET' && req.url === '/health') {
      await pool.query('SELECT 1');
      return send(res, 200, { status: 'healthy', database: 'connected', model: 'loaded' });
    }
    send(res, 404, { detail: 'Not Found' });
  } catch {
    send(res, 500, { detail: 'Internal Server Error' });
  }
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
