// Minimal declarations for the untyped xmpp.js packages we compose. Only this folder uses them.
declare module "@xmpp/xml" {
  const xml: (...args: unknown[]) => unknown;
  export default xml;
  export const Element: new (name: string, attrs?: object) => any;
  export class Parser {
    constructor();
    root: any;
    cursor: any;
    parser: { write(s: string): void; on(ev: string, fn: (...a: any[]) => void): void };
    onStartElement(name: string, attrs: Record<string, string>): void;
    onEndElement(name: string): void;
    onText(str: string): void;
    write(data: string): void;
    end(data?: string): void;
    emit(ev: string, ...args: unknown[]): boolean;
    on(ev: string, fn: (...a: any[]) => void): this;
  }
  export class XMLError extends Error {}
}
declare module "@xmpp/client-core" {
  export class Client {
    constructor(options: object);
    [key: string]: any;
    status: string;
    socket: any;
    parser: any;
    jid: any;
    connect(...args: any[]): Promise<void>;
    _attachSocket(socket: any): void;
    _onData(data: any): void;
    write(data: string): Promise<void>;
    send(el: any): Promise<void>;
    isSecure(): boolean;
    open(opts: { domain: string; lang?: string }): Promise<unknown>;
    restart(): Promise<unknown>;
    stop(): Promise<unknown>;
    _status(status: string, ...args: any[]): void;
    on(ev: string, fn: (...a: any[]) => void): this;
    off(ev: string, fn: (...a: any[]) => void): this;
    once(ev: string, fn: (...a: any[]) => void): this;
    emit(ev: string, ...args: any[]): boolean;
  }
}
declare module "@xmpp/tcp/lib/Connection.js" {
  const ConnectionTCP: any;
  export default ConnectionTCP;
}
declare module "@xmpp/websocket/lib/Connection.js" {
  const ConnectionWebSocket: any;
  export default ConnectionWebSocket;
}
declare module "@xmpp/middleware" {
  const middleware: (deps: { entity: unknown }) => {
    use(fn: (ctx: any, next: () => Promise<unknown>) => unknown): unknown;
    filter(fn: (ctx: any, next: () => Promise<unknown>) => unknown): unknown;
  };
  export default middleware;
}
declare module "@xmpp/stream-features" {
  const streamFeatures: (deps: { middleware: unknown }) => {
    use(name: string, xmlns: string, handler: (ctx: any, next: () => Promise<unknown>, feature: any) => unknown): unknown;
  };
  export default streamFeatures;
}
declare module "@xmpp/resource-binding" {
  const resourceBinding: (deps: { streamFeatures: unknown; iqCaller: unknown }, resource: string | (() => Promise<string>)) => void;
  export default resourceBinding;
}
declare module "@xmpp/stream-management" {
  const streamManagement: (deps: { streamFeatures: unknown; entity: unknown; middleware: unknown }) => any;
  export default streamManagement;
}
declare module "@xmpp/websocket/lib/FramedParser.js" {
  import { Parser } from "@xmpp/xml";
  const FramedParser: typeof Parser;
  export default FramedParser;
}
