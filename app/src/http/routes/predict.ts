// Sentiment predictions and model information.
import type { IRouter, RequestHandler } from 'express';
import type { SentimentService } from '../../domain/sentiment/service.js';
import { jsonBody } from '../middleware/json-body.js';
import { clientGone } from '../middleware/request-context.js';
import { sendJson } from '../respond.js';
import { parsePredict, parsePredictBatch } from '../validation.js';

export function predictRoutes(r: IRouter, sentiment: SentimentService): void {
  // Before the body is read: a large body meeting a full scoring queue is refused unread.
  const admit: RequestHandler = (req, _res, next) => {
    const length = req.headers['content-length'];
    sentiment.admit(length === undefined ? undefined : Number(length));
    next();
  };
  r.post('/predict', admit, jsonBody, async (req, res) => {
    sendJson(res, 200, await sentiment.score(parsePredict(req.body), clientGone(res)));
  });
  r.post('/predict/batch', admit, jsonBody, async (req, res) => {
    sendJson(res, 200, { predictions: await sentiment.predictBatch(parsePredictBatch(req.body), clientGone(res)) });
  });
  r.get('/model/info', (_req, res) => {
    res.json(sentiment.info());
  });
}
