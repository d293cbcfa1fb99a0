/**
 * jabterm's view of XML elements. The rest of the code base sees these types and the `xml()`
 * builder only; the implementation is xmpp.js's ltx Element, pinned down here because xmpp.js
 * ships no types. This folder (src/core/xmpp/transport) is the only one that imports @xmpp/*.
 */
import xmppXml from "@xmpp/xml";

export type XmlChild = XmlElement | string;
export type XmlAttrs = Record<string, string | undefined>;

export interface XmlElement {
  name: string;
  attrs: XmlAttrs;
  children: XmlChild[];
  parent: XmlElement | null;
  is(name: string, xmlns?: string): boolean;
  getName(): string;
  getNS(): string | undefined;
  getAttr(name: string, xmlns?: string): string | undefined;
  getChild(name: string, xmlns?: string): XmlElement | undefined;
  getChildren(name: string, xmlns?: string): XmlElement[];
  getChildElements(): XmlElement[];
  getChildByAttr(attr: string, val: string, xmlns?: string, recursive?: boolean): XmlElement | undefined;
  getChildText(name: string, xmlns?: string): string | null;
  getText(): string;
  text(): string;
  append(...children: (XmlChild | undefined | null | false)[]): XmlElement;
  c(name: string, attrs?: XmlAttrs): XmlElement;
  t(text: string): XmlElement;
  up(): XmlElement;
  remove(el: XmlElement | string, xmlns?: string): XmlElement;
  toString(): string;
}

type XmlAttrInput = Record<string, string | number | boolean | undefined | null>;
type XmlChildInputAny = XmlChild | undefined | null | false | XmlChildInputAny[];

/** Build an element: `xml("message", {to, type: "chat"}, xml("body", {}, text))`. */
export function xml(name: string, attrs?: XmlAttrInput | null, ...children: XmlChildInputAny[]): XmlElement {
  const clean: Record<string, string> = {};
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      clean[k] = String(v);
    }
  }
  const flat = (children as unknown[]).flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false);
  return (xmppXml as unknown as (n: string, a: object, ...c: unknown[]) => XmlElement)(name, clean, ...flat);
}


