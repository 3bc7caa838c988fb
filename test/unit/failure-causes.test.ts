// The sentences model and GitHub failures become, on the SDKs' own error classes as they throw
// them: a GitHub 5xx (retryable), a 403 that is not a rate limit, a failed fetch reported as a
// response by a proxy, the model's 429 out-of-quota and rate limit, and credentials scrubbed.
import { RequestError } from "@octokit/request-error";
import { APIError } from "openai";
import { describe, expect, it } from "vitest";
import { describeModelFailure } from "../../src/worker/agent/model-failure";
import { describeGitHubFailure } from "../../src/worker/github/failure";
import { redact } from "../../src/worker/redact";

const request = {
  method: "POST" as const,
  url: "https://api.github.com/repos/acme/api/git/blobs",
  headers: {},
};
const gitHubError = (status: number, data: unknown, headers: Record<string, string> = {}) =>
  new RequestError(`${status}`, status, {
    request,
    response: { status, url: request.url, headers: { "x-github-request-id": "A:B", ...headers }, data },
  });

describe("GitHub failures", () => {
  it("a 5xx is GitHub's fault and worth retrying", () => {
    expect(describeGitHubFailure(gitHubError(502, { message: "Server Error" }))).toEqual({
      message:
        "GitHub answered 502 Server Error to POST /repos/acme/api/git/blobs (a fault on GitHub's side).",
      retryable: true,
    });
  });

  it("a 403 that is no rate limit is missing permission, and final", () => {
    const failure = describeGitHubFailure(
      gitHubError(403, { message: "Resource not accessible by integration" }),
    );
    expect(failure).toEqual({
      message:
        "GitHub answered 403 Resource not accessible by integration to POST /repos/acme/api/git/blobs: the credentials lack the permission this needs.",
      retryable: false,
    });
  });

  it("a 429 without headers is still a rate limit", () => {
    expect(describeGitHubFailure(gitHubError(429, { message: "Too Many Requests" }))?.message).toBe(
      "GitHub rate limit reached (429) on POST /repos/acme/api/git/blobs: Too Many Requests.",
    );
  });

  it("a failed fetch answered by a proxy in between is 'unreachable', a network error too", () => {
    const proxied = new RequestError("TypeError: fetch failed", 500, {
      request,
      response: { status: 500, url: request.url, headers: {}, data: "TypeError: fetch failed" },
    });
    expect(describeGitHubFailure(proxied)?.message).toMatch(
      /^GitHub is unreachable at https:\/\/api\.github\.com \(connection refused, DNS failure or no network; check GITHUB_API_URL\): 500 TypeError: fetch failed$/,
    );
    const network = new RequestError("getaddrinfo ENOTFOUND api.github.com", 500, { request });
    expect(describeGitHubFailure(network)).toEqual({
      message:
        "GitHub is unreachable at https://api.github.com (connection refused, DNS failure or no network; check GITHUB_API_URL): getaddrinfo ENOTFOUND api.github.com",
      retryable: false,
    });
  });

  it("is not about errors that are not Octokit's", () => {
    expect(describeGitHubFailure(new Error("boom"))).toBeNull();
  });
});

describe("model failures", () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  const base = "https://api.openai.com/v1";

  it("429 insufficient_quota is final; a plain 429 says when it resets and is retried", () => {
    const quota = APIError.generate(
      429,
      { error: { message: "You exceeded your current quota.", code: "insufficient_quota" } },
      undefined,
      headers({}),
    );
    expect(describeModelFailure(quota, base, "gpt-4.1")).toEqual({
      message:
        "The model API at https://api.openai.com answered 429 insufficient_quota: You exceeded your current quota. (the account is out of quota).",
      retryable: false,
    });
    const limited = APIError.generate(
      429,
      { error: { message: "Rate limit reached." } },
      undefined,
      headers({ "x-ratelimit-reset-requests": "6m0s" }),
    );
    expect(describeModelFailure(limited, base, "gpt-4.1")).toEqual({
      message:
        "The model API at https://api.openai.com answered 429: Rate limit reached. (rate limited, resets in 6m0s).",
      retryable: true,
    });
  });

  it("404 names the model and the base URL to check", () => {
    const missing = APIError.generate(
      404,
      { error: { message: "The model `gpt-9` does not exist." } },
      undefined,
      headers({}),
    );
    expect(describeModelFailure(missing, base, "gpt-9")?.message).toBe(
      'The model API at https://api.openai.com answered 404: The model `gpt-9` does not exist. (no model "gpt-9" or no such endpoint there; check OPENAI_MODEL and OPENAI_BASE_URL).',
    );
  });
});

describe("redact", () => {
  it("scrubs keys, tokens, bearer headers and URL credentials", () => {
    expect(
      redact(
        "Incorrect API key provided: sk-proj-abc****wxyz; Authorization: Bearer abcdefgh12345678; ghp_0123456789abcdef; https://user:secret@example.com/x",
      ),
    ).toBe(
      "Incorrect API key provided: sk-[redacted]; Authorization: Bearer [redacted]; ghp_[redacted]; https://[redacted]@example.com/x",
    );
  });
});
