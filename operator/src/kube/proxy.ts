// Which proxy, if any, carries the connections to the API server, decided as client-go decides it:
// a kubeconfig cluster's `proxy-url` is used for every request (NO_PROXY does not apply to it);
// otherwise HTTPS_PROXY/https_proxy (HTTP_PROXY for an http:// server) unless NO_PROXY/no_proxy
// matches, with golang.org/x/net/http/httpproxy's rules: `*`, IP addresses and CIDR blocks,
// domain names matching themselves and their subdomains (`.x.y` and `*.x.y` subdomains only),
// each optionally with a port; localhost and loopback addresses never use an env proxy.
// The CONNECT tunnel itself is hpagent's and SOCKS5 is socks-proxy-agent's, the agents
// @kubernetes/client-node uses for `proxy-url`.
import type * as http from 'node:http';
import type * as https from 'node:https';
import { BlockList, isIP } from 'node:net';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { ProxyError } from './errors';

/** The proxy variables as read once at startup (the upper-case name wins, as in Go). */
export interface ProxyEnv {
  httpsProxy?: string;
  httpProxy?: string;
  noProxy?: string;
}

export class ProxyConfigError extends Error {
  override readonly name = 'ProxyConfigError';
}

const SCHEMES = new Set(['http:', 'https:', 'socks5:']);
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'socks5:': '1080' };

export function readProxyEnv(env: NodeJS.ProcessEnv): ProxyEnv {
  const any = (...names: string[]): string | undefined => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  return { httpsProxy: any('HTTPS_PROXY', 'https_proxy'), httpProxy: any('HTTP_PROXY', 'http_proxy'), noProxy: any('NO_PROXY', 'no_proxy') };
}

/** A kubeconfig `proxy-url`: a URL with scheme http, https or socks5 (client-go's rule). */
export function parseProxyUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ProxyConfigError(`"${raw}" is not a URL`);
  }
  if (!SCHEMES.has(url.protocol)) throw new ProxyConfigError(`"${raw}": unsupported scheme "${url.protocol.slice(0, -1)}", must be http, https or socks5`);
  if (!url.hostname) throw new ProxyConfigError(`"${raw}": no host`);
  return url;
}

/** An env proxy: a URL, or host[:port] meaning http://host[:port] (Go's rule; a value with a scheme is not guessed at). */
export function parseEnvProxy(raw: string): URL {
  return parseProxyUrl(raw.includes('://') ? raw : `http://${raw}`);
}

type HostMatcher = (host: string, port: string, ip: string | undefined) => boolean;

/** NO_PROXY as httpproxy reads it: entries that do not parse are ignored. */
export function noProxyMatcher(noProxy: string | undefined): HostMatcher {
  const cidrs = new BlockList();
  const matchers: HostMatcher[] = [(_h, _p, ip) => ip !== undefined && cidrs.check(ip, family(ip))];
  for (const raw of (noProxy ?? '').split(',')) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return () => true;
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    if (cidr && isIP(cidr[1]!)) {
      if (Number(cidr[2]) <= (family(cidr[1]!) === 'ipv6' ? 128 : 32)) cidrs.addSubnet(cidr[1]!, Number(cidr[2]), family(cidr[1]!));
      continue;
    }
    const { host, port } = splitHostPort(entry);
    if (!host) continue;
    if (isIP(host)) {
      const one = new BlockList(); // compares addresses, not their spellings (::1 = 0:0:0:0:0:0:0:1)
      one.addAddress(host, family(host));
      matchers.push((_h, p, ip) => ip !== undefined && one.check(ip, family(ip)) && (!port || port === p));
      continue;
    }
    // "x.y" matches x.y and its subdomains; ".x.y" and "*.x.y" only the subdomains
    const exact = !host.startsWith('.') && !host.startsWith('*.');
    const suffix = host.startsWith('*.') ? host.slice(1) : exact ? `.${host}` : host;
    matchers.push((h, p) => (h.endsWith(suffix) || (exact && h === suffix.slice(1))) && (!port || port === p));
  }
  return (host, port, ip) => matchers.some((m) => m(host, port, ip));
}

export interface SelectedProxy {
  url: URL;
  /** where it came from, for messages */
  source: 'proxy-url' | 'HTTPS_PROXY' | 'HTTP_PROXY';
}

/** client-go's choice of proxy for the API server at `server`; undefined = connect directly. */
export function selectProxy(server: URL, proxyUrl: string | undefined, env: ProxyEnv): SelectedProxy | undefined {
  if (proxyUrl) return { url: parseProxyUrl(proxyUrl), source: 'proxy-url' };
  const https = server.protocol === 'https:';
  const raw = https ? env.httpsProxy : env.httpProxy;
  if (!raw) return undefined;
  const host = server.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const ip = isIP(host) ? host : undefined;
  if (host === 'localhost' || (ip && isLoopback(ip))) return undefined;
  const port = server.port || DEFAULT_PORTS[server.protocol]!;
  if (noProxyMatcher(env.noProxy)(host, port, ip)) return undefined;
  return { url: parseEnvProxy(raw), source: https ? 'HTTPS_PROXY' : 'HTTP_PROXY' };
}

/** An agent whose connections go through `proxy`; TLS options are those of the API server. */
export function proxyAgent(proxy: URL, targetIsHttps: boolean, options: https.AgentOptions): http.Agent {
  // client-go's SOCKS5 dialer lets the proxy resolve the API server's name: that is socks5h here
  if (proxy.protocol === 'socks5:') return new SocksProxyAgent(proxy.href.replace(/^socks5:/, 'socks5h:'), options);
  return targetIsHttps ? new HttpsProxyAgent({ ...options, proxy }) : new HttpProxyAgent({ ...options, proxy });
}

/** The proxy without its credentials and where it came from, for messages. */
export function describeProxy(proxy: SelectedProxy): string {
  return `${proxy.url.protocol}//${proxy.url.host} (${proxy.source})`;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);
/** SOCKS5 replies (RFC 1928 section 6) that mean "not now", as the socket codes retried elsewhere. */
const SOCKS_REPLY_CODES: Record<string, string> = {
  ConnectionRefused: 'ECONNREFUSED', HostUnreachable: 'EHOSTUNREACH', NetworkUnreachable: 'ENETUNREACH', TTLExpired: 'ETIMEDOUT', Failure: 'ECONNRESET',
};

/**
 * A failure before any response, when every connection goes to the proxy, is the proxy's: a
 * ProxyError with the proxy's address (never its credentials), where it was configured, and the
 * socket code when a retry may help. hpagent and socks report failures only as messages (socks
 * even turns the proxy's ECONNREFUSED into a message), so they are read from those.
 */
export function proxyFailure(err: Error, proxy: SelectedProxy, target: string): ProxyError | undefined {
  const what = `proxy ${describeProxy(proxy)}`;
  const refused = /^Bad response: (\d+)/.exec(err.message); // hpagent: the CONNECT was answered with an error
  if (refused) return new ProxyError(`${what} refused to tunnel to ${target}: HTTP ${refused[1]}`, undefined, Number(refused[1]));
  if (err.message === 'Proxy timeout') return new ProxyError(`${what} did not answer the CONNECT to ${target}`, 'ETIMEDOUT');
  const reply = /^Socks5 proxy rejected connection - (\w+)/.exec(err.message); // socks: an error reply to the CONNECT
  if (reply) return new ProxyError(`${what} could not connect to ${target}: ${reply[1]}`, SOCKS_REPLY_CODES[reply[1]!]);
  if (err.message === 'Socks5 Authentication failed') return new ProxyError(`${what} rejected the username and password of its URL`);
  if (err.message === 'Proxy connection timed out') return new ProxyError(`${what} did not complete the SOCKS handshake for ${target}`, 'ETIMEDOUT');
  if (err.message === 'Socket closed') return new ProxyError(`${what} closed the connection during the SOCKS handshake for ${target}`, 'ECONNRESET');
  const code = (err as NodeJS.ErrnoException).code ?? /^(?:connect|getaddrinfo) (E[A-Z]+)/.exec(err.message)?.[1];
  if (code && UNREACHABLE.has(code)) return new ProxyError(`${what} is unreachable: ${err.message}`, code);
  return undefined;
}

function splitHostPort(entry: string): { host: string; port?: string } {
  const v6 = /^\[(.*)\]:(\d+)$/.exec(entry);
  if (v6) return { host: v6[1]!, port: v6[2] };
  const m = /^([^:]*):(\d+)$/.exec(entry);
  return m ? { host: m[1]!, port: m[2] } : { host: entry };
}

const family = (ip: string): 'ipv4' | 'ipv6' => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

const isLoopback = (ip: string): boolean => LOOPBACK.check(ip, family(ip));
