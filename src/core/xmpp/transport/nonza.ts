import { ConnectionError, TimeoutError } from "../../errors.js";
import type { XmlElement } from "./xml.js";

interface Emitter {
  on(ev: string, fn: (...a: any[]) => void): unknown;
  off(ev: string, fn: (...a: any[]) => void): unknown;
}

/**
 * Wait for the next top-level element matching `match`; rejects on timeout, on a connection
 * error and when the socket closes, so a negotiation step can never hang forever.
 * Subscribe before sending the request.
 */
export function nextNonza(entity: Emitter, match: (el: XmlElement) => boolean, timeout: number, what: string): Promise<XmlElement> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      entity.off("element", onElement);
      entity.off("error", onError);
      entity.off("disconnect", onDisconnect);
    };
    const onElement = (el: XmlElement) => {
      if (!match(el)) return;
      cleanup();
      resolve(el);
    };
    const onError = (err: unknown) => {
      cleanup();
      reject(err);
    };
    const onDisconnect = () => {
      cleanup();
      reject(new ConnectionError(`connection closed during ${what}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new TimeoutError(`no answer from the server during ${what} within ${timeout} ms`));
    }, timeout);
    entity.on("element", onElement);
    entity.on("error", onError);
    entity.on("disconnect", onDisconnect);
  });
}
