// A real HTTP CONNECT proxy on loopback (node:http), as a corporate egress proxy in front of the
// API server: it records every CONNECT target, can resolve names the client cannot (`hosts`,
// e.g. a private API endpoint only the proxy knows), can refuse tunnels (`refuseWith: 407`), and
// can cut every open tunnel (a watch through it then ends).
import http from 'node:http';
import net from 'node:net';

export interface ConnectProxy {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** the host:port of every CONNECT, in order */
  readonly connects: string[];
  /** tunnels open now */
  open(): number;
  /** closes every open tunnel; returns how many */
  cutAll(): number;
  close(): Promise<void>;
}

export async function startConnectProxy(options: { hosts?: Record<string, string>; refuseWith?: number } = {}): Promise<ConnectProxy> {
  const connects: string[] = [];
  const tunnels = new Set<net.Socket>();
  const server = http.createServer((_req, res) => res.writeHead(405).end('CONNECT only\n'));
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    connects.push(target);
    client.on('error', () => undefined);
    if (options.refuseWith) {
      client.end(`HTTP/1.1 ${options.refuseWith} Refused\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const sep = target.lastIndexOf(':');
    const host = target.slice(0, sep).replace(/^\[|\]$/g, '');
    const upstream = net.connect(Number(target.slice(sep + 1)), options.hosts?.[host] ?? host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => { upstream.destroy(); tunnels.delete(client); });
    tunnels.add(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connects,
    open: () => tunnels.size,
    cutAll() {
      const n = tunnels.size;
      for (const t of tunnels) t.destroy();
      return n;
    },
    close: () => new Promise<void>((resolve) => {
      for (const t of tunnels) t.destroy();
      server.close(() => resolve());
    }),
  };
}
