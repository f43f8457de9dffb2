// Adds what the access rules change to the OpenAPI document: the bearer securityScheme (Swagger
// UI's Authorize button), `security` with the needed scope on each protected operation, and the
// 401/403/429 answers. Without AUTH_ISSUER the document says nothing about tokens: none are asked for.
import type { AccessDeps } from '../middleware/access.js';
import { scopeNames } from '../middleware/access.js';

type Operation = { security?: unknown; responses: Record<string, unknown> };
type Paths = Record<string, Record<string, Operation | unknown>>;

export const SECURITY_SCHEME = 'HTTPBearer'; // FastAPI's name for its HTTPBearer dependency

const detail = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Detail' } } } });
const AUTH_RESPONSES = {
  401: { ...detail('Missing, invalid or expired bearer token'), headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } },
  403: { ...detail('Token lacks the scope this operation needs'), headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } },
};
const LIMITED = { 429: { ...detail('Rate limit exceeded (per client, per pod)'), headers: { 'Retry-After': { schema: { type: 'integer' } }, RateLimit: { schema: { type: 'string' } } } } };

export function withSecurity(doc: { paths: Paths; components: Record<string, unknown> }, access: AccessDeps): typeof doc {
  const { auth, rateLimit } = access;
  const scopes = scopeNames(auth?.config.scopePrefix);
  const needs = (path: string, method: string): string | undefined => {
    if (!auth) return undefined;
    if (path.startsWith('/items')) {
      if (method !== 'get') return scopes.write;
      return auth.config.reads === 'required' ? scopes.read : undefined;
    }
    if (path.startsWith('/predict')) return auth.config.predict === 'required' ? scopes.predict : undefined;
    return undefined;
  };
  const limited = (path: string, method: string) =>
    rateLimit !== undefined && method !== 'get' && ((path.startsWith('/items') && rateLimit.writes > 0) || (path.startsWith('/predict') && rateLimit.predict > 0));
  for (const [documented, ops] of Object.entries(doc.paths)) {
    const path = documented.replace(/^\/v1(?=\/)/, ''); // /v1/items is /items (middleware/api-version.ts)
    for (const [method, value] of Object.entries(ops)) {
      if (method === 'parameters') continue;
      const op = value as Operation;
      const scope = needs(path, method);
      if (scope) {
        op.security = [{ [SECURITY_SCHEME]: [scope] }];
        Object.assign(op.responses, AUTH_RESPONSES, { 503: detail('Service unavailable (authorization server unreachable, database or model)') });
      }
      if (limited(path, method)) Object.assign(op.responses, LIMITED);
    }
  }
  if (auth) {
    doc.components.securitySchemes = {
      [SECURITY_SCHEME]: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: `OAuth2 access token (RFC 6750) issued by ${auth.config.issuer} for audience ${auth.config.audience}. Scopes: ${scopes.write} (item writes), ${scopes.read} (item reads when required), ${scopes.predict} (/predict when required).`,
      },
    };
  }
  return doc;
}
