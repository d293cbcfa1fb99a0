import { describe, expect, it } from "vitest";

import { sanitizeSegments } from "../../src/core/text/sanitize.js";
import { MAX_QUOTE_DEPTH, parseStyling, type StyledSpan } from "../../src/core/text/styling.js";

/** Compact notation: text with its flags, e.g. "*:b,d" for a bold directive "*". */
function compact(spans: StyledSpan[]): string[] {
  return spans.map((s) => {
    const f: string[] = [];
    if (s.bold) f.push("b");
    if (s.italic) f.push("i");
    if (s.strike) f.push("s");
    if (s.code) f.push("c");
    if (s.pre) f.push("p");
    if (s.quote) f.push(`q${s.quote}`);
    if (s.directive) f.push("d");
    if (s.inert) f.push("x");
    return f.length > 0 ? `${s.text}:${f.join(",")}` : s.text;
  });
}

function styled(text: string): string[] {
  const spans = parseStyling(text);
  expect(spans.map((s) => s.text).join("")).toBe(text); // directives stay visible, nothing is lost
  return compact(spans);
}

describe("XEP-0393 spans (the XEP's examples)", () => {
  it("styles the positive examples", () => {
    expect(styled("*strong*")).toEqual(["*:b,d", "strong:b", "*:b,d"]);
    expect(styled("plain *strong* plain")).toEqual(["plain ", "*:b,d", "strong:b", "*:b,d", " plain"]);
    expect(styled("*strong* plain *strong*")).toEqual(["*:b,d", "strong:b", "*:b,d", " plain ", "*:b,d", "strong:b", "*:b,d"]);
    expect(styled("*strong*plain*")).toEqual(["*:b,d", "strong:b", "*:b,d", "plain*"]);
    expect(styled("* plain *strong*")).toEqual(["* plain ", "*:b,d", "strong:b", "*:b,d"]);
  });

  it("styles nothing in the negative examples", () => {
    for (const text of ["not strong*", "*not strong", "*not \n strong*", "*not *strong", "**", "***", "****", "_ x_", "~x ~"]) {
      expect(parseStyling(text).every((s) => !s.bold && !s.italic && !s.strike && !s.code), text).toBe(true);
    }
  });

  it("emphasis, strong and strike through", () => {
    expect(styled("The full title is _Twelfth Night, or What You Will_ but\n_most_ people shorten it.")).toEqual([
      "The full title is ",
      "_:i,d",
      "Twelfth Night, or What You Will:i",
      "_:i,d",
      " but",
      "\n",
      "_:i,d",
      "most:i",
      "_:i,d",
      " people shorten it.",
    ]);
    expect(styled('The full title is "Twelfth Night, or What You Will" but\n*most* people shorten it.')).toContain("most:b");
    expect(styled("Everyone ~dis~likes cake.")).toEqual(["Everyone ", "~:s,d", "dis:s", "~:s,d", "likes cake."]);
  });

  it("preformatted spans hold no styling", () => {
    expect(styled("Wow, I can write in `monospace`!")).toEqual(["Wow, I can write in ", "`:c,d", "monospace:c", "`:c,d", "!"]);
    expect(styled("This is `*monospace*`")).toEqual(["This is ", "`:c,d", "*monospace*:c", "`:c,d"]);
    expect(styled("This is *`monospace and bold`*")).toEqual(["This is ", "*:b,d", "`:b,c,d", "monospace and bold:b,c", "`:b,c,d", "*:b,d"]);
  });

  it("nests spans (the glossary's example)", () => {
    expect(styled("_emphasized span containing *strong span*_")).toEqual([
      "_:i,d",
      "emphasized span containing :i",
      "*:b,i,d",
      "strong span:b,i",
      "*:b,i,d",
      "_:i,d",
    ]);
  });

  it("lets a directive follow another directive of a different kind", () => {
    expect(styled("*strong* _emph_~strike~  `pre`")).toEqual([
      "*:b,d", "strong:b", "*:b,d", " ", "_:i,d", "emph:i", "_:i,d", "~:s,d", "strike:s", "~:s,d", "  ", "`:c,d", "pre:c", "`:c,d",
    ]);
  });

  it("does not let spans overlap", () => {
    expect(styled("*this cannot _overlap*_")).toEqual(["*:b,d", "this cannot _overlap:b", "*:b,d", "_"]);
    expect(styled("_no pre `with *children*`_")).toEqual(["_:i,d", "no pre :i", "`:i,c,d", "with *children*:i,c", "`:i,c,d", "_:i,d"]);
  });

  it("requires whitespace (or the line start) before an opening directive", () => {
    expect(styled("snake_case_name and 2*3*4")).toEqual(["snake_case_name and 2*3*4"]);
  });

  it("keeps spans inside one line (plain blocks)", () => {
    const text = "(There are three blocks in this body marked by parens,)\n(but there is no *formatting)\n(as spans* may not escape blocks.)";
    expect(parseStyling(text).some((s) => s.bold)).toBe(false);
  });
});

describe("XEP-0393 blocks", () => {
  it("preformatted block, fences included, then plain text", () => {
    const text = '```ignored\n(println "Hello, world!")\n```\n\nThis should show up as monospace, preformatted text ⤴';
    expect(styled(text)).toEqual([
      "```ignored:p,d",
      "\n",
      '(println "Hello, world!"):p',
      "\n",
      "```:p,d",
      "\n",
      "\n",
      "This should show up as monospace, preformatted text ⤴",
    ]);
  });

  it("no styling inside a preformatted block; only a line of exactly ``` closes it", () => {
    expect(styled("```\n*not bold*\n``` \n_still pre_\n```\n*bold*")).toEqual([
      "```:p,d", "\n", "*not bold*:p", "\n", "``` :p", "\n", "_still pre_:p", "\n", "```:p,d", "\n", "*:b,d", "bold:b", "*:b,d",
    ]);
  });

  it("an unclosed preformatted block ends with its parent block quote", () => {
    const text = '> ```\n> (println "Hello, world!")\n\nThe entire blockquote is a preformatted text block, but this line\nis plaintext!';
    expect(styled(text)).toEqual([
      "> :q1,d",
      "```:p,q1,d",
      "\n",
      "> :q1,d",
      '(println "Hello, world!"):p,q1',
      "\n",
      "\n",
      "The entire blockquote is a preformatted text block, but this line",
      "\n",
      "is plaintext!",
    ]);
  });

  it("quotation", () => {
    expect(styled("> That that is, is.\n\nSaid the old hermit of Prague.")).toEqual([
      "> :q1,d",
      "That that is, is.:q1",
      "\n",
      "\n",
      "Said the old hermit of Prague.",
    ]);
  });

  it("nested quotation", () => {
    expect(styled(">> That that is, is.\n> Said the old hermit of Prague.\n\nWho?")).toEqual([
      ">:q1,d",
      "> :q2,d",
      "That that is, is.:q2",
      "\n",
      "> :q1,d",
      "Said the old hermit of Prague.:q1",
      "\n",
      "\n",
      "Who?",
    ]);
  });

  it("trims only the first whitespace character after '>', and ends the quote at the first other line", () => {
    expect(styled(">  two spaces\nafter")).toEqual(["> :q1,d", " two spaces:q1", "\n", "after"]);
  });

  it("styles spans inside quotations", () => {
    expect(styled("> *yes* _no_")).toEqual(["> :q1,d", "*:b,q1,d", "yes:b,q1", "*:b,q1,d", " :q1", "_:i,q1,d", "no:i,q1", "_:i,q1,d"]);
  });
});

describe("styling sanitised text", () => {
  it("keeps inert placeholders opaque and marked", () => {
    const spans = parseStyling(sanitizeSegments("*a\u200bb*", { multiline: true }));
    expect(compact(spans)).toEqual(["*:b,d", "a:b", "‹ZWSP›:b,x", "b:b", "*:b,d"]);
  });

  it("never takes a directive out of a defused escape sequence", () => {
    // ESC [ * x is a CSI with '*' as intermediate byte: inert, so the later '*' stays plain.
    const spans = parseStyling(sanitizeSegments("\x1b[*x b*", { multiline: true }));
    expect(spans.some((s) => s.bold)).toBe(false);
    expect(compact(spans)).toEqual(["␛[*x:x", " b*"]);
  });

  it("the same text parses the same whether given as a string or as segments", () => {
    const text = "> *quoted* `code`\n```\npre\n```\n~s~";
    expect(parseStyling(sanitizeSegments(text, { multiline: true }))).toEqual(parseStyling(text));
  });
});

describe("hostile input", () => {
  it("caps quotation depth", () => {
    const spans = parseStyling(`${">".repeat(5000)} deep`);
    expect(Math.max(...spans.map((s) => s.quote ?? 0))).toBe(MAX_QUOTE_DEPTH);
    expect(spans.map((s) => s.text).join("")).toBe(`${">".repeat(5000)} deep`);
  });

  it("stays linear on lines full of unmatched or nested directives", () => {
    const unmatched = " *a _b ~c".repeat(20_000);
    expect(parseStyling(unmatched).map((s) => s.text).join("")).toBe(unmatched);
    const nested = `${"*a _b ".repeat(5_000)}x${" b_ a*".repeat(5_000)}`;
    expect(parseStyling(nested).map((s) => s.text).join("")).toBe(nested);
    const stars = "*".repeat(50_000);
    expect(parseStyling(stars)).toEqual([{ text: stars }]);
  });

  it("returns nothing for an empty body", () => {
    expect(parseStyling("")).toEqual([]);
    expect(parseStyling([])).toEqual([]);
  });
});
