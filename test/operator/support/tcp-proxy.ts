// A byte pipe (node:net) between a client and the API server, for failure tests. TLS passes
// through unchanged, so a kubeconfig whose server is https://127.0.0.1:<proxy port> works as
// long as the serving cert covers 127.0.0.1. On command it can:
//   stall()  stop forwarding on every established connection WITHOUT closing it: the silent
//            watch a client cannot tell from a quiet one; new connections still flow
//   freeze() stall() every established connection and every new one too (accepted, never
//            forwarded): the client's traffic is frozen however many connections it opens
//   cut()    close every connection and refuse new ones (an unreachable API server)
//   heal()   accept and forward new connections again (after cut() or freeze())
//   retarget(t)  forward new connections to another server
import net from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';

export interface TcpProxy {
  readonly port: number;
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** connections accepted so far (after cut(): refused ones excluded) */
  accepted(): number;
  /** connections stalled by stall() that the client has since closed */
  stalledClosedByClient(): number;
  /** Freezes all open connections; returns how many. */
  stall(): number;
  freeze(): void;
  cut(): void;
  retarget(target: { host: string; port: number }): void;
  heal(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  stalled: boolean;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let accepted = 0;
  let stalledClosed = 0;
  let refusing = false;
  let freezing = false;
  const frozen = new Set<net.Socket>();
  let to = target;

  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    accepted++;
    if (freezing) {
      // never forwarded: its bytes are read and dropped, nothing is answered
      frozen.add(client);
      client.on('data', () => undefined);
      client.on('close', () => { stalledClosed++; frozen.delete(client); });
      client.on('error', () => undefined);
      return;
    }
    const upstream = net.connect(to.port, to.host);
    const pair: Pair = { client, upstream, stalled: false };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    // A stalled pair keeps both sockets open until the client gives up; that close is what
    // stall tests look for. Either side closing otherwise ends the pair.
    client.on('close', () => {
      if (pair.stalled) stalledClosed++;
      upstream.destroy();
      pairs.delete(pair);
    });
    upstream.on('close', () => {
      if (!pair.stalled) client.destroy();
    });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  const stall = (): number => {
    let n = 0;
    for (const p of pairs) {
      if (p.stalled) continue;
      p.stalled = true;
      // The server's bytes stay in the kernel buffers (paused, nothing forwarded, nothing
      // closes). The client side keeps reading, its bytes dropped, so its close is noticed.
      p.upstream.unpipe(p.client);
      p.upstream.pause();
      p.client.unpipe(p.upstream);
      p.client.on('data', () => undefined);
      p.client.resume();
      n++;
    }
    return n;
  };

  return {
    port,
    url: `https://127.0.0.1:${port}`,
    accepted: () => accepted,
    stalledClosedByClient: () => stalledClosed,
    stall,
    freeze() {
      freezing = true;
      stall();
    },
    retarget(t) {
      to = t;
    },
    cut() {
      refusing = true;
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
    },
    heal() {
      refusing = false;
      freezing = false;
    },
    close: () => new Promise<void>((resolve) => {
      for (const c of frozen) c.destroy();
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      server.close(() => resolve());
    }),
  };
}

/** A proxy to the API server of kc's current cluster. */
export function startTcpProxyFor(kc: KubeConfig): Promise<TcpProxy> {
  const server = new URL(kc.getCurrentCluster()!.server);
  return startTcpProxy({ host: server.hostname, port: Number(server.port) });
}
