/**
 * What the console tab shows: connection events, errors, requests — turned from the client's
 * published events into console lines, and incoming chats into (unfocused) tabs.
 */
import type { JabtermClient, PublishedEvent } from "../core/client.js";
import { normalizeJid } from "../core/jid.js";
import { conversationKey } from "../core/store/slices/rooms.js";
import { chatTabId, type UiStore } from "./state/ui-store.js";

export function describeEvent(e: PublishedEvent): { text: string; level: "info" | "error"; remote?: boolean } | undefined {
  const f = e as Record<string, any>;
  switch (e.event) {
    case "account":
      if (f.status === "online") return { text: `${f.account}: online as ${f.bound}${f.resumed ? " (resumed)" : ""}`, level: "info" };
      if (f.status === "error") return { text: `${f.account}: ${f.error?.text ?? "error"}`, level: "error", remote: true };
      if (f.status === "offline" && f.retry_in !== undefined) return { text: `${f.account}: ${f.error?.text ?? "offline"}; retrying in ${Math.round(f.retry_in / 100) / 10} s`, level: "error", remote: true };
      if (f.status === "offline") return { text: `${f.account}: offline`, level: "info" };
      if (f.status === "connecting") return { text: `${f.account}: connecting…`, level: "info" };
      return undefined;
    case "credential":
      if (f.kind === "pgp_passphrase") return { text: `${f.account} needs the passphrase of its OpenPGP key: type /password ${f.account} <passphrase>`, level: "error" };
      return { text: `${f.account} needs a password: type /password ${f.account} <password>`, level: "error" };
    case "subscription_request":
      return { text: `${f.account}: ${f.jid} asks to see your presence (/sub allow ${f.jid}, /sub deny ${f.jid})`, level: "info", remote: true };
    case "control":
      return { text: `jabterm ctl » ${f.input}${f.ok ? "" : `: ${f.error ?? "failed"}`}`, level: f.ok ? "info" : "error", remote: true };
    case "hook":
      return { text: `hook${f.hook ? ` ${f.hook}` : ""}${f.program ? ` (${f.program})` : ""} failed: ${f.error ?? "unknown error"}${f.stderr ? `: ${f.stderr}` : ""}`, level: "error", remote: true };
    case "script":
      return f.ok
        ? { text: `${f.account}: startup script ${f.file}: ${f.ran} command${f.ran === 1 ? "" : "s"} run`, level: "info", remote: true }
        : { text: `${f.account}: startup script: ${f.error?.text ?? "failed"}`, level: "error", remote: true };
    case "room":
      if (f.status === "kicked" || f.status === "banned" || f.status === "removed" || f.status === "destroyed" || f.status === "shutdown")
        return { text: `${f.account}: ${f.room}: you are out of the room (${f.status}${f.actor ? ` by ${f.actor}` : ""}${f.text_reason ? `: ${f.text_reason}` : ""})`, level: "error", remote: true };
      if (f.status === "error") return { text: `${f.account}: ${f.text ?? `could not join ${f.room}`}`, level: "error", remote: true };
      if (f.status === "dropped") return { text: `${f.account}: ${f.room}: you had been dropped from the room; joining again`, level: "info", remote: true };
      return undefined;
    case "invitation":
      return { text: `${f.account}: ${f.from} invites you to ${f.room}${f.reason ? ` (${f.reason})` : ""}: /invitation accept ${f.room} or /invitation decline ${f.room}`, level: "info", remote: true };
    case "error":
    case "warning":
      return { text: `${f.account ? `${f.account}: ` : ""}${f.text ?? f.message ?? JSON.stringify(f)}`, level: "error", remote: true };
    default:
      return undefined;
  }
}

export function attachConsoleFeed(client: JabtermClient, ui: UiStore): () => void {
  const onEvent = (e: PublishedEvent) => {
    const d = describeEvent(e);
    if (d) ui.dispatch({ type: "console", ...d });
    // A room joined without /join here (a bookmark's autojoin, a rejoin): its tab, unfocused.
    if (e.event === "room" && e.status === "joined" && typeof e.room === "string") {
      const account = String(e.account);
      ui.dispatch({ type: "open", tab: { kind: "chat", id: chatTabId(account, e.room), account, peer: e.room }, focus: false });
    }
    if (e.event === "message" && e.direction === "in" && (e.type === "chat" || e.type === "normal") && typeof e.from === "string") {
      let peer: string;
      try {
        // A private message from a room occupant opens its own tab (the occupant's full JID).
        peer = conversationKey(client.store.account(String(e.account)), normalizeJid(e.from));
      } catch {
        return;
      }
      ui.dispatch({ type: "open", tab: { kind: "chat", id: chatTabId(String(e.account), peer), account: String(e.account), peer }, focus: false });
    }
  };
  client.on("event", onEvent);
  return () => client.off("event", onEvent);
}
