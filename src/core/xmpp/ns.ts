/** XML namespaces used across the core (one place, so a typo is a compile error). */
export const NS = {
  client: "jabber:client",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  delay: "urn:xmpp:delay",
  sid: "urn:xmpp:sid:0",
  receipts: "urn:xmpp:receipts",
  markers: "urn:xmpp:chat-markers:0",
  ping: "urn:xmpp:ping",
  /** XEP-0280 Message Carbons. */
  carbons: "urn:xmpp:carbons:2",
  /** XEP-0297 Stanza Forwarding. */
  forward: "urn:xmpp:forward:0",
  /** XEP-0085 Chat State Notifications. */
  chatstates: "http://jabber.org/protocol/chatstates",
  /** XEP-0308 Last Message Correction. */
  correct: "urn:xmpp:message-correct:0",
  /** XEP-0334 Message Processing Hints. */
  hints: "urn:xmpp:hints",
  /** XEP-0045 Multi-User Chat. */
  muc: "http://jabber.org/protocol/muc",
  mucUser: "http://jabber.org/protocol/muc#user",
  mucAdmin: "http://jabber.org/protocol/muc#admin",
  mucOwner: "http://jabber.org/protocol/muc#owner",
  /** XEP-0249 Direct MUC Invitations. */
  conference: "jabber:x:conference",
  /** XEP-0004 Data Forms. */
  data: "jabber:x:data",
} as const;
