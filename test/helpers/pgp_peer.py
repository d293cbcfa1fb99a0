#!/usr/bin/python3
"""A third-party XMPP client (slixmpp) for the OpenPGP interop tests: it carries what GnuPG made
(XEP-0027 <x/> elements, OX <openpgp/>) and reports what it receives, raw.

peer_base.BasePeer, but: initial presence and no roster; every message is reported.
stdout: message events also carry "encrypted" (jabber:x:encrypted text), "openpgp" (OX text) and
  "xml"; presence events carry "signed" (jabber:x:signed text)
stdin adds:
  {"cmd":"send_x","to","body"?,"id"?,"children":[[ns, name, text], ...]}   a chat message with these children
  {"cmd":"presence_x","to"?,"status","children":[[ns, name, text], ...]}   presence with them (directed with "to")
"""

import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ beside the tests

from peer_base import BasePeer, SID, add_child, child, emit, run  # noqa: E402

ENCRYPTED = "jabber:x:encrypted"
SIGNED = "jabber:x:signed"
OX = "urn:xmpp:openpgp:0"


def text_of(el):
    return None if el is None else (el.text or "")


class PgpPeer(BasePeer):
    every_message = True

    async def start_session(self):
        self.send_presence()

    def message_event(self, msg):
        x = msg.xml
        return {
            **super().message_event(msg),
            "encrypted": text_of(child(x, ENCRYPTED, "x")),
            "openpgp": text_of(child(x, OX, "openpgp")),
            "xml": str(msg),
        }

    def presence_event(self, pres):
        return {**super().presence_event(pres), "signed": text_of(child(pres.xml, SIGNED, "x"))}

    def ack(self, name, **fields):
        emit({"event": "sent", "id": fields.get("id")})

    @staticmethod
    def append(stanza, children):
        for ns, name, text in children:
            el = ET.SubElement(stanza.xml, "{%s}%s" % (ns, name))
            el.text = text

    def cmd_send_x(self, cmd):
        msg = self.make_message(mto=cmd["to"], mbody=cmd.get("body"), mtype="chat")
        msg["id"] = cmd.get("id") or self.new_id()
        add_child(msg, SID, "origin-id", id=msg["id"])
        self.append(msg, cmd.get("children", []))
        msg.send()
        self.ack("send", id=msg["id"])

    def cmd_presence_x(self, cmd):
        pres = self.make_presence(pstatus=cmd.get("status"), pto=cmd.get("to"))
        self.append(pres, cmd.get("children", []))
        pres.send()
        self.ack("presence")


if __name__ == "__main__":
    run(PgpPeer)
