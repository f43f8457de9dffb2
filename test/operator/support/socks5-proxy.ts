// A minimal real SOCKS5 proxy on loopback (RFC 1928: no authentication, CONNECT only, IPv4 or
// domain-name addresses), for a kubeconfig `proxy-url: socks5://...`. It records each target as
// the client sent it (a name means the client left resolving it to the proxy) and resolves names
// through `hosts`. A target it cannot connect to gets the SOCKS error reply.
import net from 'node:net';

export interface Socks5Proxy {
  readonly url: string;
  /** host:port of every CONNECT, as the client sent it */
  readonly connects: string[];
  close(): Promise<void>;
}

export async function startSocks5Proxy(hosts: Record<string, string> = {}): Promise<Socks5Proxy> {
  const connects: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let greeted = false;
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (!greeted) {
        if (buf.length < 2 || buf.length < 2 + buf[1]!) return;
        buf = buf.subarray(2 + buf[1]!);
        greeted = true;
        client.write(Buffer.from([5, 0])); // version 5, no authentication
      }
      if (buf.length < 5) return;
      const atyp = buf[3]!;
      const addrLen = atyp === 1 ? 4 : atyp === 3 ? 1 + buf[4]! : -1;
      if (addrLen < 0) return void client.end(Buffer.from([5, 8, 0, 1, 0, 0, 0, 0, 0, 0])); // address type not supported
      if (buf.length < 4 + addrLen + 2) return;
      const host = atyp === 1 ? [...buf.subarray(4, 8)].join('.') : buf.subarray(5, 5 + buf[4]!).toString();
      const port = buf.readUInt16BE(4 + addrLen);
      const rest = buf.subarray(4 + addrLen + 2);
      client.off('data', onData);
      connects.push(`${host}:${port}`);
      let connected = false;
      const upstream = net.connect(port, hosts[host] ?? host, () => {
        connected = true;
        client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0])); // succeeded
        if (rest.length) upstream.write(rest);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      // as real proxies do, a target that cannot be reached gets an error reply: 5 connection refused, 4 host unreachable
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        if (!connected) client.end(Buffer.from([5, err.code === 'ECONNREFUSED' ? 5 : 4, 0, 1, 0, 0, 0, 0, 0, 0]));
        else client.destroy();
      });
      client.on('close', () => upstream.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `socks5://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connects,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
