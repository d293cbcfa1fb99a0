/** XML namespaces used across the core (one place, so a typo is a compile error). */
export const NS = {
  client: "jabber:client",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  delay: "urn:xmpp:delay",
  sid: "urn:xmpp:sid:0",
  receipts: "urn:xmpp:receipts",
  markers: "urn:xmpp:chat-markers:0",
  ping: "urn:xmpp:ping",
} as const;
