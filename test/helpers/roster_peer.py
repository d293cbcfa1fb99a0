#!/usr/bin/python3
"""A third-party client (slixmpp) for roster, subscription, nickname and blocking interop tests.

Like peer.py (same connection set-up, JSON lines on stdin/stdout), plus control over slixmpp's
automatic subscription handling and XEP-0172 nicknames through PEP.

  --auto-authorize true|false|none  slixmpp's default is true: approve every request (none: leave
                                     requests to the test, false: refuse them)
  --auto-subscribe true|false       slixmpp's default is true: ask back after approving

stdout (one object per line):
  {"event":"online","jid":...}
  {"event":"presence","from","to","type","nick","status"}
  {"event":"message","from","to","type","body"}
  {"event":"message_error","from","condition"}
  {"event":"done","cmd":...,...}                   after each command
  {"event":"error","error":...,"detail":...}
  {"event":"disconnected"}
stdin:
  {"cmd":"subscribe","to":...,"nick":...,"status":...}
  {"cmd":"subscribed"|"unsubscribed"|"unsubscribe","to":...}
  {"cmd":"send","to":...,"body":...}
  {"cmd":"publish_nick","nick":...}                -> done after the server's result
  {"cmd":"roster_item","jid":...}                   -> done with subscription, pending_out
  {"cmd":"quit"}
"""

import argparse
import asyncio
import json
import logging
import sys
import threading

import slixmpp


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def text_or_none(value):
    return value if value not in ("", None) else None


class RosterPeer(slixmpp.ClientXMPP):
    def __init__(self, jid, password, host, port, ca, auto_authorize, auto_subscribe):
        super().__init__(jid, password)
        self.target_host = host
        self.target_port = port
        self.ca_certs = ca
        self.auto_authorize = auto_authorize
        self.auto_subscribe = auto_subscribe
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0199")
        self.register_plugin("xep_0172")
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("message_error", self.on_message_error)
        self.add_event_handler("presence", self.on_presence)
        self.add_event_handler("failed_auth", self.on_failed)
        self.add_event_handler("connection_failed", self.on_failed)
        self.add_event_handler("ssl_invalid_chain", self.on_failed)
        self.add_event_handler("disconnected", lambda _e: emit({"event": "disconnected"}))

    async def get_dns_records(self, domain, port=None):
        return [(domain, self.target_host, self.target_port)]

    async def on_session_start(self, _event):
        try:
            await self.get_roster()
        except Exception as exc:
            emit({"event": "error", "error": "roster", "detail": str(exc)})
        self.send_presence()
        emit({"event": "online", "jid": str(self.boundjid)})

    def on_message(self, msg):
        emit({
            "event": "message",
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "type": msg["type"],
            "body": text_or_none(msg["body"]),
        })

    def on_message_error(self, msg):
        emit({
            "event": "message_error",
            "from": str(msg["from"]),
            "condition": msg["error"]["condition"],
        })

    def on_presence(self, pres):
        nick = None
        try:
            nick = text_or_none(pres["nick"]["nick"])
        except Exception:
            nick = None
        emit({
            "event": "presence",
            "from": str(pres["from"]),
            "to": str(pres["to"]),
            "type": pres["type"],
            "nick": nick,
            "status": text_or_none(pres["status"]),
        })

    def on_failed(self, err):
        emit({"event": "error", "error": "connection", "detail": str(err)})
        self.disconnect()

    async def run_command(self, cmd):
        name = cmd.get("cmd")
        if name == "subscribe":
            # XEP-0172 §4.1: a nick may go with a subscription request.
            self.make_presence(pto=cmd["to"], ptype="subscribe", pstatus=cmd.get("status"),
                               pnick=cmd.get("nick") or None).send()
        elif name in ("subscribed", "unsubscribed", "unsubscribe"):
            self.send_presence(pto=cmd["to"], ptype=name)
        elif name == "send":
            self.make_message(mto=cmd["to"], mbody=cmd.get("body"), mtype=cmd.get("type", "chat")).send()
        elif name == "publish_nick":
            await self["xep_0172"].publish_nick(cmd["nick"])
        elif name == "roster_item":
            item = self.client_roster[cmd["jid"]]
            emit({"event": "done", "cmd": name, "jid": cmd["jid"],
                  "subscription": item["subscription"], "pending_out": bool(item["pending_out"])})
            return
        elif name == "quit":
            self.disconnect()
            return
        else:
            raise ValueError(f"unknown command {name}")
        emit({"event": "done", "cmd": name})

    def handle_line(self, line):
        line = line.strip()
        if not line:
            return
        cmd = json.loads(line)

        async def run():
            try:
                await self.run_command(cmd)
            except Exception as exc:
                emit({"event": "error", "error": "command_failed", "cmd": cmd.get("cmd"), "detail": repr(exc)})

        asyncio.ensure_future(run())


def flag(value):
    return {"true": True, "false": False, "none": None}[value]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jid", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--auto-authorize", default="true", choices=["true", "false", "none"])
    parser.add_argument("--auto-subscribe", default="true", choices=["true", "false"])
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args()

    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR, stream=sys.stderr,
                        format="%(levelname)s %(name)s %(message)s")

    xmpp = RosterPeer(args.jid, args.password, args.host, args.port, args.ca,
                      flag(args.auto_authorize), flag(args.auto_subscribe))
    loop = asyncio.get_event_loop()

    def stdin_reader():
        try:
            for line in sys.stdin:
                loop.call_soon_threadsafe(xmpp.handle_line, line)
            loop.call_soon_threadsafe(xmpp.disconnect)
        except RuntimeError:
            pass

    threading.Thread(target=stdin_reader, daemon=True).start()
    xmpp.connect((args.host, args.port), force_starttls=True)
    loop.run_until_complete(xmpp.disconnected)


if __name__ == "__main__":
    main()
