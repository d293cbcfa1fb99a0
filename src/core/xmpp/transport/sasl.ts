/**
 * SASL (RFC 6120 §6) as a stream feature: SCRAM-SHA-256, SCRAM-SHA-1 (node:crypto, see
 * ../sasl/scram.ts) and PLAIN, which is only ever sent inside TLS. The server's final SCRAM
 * signature is verified, so a server that does not know the password cannot pretend it does.
 */
import { AuthError, TlsError } from "../../errors.js";
import { plainMessage, ScramClient, type ScramHash } from "../sasl/scram.js";
import type { JabConnection } from "./connection.js";
import { nextNonza } from "./nonza.js";
import { xml, type XmlElement } from "./xml.js";

export const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

export type Mechanism = "SCRAM-SHA-256" | "SCRAM-SHA-1" | "PLAIN";
const PREFERENCE: Mechanism[] = ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"];

export interface SaslOptions {
  username: string;
  password: () => Promise<string>;
  /** Mechanisms the account permits, in preference order (default: all three). */
  mechanisms?: Mechanism[];
  timeout: number;
}

export function chooseMechanism(offered: string[], secure: boolean, allowed: Mechanism[] = PREFERENCE): Mechanism {
  const set = new Set(offered.map((m) => m.trim().toUpperCase()));
  for (const m of allowed) {
    if (!set.has(m)) continue;
    if (m === "PLAIN" && !secure) continue; // never send a password in clear text
    return m;
  }
  const list = [...set].join(", ") || "none";
  if (!secure && set.has("PLAIN") && allowed.includes("PLAIN") && !allowed.some((m) => m !== "PLAIN" && set.has(m))) {
    throw new TlsError(`the server offers only PLAIN authentication on an unencrypted stream (offered: ${list}); refusing to send the password in clear text`);
  }
  throw new AuthError(`no supported SASL mechanism offered by the server (offered: ${list})`);
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s: string) => Buffer.from(s.trim(), "base64").toString("utf8");

function failure(el: XmlElement): AuthError {
  const condition = el.getChildElements().find((c) => c.name !== "text")?.name ?? "failure";
  const text = el.getChildText("text") ?? undefined;
  const readable: Record<string, string> = {
    "not-authorized": "wrong password or unknown account",
    "account-disabled": "the account is disabled",
    "credentials-expired": "the password has expired",
    "encryption-required": "the server requires encryption for this mechanism",
    "invalid-mechanism": "the server rejected the authentication mechanism",
    "temporary-auth-failure": "temporary authentication failure on the server",
  };
  return new AuthError(`authentication failed: ${readable[condition] ?? condition}${text ? ` (${text})` : ""}`, { condition, serverText: text });
}

/** Run one SASL exchange on a features element that offers <mechanisms/>. */
export async function authenticate(entity: JabConnection, mechanismsEl: XmlElement, opts: SaslOptions): Promise<Mechanism> {
  const offered = mechanismsEl.getChildren("mechanism", NS_SASL).map((m) => m.text());
  const mechanism = chooseMechanism(offered, entity.isSecure(), opts.mechanisms);
  const password = await opts.password();
  const expect = (names: string[]) =>
    nextNonza(entity, (el) => el.getNS() === NS_SASL && names.includes(el.name), opts.timeout, "SASL");

  if (mechanism === "PLAIN") {
    const reply = expect(["success", "failure", "challenge"]);
    await entity.send(xml("auth", { xmlns: NS_SASL, mechanism }, b64(plainMessage("", opts.username, password))));
    const el = await reply;
    if (el.name === "success") return mechanism;
    if (el.name === "failure") throw failure(el);
    throw new AuthError("unexpected SASL challenge during PLAIN");
  }

  const hash: ScramHash = mechanism === "SCRAM-SHA-256" ? "SHA-256" : "SHA-1";
  const scram = new ScramClient({ hash, username: opts.username, password });
  let reply = expect(["challenge", "failure", "success"]);
  await entity.send(xml("auth", { xmlns: NS_SASL, mechanism }, b64(scram.clientFirst())));
  let el = await reply;
  if (el.name === "failure") throw failure(el);
  if (el.name !== "challenge") throw new AuthError("SASL: the server skipped the SCRAM challenge");
  const clientFinal = scram.clientFinal(unb64(el.text()));
  reply = expect(["challenge", "failure", "success"]);
  await entity.send(xml("response", { xmlns: NS_SASL }, b64(clientFinal)));
  el = await reply;
  if (el.name === "failure") throw failure(el);
  if (el.name === "challenge") {
    // Some servers send the server-final message as a challenge and <success/> empty.
    scram.verifyServerFinal(unb64(el.text()));
    reply = expect(["failure", "success"]);
    await entity.send(xml("response", { xmlns: NS_SASL }));
    el = await reply;
    if (el.name === "failure") throw failure(el);
    return mechanism;
  }
  const additional = el.text();
  if (!additional) throw new AuthError("SASL: the server did not prove it knows the password (no SCRAM server signature)");
  scram.verifyServerFinal(unb64(additional));
  return mechanism;
}
