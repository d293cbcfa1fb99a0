#!/usr/bin/python3
"""A third-party XMPP client (slixmpp) for the room tests (XEP-0045).

peer_base.BasePeer, but: initial presence and no roster; presence events from rooms carry
"codes" (status codes), "role", "affiliation", "jid" (real JID) and "nick" (303 new nick);
message events carry "subject", "invite_from", "direct_invite" (room JID) and "xml".
stdin adds:
  {"cmd":"join","room","nick","password"?}       ack: {"event":"join_sent"}
  {"cmd":"leave","room","nick","status"?}        ack: {"event":"leave_sent"}
  {"cmd":"raw","xml"}                            any stanza, as XML text; ack {"event":"raw_sent"}
  {"cmd":"iq","xml"}                             an <iq xmlns='jabber:client'>, waiting for the answer;
                                                 ack {"event":"iq_sent","type":"result"|"error","error"?}
(send with "type":"groupchat" writes to a room; to room/nick with type chat is a private message.)
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the tests

import xml.etree.ElementTree as ET  # noqa: E402

import slixmpp  # noqa: E402
import slixmpp.exceptions  # noqa: E402

from peer_base import BasePeer, emit, run  # noqa: E402

MUC = "http://jabber.org/protocol/muc"
MUC_USER = "http://jabber.org/protocol/muc#user"
CONFERENCE = "jabber:x:conference"


class MucPeer(BasePeer):
    every_message = True

    async def start_session(self):
        self.send_presence()

    def presence_event(self, pres):
        ev = super().presence_event(pres)
        x = pres.xml.find("{%s}x" % MUC_USER)
        if x is not None:
            ev["codes"] = [int(s.get("code")) for s in x.findall("{%s}status" % MUC_USER) if (s.get("code") or "").isdigit()]
            item = x.find("{%s}item" % MUC_USER)
            if item is not None:
                ev["role"] = item.get("role")
                ev["affiliation"] = item.get("affiliation")
                ev["jid"] = item.get("jid")
                ev["nick"] = item.get("nick")
        err = pres.xml.find("{jabber:client}error")
        if err is not None:
            ev["error"] = [c.tag.split("}")[-1] for c in err][0] if len(err) else "error"
        return ev

    def message_event(self, msg):
        x = msg.xml
        ev = super().message_event(msg)
        subj = x.find("{jabber:client}subject")
        ev["subject"] = subj.text if subj is not None else None
        invite = x.find("{%s}x/{%s}invite" % (MUC_USER, MUC_USER))
        ev["invite_from"] = invite.get("from") if invite is not None else None
        direct = x.find("{%s}x" % CONFERENCE)
        ev["direct_invite"] = direct.get("jid") if direct is not None else None
        ev["xml"] = str(msg)
        return ev

    def cmd_join(self, cmd):
        pres = self.make_presence(pto="%s/%s" % (cmd["room"], cmd["nick"]))
        x = ET.SubElement(pres.xml, "{%s}x" % MUC)
        if cmd.get("password"):
            ET.SubElement(x, "{%s}password" % MUC).text = cmd["password"]
        pres.send()
        self.ack("join")

    def cmd_leave(self, cmd):
        self.send_presence(pto="%s/%s" % (cmd["room"], cmd["nick"]), ptype="unavailable", pstatus=cmd.get("status"))
        self.ack("leave")

    async def cmd_iq(self, cmd):
        iq = self.Iq(xml=ET.fromstring(cmd["xml"]))
        try:
            await iq.send(timeout=10)
            self.ack("iq", type="result")
        except slixmpp.exceptions.IqError as e:
            self.ack("iq", type="error", error=e.condition)

    def cmd_raw(self, cmd):
        self.send_raw(cmd["xml"])
        self.ack("raw")


if __name__ == "__main__":
    run(MucPeer)
