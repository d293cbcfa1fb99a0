#!/usr/bin/python3
"""A third-party XMPP client (slixmpp) for the one-to-one chat tests: receipts (XEP-0184, answered
by slixmpp's own plugin), chat markers (XEP-0333), chat states (XEP-0085), corrections (XEP-0308)
and directed presence.

peer_base.BasePeer, but: initial presence and no roster; every message is reported (not only
those with a body); every command but quit is acknowledged {"event":"sent","id"} (id null for
presence).
stdout: message events also carry "receipt_request", "receipt", "markable", "displayed",
  "marker_received", "chat_state", "replace", "children" (tags) and "xml"
stdin adds:
  {"cmd":"send",...,"receipt"?,"markable"?,"chat_state"?,"replace"?}
  {"cmd":"marker","to","id","marker":"displayed"|"received"|"acknowledged"}
  {"cmd":"chatstate","to","state"}
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the tests

from peer_base import BasePeer, add_child, attr_of, child, emit, run  # noqa: E402

RECEIPTS = "urn:xmpp:receipts"
MARKERS = "urn:xmpp:chat-markers:0"
CHATSTATES = "http://jabber.org/protocol/chatstates"
CORRECT = "urn:xmpp:message-correct:0"
STATES = ("active", "composing", "paused", "inactive", "gone")


class ChatPeer(BasePeer):
    every_message = True

    def __init__(self, args):
        super().__init__(args)
        # slixmpp's own receipts plugin: answers every receipt request (auto_ack).
        self.register_plugin("xep_0184", {"auto_ack": True, "auto_request": False})

    async def start_session(self):
        self.send_presence()

    def message_event(self, msg):
        x = msg.xml
        return {
            **super().message_event(msg),
            "receipt_request": child(x, RECEIPTS, "request") is not None,
            "receipt": attr_of(x, RECEIPTS, "received"),
            "markable": child(x, MARKERS, "markable") is not None,
            "displayed": attr_of(x, MARKERS, "displayed"),
            "marker_received": attr_of(x, MARKERS, "received"),
            "chat_state": next((s for s in reversed(STATES) if child(x, CHATSTATES, s) is not None), None),
            "replace": attr_of(x, CORRECT, "replace"),
            "children": [c.tag for c in x],
            "xml": str(msg),
        }

    def ack(self, name, **fields):
        emit({"event": "sent", "id": fields.get("id")})

    def compose(self, cmd):
        msg = super().compose(cmd)
        if cmd.get("receipt"):
            add_child(msg, RECEIPTS, "request")
        if cmd.get("markable"):
            add_child(msg, MARKERS, "markable")
        if cmd.get("chat_state"):
            add_child(msg, CHATSTATES, cmd["chat_state"])
        if cmd.get("replace"):
            add_child(msg, CORRECT, "replace", id=cmd["replace"])
        return msg

    def send_bare(self, to, ns, name, **attrs):
        """A chat message with only this element (no body, no origin-id)."""
        msg = self.make_message(mto=to, mtype="chat")
        msg["id"] = self.new_id()
        add_child(msg, ns, name, **attrs)
        msg.send()
        self.ack("send", id=msg["id"])

    def cmd_marker(self, cmd):
        self.send_bare(cmd["to"], MARKERS, cmd.get("marker", "displayed"), id=cmd["id"])

    def cmd_chatstate(self, cmd):
        self.send_bare(cmd["to"], CHATSTATES, cmd["state"])


if __name__ == "__main__":
    run(ChatPeer)
