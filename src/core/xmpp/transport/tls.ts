/**
 * Per-account TLS policy: certificates are verified (chain and the XMPP domain as identity, RFC
 * 6125) unless the account pins the leaf certificate's SHA-256 fingerprint, in which case the pin
 * alone decides. An account may add a CA file to the system roots. TLS 1.2 is the minimum.
 *
 * Node's own verification is switched off per socket only so that we can inspect the certificate
 * (to name its fingerprint in the error, or to compare it with a pin); `verifyPeer` runs on
 * `secureConnect`, before a single byte of ours is written, and refuses anything unverified.
 */
import { readFileSync } from "node:fs";
import tls from "node:tls";

import { TlsError } from "../../errors.js";

export interface TlsPolicy {
  /** The identity to verify: the account's XMPP domain (also sent as SNI). */
  servername: string;
  /** Extra trust anchors (PEM), added to the system roots. */
  caFile?: string;
  /** Pinned SHA-256 of the leaf certificate's DER (hex, colons optional). */
  fingerprint?: string;
  /** The account's name, for the hint in error messages. */
  account?: string;
}

export function normalizeFingerprint(fp: string): string {
  const hex = fp.replace(/[:\s]/g, "").toUpperCase();
  return hex.match(/.{1,2}/g)?.join(":") ?? "";
}

const caCache = new Map<string, string>();

function loadCa(file: string): string {
  let pem = caCache.get(file);
  if (pem === undefined) {
    try {
      pem = readFileSync(file, "utf8");
    } catch (err) {
      throw new TlsError(`cannot read ca_file ${file}: ${(err as Error).message}`, { file });
    }
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
      throw new TlsError(`ca_file ${file} holds no PEM certificate`, { file });
    }
    caCache.set(file, pem);
  }
  return pem;
}

/** Options for tls.connect (direct TLS, STARTTLS upgrade, or wss://). */
export function tlsConnectOptions(policy: TlsPolicy): tls.ConnectionOptions {
  const opts: tls.ConnectionOptions = {
    servername: policy.servername,
    minVersion: "TLSv1.2",
    ALPNProtocols: undefined,
    rejectUnauthorized: false, // verifyPeer() checks on secureConnect and we refuse on failure
  };
  if (policy.caFile) opts.ca = [...tls.rootCertificates, loadCa(policy.caFile)];
  return opts;
}

/** Check a freshly handshaken socket against the policy; a TlsError when it must be refused. */
export function verifyPeer(socket: tls.TLSSocket, policy: TlsPolicy): TlsError | null {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) return new TlsError("the server presented no certificate", {});
  const fingerprint = normalizeFingerprint(cert.fingerprint256);
  const protocol = socket.getProtocol();
  if (protocol !== "TLSv1.2" && protocol !== "TLSv1.3") {
    return new TlsError(`TLS version ${String(protocol)} refused (TLS 1.2 minimum)`, { fingerprint });
  }
  const how = policy.account
    ? `/account set ${policy.account} fingerprint ${fingerprint}`
    : `set the account's fingerprint to ${fingerprint}`;
  if (policy.fingerprint) {
    const pin = normalizeFingerprint(policy.fingerprint);
    if (pin === fingerprint) return null;
    return new TlsError(
      `certificate of ${policy.servername} does not match the pinned fingerprint: got SHA-256 ${fingerprint}, pinned ${pin}. If the server's certificate really changed, trust the new one with: ${how}`,
      { fingerprint, pinned: pin, reason: "pin-mismatch" },
    );
  }
  if (!socket.authorized) {
    const reason = String(socket.authorizationError ?? "unverified");
    return new TlsError(
      `certificate of ${policy.servername} not trusted (${reason}); SHA-256 fingerprint ${fingerprint}. To trust it, check the fingerprint out of band, then: ${how} (or point ca_file at its CA)`,
      { fingerprint, reason },
    );
  }
  // With a verified chain Node has already checked the identity; check again against the domain
  // explicitly so that a host override can never change which name must match.
  const identityError = tls.checkServerIdentity(policy.servername, cert);
  if (identityError) {
    return new TlsError(
      `certificate is not valid for ${policy.servername}: ${identityError.message}; SHA-256 fingerprint ${fingerprint}. To trust it anyway: ${how}`,
      { fingerprint, reason: "ERR_TLS_CERT_ALTNAME_INVALID" },
    );
  }
  return null;
}
