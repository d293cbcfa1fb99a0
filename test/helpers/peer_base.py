"""What the slixmpp test peers (peer.py, roster_peer.py, presence_peer.py, chat_peer.py) share.

Run the peers with Debian's /usr/bin/python3 (python3-slixmpp). Each connects with STARTTLS to
--host:--port (never resolving anything; the certificate is checked against --ca for the JID's
domain), binds the resource of --jid when it has one, starts its session and then talks JSON
lines. A peer is a BasePeer subclass handed to run(); it adds plugins, arguments, event fields
and commands (a command "x" is the method cmd_x; it may be async).

stdout (one object per line, flushed):
  {"event":"online","jid":...}
  {"event":"message","from","to","type","body","id","origin_id",...}  (messages with a body;
      every message where the peer sets every_message)
  {"event":"presence","from","to","type","show","status","priority",...}
  {"event":"error","error":"failed_auth"|"connection_failed"|"ssl_invalid_chain"|"stream_error"
      |"roster","detail":...}
  {"event":"error","error":"unknown_command"|"command_failed","cmd":...,"detail":...}
  {"event":"disconnected"}
  and an acknowledgement after each command but quit (see BasePeer.ack)
stdin (one object per line; closing stdin is quit):
  {"cmd":"send","to","body","type"?,"id"?}   the id (a new one if not given) is also the origin-id
  {"cmd":"presence","to"?,"type"?,"show"?,"status"?,"priority"?}
  {"cmd":"subscribe"|"subscribed"|"unsubscribe"|"unsubscribed","to","status"?,"nick"?}
  {"cmd":"quit"}
"""

import argparse
import asyncio
import json
import logging
import sys
import threading
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

SID = "urn:xmpp:sid:0"


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def text_or_none(value):
    return value if value not in ("", None) else None


def child(el, ns, name):
    return el.find("{%s}%s" % (ns, name))


def attr_of(el, ns, name, attr="id"):
    c = child(el, ns, name)
    return None if c is None else c.get(attr)


def header(event, stanza):
    return {"event": event, "from": str(stanza["from"]), "to": str(stanza["to"]), "type": stanza["type"]}


def add_child(stanza, ns, name, **attrs):
    ET.SubElement(stanza.xml, "{%s}%s" % (ns, name), attrs)


class BasePeer(slixmpp.ClientXMPP):
    # Report every <message> (receipts, markers, chat states...), not only those with a body.
    every_message = False

    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.target_host = args.host
        self.target_port = args.port
        self.ca_certs = args.ca
        self.register_plugin("xep_0030")
        self.add_event_handler("session_start", self.on_session_start)
        if self.every_message:
            self.register_handler(Callback("every message", MatchXPath("{jabber:client}message"), self.on_message))
        else:
            self.add_event_handler("message", self.on_message)
        self.add_event_handler("presence", self.on_presence)
        self.add_event_handler("failed_auth", lambda _e: self.fail("failed_auth"))
        self.add_event_handler("connection_failed", lambda e: self.fail("connection_failed", e))
        self.add_event_handler("ssl_invalid_chain", lambda e: self.fail("ssl_invalid_chain", e))
        self.add_event_handler("stream_error", lambda e: emit({"event": "error", "error": "stream_error", "detail": str(e)}))
        self.add_event_handler("disconnected", lambda _e: emit({"event": "disconnected"}))

    @classmethod
    def add_arguments(cls, parser):
        """The peer's own command-line arguments."""

    async def get_dns_records(self, domain, port=None):
        # Always the given address; the TLS server name stays the JID's domain.
        return [(domain, self.target_host, self.target_port)]

    def fail(self, what, detail=None):
        emit({"event": "error", "error": what, **({} if detail is None else {"detail": str(detail)})})
        self.disconnect()

    async def on_session_start(self, _event):
        await self.start_session()
        emit({"event": "online", "jid": str(self.boundjid)})

    async def start_session(self):
        """Everything before "online": by default initial presence, then the roster."""
        self.send_presence()
        await self.load_roster()

    async def load_roster(self):
        try:
            await self.get_roster()
        except Exception as exc:  # not fatal for a test peer
            emit({"event": "error", "error": "roster", "detail": str(exc)})

    def message_event(self, msg):
        return {
            **header("message", msg),
            "body": text_or_none(msg["body"]),
            "id": text_or_none(msg["id"]),
            "origin_id": text_or_none(attr_of(msg.xml, SID, "origin-id")),
        }

    def on_message(self, msg):
        emit(self.message_event(msg))

    def presence_event(self, pres):
        try:
            priority = int(pres["priority"])
        except (TypeError, ValueError):
            priority = None
        return {
            **header("presence", pres),
            "show": text_or_none(pres["show"]),
            "status": text_or_none(pres["status"]),
            "priority": priority,
        }

    def on_presence(self, pres):
        emit(self.presence_event(pres))

    # -- commands -------------------------------------------------------------------------------

    def ack(self, name, **fields):
        """Says a command was carried out: {"event":"sent","id"} for send, else {"event":"<cmd>_sent",...}."""
        emit({"event": "sent", **fields} if name == "send" else {"event": name + "_sent", **fields})

    def handle_command(self, line):
        line = line.strip()
        if not line:
            return
        name = None
        try:
            cmd = json.loads(line)
            name = cmd.get("cmd")
            handler = getattr(self, "cmd_%s" % name, None)
            if handler is None:
                emit({"event": "error", "error": "unknown_command", "cmd": name, "detail": line})
                return
            result = handler(cmd)
            if asyncio.iscoroutine(result):
                asyncio.ensure_future(self.finish_command(result, name, line))
        except Exception as exc:  # report, keep running
            self.command_failed(name, exc, line)

    async def finish_command(self, coro, name, line):
        try:
            await coro
        except Exception as exc:
            self.command_failed(name, exc, line)

    def command_failed(self, name, exc, line):
        emit({"event": "error", "error": "command_failed", "cmd": name, "detail": f"{exc!r}: {line}"})

    def compose(self, cmd):
        """The message a send command asks for, not sent yet."""
        msg = self.make_message(mto=cmd["to"], mbody=cmd.get("body"), mtype=cmd.get("type", "chat"))
        msg["id"] = cmd.get("id") or self.new_id()
        add_child(msg, SID, "origin-id", id=msg["id"])
        return msg

    def cmd_send(self, cmd):
        msg = self.compose(cmd)
        msg.send()
        self.ack("send", id=msg["id"])

    def cmd_presence(self, cmd):
        self.send_presence(pto=cmd.get("to"), ptype=cmd.get("type"), pshow=cmd.get("show"),
                           pstatus=cmd.get("status"), ppriority=cmd.get("priority"))
        self.ack("presence")

    def subscription(self, cmd):
        # XEP-0172 §4.1: a nick may go with a subscription request (needs xep_0172).
        pres = self.make_presence(pto=cmd["to"], ptype=cmd["cmd"], pstatus=cmd.get("status"), pnick=cmd.get("nick") or None)
        if cmd.get("nick") and "xep_0172" not in self.plugin:
            # without the plugin slixmpp drops the nick: add the element as it is on the wire
            ET.SubElement(pres.xml, "{http://jabber.org/protocol/nick}nick").text = cmd["nick"]
        pres.send()
        self.ack(cmd["cmd"], to=cmd["to"])

    cmd_subscribe = cmd_subscribed = cmd_unsubscribe = cmd_unsubscribed = subscription

    def cmd_quit(self, _cmd):
        self.disconnect()


def run(peer_class):
    parser = argparse.ArgumentParser()
    parser.add_argument("--jid", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--debug", action="store_true")
    peer_class.add_arguments(parser)
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR, stream=sys.stderr,
                        format="%(levelname)s %(name)s %(message)s")

    xmpp = peer_class(args)
    loop = asyncio.get_event_loop()

    def stdin_reader():
        try:
            for line in sys.stdin:
                loop.call_soon_threadsafe(xmpp.handle_command, line)
            loop.call_soon_threadsafe(xmpp.disconnect)  # stdin closed: the test runner is gone
        except RuntimeError:
            pass  # loop already closed

    threading.Thread(target=stdin_reader, daemon=True).start()
    xmpp.connect((args.host, args.port), force_starttls=True)
    loop.run_until_complete(xmpp.disconnected)
