#!/usr/bin/python3
"""A third-party client (slixmpp) for roster, subscription, nickname and blocking interop tests.

peer_base.BasePeer (fetches the roster before sending initial presence), plus control over
slixmpp's automatic subscription handling and XEP-0172 nicknames through PEP.

  --auto-authorize true|false|none  slixmpp's default is true: approve every request (none: leave
                                     requests to the test, false: refuse them)
  --auto-subscribe true|false       slixmpp's default is true: ask back after approving

Every command but quit is acknowledged {"event":"done","cmd":...}.
stdout adds:
  presence events also carry "nick" (XEP-0172)
  {"event":"message_error","from","condition"}
stdin adds:
  {"cmd":"publish_nick","nick":...}                -> done after the server's result
  {"cmd":"roster_item","jid":...}                   -> done with subscription, pending_out
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the tests

from peer_base import BasePeer, emit, run, text_or_none  # noqa: E402

FLAGS = {"true": True, "false": False, "none": None}


class RosterPeer(BasePeer):
    def __init__(self, args):
        super().__init__(args)
        self.auto_authorize = FLAGS[args.auto_authorize]
        self.auto_subscribe = FLAGS[args.auto_subscribe]
        self.register_plugin("xep_0199")
        self.register_plugin("xep_0172")
        self.add_event_handler("message_error", self.on_message_error)

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--auto-authorize", default="true", choices=["true", "false", "none"])
        parser.add_argument("--auto-subscribe", default="true", choices=["true", "false"])

    async def start_session(self):
        await self.load_roster()
        self.send_presence()

    def presence_event(self, pres):
        try:
            nick = text_or_none(pres["nick"]["nick"])
        except Exception:
            nick = None
        return {**super().presence_event(pres), "nick": nick}

    def on_message_error(self, msg):
        emit({"event": "message_error", "from": str(msg["from"]), "condition": msg["error"]["condition"]})

    def ack(self, name, **fields):
        emit({"event": "done", "cmd": name, **fields})

    async def cmd_publish_nick(self, cmd):
        await self["xep_0172"].publish_nick(cmd["nick"])
        self.ack("publish_nick")

    def cmd_roster_item(self, cmd):
        item = self.client_roster[cmd["jid"]]
        self.ack("roster_item", jid=cmd["jid"], subscription=item["subscription"], pending_out=bool(item["pending_out"]))


if __name__ == "__main__":
    run(RosterPeer)
