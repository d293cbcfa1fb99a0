/**
 * A TCP proxy on 127.0.0.1 that removes STARTTLS from what the server sends, so the
 * client sees a server that does not offer STARTTLS (a downgrade attack).
 * Everything the client sends is recorded for assertions (e.g. "never sent <auth").
 */
import net from "node:net";

export interface StripProxy {
  port: number;
  close(): Promise<void>;
  /** Everything the client(s) sent so far, all connections concatenated. */
  sawClientData: () => string;
  /** Everything the server sent so far, before stripping. */
  sawServerData: () => string;
  /** Number of <starttls> elements removed so far. */
  stripped: () => number;
}

// Complete <starttls/> or <starttls ...>...</starttls>, optionally namespace-prefixed.
const STARTTLS_ELEMENT = /<(?:[\w.-]+:)?starttls\b[^>]*?(?:\/>|>[\s\S]*?<\/(?:[\w.-]+:)?starttls\s*>)/g;
const STARTTLS_OPEN = /<(?:[\w.-]+:)?starttls\b/;

/**
 * Rewrites one direction of server output. Works on latin1 strings so every byte is kept
 * as it is; holds back an incomplete tag at the end of a chunk until the rest arrives.
 */
class Stripper {
  private pending = "";
  private passthrough = false;
  count = 0;

  push(chunk: Buffer): Buffer {
    if (this.passthrough) return chunk;
    let text = this.pending + chunk.toString("latin1");
    this.pending = "";
    text = text.replace(STARTTLS_ELEMENT, () => {
      this.count++;
      return "";
    });
    // An element that has started but not finished yet: wait for the rest.
    const open = STARTTLS_OPEN.exec(text);
    let cut = open ? open.index : -1;
    if (cut < 0) {
      // A tag cut in the middle ("<sta"): hold it back too.
      const lt = text.lastIndexOf("<");
      if (lt >= 0 && !text.includes(">", lt)) cut = lt;
    }
    if (cut >= 0) {
      this.pending = text.slice(cut);
      text = text.slice(0, cut);
    }
    // If the client negotiates TLS anyway (<proceed/>), stop touching the bytes.
    if (/<(?:[\w.-]+:)?proceed\b/.test(text)) this.passthrough = true;
    return Buffer.from(text, "latin1");
  }

  flush(): Buffer {
    const rest = this.pending;
    this.pending = "";
    return Buffer.from(rest, "latin1");
  }
}

export async function startStripProxy(upstreamPort: number, upstreamHost = "127.0.0.1"): Promise<StripProxy> {
  let clientData = "";
  let serverData = "";
  let strippedCount = 0;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    sockets.add(client);
    const upstream = net.connect({ port: upstreamPort, host: upstreamHost });
    sockets.add(upstream);
    const stripper = new Stripper();

    client.on("data", (d: Buffer) => {
      clientData += d.toString("utf8");
      upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => {
      serverData += d.toString("utf8");
      const before = stripper.count;
      const out = stripper.push(d);
      strippedCount += stripper.count - before;
      if (out.length > 0) client.write(out);
    });
    upstream.on("end", () => {
      const rest = stripper.flush();
      if (rest.length > 0) client.write(rest);
      client.end();
    });
    client.on("end", () => upstream.end());
    const destroyBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", destroyBoth);
    upstream.on("error", destroyBoth);
    client.on("close", () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on("close", () => {
      sockets.delete(upstream);
      if (!client.writableEnded) client.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("strip proxy: no address");

  return {
    port: addr.port,
    sawClientData: () => clientData,
    sawServerData: () => serverData,
    stripped: () => strippedCount,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        sockets.clear();
        server.close(() => resolve());
      }),
  };
}
