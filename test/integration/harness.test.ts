/**
 * Proves the integration-test harness itself: a private Prosody, its certificate,
 * accounts, slixmpp peers and the STARTTLS-stripping proxy.
 */
import net from "node:net";
import tls from "node:tls";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProsody, prosodyAvailable, type ProsodyServer } from "../helpers/prosody.js";
import { startPeer, peerAvailable, type Peer } from "../helpers/peer.js";
import { startStripProxy } from "../helpers/strip-starttls-proxy.js";
import { canConnect, waitFor } from "../helpers/wait-for.js";

const haveProsody = prosodyAvailable();
const havePeer = haveProsody && peerAvailable();

// Locally a missing Prosody/slixmpp skips these tests; in CI (scripts/install-deps.sh ran)
// it is a failure, so a broken install cannot hide behind skipped tests.
describe.runIf(!!process.env.CI)("test harness: dependencies in CI", () => {
  it("has prosody, prosodyctl, openssl and slixmpp", () => {
    expect(haveProsody).toBe(true);
    expect(havePeer).toBe(true);
  });
});

/** Opens a raw TCP connection, sends a stream header, resolves with everything up to </stream:features>. */
function readStreamFeatures(port: number, domain: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no stream features within 5 s; got: ${data}`));
    }, 5_000);
    socket.setEncoding("utf8");
    socket.on("connect", () => {
      socket.write(
        `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
      );
    });
    socket.on("data", (d: string) => {
      data += d;
      if (data.includes("</stream:features>")) {
        clearTimeout(timer);
        socket.destroy();
        resolve(data);
      }
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe.skipIf(!haveProsody)("test harness: Prosody", () => {
  let server: ProsodyServer;

  beforeAll(async () => {
    server = await startProsody();
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  it("speaks XMPP on the c2s port and offers STARTTLS", async () => {
    const features = await readStreamFeatures(server.c2sPort, server.domain);
    expect(features).toContain("<stream:stream");
    expect(features).toMatch(/<starttls[^>]*urn:ietf:params:xml:ns:xmpp-tls/);
  });

  it("serves a certificate on the direct TLS port that verifies against caFile for localhost", async () => {
    const ca = fs.readFileSync(server.caFile);
    const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({
        host: "127.0.0.1",
        port: server.directTlsPort,
        servername: "localhost",
        ca,
        ALPNProtocols: ["xmpp-client"],
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity("localhost", cert),
      });
      s.once("secureConnect", () => resolve(s));
      s.once("error", reject);
    });
    try {
      expect(socket.authorized).toBe(true);
      const cert = socket.getPeerCertificate();
      expect(cert.fingerprint256).toBe(server.fingerprint);
      expect(server.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      // And the stream inside speaks XMPP.
      const features = await new Promise<string>((resolve, reject) => {
        let data = "";
        socket.setEncoding("utf8");
        socket.on("data", (d: string) => {
          data += d;
          if (data.includes("</stream:features>")) resolve(data);
        });
        socket.once("error", reject);
        socket.write(
          `<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
        );
      });
      expect(features).toContain("urn:ietf:params:xml:ns:xmpp-sasl");
      expect(features).not.toContain("<starttls");
    } finally {
      socket.destroy();
    }
  });

  it("serves https with the same certificate (for wss://)", async () => {
    const ca = fs.readFileSync(server.caFile);
    const fingerprint = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: "127.0.0.1", port: server.httpsPort, servername: "localhost", ca }, () => {
        const fp = s.getPeerCertificate().fingerprint256;
        s.destroy();
        resolve(fp);
      });
      s.once("error", reject);
    });
    expect(fingerprint).toBe(server.fingerprint);
  });

  it("creates distinct accounts", async () => {
    const a = await server.createAccount();
    const b = await server.createAccount();
    expect(a.jid).not.toBe(b.jid);
    expect(a.jid).toMatch(/^[a-z0-9]+@localhost$/);
    expect(a.password).not.toBe(b.password);
    const named = await server.createAccount("named" + Date.now().toString(36), "secret");
    expect(named.jid).toBe(`${named.user}@localhost`);
    expect(named.password).toBe("secret");
  });

  it.skipIf(!havePeer)("lets two slixmpp peers exchange a message", async () => {
    const a = await server.createAccount();
    const b = await server.createAccount();
    const peers: Peer[] = [];
    try {
      const [pa, pb] = await Promise.all([
        startPeer({ jid: a.jid, password: a.password, port: server.c2sPort, caFile: server.caFile }),
        startPeer({ jid: b.jid, password: b.password, port: server.c2sPort, caFile: server.caFile }),
      ]);
      peers.push(pa, pb);
      expect(pa.jid.startsWith(`${a.jid}/`)).toBe(true);
      const id = await pa.send(b.jid, "hello from a");
      const msg = await pb.nextMessage((m) => m.body === "hello from a");
      expect(msg.from.startsWith(`${a.jid}/`)).toBe(true);
      expect(msg.type).toBe("chat");
      expect(msg.id).toBe(id);
      expect(msg.origin_id).toBe(id);

      await pb.send(a.jid, "hello back");
      const back = await pa.nextMessage((m) => m.body === "hello back");
      expect(back.from.startsWith(`${b.jid}/`)).toBe(true);
    } finally {
      await Promise.all(peers.map((p) => p.stop()));
    }
  });

  it("fails a peer with a wrong password instead of hanging", { skip: !havePeer }, async () => {
    const a = await server.createAccount();
    await expect(
      startPeer({ jid: a.jid, password: "wrong-" + a.password, port: server.c2sPort, caFile: server.caFile }),
    ).rejects.toThrow(/failed_auth/);
  });

  it("strip proxy hides STARTTLS from the stream features", async () => {
    const proxy = await startStripProxy(server.c2sPort);
    try {
      const features = await readStreamFeatures(proxy.port, server.domain);
      expect(features).toContain("<stream:features");
      expect(features).not.toContain("starttls");
      expect(proxy.stripped()).toBe(1);
      expect(proxy.sawServerData()).toContain("<starttls");
      expect(proxy.sawClientData()).toContain("<stream:stream");
      expect(proxy.sawClientData()).not.toContain("<auth");
    } finally {
      await proxy.close();
    }
  });
});

describe.skipIf(!haveProsody)("test harness: Prosody restart", () => {
  let server: ProsodyServer;

  beforeAll(async () => {
    server = await startProsody({ websocket: false, muc: true, domains: ["localhost", "example.test"] });
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  it("stop() closes the ports and start() brings the same ones back with the same data", async () => {
    const account = await server.createAccount();
    const other = await server.createAccount(`someone@example.test`);
    expect(other.jid).toBe("someone@example.test");
    const { c2sPort, directTlsPort, fingerprint } = server;
    const firstPid = server.pid;

    await server.stop();
    expect(await canConnect(c2sPort)).toBe(false);
    expect(await canConnect(directTlsPort)).toBe(false);

    await server.start();
    expect(server.c2sPort).toBe(c2sPort);
    expect(server.fingerprint).toBe(fingerprint);
    expect(server.pid).not.toBe(firstPid);
    expect(await canConnect(c2sPort)).toBe(true);
    expect(await canConnect(directTlsPort)).toBe(true);
    const features = await readStreamFeatures(c2sPort, "example.test");
    expect(features).toContain("<starttls");

    // The account survived the restart.
    if (havePeer) {
      const peer = await startPeer({
        jid: account.jid,
        password: account.password,
        port: c2sPort,
        caFile: server.caFile,
      });
      await peer.stop();
    }
    const log = fs.readFileSync(server.logFile, "utf8");
    if (!log.includes("Shutdown complete")) console.log("LOGDUMP\n" + log);
    expect(log).toContain("Shutdown complete");
  });
});

describe.skipIf(!haveProsody)("test harness: strip proxy on a server that allows plaintext", () => {
  let server: ProsodyServer;

  beforeAll(async () => {
    server = await startProsody({ requireEncryption: false, directTls: false, websocket: false });
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  it("keeps the SASL mechanisms but removes STARTTLS", async () => {
    const direct = await readStreamFeatures(server.c2sPort, server.domain);
    expect(direct).toContain("<starttls");
    expect(direct).toContain("<mechanisms");

    const proxy = await startStripProxy(server.c2sPort);
    try {
      const features = await readStreamFeatures(proxy.port, server.domain);
      expect(features).toContain("<mechanisms");
      expect(features).toContain("SCRAM-SHA-1");
      expect(features).not.toContain("starttls");
      expect(proxy.sawClientData()).not.toContain("<auth");
    } finally {
      await proxy.close();
    }
  });
});

describe("test harness: strip proxy with a fragmenting upstream", () => {
  it("removes <starttls> even when it arrives split over many chunks", async () => {
    const features =
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" +
      "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>" +
      "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>" +
      "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>";
    const upstream = net.createServer((socket) => {
      socket.setNoDelay(true);
      socket.once("data", async () => {
        // Send in 7-byte pieces, each after the previous one was flushed.
        for (let i = 0; i < features.length; i += 7) {
          await new Promise<void>((resolve) => socket.write(features.slice(i, i + 7), () => resolve()));
        }
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", () => resolve()));
    const upstreamPort = (upstream.address() as net.AddressInfo).port;
    const proxy = await startStripProxy(upstreamPort);
    try {
      const got = await readStreamFeatures(proxy.port, "localhost");
      expect(got).toContain("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>");
      expect(got).not.toContain("starttls");
      expect(got).toContain("<stream:features><mechanisms ");
      expect(got).toContain("</mechanisms></stream:features>");
      expect(proxy.stripped()).toBe(2);
    } finally {
      await proxy.close();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  });
});
