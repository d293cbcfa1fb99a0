#!/usr/bin/python3
"""A third-party XMPP client (slixmpp) for the presence tests: peer.py's Peer, plus
entity capabilities (XEP-0115) with a named identity, software version (XEP-0092),
last activity (XEP-0012) and entity time (XEP-0202), and commands that query others.

Extra arguments:
  --name NAME        the disco identity's name (default PresencePeer); also the XEP-0092 name
  --version V        the XEP-0092 version (default 9.8.7)
  --idle SECONDS     answer last activity queries with this idle time (default: no answer)
  --priority N       priority of the initial presence (default 0)

stdout adds to peer.py's events:
  presence events also carry "idle_since" (XEP-0319) and "caps" ({node, ver, hash})
  {"event":"result","query":...,"ok":true,...}   answers to the commands below
  {"event":"result","query":...,"ok":false,"condition":...}
stdin adds:
  {"cmd":"version","to":jid}  -> name, version, os
  {"cmd":"time","to":jid}     -> utc, tzo
  {"cmd":"last","to":jid}     -> seconds
  {"cmd":"disco","to":jid,"node":...} -> identities [[category,type,name]], features
  {"cmd":"caps_ver"}          -> ver (our own caps ver, once computed)
  {"cmd":"fake_caps","ver":...,"node":...} -> presence with caps that do not hash to ver
  and it prints {"event":"disco_answered","to","node","type"} after answering a disco#info query
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the tests

from peer import Peer  # noqa: E402
from peer_base import emit, run  # noqa: E402

import slixmpp  # noqa: E402
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import StanzaPath  # noqa: E402

NS_IDLE = "{urn:xmpp:idle:1}idle"
NS_CAPS = "{http://jabber.org/protocol/caps}c"
NS_VERSION = "jabber:iq:version"
NS_TIME = "urn:xmpp:time"
NS_LAST = "jabber:iq:last"
NS_DISCO = "http://jabber.org/protocol/disco#info"


class PresencePeer(Peer):
    def __init__(self, args):
        super().__init__(args)
        self.peer_name = args.name
        self.idle = args.idle
        self.initial_priority = args.priority
        self.register_plugin("xep_0004")
        self.register_plugin("xep_0128")
        self.register_plugin("xep_0115")
        self.register_plugin("xep_0092", pconfig={"software_name": args.name, "version": args.version, "os": "PeerOS"})
        self.register_plugin("xep_0202")
        self.register_plugin("xep_0012")
        # Say when a disco#info query was answered (the answer is on the wire before anything
        # this client sends afterwards).
        self.disco_queries = {}
        self.register_handler(Callback("disco seen", StanzaPath("iq@type=get/disco_info"), self.on_disco_query))
        self.add_filter("out", self.on_out)

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--name", default="PresencePeer")
        parser.add_argument("--version", default="9.8.7")
        parser.add_argument("--idle", type=int, default=None)
        parser.add_argument("--priority", type=int, default=0)

    def on_disco_query(self, iq):
        self.disco_queries[iq["id"]] = (str(iq["from"]), iq["disco_info"]["node"])

    def on_out(self, stanza):
        if isinstance(stanza, slixmpp.stanza.Iq) and stanza["type"] in ("result", "error") and stanza["id"] in self.disco_queries:
            frm, node = self.disco_queries.pop(stanza["id"])
            emit({"event": "disco_answered", "to": frm, "node": node, "type": stanza["type"]})
        return stanza

    async def start_session(self):
        await self["xep_0030"].add_identity(category="client", itype="pc", name=self.peer_name)
        if self.idle is not None:
            await self["xep_0012"].set_last_activity(jid=self.boundjid, seconds=self.idle)
        await self["xep_0115"].update_caps(broadcast=False)
        self.send_presence(ppriority=self.initial_priority)
        await self.load_roster()

    def presence_event(self, pres):
        idle = pres.xml.find(NS_IDLE)
        caps = pres.xml.find(NS_CAPS)
        return {
            **super().presence_event(pres),
            "idle_since": idle.get("since") if idle is not None else None,
            "caps": dict(caps.attrib) if caps is not None else None,
        }

    async def query(self, cmd):
        name = cmd["cmd"]
        to = cmd.get("to")
        try:
            if name == "version":
                iq = await self["xep_0092"].get_version(to, timeout=10)
                q = iq.xml.find("{%s}query" % NS_VERSION)
                out = {k: (q.findtext("{%s}%s" % (NS_VERSION, k)) if q is not None else None) for k in ("name", "version", "os")}
            elif name == "time":
                iq = await self["xep_0202"].get_entity_time(to, timeout=10)
                t = iq.xml.find("{%s}time" % NS_TIME)
                out = {"utc": t.findtext("{%s}utc" % NS_TIME), "tzo": t.findtext("{%s}tzo" % NS_TIME)}
            elif name == "last":
                iq = await self["xep_0012"].get_last_activity(to, timeout=10)
                q = iq.xml.find("{%s}query" % NS_LAST)
                out = {"seconds": int(q.get("seconds"))}
            else:  # disco
                iq = await self["xep_0030"].get_info(jid=to, node=cmd.get("node"), timeout=10)
                q = iq.xml.find("{%s}query" % NS_DISCO)
                out = {
                    "identities": [[i.get("category"), i.get("type"), i.get("name")] for i in q.findall("{%s}identity" % NS_DISCO)],
                    "features": [f.get("var") for f in q.findall("{%s}feature" % NS_DISCO)],
                    "node": q.get("node"),
                }
            emit({"event": "result", "query": name, "to": to, "ok": True, **out})
        except IqError as exc:
            emit({"event": "result", "query": name, "to": to, "ok": False, "condition": exc.iq["error"]["condition"]})
        except IqTimeout:
            emit({"event": "result", "query": name, "to": to, "ok": False, "condition": "timeout"})
        except Exception as exc:
            emit({"event": "result", "query": name, "to": to, "ok": False, "condition": "exception", "detail": repr(exc)})

    cmd_version = cmd_time = cmd_last = cmd_disco = query

    async def cmd_caps_ver(self, _cmd):
        emit({"event": "caps_ver", "ver": await self["xep_0115"].get_verstring(self.boundjid)})

    def cmd_fake_caps(self, cmd):
        # Presence whose caps do not match our disco#info (caps poisoning attempt).
        self["xep_0115"].broadcast = False
        pres = self.make_presence(ppriority=cmd.get("priority", 0))
        pres["caps"]["node"] = cmd.get("node", "https://example.invalid/fake")
        pres["caps"]["hash"] = "sha-1"
        pres["caps"]["ver"] = cmd["ver"]
        pres.send()
        self.ack("presence")


if __name__ == "__main__":
    run(PresencePeer)
