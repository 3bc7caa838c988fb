// CODE_API_TOKENS entries: plain tokens stay valid and `name:token` names the requester. (The
// constant-time compare itself is workerd's; the e2e suite authenticates with a named token.)
import { describe, expect, it } from "vitest";
import { parseTokens } from "../../src/worker/api-tokens";

describe("CODE_API_TOKENS", () => {
  it("parses named and plain entries, trimming blanks", () => {
    expect(parseTokens("ci-bot:tok-named, tok-plain ,:odd,trailing:,,")).toEqual([
      { name: "ci-bot", token: "tok-named" },
      { name: null, token: "tok-plain" },
      { name: null, token: ":odd" },
      { name: null, token: "trailing:" },
    ]);
  });

  it("has no tokens when unset or empty", () => {
    expect(parseTokens(undefined)).toEqual([]);
    expect(parseTokens(" , ")).toEqual([]);
  });
});
