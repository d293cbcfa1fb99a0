/**
 * Scripting pieces as pure logic and against a real client over a throwaway config (no network):
 * alias expansion and loops, /set over the schema, /source, /exec, URL finding and the scheme
 * allowlist, hook selection and runs, /help search, completion of aliases and setting values,
 * generated shell completion scripts.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { afterEach, describe, expect, test, vi } from "vitest";

import { completionScript } from "../../src/cli/completion.js";
import { completeCommandLine, type CompletionSources } from "../../src/core/commands/complete.js";
import { createRegistry } from "../../src/core/commands/defs/index.js";
import { helpLines } from "../../src/core/commands/help.js";
import { SETTINGS } from "../../src/core/config/schema.js";
import { expandAlias } from "../../src/core/scripting/aliases.js";
import { completeFiles } from "../../src/core/scripting/source.js";
import { HookRunner, hooksFor, isHighlight } from "../../src/core/scripting/hooks.js";
import { checkUrl, conversationUrls, findUrls } from "../../src/core/scripting/urls.js";
import { settingDefaults } from "../../src/core/config/schema.js";
import { tempClient } from "../helpers/engine.js";
import { waitFor } from "../helpers/wait-for.js";

const clients: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});
function client(settings: Record<string, string | number | boolean> = {}) {
  const t = tempClient([], settings);
  clients.push(t);
  return t;
}

describe("alias expansion", () => {
  test("$1..$9 are words (quotes removed), $@ is the rest as typed, $$ a dollar", () => {
    expect(expandAlias("w", "/msg -a work $1 $2", 'bob@x "hi there"')).toBe("/msg -a work bob@x hi there");
    expect(expandAlias("t", "/msg $@", "bob@x  it's  here ")).toBe("/msg bob@x  it's  here");
    expect(expandAlias("t", "/msg -a $1 $2 $3-", 'work bob@x "quoted"  as typed ')).toBe('/msg -a work bob@x "quoted"  as typed');
    expect(expandAlias("p", "/status away costs $$5", "")).toBe("/status away costs $5");
  });
  test("without placeholders the arguments are appended; a missing word is a usage error", () => {
    expect(expandAlias("r", "/roster", "list")).toBe("/roster list");
    expect(expandAlias("r", "/roster", "")).toBe("/roster");
    expect(() => expandAlias("w", "/msg $1 $2", "bob@x")).toThrow(/needs at least 2 arguments/);
  });
});

describe("/alias, /help and completion", () => {
  test("an alias runs its expansion, is listed by /help and /alias list, completes like a command", async () => {
    const t = client();
    expect((await t.command("/alias add hs /help search $1")).ok).toBe(true);
    const r = await t.command("/hs presence");
    expect(r.ok).toBe(true);
    expect(r.output[0]).toBe('Commands about "presence":');
    expect(r.output.join("\n")).toContain("/status");

    const help = await t.command("/help");
    expect(help.output).toContain("Aliases:");
    expect(help.output.some((l) => /\/hs\s+alias for \/help search \$1/.test(l))).toBe(true);
    expect((await t.command("/help hs")).output.join("\n")).toContain("alias for /help search $1");
    expect((await t.command("/alias")).output).toEqual(["/hs → /help search $1"]);

    const registry = createRegistry(t.client);
    const sources: CompletionSources = { accounts: () => [], contacts: () => [], rooms: () => [], settings: () => SETTINGS.map((s) => s.key), accountKeys: () => [] };
    expect(completeCommandLine(registry, "/h", 2, sources).candidates).toContain("hs");
    // saved in the config file
    expect(JSON.parse(fs.readFileSync(t.config.file, "utf8")).aliases).toEqual({ hs: "/help search $1" });
    expect((await t.command("/alias remove hs")).ok).toBe(true);
    expect((await t.command("/hs x")).error?.text).toMatch(/unknown command|no such command|\/hs/);
  });

  test("an alias cannot shadow a command, and loops stop with an error", async () => {
    const t = client();
    expect((await t.command("/alias add msg /help")).error?.text).toMatch(/is a command/);
    await t.command("/alias add ping /pong $@");
    await t.command("/alias add pong /ping $@");
    const loop = await t.command("/ping x");
    expect(loop.ok).toBe(false);
    expect(loop.error?.text).toMatch(/loop: \/ping → \/pong → \/ping/);
    await t.command("/alias add self /self");
    expect((await t.command("/self")).error?.text).toMatch(/loop/);
    expect((await t.command("/alias add bad help")).error?.text).toMatch(/must expand to a command/);
  });

  test("/help search finds commands by text; /help <command> shows synopsis, arguments and examples", () => {
    const registry = createRegistry();
    const lines = helpLines(registry, "search alias");
    expect(lines[0]).toBe('Commands about "alias":');
    expect(lines.join("\n")).toMatch(/\/alias add <name> <expansion>/);
    expect(helpLines(registry, "search zzzz-nothing")[0]).toMatch(/no command mentions/);
    const set = helpLines(registry, "set").join("\n");
    expect(set).toMatch(/^usage: \/set \[-r\] \[<key>\] \[<value>\]/);
    expect(set).toContain("Examples:");
  });
});

describe("/set", () => {
  test("checks types, saves, lists what differs from the defaults, resets, says what needs a restart", async () => {
    const t = client();
    t.config.unsetSetting("reconnect_min_delay");
    t.config.unsetSetting("reconnect_max_delay");
    expect((await t.command("/set")).output[0]).toMatch(/every setting has its default value/);
    const bad = await t.command("/set hook_concurrency many");
    expect(bad.ok).toBe(false);
    expect(bad.error?.text).toMatch(/hook_concurrency must be an integer between 1 and 64/);
    expect((await t.command("/set hook_timeout 5s")).output).toEqual(["hook_timeout = 5000"]);
    expect(t.client.settings().hook_timeout).toBe(5000); // live
    expect((await t.command("/set max_stanza_size 2m")).output[0]).toMatch(/max_stanza_size = 2097152 \(takes effect after a restart\)/);
    const setLevel = vi.spyOn(t.client.log, "setLevel");
    expect((await t.command("/set log_level debug")).output).toEqual(["log_level = debug"]); // live
    expect(setLevel).toHaveBeenCalledWith("debug");
    expect((await t.command("/set carbons off")).output[0]).toMatch(/carbons = false \(takes effect at the next connection\)/);
    expect((await t.command("/set auto_away_status gone  fishing")).data).toEqual({ key: "auto_away_status", value: "gone  fishing" });
    const listed = await t.command("/set");
    expect(listed.data).toEqual({ log_level: "debug", max_stanza_size: 2097152, carbons: false, auto_away_status: "gone  fishing", hook_timeout: 5000 });
    const shown = await t.command("/set hook_timeout");
    expect(shown.output[0]).toBe("hook_timeout = 5000");
    expect(shown.output[1]).toMatch(/integer 100\.\.3600000 \(ms\), default 10000/);
    expect((await t.command("/set --reset hook_timeout")).ok).toBe(true);
    expect(t.client.settings().hook_timeout).toBe(settingDefaults().hook_timeout);
    expect((await t.command("/set nonsense 1")).error?.text).toMatch(/unknown setting/);
  });

  test("keys and values complete from the schema", () => {
    const registry = createRegistry();
    const sources: CompletionSources = { accounts: () => [], contacts: () => [], rooms: () => [], settings: () => SETTINGS.map((s) => s.key), accountKeys: () => [] };
    expect(completeCommandLine(registry, "/set hook_t", 11, sources).candidates).toEqual(["hook_timeout"]);
    expect(completeCommandLine(registry, "/set log_level d", 16, sources).candidates).toEqual(["debug"]);
    expect(completeCommandLine(registry, "/set carbons ", 13, sources).candidates).toEqual(["false", "true"]);
  });
});

describe("/source and /exec", () => {
  test("file names complete for /source (directories with a slash, hidden files only when asked)", () => {
    const t = client();
    const d = path.join(t.dir, "scripts");
    fs.mkdirSync(path.join(d, "sub"), { recursive: true });
    for (const f of ["morning.jab", "mode.txt", ".hidden.jab"]) fs.writeFileSync(path.join(d, f), "");
    const registry = createRegistry(t.client);
    const sources: CompletionSources = { accounts: () => [], contacts: () => [], rooms: () => [], settings: () => [], accountKeys: () => [], files: completeFiles };
    const line = `/source ${d}/mo`;
    expect(completeCommandLine(registry, line, line.length, sources).candidates).toEqual([`${d}/mode.txt`, `${d}/morning.jab`]);
    expect(completeFiles(`${d}/`)).toEqual(expect.arrayContaining([`${d}/sub/`, `${d}/morning.jab`]));
    expect(completeFiles(`${d}/`)).not.toContain(`${d}/.hidden.jab`);
    expect(completeFiles(`${d}/.h`)).toEqual([`${d}/.hidden.jab`]);
    expect(completeFiles("/no/such/dir/x")).toEqual([]);
  });

  test("/source runs a file in order, skips comments, stops at the first failure naming file and line", async () => {
    const t = client();
    const good = path.join(t.dir, "good.jab");
    fs.writeFileSync(good, "# aliases\n/alias add a1 /help\n\n/alias add a2 /help\n");
    const r = await t.command(`/source ${good}`);
    expect(r.ok).toBe(true);
    expect(r.data).toMatchObject({ file: good, ran: 2 });
    expect(Object.keys(t.config.aliases())).toEqual(["a1", "a2"]);
    const bad = path.join(t.dir, "bad.jab");
    fs.writeFileSync(bad, "/alias add b1 /help\n/nosuchcommand\n/alias add b2 /help\n");
    const f = await t.command(`/source ${bad}`);
    expect(f.ok).toBe(false);
    expect(f.error?.text).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: `));
    expect(Object.keys(t.config.aliases())).toEqual(["a1", "a2", "b1"]);
    const self = path.join(t.dir, "self.jab");
    fs.writeFileSync(self, `/source ${self}\n`);
    expect((await t.command(`/source ${self}`)).error?.text).toMatch(/loop/);
    expect((await t.command(`/source ${path.join(t.dir, "missing")}`)).error?.text).toMatch(/no such file/);
  });

  test("/exec runs without a shell and reports a failing program with its status", async () => {
    const t = client();
    const r = await t.command("/exec printf '%s\\n' '$(echo no)' 'two words'");
    expect(r.ok).toBe(true);
    expect(r.output).toEqual(["$(echo no)", "two words"]);
    const f = await t.command("/exec sh -c 'echo oops >&2; exit 3'");
    expect(f.ok).toBe(false);
    expect(f.error).toMatchObject({ code: "program", exit_code: 3 });
    expect(f.error?.text).toMatch(/exit status 3: oops/);
    expect((await t.command("/exec /no/such/program")).error?.text).toMatch(/no such program/);
    expect((await t.command("/exec -o echo hi")).error?.text).toMatch(/--to/); // headless: which conversation?
  });
});

describe("URLs for /open", () => {
  test("found in text without trailing punctuation, only allowlisted schemes", () => {
    expect(findUrls("see https://a.example/x. and (https://b.example/y) or xmpp:bob@example.org?message, file:///etc/passwd")).toEqual([
      "https://a.example/x",
      "https://b.example/y",
      "xmpp:bob@example.org?message",
    ]);
    expect(findUrls("https://w.example/wiki/Foo_(bar)")).toEqual(["https://w.example/wiki/Foo_(bar)"]);
    expect(findUrls("https://e.example/\u202eevil")).toEqual(["https://e.example/"]);
    expect(checkUrl("https://ok.example/?q=$(x)")).toEqual({ ok: true, url: "https://ok.example/?q=$(x)" });
    for (const bad of ["javascript:alert(1)", "file:///etc/passwd", "-oProxyCommand=x", "https://a b", "data:text/html,x", "https://x\u0085y"]) {
      expect(checkUrl(bad).ok, bad).toBe(false);
    }
  });
  test("a conversation's URLs are numbered newest first without repeats", () => {
    const msg = (body: string, time: string) => ({ id: time, direction: "in" as const, from: "b@x", to: "a@x", type: "chat" as const, body, time });
    const urls = conversationUrls([msg("old https://one.example", "1"), msg("https://two.example and https://one.example", "2")]);
    expect(urls.map((u) => [u.n, u.url])).toEqual([
      [1, "https://one.example"],
      [2, "https://two.example"],
    ]);
  });
});

describe("hooks", () => {
  const s = (over: Record<string, unknown>) => ({ ...settingDefaults(), ...over }) as ReturnType<typeof settingDefaults>;
  test("which events run which hooks", () => {
    const msgIn = { event: "message", direction: "in", type: "chat", from: "bob@x/r", body: "the deploy is done" };
    expect(hooksFor(msgIn, s({}))).toEqual([]);
    expect(hooksFor(msgIn, s({ hook_message_in: "a", hook_highlight: "b", highlight_words: "deploy, release" }))).toEqual(["message_in", "highlight"]);
    expect(hooksFor({ ...msgIn, carbon: "received" }, s({ hook_message_in: "a" }))).toEqual([]);
    expect(hooksFor({ ...msgIn, archived: true }, s({ hook_message_in: "a" }))).toEqual([]);
    expect(hooksFor({ event: "highlight", account: "a", room: "r@conf.x", nick: "bob", body: "me: hi" }, s({ hook_highlight: "h" }))).toEqual(["highlight"]);
    expect(hooksFor({ event: "message", direction: "out", body: "x" }, s({ hook_message_out: "a" }))).toEqual(["message_out"]);
    const pres = { event: "presence", from: "Bob@X/phone", show: "away" };
    expect(hooksFor(pres, s({ hook_presence: "a" }))).toEqual(["presence"]);
    expect(hooksFor(pres, s({ hook_presence: "a", hook_presence_contacts: "carol@x, bob@x" }))).toEqual(["presence"]);
    expect(hooksFor(pres, s({ hook_presence: "a", hook_presence_contacts: "carol@x" }))).toEqual([]);
    expect(hooksFor({ event: "subscription_request", jid: "e@x" }, s({ hook_subscription: "a" }))).toEqual(["subscription"]);
    expect(isHighlight("Deployed", ["deploy"])).toBe(false);
    expect(isHighlight("DEPLOY now", ["deploy"])).toBe(true);
  });

  test("a hook gets the event as JSON on stdin; failures and timeouts are published; concurrency is bounded", async () => {
    const t = client({ hook_timeout: 300, hook_concurrency: 2 });
    const out = path.join(t.dir, "hook-out");
    fs.mkdirSync(out);
    const script = path.join(t.dir, "hook.sh");
    // records stdin, then tracks how many copies run at once
    fs.writeFileSync(script, `#!/bin/sh\nd="${out}"\ncat > "$d/$$.json"\nls "$d"/*.running 2>/dev/null | wc -l > "$d/$$.seen"\ntouch "$d/$$.running"\nsleep 0.1\nrm "$d/$$.running"\n`, { mode: 0o755 });
    t.config.setSetting("hook_message_in", script);
    const runner = new HookRunner(t.client);
    for (let i = 0; i < 6; i++) t.client.publish("message", { account: "a", direction: "in", type: "chat", from: "bob@x/r", body: `n${i} \u202e` });
    await waitFor(() => fs.readdirSync(out).filter((f) => f.endsWith(".seen")).length === 6, { timeout: 10_000 });
    await runner.idle();
    const bodies = fs.readdirSync(out).filter((f) => f.endsWith(".json")).map((f) => JSON.parse(fs.readFileSync(path.join(out, f), "utf8")) as { body: string; hook: string });
    expect(bodies.map((b) => b.body).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `n${i} \u202e`));
    expect(fs.readFileSync(path.join(out, fs.readdirSync(out).find((f) => f.endsWith(".json"))!), "utf8")).toContain("\\u202e"); // escaped on the line
    const concurrent = fs.readdirSync(out).filter((f) => f.endsWith(".seen")).map((f) => Number(fs.readFileSync(path.join(out, f), "utf8").trim()));
    expect(Math.max(...concurrent)).toBeLessThan(2); // at most one other copy running

    t.config.setSetting("hook_message_in", "sh -c 'sleep 5'");
    t.client.publish("message", { account: "a", direction: "in", type: "chat", from: "bob@x/r", body: "slow" });
    t.config.setSetting("hook_message_out", "/no/such/hook");
    t.client.publish("message", { account: "a", direction: "out", to: "bob@x", body: "x" });
    await waitFor(() => t.events.filter((e) => e.event === "hook").length === 2, { timeout: 5000 });
    await runner.idle();
    const failures = t.events.filter((e) => e.event === "hook");
    expect(failures).toContainEqual(expect.objectContaining({ hook: "message_in", ok: false, error: "killed after 300 ms (timeout)" }));
    expect(failures).toContainEqual(expect.objectContaining({ hook: "message_out", ok: false, error: "/no/such/hook: no such program" }));
    runner.stop();
  });
});

describe("shell completion scripts", () => {
  test("bash: valid syntax, completes subcommands, flags and slash commands", () => {
    const script = completionScript("bash")!;
    execFileSync("bash", ["-n"], { input: script });
    const complete = (line: string) =>
      execFileSync("bash", ["-c", `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _jabterm; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: "utf8" }).trim().split("\n");
    expect(complete("jabterm c")).toEqual(["ctl", "completion"]);
    expect(complete("jabterm --hea")).toEqual(["--headless"]);
    expect(complete("jabterm ctl /ali")).toEqual(["/alias"]);
    expect(complete("jabterm --log-level d")).toEqual(["debug"]);
    expect(complete("jabterm ctl --follow --event mess")).toEqual(["message", "message_state", "message_corrected"]);
  });
  test("zsh and fish scripts name every flag and subcommand", () => {
    for (const shell of ["zsh", "fish"]) {
      const script = completionScript(shell)!;
      for (const w of ["--headless", "--config-dir", "--follow", "ctl", "send", "completion", "/msg"]) expect(script, `${shell} ${w}`).toContain(w.replace(/^--/, shell === "fish" ? "-l " : "--"));
    }
    expect(completionScript("tcsh")).toBeUndefined();
  });
  test("zsh and fish accept their scripts; fish completes from them", () => {
    const has = (sh: string) => spawnSync(sh, ["-c", "true"]).status === 0;
    if (has("zsh")) {
      const r = spawnSync("zsh", ["-n"], { input: completionScript("zsh")!, encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    }
    if (has("fish")) {
      const script = completionScript("fish")!;
      expect(spawnSync("fish", ["-n", "-c", script], { encoding: "utf8" }).status).toBe(0);
      const complete = (line: string) =>
        spawnSync("fish", ["-c", `${script}\ncomplete -C '${line}'`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean).map((l) => l.split("\t")[0]);
      expect(complete("jabterm c")).toEqual(["completion", "ctl"]);
      expect(complete("jabterm --log-level ")).toEqual(["debug", "error", "info", "trace", "warn"]);
      expect(complete("jabterm ctl /ali")).toEqual(["/alias"]);
    }
  });
});
