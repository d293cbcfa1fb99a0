/**
 * A hardened XML stream parser around xmpp.js's ltx-based Parser.
 *
 * xmpp.js's parser throws out of the socket's data handler on an unknown entity or an illegal
 * character reference (`&#27;`), which crashes the process; it silently skips DOCTYPEs and
 * comments, and it buffers a stanza of any size. This one turns every such case into a single
 * `error` event (the connection then closes the stream and the account reconnects), rejects what
 * RFC 6120 §11.1 forbids (comments, processing instructions, DTDs), and caps stanza size and depth.
 */
import { Parser, XMLError } from "@xmpp/xml";
import FramedParser from "@xmpp/websocket/lib/FramedParser.js";
import type { XmlElement } from "./xml.js";

export interface ParserLimits {
  /** Largest top-level element (stanza or nonza) in characters. */
  maxStanzaSize: number;
  /** Deepest element nesting, counting the stream root as depth 1. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: ParserLimits = { maxStanzaSize: 1024 * 1024, maxDepth: 64 };

/** An XML-level failure, with the RFC 6120 stream error condition it maps to. */
export class StreamParseError extends XMLError {
  readonly condition: string;
  constructor(condition: string, message: string) {
    super(message);
    this.name = "StreamParseError";
    this.condition = condition;
  }
}

// XML 1.0 Char excludes these; raw C0 controls (other than TAB, LF, CR) and U+FFFE/U+FFFF.
// eslint-disable-next-line no-control-regex
const ILLEGAL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const MARKUP_DECL = /<[!?]/g;
const CDATA_OPEN = "<![CDATA[";

/**
 * The parser class for one connection. `framed` selects RFC 7395 framing (WebSocket: every message
 * is one complete element and there is no stream root) instead of a TCP stream.
 */
export function createParserClass(limits: ParserLimits = DEFAULT_LIMITS, framed = false): typeof Parser {
  const Base: typeof Parser = framed ? FramedParser : Parser;
  class SafeParser extends Base {
    #failed = false;
    #depth = 0;
    #sinceBoundary = 0;
    #tail = "";
    #sawRoot = false;

    #fail(condition: string, message: string): void {
      if (this.#failed) return;
      this.#failed = true;
      this.emit("error", new StreamParseError(condition, message));
    }

    override write(data: string): void {
      if (this.#failed) return;
      if (ILLEGAL_CHARS.test(data)) {
        this.#fail("not-well-formed", "illegal character in XML stream");
        return;
      }
      if (!this.#checkMarkup(data)) return;
      this.#sinceBoundary += data.length;
      if (this.#sinceBoundary > limits.maxStanzaSize) {
        this.#fail("policy-violation", `stanza larger than ${limits.maxStanzaSize} characters`);
        return;
      }
      try {
        super.write(data);
      } catch (err) {
        this.#fail("not-well-formed", err instanceof Error ? err.message : String(err));
      }
    }

    /** Reject comments, processing instructions and DTDs (an XML declaration may open a TCP stream). */
    #checkMarkup(data: string): boolean {
      const s = this.#tail + data;
      this.#tail = s.slice(-(CDATA_OPEN.length - 1));
      MARKUP_DECL.lastIndex = 0;
      for (let m = MARKUP_DECL.exec(s); m; m = MARKUP_DECL.exec(s)) {
        const rest = s.slice(m.index, m.index + CDATA_OPEN.length);
        if (rest === CDATA_OPEN) continue;
        if (rest.length < CDATA_OPEN.length && CDATA_OPEN.startsWith(rest)) continue; // decide next time
        if (s[m.index + 1] === "?" && !this.#sawRoot && !framed && /^<\?xml[\s?]/.test(s.slice(m.index, m.index + 6))) continue;
        if (s[m.index + 1] === "?" && s.length - m.index < 6 && !this.#sawRoot) continue; // "<?xm" split
        this.#fail("restricted-xml", s[m.index + 1] === "?" ? "processing instruction in XML stream" : "comment or DTD in XML stream");
        return false;
      }
      return true;
    }

    override onStartElement(name: string, attrs: Record<string, string>): void {
      if (this.#failed) return;
      this.#sawRoot = true;
      this.#depth++;
      if (this.#depth > limits.maxDepth) {
        this.#fail("policy-violation", `XML nested deeper than ${limits.maxDepth} elements`);
        return;
      }
      super.onStartElement(name, attrs);
    }

    override onEndElement(name: string): void {
      if (this.#failed) return;
      this.#depth--;
      const cursor = this.cursor;
      const topLevel = cursor && !cursor.parent && cursor !== this.root;
      super.onEndElement(name);
      if (topLevel) this.#sinceBoundary = 0;
    }

    override onText(str: string): void {
      if (this.#failed) return;
      super.onText(str);
    }
  }
  return SafeParser;
}

/**
 * Parse one element from untrusted text (a decrypted OpenPGP payload, say) with the same rules as
 * the stream: size and depth caps, no DTDs, comments, processing instructions, unknown entities or
 * illegal characters. Throws StreamParseError; never hangs or crashes on bad input.
 */
export function parseUntrustedElement(text: string, limits: ParserLimits = DEFAULT_LIMITS): XmlElement {
  const trimmed = text.trim();
  if (trimmed.length > limits.maxStanzaSize) throw new StreamParseError("policy-violation", `XML larger than ${limits.maxStanzaSize} characters`);
  const Framed = createParserClass(limits, true);
  const parser = new Framed();
  const found: XmlElement[] = [];
  let error: Error | undefined;
  parser.on("element", (el: XmlElement) => found.push(el));
  parser.on("start", (el: XmlElement) => found.push(el));
  parser.on("error", (err: Error) => (error ??= err));
  parser.write(trimmed);
  if (error) throw error instanceof StreamParseError ? error : new StreamParseError("not-well-formed", error.message);
  if (found.length !== 1) throw new StreamParseError("not-well-formed", found.length === 0 ? "no complete XML element" : "more than one XML element");
  return found[0]!;
}
