// Types for the `saslprep` package (RFC 4013), which ships none.
declare module "saslprep" {
  /** Apply SASLprep; throws a plain Error on prohibited/unassigned characters or bidi violations. */
  function saslprep(input: string, opts?: { allowUnassigned?: boolean }): string;
  export = saslprep;
}
