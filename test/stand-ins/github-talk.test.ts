// The GitHub stand-in's PR conversation, driven with the real @octokit/rest and checked against
// GitHub's OpenAPI description (violations stay empty): comments, reactions (the content enum, 404s),
// a review's inline comments with real diff hunks, collaborator permissions, GET /user and GET /app;
// and the webhook sender's payloads, which must pass @octokit/webhooks-schemas (and fail it when bent).
import { createHmac, generateKeyPairSync } from "node:crypto";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubStandIn, startGitHubStandIn } from "./github";
import { checkWebhookPayload, webhookSender } from "./github-webhooks";
import { listenLoopback, readBody } from "./loopback-server";

const log = { debug() {}, info() {}, warn() {}, error() {} };
const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
let gh: GitHubStandIn;
let octokit: Octokit;
let number: number;

async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  return promise.then(
    () => undefined,
    (e: { status?: number }) => e.status,
  );
}

beforeAll(async () => {
  gh = await startGitHubStandIn({
    app: { appId: "4242", publicKey: keys.publicKey.export({ type: "spki", format: "pem" }).toString() },
  });
  octokit = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl, log });
  await gh.createRepo("acme", "talk", { "src/a.ts": "one\ntwo\nthree\nfour\nfive\n" });
  await gh.git("acme", "talk", "branch", "agent/x", "main");
  await gh.commitFiles("acme", "talk", "agent/x", { "src/a.ts": "one\ntwo\nTHREE\nfour\nfive\nsix\n" });
  const { data } = await octokit.rest.pulls.create({
    owner: "acme",
    repo: "talk",
    title: "t",
    head: "agent/x",
    base: "main",
  });
  number = data.number;
});
afterAll(() => gh.close());

describe("PR conversation routes", () => {
  it("comments, lists since, reacts once per content, and refuses what GitHub refuses", async () => {
    const where = { owner: "acme", repo: "talk", issue_number: number };
    const before = new Date(Date.now() - 1000).toISOString();
    const { data: posted } = await octokit.rest.issues.createComment({ ...where, body: "hello" });
    expect(posted).toMatchObject({ body: "hello", user: { login: gh.login } });
    const { data: listed } = await octokit.rest.issues.listComments({ ...where, since: before });
    expect(listed.map((c) => c.id)).toEqual([posted.id]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await octokit.rest.issues.listComments({ ...where, since: future })).data).toEqual([]);
    expect(await statusOf(octokit.rest.issues.createComment({ ...where, body: "" }))).toBe(422);
    expect(
      await statusOf(octokit.rest.issues.createComment({ ...where, issue_number: 999, body: "x" })),
    ).toBe(404);

    const mine = gh.addComment("acme", "talk", number, { login: "dev", association: "CONTRIBUTOR" }, "hi");
    const react = { owner: "acme", repo: "talk", comment_id: mine.id, content: "eyes" as const };
    expect((await octokit.rest.reactions.createForIssueComment(react)).status).toBe(201);
    expect((await octokit.rest.reactions.createForIssueComment(react)).status).toBe(200);
    expect(mine.reactions.map((r) => [r.user, r.content])).toEqual([[gh.login, "eyes"]]);
    gh.violations.length = 0;
    const bad = octokit.rest.reactions.createForIssueComment({ ...react, content: "wave" as never });
    expect(await statusOf(bad)).toBe(422);
    expect(gh.violations).toMatchObject([
      { kind: "request", operationId: "reactions/create-for-issue-comment" },
    ]);
    gh.violations.length = 0;
    expect(await statusOf(octokit.rest.reactions.createForIssueComment({ ...react, comment_id: 1 }))).toBe(
      404,
    );
    const onPr = await octokit.rest.reactions.createForIssue({ ...where, content: "eyes" });
    expect(onPr.status).toBe(201);
    expect(gh.talk.reactionsOn({ owner: "acme", repo: "talk", number })).toHaveLength(1);
    expect(gh.violations).toEqual([]);
  });

  it("answers a review's inline comments with the hunk GitHub cuts at the commented line", async () => {
    const review = await gh.addReview(
      "acme",
      "talk",
      number,
      { login: "rev", association: "MEMBER" },
      "see",
      [
        { path: "src/a.ts", line: 3, body: "why caps?" },
        { path: "src/a.ts", line: 6, body: "and this" },
      ],
    );
    await expect(
      gh.addReview("acme", "talk", number, { login: "rev" }, "x", [
        { path: "src/a.ts", line: 40, body: "?" },
      ]),
    ).rejects.toThrow(/not part of the pull request's diff/);
    const { data } = await octokit.rest.pulls.listCommentsForReview({
      owner: "acme",
      repo: "talk",
      pull_number: number,
      review_id: review.id,
    });
    expect(data.map((c) => [c.path, c.line, c.body])).toEqual([
      ["src/a.ts", 3, "why caps?"],
      ["src/a.ts", 6, "and this"],
    ]);
    expect(data[0]?.diff_hunk).toBe("@@ -1,5 +1,6 @@\n one\n two\n-three\n+THREE");
    expect(data[1]?.diff_hunk.split("\n").at(-1)).toBe("+six");
    const missing = octokit.rest.pulls.listCommentsForReview({
      owner: "acme",
      repo: "talk",
      pull_number: number,
      review_id: 1,
    });
    expect(await statusOf(missing)).toBe(404);
    expect(gh.violations).toEqual([]);
  });

  it("answers permissions: set ones, the owner's, a known user's read, 404 for a stranger", async () => {
    const ask = (username: string) =>
      octokit.rest.repos.getCollaboratorPermissionLevel({ owner: "acme", repo: "talk", username });
    gh.setPermission("acme", "talk", "writer", "maintain");
    expect((await ask("writer")).data).toMatchObject({ permission: "write", role_name: "maintain" });
    expect((await ask("acme")).data).toMatchObject({ permission: "admin" });
    expect((await ask("dev")).data).toMatchObject({ permission: "read", role_name: "read" });
    expect(await statusOf(ask("nobody-at-all"))).toBe(404);
    expect(gh.violations).toEqual([]);
  });

  it("says who the token is (GET /user) and who the App is (GET /app, JWT only)", async () => {
    expect((await octokit.rest.users.getAuthenticated()).data.login).toBe(gh.login);
    const app = new Octokit({
      authStrategy: createAppAuth,
      auth: {
        appId: "4242",
        privateKey: keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      },
      baseUrl: gh.apiUrl,
      log,
    });
    expect((await app.rest.apps.getAuthenticated()).data?.slug).toBe("modal-coding-agent");
    expect(await statusOf(octokit.rest.apps.getAuthenticated())).toBe(401);
    expect(gh.violations).toEqual([]);
  });
});

describe("webhook sender", () => {
  it("sends schema-valid, signed issue_comment and pull_request_review deliveries", async () => {
    const secret = "s3cret";
    const received: { headers: Record<string, unknown>; body: string }[] = [];
    const server = await listenLoopback(async (req, res) => {
      received.push({ headers: req.headers, body: (await readBody(req)).toString("utf8") });
      res.writeHead(204);
      res.end();
    });
    try {
      const send = webhookSender(gh, `${server.origin}/github/webhook`, secret);
      const comment = gh.addComment(
        "acme",
        "talk",
        number,
        { login: "dev", association: "OWNER" },
        "@bot go",
      );
      expect((await send.comment(comment, "d-1")).status).toBe(204);
      const review = await gh.addReview("acme", "talk", number, { login: "rev" }, "@bot fix", [
        { path: "src/a.ts", line: 3, body: "x" },
      ]);
      await send.review(review);
      const [first, second] = received;
      expect(first?.headers).toMatchObject({ "x-github-event": "issue_comment", "x-github-delivery": "d-1" });
      const signed = `sha256=${createHmac("sha256", secret)
        .update(first?.body ?? "")
        .digest("hex")}`;
      expect(first?.headers["x-hub-signature-256"]).toBe(signed);
      const payload = JSON.parse(first?.body ?? "{}");
      expect(payload).toMatchObject({
        action: "created",
        issue: { number, pull_request: {} },
        comment: { id: comment.id, body: "@bot go", author_association: "OWNER", user: { login: "dev" } },
        repository: { full_name: "acme/talk" },
      });
      expect(second?.headers["x-github-event"]).toBe("pull_request_review");
      expect(JSON.parse(second?.body ?? "{}")).toMatchObject({
        action: "submitted",
        review: { id: review.id, body: "@bot fix", state: "commented" },
        pull_request: { number },
      });
      // The check itself bites: a property GitHub never sends, or a missing one, is refused.
      expect(checkWebhookPayload("issue_comment$created", { ...payload, extra: 1 })).not.toEqual([]);
      const { comment: _, ...noComment } = payload;
      expect(checkWebhookPayload("issue_comment$created", noComment).join()).toMatch(/comment/);
    } finally {
      await server.close();
    }
  });
});
