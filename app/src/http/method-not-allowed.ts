// A known path with an unknown method answers 405 with `Allow`, as FastAPI does, instead of 404.
// Built from the router's own route table, so the Allow header can never disagree with it; mounted
// after every route, so requests that match a route never pass through it.
import { Router } from 'express';

export function methodNotAllowed(routes: Router): Router {
  const allowed = new Map<string, Set<string>>();
  for (const layer of routes.stack) {
    if (!layer.route) continue;
    const paths = ([] as string[]).concat(layer.route.path);
    for (const p of paths) {
      const methods = allowed.get(p) ?? new Set<string>();
      for (const handler of layer.route.stack) if (handler.method) methods.add(handler.method.toUpperCase());
      allowed.set(p, methods);
    }
  }
  const r = Router();
  for (const [p, methods] of allowed) {
    if (methods.has('GET')) methods.add('HEAD'); // Express answers HEAD for every GET route
    const allow = [...methods].sort().join(', ');
    r.all(p, (_req, res) => {
      res.setHeader('Allow', allow);
      res.status(405).json({ detail: 'Method Not Allowed' });
    });
  }
  return r;
}
