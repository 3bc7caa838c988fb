// Parsing what users type as a repository: accepted spellings, and every trick that must fail.
import { describe, expect, it } from "vitest";
import { branchName } from "../../src/worker/github/publish";
import { isValidBranch, parseRepo } from "../../src/worker/github/repo";

const GH = "https://github.com";

describe("parseRepo", () => {
  it.each([
    ["acme/api", "acme", "api"],
    [" acme/api ", "acme", "api"],
    // Surrounding whitespace, a pasted trailing newline included, is trimmed like a space.
    ["acme/api\n", "acme", "api"],
    ["\tacme/api\r\n", "acme", "api"],
    ["https://github.com/acme/api", "acme", "api"],
    ["https://github.com/acme/api/", "acme", "api"],
    ["https://github.com/acme/api.git", "acme", "api"],
    ["https://GitHub.com/Acme-Corp/my.repo_2", "Acme-Corp", "my.repo_2"],
  ])("accepts %j", (input, owner, repo) => {
    expect(parseRepo(input, GH)).toEqual({ owner, repo });
  });

  it.each([
    ["", /empty/],
    ["acme", /owner\/repo/],
    ["acme/api/tree/main", /owner\/repo/],
    ["https://gitlab.com/acme/api", /must be a repository on github.com/],
    ["http://github.com/acme/api", /must be a repository on github.com/],
    ["https://user:pass@github.com/acme/api", /credentials/],
    ["https://token@github.com/acme/api", /credentials/],
    ["https://github.com/acme/api?x=1", /query/],
    ["https://github.com/acme/api#readme", /query or fragment/],
    ["https://github.com/acme/../etc/passwd", /path segments/],
    ["https://github.com/acme/%2e%2e", /owner\/repo|percent/],
    ["https://github.com/acme/a%20b", /percent/],
    ["acme/..", /path segments/],
    ["-acme/api", /invalid owner/],
    ["ac--me/api", /invalid owner/],
    ["acme/a b", /whitespace/],
    ["acme/a\nb", /whitespace, control characters/],
    ["acme/\u0000api", /control characters/],
    ["acme\\api", /backslashes/],
    ["file:///etc/passwd", /must be a repository/],
    ["ssh://git@github.com/acme/api", /must be a repository/],
    ["https://github.com.evil.com/acme/api", /must be a repository/],
    ["//github.com/acme/api", /URL|repository/],
    [`acme/${"x".repeat(101)}`, /invalid repository/],
  ])("refuses %j", (input, reason) => {
    const result = parseRepo(input, GH);
    expect(typeof result).toBe("string");
    expect(result).toMatch(reason);
  });

  it("follows GITHUB_URL for Enterprise or a loopback stand-in", () => {
    expect(parseRepo("http://127.0.0.1:9999/acme/api", "http://127.0.0.1:9999")).toEqual({
      owner: "acme",
      repo: "api",
    });
    expect(parseRepo("https://github.com/acme/api", "http://127.0.0.1:9999")).toMatch(/127\.0\.0\.1:9999/);
  });
});

describe("branch names", () => {
  it.each(["main", "release/1.2", "feature_x-y"])("accepts %j", (b) => expect(isValidBranch(b)).toBe(true));
  it.each(["", "a..b", "-x", "x.lock", "a b", "x~1", "refs/heads/", "a@{1}", "x:y", "a//b"])(
    "refuses %j",
    (b) => expect(isValidBranch(b)).toBe(false),
  );

  it("names agent branches agent/<slug>-<short job id>", () => {
    expect(branchName("Add input validation to POST /users!", "0f1e2d3c-4b5a-4697-8877-665544332211")).toBe(
      "agent/add-input-validation-to-post-users-0f1e2d3c",
    );
    expect(branchName("???", "abcdef01-0000-4000-8000-000000000000")).toBe("agent/change-abcdef01");
  });
});
