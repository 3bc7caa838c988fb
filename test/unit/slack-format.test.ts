// Cutting text for Slack: `clip` and `escapeClip` keep to their length in UTF-16 units (what
// Slack's limits count), end a cut with an ellipsis, and never split a surrogate pair or an
// entity such as `&amp;`; with `quote`, line breaks continue the block quote.
import { describe, expect, it } from "vitest";
import { clip, codeSpan, escapeClip } from "../../src/worker/slack/format";
import { hasLoneSurrogate } from "../stand-ins/slack-blocks";

describe("clip", () => {
  it("leaves short text alone and cuts long text to exactly max with an ellipsis", () => {
    expect(clip("abc", 3)).toBe("abc");
    expect(clip("abcdef", 4)).toBe("abc…");
  });

  it("never ends on half a surrogate pair", () => {
    const text = "😀".repeat(10);
    for (let max = 1; max <= 20; max++) {
      const cut = clip(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(hasLoneSurrogate(cut)).toBe(false);
    }
    expect(clip(text, 4)).toBe("😀…");
  });
});

describe("escapeClip", () => {
  it("escapes within the limit without cutting", () => {
    expect(escapeClip("a < b & c", 20)).toBe("a &lt; b &amp; c");
  });

  it("cuts between entities, counting them escaped", () => {
    expect(escapeClip("&&&&", 12)).toBe("&amp;&amp;…");
    expect(escapeClip("&&&&", 15)).toBe("&amp;&amp;…");
    expect(escapeClip("&&&&", 16)).toBe("&amp;&amp;&amp;…");
    expect(escapeClip("&&&&", 20)).toBe("&amp;&amp;&amp;&amp;");
  });

  it("never splits a pair, and quotes every line when asked", () => {
    for (let max = 1; max <= 30; max++) {
      const cut = escapeClip("💥>\n💥<\n💥", max, true);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(hasLoneSurrogate(cut)).toBe(false);
    }
    expect(escapeClip("one\ntwo", 20, true)).toBe("one\n>two");
    expect(escapeClip("one\ntwo", 20)).toBe("one\ntwo");
  });
});

describe("codeSpan", () => {
  it("is one line without backticks, escaped and cut inside the span", () => {
    expect(codeSpan("echo `a`\n&& b", 9)).toBe("`echo 'a'…`");
    expect(codeSpan("a&b", 120)).toBe("`a&amp;b`");
  });
});
