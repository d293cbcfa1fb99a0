/**
 * Real GnuPG (Debian's gpg 2.2) in a throwaway GNUPGHOME, batch mode with a loopback pinentry:
 * the OpenPGP implementation Profanity, mcabber and Gajim's plugin use. For interop tests.
 */
import { execFile, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export function gpgAvailable(): boolean {
  return spawnSync("gpg", ["--version"], { stdio: "ignore" }).status === 0;
}

export interface GpgResult {
  code: number;
  stdout: string;
  stderr: string;
  /** [GNUPG:] status lines (from --status-fd 2 ... we use a separate fd: stderr carries them). */
  status: string[];
}

export class Gpg {
  readonly home: string;
  readonly passphrase: string;

  constructor(passphrase = "gpg test passphrase") {
    // Short path: gpg-agent's socket path must fit in sun_path.
    this.home = fs.mkdtempSync(path.join(os.tmpdir(), "jtg-"));
    fs.chmodSync(this.home, 0o700);
    this.passphrase = passphrase;
  }

  run(args: string[], input = ""): Promise<GpgResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        "gpg",
        ["--homedir", this.home, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", this.passphrase, "--trust-model", "always", "--status-fd", "2", ...args],
        { maxBuffer: 8 * 1024 * 1024, timeout: 60_000 },
        (err, stdout, stderr) => {
          const status = stderr.split("\n").filter((l) => l.startsWith("[GNUPG:] "));
          const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1) : 0;
          if (err && code === -1) reject(err);
          else resolve({ code, stdout, stderr, status });
        },
      );
      child.stdin!.on("error", () => undefined); // gpg may exit before reading its input
      child.stdin!.end(input);
    });
  }

  /** A new ed25519/cv25519 key for `uid`; its fingerprint. */
  async generate(uid: string): Promise<string> {
    const r = await this.run(["--quick-gen-key", uid, "future-default", "default", "never"]);
    if (r.code !== 0) throw new Error(`gpg keygen: ${r.stderr}`);
    const list = await this.run(["--list-keys", "--with-colons", uid]);
    const fpr = list.stdout.split("\n").find((l) => l.startsWith("fpr:"));
    return fpr!.split(":")[9]!;
  }

  async exportPublic(uid: string): Promise<string> {
    return (await this.run(["--armor", "--export", uid])).stdout;
  }

  async import(armored: string): Promise<void> {
    const r = await this.run(["--import"], armored);
    if (r.code !== 0) throw new Error(`gpg import: ${r.stderr}`);
  }

  /** Encrypt to `recipients` (fingerprints or uids), signed by `signer` when given; armored. */
  async encrypt(text: string, recipients: string[], signer?: string): Promise<string> {
    const args = ["--armor", "--encrypt", ...recipients.flatMap((r) => ["--recipient", r])];
    if (signer) args.push("--sign", "--local-user", signer);
    const r = await this.run(args, text);
    if (r.code !== 0) throw new Error(`gpg encrypt: ${r.stderr}`);
    return r.stdout;
  }

  /** Decrypt; the text and the fingerprint of a good signature, if any. */
  async decrypt(armored: string): Promise<{ code: number; text: string; goodSig?: string; validSig?: string; status: string[] }> {
    const r = await this.run(["--decrypt"], armored);
    const valid = r.status.find((l) => l.startsWith("[GNUPG:] VALIDSIG "));
    const good = r.status.find((l) => l.startsWith("[GNUPG:] GOODSIG "));
    return { code: r.code, text: r.stdout, goodSig: good?.split(" ")[2], validSig: valid?.split(" ")[2], status: r.status };
  }

  /** A detached armored signature over `text` (exactly those bytes). */
  async detachSign(text: string, signer: string): Promise<string> {
    const r = await this.run(["--armor", "--detach-sign", "--local-user", signer], text);
    if (r.code !== 0) throw new Error(`gpg sign: ${r.stderr}`);
    return r.stdout;
  }

  /** Verify a detached signature over `text`; the VALIDSIG fingerprint when good. */
  async verifyDetached(text: string, armoredSignature: string): Promise<{ code: number; validSig?: string; status: string[] }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jtg-v-"));
    try {
      fs.writeFileSync(path.join(dir, "sig.asc"), armoredSignature);
      fs.writeFileSync(path.join(dir, "data"), text);
      const r = await this.run(["--verify", path.join(dir, "sig.asc"), path.join(dir, "data")]);
      const valid = r.status.find((l) => l.startsWith("[GNUPG:] VALIDSIG "));
      return { code: r.code, validSig: valid?.split(" ")[2], status: r.status };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    }
  }

  close(): void {
    spawnSync("gpgconf", ["--homedir", this.home, "--kill", "gpg-agent"], { stdio: "ignore" });
    fs.rmSync(this.home, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
}
