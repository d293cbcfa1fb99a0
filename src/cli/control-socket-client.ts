/** The client side of the control socket (jabterm ctl, jabterm send). */
import net from "node:net";

import { JabtermError } from "../core/errors.js";

export class NoInstanceError extends JabtermError {
  constructor(file: string, cause: string) {
    super("connection", `no jabterm is running for this configuration (${cause} on ${file}); start one, or pick its files with --config-dir/--data-dir`, { socket: file });
  }
}

/** Connect to the socket; a clear error when no instance listens there. */
export function connectControl(file: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: file, allowHalfOpen: true });
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", (err: NodeJS.ErrnoException) => {
      const why = err.code === "ENOENT" ? "no socket" : err.code === "ECONNREFUSED" ? "nothing listening" : err.code === "EACCES" ? "permission denied" : err.message;
      reject(new NoInstanceError(file, why));
    });
  });
}

