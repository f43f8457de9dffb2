// Test-only fault injection for the delivery scenarios (issue 28), loaded into an image variant of the
// app with NODE_OPTIONS=--require. The production app carries none of this: the variant's image adds
// this file and the environment below (baked into its tag).
//   FAULT_VARIANT      every response on /items carries `x-fastapiapp-variant: <value>` (who answered)
//   FAULT_ERROR_RATIO  this share (0..1) of /items requests answers 500 instead, spread evenly (1 in 1/ratio)
//   FAULT_DELAY_MS     every /items response is held this long before it is sent
// Both act inside the app's own request handling (res.end), so its http_request_duration_seconds sees
// them as a user does: the 5xx status and the added latency. Probes and /metrics are untouched.
'use strict';
const http = require('node:http');

const variant = process.env.FAULT_VARIANT || '';
const ratio = Number(process.env.FAULT_ERROR_RATIO || 0);
const delayMs = Number(process.env.FAULT_DELAY_MS || 0);
if (!(ratio >= 0 && ratio <= 1) || !(delayMs >= 0)) throw new Error(`fault preload: bad FAULT_ERROR_RATIO=${ratio} or FAULT_DELAY_MS=${delayMs}`);

let n = 0;
const end = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function faultEnd(...args) {
  const url = this.req && this.req.url;
  if (this.headersSent || typeof url !== 'string' || !url.startsWith('/items')) return end.apply(this, args);
  if (variant) this.setHeader('x-fastapiapp-variant', variant);
  // the i-th request fails when floor(i * ratio) steps up: exactly `ratio` of them, evenly spaced
  const i = n++;
  if (ratio > 0 && Math.floor((i + 1) * ratio) > Math.floor(i * ratio)) {
    this.statusCode = 500;
    this.setHeader('content-type', 'application/json; charset=utf-8');
    this.removeHeader('content-length');
    args = [JSON.stringify({ detail: 'injected fault' })];
  }
  if (delayMs > 0) {
    setTimeout(() => end.apply(this, args), delayMs);
    return this;
  }
  return end.apply(this, args);
};
