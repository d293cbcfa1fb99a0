#!/usr/bin/python3
"""A third-party XMPP client (slixmpp) used as a test peer (driven by peer.ts).

peer_base.BasePeer as it is: initial presence, then the roster; the events and commands listed
in peer_base.py, acknowledged {"event":"sent","id"} (send), {"event":"presence_sent"},
{"event":"subscribe_sent","to"}.
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the tests

from peer_base import BasePeer, run  # noqa: E402


class Peer(BasePeer):
    def __init__(self, args):
        super().__init__(args)
        self.register_plugin("xep_0199")


if __name__ == "__main__":
    run(Peer)
