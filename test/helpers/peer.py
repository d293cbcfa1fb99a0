#!/usr/bin/python3
"""A third-party XMPP client (slixmpp) used as a test peer.

Run with Debian's /usr/bin/python3 (python3-slixmpp). Connects with STARTTLS to
--host:--port, verifying the server certificate against --ca for the JID's domain,
sends initial presence and then talks JSON lines:

stdout (one object per line, flushed):
  {"event":"online","jid":...}
  {"event":"message","from","to","type","body","id","origin_id"}
  {"event":"presence","from","to","type","show","status","priority"}
  {"event":"sent","id":...}
  {"event":"error","error":...,"detail":...}
  {"event":"disconnected"}
stdin (one object per line):
  {"cmd":"send","to":...,"body":...,"type":"chat"}   -> {"event":"sent","id":...}
  {"cmd":"presence","show":...,"status":...,"priority":...}
  {"cmd":"subscribe","to":...}
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


class Peer(slixmpp.ClientXMPP):
    def __init__(self, jid, password, host, port, ca):
        super().__init__(jid, password)
        self.target_host = host
        self.target_port = port
        self.ca_certs = ca
        self.online = False
        self.quitting = False
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0199")
        self.register_plugin("xep_0359")
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("presence", self.on_presence)
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("connection_failed", self.on_connection_failed)
        self.add_event_handler("ssl_invalid_chain", self.on_invalid_chain)
        self.add_event_handler("stream_error", self.on_stream_error)
        self.add_event_handler("disconnected", self.on_disconnected)

    async def get_dns_records(self, domain, port=None):
        # Never resolve anything: always the given address. The TLS server name stays
        # the JID's domain (self.default_domain), so the certificate is checked for it.
        return [(domain, self.target_host, self.target_port)]

    async def on_session_start(self, _event):
        self.send_presence()
        try:
            await self.get_roster()
        except Exception as exc:  # roster failure is not fatal for a test peer
            emit({"event": "error", "error": "roster", "detail": str(exc)})
        self.online = True
        emit({"event": "online", "jid": str(self.boundjid)})

    def on_message(self, msg):
        origin = None
        try:
            origin = text_or_none(msg["origin_id"]["id"])
        except Exception:
            origin = None
        emit({
            "event": "message",
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "type": msg["type"],
            "body": text_or_none(msg["body"]),
            "id": text_or_none(msg["id"]),
            "origin_id": origin,
        })

    def on_presence(self, pres):
        priority = None
        try:
            priority = int(pres["priority"])
        except (TypeError, ValueError):
            priority = None
        emit({
            "event": "presence",
            "from": str(pres["from"]),
            "to": str(pres["to"]),
            "type": pres["type"],
            "show": text_or_none(pres["show"]),
            "status": text_or_none(pres["status"]),
            "priority": priority,
        })

    def on_failed_auth(self, _event):
        emit({"event": "error", "error": "failed_auth"})
        self.quitting = True
        self.disconnect()

    def on_connection_failed(self, err):
        emit({"event": "error", "error": "connection_failed", "detail": str(err)})
        self.quitting = True
        self.disconnect()

    def on_invalid_chain(self, err):
        emit({"event": "error", "error": "ssl_invalid_chain", "detail": str(err)})
        self.quitting = True
        self.disconnect()

    def on_stream_error(self, err):
        emit({"event": "error", "error": "stream_error", "detail": str(err)})

    def on_disconnected(self, _event):
        emit({"event": "disconnected"})
        self.quitting = True

    def handle_command(self, line):
        line = line.strip()
        if not line:
            return
        try:
            cmd = json.loads(line)
            name = cmd.get("cmd")
            if name == "send":
                msg = self.make_message(
                    mto=cmd["to"], mbody=cmd.get("body"), mtype=cmd.get("type", "chat")
                )
                msg["id"] = cmd.get("id") or self.new_id()
                msg["origin_id"]["id"] = msg["id"]
                msg.send()
                emit({"event": "sent", "id": msg["id"]})
            elif name == "presence":
                priority = cmd.get("priority")
                self.send_presence(
                    pshow=cmd.get("show"),
                    pstatus=cmd.get("status"),
                    ppriority=priority if priority is not None else None,
                )
                emit({"event": "presence_sent"})
            elif name == "subscribe":
                self.send_presence(pto=cmd["to"], ptype="subscribe")
                emit({"event": "subscribe_sent", "to": cmd["to"]})
            elif name == "quit":
                self.quitting = True
                self.disconnect()
            else:
                emit({"event": "error", "error": "unknown_command", "detail": line})
        except Exception as exc:
            emit({"event": "error", "error": "command_failed", "detail": f"{exc!r}: {line}"})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jid", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args()

    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.ERROR,
        stream=sys.stderr,
        format="%(levelname)s %(name)s %(message)s",
    )

    xmpp = Peer(args.jid, args.password, args.host, args.port, args.ca)
    loop = asyncio.get_event_loop()

    def quit_on_eof():
        xmpp.quitting = True
        xmpp.disconnect()

    def stdin_reader():
        try:
            for line in sys.stdin:
                loop.call_soon_threadsafe(xmpp.handle_command, line)
            # stdin closed: the test runner went away, so quit.
            loop.call_soon_threadsafe(quit_on_eof)
        except RuntimeError:
            pass  # loop already closed

    threading.Thread(target=stdin_reader, daemon=True).start()

    xmpp.connect((args.host, args.port), force_starttls=True)
    loop.run_until_complete(xmpp.disconnected)


if __name__ == "__main__":
    main()
