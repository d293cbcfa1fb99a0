#!/usr/bin/python3
"""A third-party XMPP client (slixmpp) for the one-to-one chat tests: receipts (XEP-0184, answered
by slixmpp's own plugin), chat markers (XEP-0333), chat states (XEP-0085), corrections (XEP-0308)
and directed presence. Run with Debian's /usr/bin/python3 (python3-slixmpp).

Connects with STARTTLS to --host:--port (the certificate checked against --ca for the JID's
domain), binds the resource of --jid when it has one, sends initial presence, then talks JSON
lines.

stdout (one object per line, flushed):
  {"event":"online","jid":...}
  {"event":"message","from","to","type","id","body","origin_id","receipt_request","receipt",
   "markable","displayed","marker_received","chat_state","replace","children","xml"}
  {"event":"presence","from","to","type","show"}
  {"event":"sent","id":...}  (after every command)
  {"event":"error","error":...,"detail":...}
  {"event":"disconnected"}
stdin (one object per line):
  {"cmd":"send","to","body","type"?,"id"?,"receipt"?,"markable"?,"chat_state"?,"replace"?}
  {"cmd":"marker","to","id","marker":"displayed"|"received"|"acknowledged"}
  {"cmd":"chatstate","to","state"}
  {"cmd":"presence","to"?,"type"?,"show"?}
  {"cmd":"quit"}
"""

import argparse
import asyncio
import json
import logging
import sys
import threading
import uuid
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

RECEIPTS = "urn:xmpp:receipts"
MARKERS = "urn:xmpp:chat-markers:0"
CHATSTATES = "http://jabber.org/protocol/chatstates"
CORRECT = "urn:xmpp:message-correct:0"
SID = "urn:xmpp:sid:0"
STATES = ("active", "composing", "paused", "inactive", "gone")


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def child(el, ns, name):
    return el.find("{%s}%s" % (ns, name))


def attr_of(el, ns, name, attr="id"):
    c = child(el, ns, name)
    return None if c is None else c.get(attr)


class ChatPeer(slixmpp.ClientXMPP):
    def __init__(self, jid, password, host, port, ca):
        super().__init__(jid, password)
        self.target_host = host
        self.target_port = port
        self.ca_certs = ca
        self.register_plugin("xep_0030")
        # slixmpp's own receipts plugin: answers every receipt request (auto_ack).
        self.register_plugin("xep_0184", {"auto_ack": True, "auto_request": False})
        self.add_event_handler("session_start", self.on_session_start)
        # Every message, with or without a body (slixmpp's "message" event needs a body).
        self.register_handler(Callback("every message", MatchXPath("{jabber:client}message"), self.on_message))
        self.add_event_handler("presence", self.on_presence)
        self.add_event_handler("failed_auth", lambda _e: self.fail("failed_auth"))
        self.add_event_handler("connection_failed", lambda e: self.fail("connection_failed", e))
        self.add_event_handler("ssl_invalid_chain", lambda e: self.fail("ssl_invalid_chain", e))
        self.add_event_handler("disconnected", lambda _e: emit({"event": "disconnected"}))

    async def get_dns_records(self, domain, port=None):
        return [(domain, self.target_host, self.target_port)]

    def fail(self, what, detail=None):
        emit({"event": "error", "error": what, "detail": str(detail)})
        self.disconnect()

    async def on_session_start(self, _event):
        self.send_presence()
        emit({"event": "online", "jid": str(self.boundjid)})

    def on_message(self, msg):
        x = msg.xml
        state = None
        for name in STATES:
            if child(x, CHATSTATES, name) is not None:
                state = name
        body = x.find("{jabber:client}body")
        emit({
            "event": "message",
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "type": msg["type"],
            "id": x.get("id"),
            "body": None if body is None else (body.text or ""),
            "origin_id": attr_of(x, SID, "origin-id"),
            "receipt_request": child(x, RECEIPTS, "request") is not None,
            "receipt": attr_of(x, RECEIPTS, "received"),
            "markable": child(x, MARKERS, "markable") is not None,
            "displayed": attr_of(x, MARKERS, "displayed"),
            "marker_received": attr_of(x, MARKERS, "received"),
            "chat_state": state,
            "replace": attr_of(x, CORRECT, "replace"),
            "children": [c.tag for c in x],
            "xml": str(msg),
        })

    def on_presence(self, pres):
        emit({"event": "presence", "from": str(pres["from"]), "to": str(pres["to"]), "type": pres["type"], "show": pres["show"] or None})

    def handle(self, line):
        line = line.strip()
        if not line:
            return
        try:
            cmd = json.loads(line)
            name = cmd.get("cmd")
            if name == "send":
                msg = self.make_message(mto=cmd["to"], mbody=cmd.get("body"), mtype=cmd.get("type", "chat"))
                msg["id"] = cmd.get("id") or uuid.uuid4().hex
                x = msg.xml
                ET.SubElement(x, "{%s}origin-id" % SID, {"id": msg["id"]})
                if cmd.get("receipt"):
                    ET.SubElement(x, "{%s}request" % RECEIPTS)
                if cmd.get("markable"):
                    ET.SubElement(x, "{%s}markable" % MARKERS)
                if cmd.get("chat_state"):
                    ET.SubElement(x, "{%s}%s" % (CHATSTATES, cmd["chat_state"]))
                if cmd.get("replace"):
                    ET.SubElement(x, "{%s}replace" % CORRECT, {"id": cmd["replace"]})
                msg.send()
                emit({"event": "sent", "id": msg["id"]})
            elif name == "marker":
                msg = self.make_message(mto=cmd["to"], mtype="chat")
                msg["id"] = uuid.uuid4().hex
                ET.SubElement(msg.xml, "{%s}%s" % (MARKERS, cmd.get("marker", "displayed")), {"id": cmd["id"]})
                msg.send()
                emit({"event": "sent", "id": msg["id"]})
            elif name == "chatstate":
                msg = self.make_message(mto=cmd["to"], mtype="chat")
                msg["id"] = uuid.uuid4().hex
                ET.SubElement(msg.xml, "{%s}%s" % (CHATSTATES, cmd["state"]))
                msg.send()
                emit({"event": "sent", "id": msg["id"]})
            elif name == "presence":
                self.send_presence(pto=cmd.get("to"), ptype=cmd.get("type"), pshow=cmd.get("show"))
                emit({"event": "sent", "id": None})
            elif name == "quit":
                self.disconnect()
            else:
                emit({"event": "error", "error": "unknown_command", "detail": line})
        except Exception as exc:  # report, keep running
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
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR, stream=sys.stderr)

    xmpp = ChatPeer(args.jid, args.password, args.host, args.port, args.ca)
    loop = asyncio.get_event_loop()

    def reader():
        try:
            for line in sys.stdin:
                loop.call_soon_threadsafe(xmpp.handle, line)
            loop.call_soon_threadsafe(xmpp.disconnect)  # stdin closed: the test runner is gone
        except RuntimeError:
            pass  # loop already closed

    threading.Thread(target=reader, daemon=True).start()
    xmpp.connect((args.host, args.port), force_starttls=True)
    loop.run_until_complete(xmpp.disconnected)


if __name__ == "__main__":
    main()
