// GitHub App auth through the real Worker: with GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY set, the
// job finds the repository's installation with the App's JWT, mints an installation token narrowed
// to that one repository, and publishes with it; the stand-in checks the JWT's signature and keeps
// the token to its repository. Every route is checked against GitHub's OpenAPI description.
import { generateKeyPairSync } from "node:crypto";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

const APP_ID = "4242";
let system: System;
let events: ParsedEvent[];

beforeAll(async () => {
  // GitHub hands out PKCS#1 keys (WebCrypto on workerd takes PKCS#8: the Worker converts).
  const { publicKey, privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  system = await startSystem({
    github: { app: { appId: APP_ID, publicKey } },
    vars: { GITHUB_APP_ID: APP_ID },
    secretsOverride: { GITHUB_APP_PRIVATE_KEY: privateKey },
  });
  await system.github.createRepo("acme", "app-repo", { "README.md": "# app\n" });
  await system.github.createRepo("acme", "other", { "README.md": "# other\n" });
  system.openai.setScript(
    [
      { toolCalls: [{ name: "edit", arguments: { path: "README.md", old: "# app", new: "# app, edited" } }] },
      { toolCalls: [{ name: "finish", arguments: { title: "Edit the README", summary: "Edited." } }] },
    ],
    "[app]",
  );
  const response = await postCode(system, { repoUrl: "acme/app-repo", prompt: "[app] edit the readme" });
  events = (await collectEvents(response)).events;
});
afterAll(async () => {
  await system?.close();
});

describe("GitHub App auth", () => {
  it("opens the PR with installation tokens narrowed to the one repository", () => {
    expect(events.at(-1)?.data).toMatchObject({ status: "succeeded" });
    expect(system.github.pulls.map((p) => `${p.owner}/${p.repo}`)).toEqual(["acme/app-repo"]);
    const tokens = system.github.installationTokens;
    expect(tokens.length).toBeGreaterThan(0);
    for (const t of tokens) expect(t.repositories).toEqual(["app-repo"]);
    const ops = system.github.calls.map((c) => c.operationId);
    expect(ops).toContain("apps/get-repo-installation");
    expect(ops).toContain("apps/create-installation-access-token");
    expect(ops.indexOf("apps/create-installation-access-token")).toBeLessThan(ops.indexOf("repos/get"));
    expect(system.github.violations).toEqual([]);
  });

  it("an installation token cannot reach another repository, and a JWT only the App endpoints", async () => {
    const token = system.github.installationTokens[0]?.token ?? "";
    const octokit = new Octokit({
      auth: token,
      baseUrl: system.github.apiUrl,
      log: { ...console, error() {} },
    });
    expect((await octokit.rest.repos.get({ owner: "acme", repo: "app-repo" })).status).toBe(200);
    await expect(octokit.rest.repos.get({ owner: "acme", repo: "other" })).rejects.toMatchObject({
      status: 404,
    });
    const forged = new Octokit({
      auth: "e30.e30.c2ln",
      baseUrl: system.github.apiUrl,
      log: { ...console, error() {} },
    });
    await expect(
      forged.rest.apps.getRepoInstallation({ owner: "acme", repo: "other" }),
    ).rejects.toMatchObject({
      status: 401,
    });
    expect(system.github.violations).toEqual([]);
  });
});
