/**
 * A plain TCP proxy on 127.0.0.1 for network-failure tests (the shape of strip-starttls-proxy.ts,
 * without rewriting anything): cut every connection at once, or hold back what the server sends
 * (the client's writes still arrive: "sent but never acknowledged").
 *
 *   const proxy = await startTcpProxy(server.c2sPort);
 *   ... point the account's port at proxy.port ...
 *   proxy.cut();              // both sides see the connection die
 *   proxy.holdDownstream();   // server -> client bytes are swallowed from now on (until release)
 */
import net from "node:net";

export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Connections open now. */
  open(): number;
  /** Destroy every open connection (both ends). */
  cut(): void;
  /** Swallow what the server sends on open connections (the client's data still goes through). */
  holdDownstream(): void;
  /** Forward the server's data again (new connections always are). */
  release(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(upstreamPort: number, upstreamHost = "127.0.0.1"): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; held: boolean }>();
  let accepted = 0;

  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect({ port: upstreamPort, host: upstreamHost });
    const pair = { client, upstream, held: false };
    pairs.add(pair);
    client.on("data", (d: Buffer) => upstream.write(d));
    upstream.on("data", (d: Buffer) => {
      if (!pair.held) client.write(d);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", end);
    upstream.on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    connections: () => accepted,
    open: () => pairs.size,
    cut() {
      for (const p of [...pairs]) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
    },
    holdDownstream() {
      for (const p of pairs) p.held = true;
    },
    release() {
      for (const p of pairs) p.held = false;
    },
    close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
