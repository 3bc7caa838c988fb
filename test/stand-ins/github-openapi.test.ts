// The OpenAPI check is what makes the GitHub stand-in trustworthy, so it must itself fail when it
// should: missing required properties, wrong types, undocumented statuses, bad request bodies.
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubStandIn, startGitHubStandIn } from "./github";
import { checkRequestBody, checkResponseBody, findOperation } from "./github-openapi";
import { ROUTES } from "./github-rest";

describe("OpenAPI check", () => {
  it("rejects responses GitHub's schema rejects and accepts OpenAPI nullables", () => {
    const template = "/repos/{owner}/{repo}/git/blobs";
    expect(checkResponseBody("post", template, 201, { sha: "a", url: "http://x/y" })).toEqual([]);
    expect(checkResponseBody("post", template, 201, { sha: "a" }).join()).toMatch(/required property 'url'/);
    expect(checkResponseBody("post", template, 201, { sha: 1, url: "u" }).join()).toMatch(/must be string/);
    expect(checkResponseBody("post", template, 418, {}).join()).toMatch(/not documented/);
    const refTemplate = "/repos/{owner}/{repo}/git/ref/{ref}";
    expect(checkResponseBody("get", refTemplate, 200, { ref: "refs/heads/x" }).length).toBeGreaterThan(0);
  });

  it("checks request bodies, including OpenAPI's `nullable` (sha: null deletes)", () => {
    const template = "/repos/{owner}/{repo}/git/trees";
    const entry = { path: "a", mode: "100644", type: "blob" };
    expect(checkRequestBody("post", template, { tree: [{ ...entry, sha: null }] })).toEqual([]);
    expect(checkRequestBody("post", template, { tree: [{ ...entry, mode: "644" }] }).join()).toMatch(
      /allowed values/,
    );
    expect(checkRequestBody("post", template, {}).join()).toMatch(/required property 'tree'/);
  });

  it("knows every route the stand-in serves as an operation GitHub documents", () => {
    const undocumented = ROUTES.filter((r) => !findOperation(r.method, r.template));
    expect(undocumented.map((r) => `${r.method} ${r.template}`)).toEqual([]);
    expect(ROUTES.map((r) => findOperation(r.method, r.template)?.operationId)).toEqual(
      expect.arrayContaining(["pulls/update", "repos/compare-commits-with-basehead"]),
    );
  });

  it("checks the follow-up routes: pulls.update's fields and compare's files", () => {
    const update = "/repos/{owner}/{repo}/pulls/{pull_number}";
    expect(
      checkRequestBody("patch", update, { title: "t", body: "b", state: "closed", base: "main" }),
    ).toEqual([]);
    expect(checkRequestBody("patch", update, { state: "merged" }).join()).toMatch(/allowed values/);
    expect(checkRequestBody("patch", update, { title: 5 }).join()).toMatch(/must be string/);
    const compare = "/repos/{owner}/{repo}/compare/{basehead}";
    expect(checkResponseBody("get", compare, 200, { status: "ahead" }).join()).toMatch(
      /required property 'commits'/,
    );
    expect(checkResponseBody("get", compare, 422, {}).join()).toMatch(/not documented/);
  });
});

// Octokit logs every 4xx; the ones here are expected and asserted.
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe("GitHub stand-in request checks", () => {
  let gh: GitHubStandIn;
  beforeAll(async () => {
    gh = await startGitHubStandIn();
    await gh.createRepo("acme", "lib", { "a.txt": "a\n" });
  });
  afterAll(() => gh.close());

  it("answers 422 to a body GitHub would refuse and records the violation", async () => {
    const octokit = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl, log: quiet });
    const bad = {
      owner: "acme",
      repo: "lib",
      tree: [{ path: "x", mode: "644", type: "blob", content: "x" }],
    };
    const error = await octokit.rest.git.createTree(bad as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 422 });
    expect(gh.violations).toMatchObject([{ kind: "request", operationId: "git/create-tree", status: 422 }]);
  });

  it("records operations the stand-in does not implement", async () => {
    const octokit = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl, log: quiet });
    gh.violations.length = 0;
    const error = await octokit.rest.issues
      .create({ owner: "acme", repo: "lib", title: "t" })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404 });
    expect(gh.violations).toMatchObject([{ kind: "unimplemented", operationId: "issues/create" }]);
    expect(gh.calls.at(-1)).toMatchObject({ method: "POST", operationId: "issues/create", status: 404 });
  });
});
