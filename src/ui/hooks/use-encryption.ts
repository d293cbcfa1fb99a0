/**
 * The conversations' encryption policies (/pgp on|off|auto) from React: re-render when one
 * changes. Policies live with the account's keys, outside the store.
 */
import { useCallback, useSyncExternalStore } from "react";

import type { JabtermClient } from "../../core/client.js";
import type { EncryptionPolicy } from "../../core/crypto/encryption.js";

const versions = new WeakMap<object, { n: number }>();

/** A number that changes whenever any conversation's policy changes. */
export function usePolicyVersion(client: JabtermClient): number {
  const subscribe = useCallback(
    (notify: () => void) => {
      let v = versions.get(client.encryption);
      if (!v) versions.set(client.encryption, (v = { n: 0 }));
      const box = v;
      const on = () => {
        box.n++;
        notify();
      };
      client.encryption.on("policy", on);
      return () => void client.encryption.off("policy", on);
    },
    [client],
  );
  const get = useCallback(() => versions.get(client.encryption)?.n ?? 0, [client]);
  return useSyncExternalStore(subscribe, get, get);
}

/** The policy of one conversation ("off" without one). */
export function usePolicy(client: JabtermClient, account: string | undefined, peer: string | undefined): EncryptionPolicy {
  usePolicyVersion(client);
  return account && peer ? client.encryption.policy(account, peer) : "off";
}
