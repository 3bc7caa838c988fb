// Private repositories on the GitHub stand-in, driven by the real git client and @octokit/rest: to
// anyone who may not read one (no token, a wrong token, an installation token narrowed to another
// repository) it answers exactly like a repository that does not exist, and a read-only
// installation token may clone but is refused every write with 403, as on GitHub.
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubStandIn, startGitHubStandIn } from "./github";

const exec = promisify(execFile);
const log = { debug() {}, info() {}, warn() {}, error() {} };
const APP_ID = "777";
let gh: GitHubStandIn;
let scratch: string;
let privateKey: string;
let clones = 0;

/** `git clone` as a user runs it, no host config, no prompts; resolves to the exit code and stderr. */
async function clone(
  url: string,
  extra: string[] = [],
): Promise<{ code: number; stderr: string; dir: string }> {
  const dir = join(scratch, `clone-${clones++}`);
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: scratch,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
  };
  try {
    await exec("git", [...extra, "clone", "--quiet", "--filter=blob:none", url, dir], { env });
    return { code: 0, stderr: "", dir };
  } catch (error) {
    const e = error as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? "", dir };
  }
}

function withToken(path: string, token: string): string {
  const url = new URL(`${gh.webUrl}/${path}`);
  url.username = "x-access-token";
  url.password = token;
  return url.href;
}

async function installationToken(body: Record<string, unknown>): Promise<string> {
  const app = new Octokit({
    authStrategy: createAppAuth,
    auth: { appId: APP_ID, privateKey },
    baseUrl: gh.apiUrl,
    log,
  });
  const { data: installation } = await app.rest.apps.getRepoInstallation({ owner: "acme", repo: "vault" });
  const { data } = await app.rest.apps.createInstallationAccessToken({
    installation_id: installation.id,
    ...body,
  });
  return data.token;
}

async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  return promise.then(
    () => undefined,
    (e: { status?: number }) => e.status,
  );
}

/** A smart HTTP request as git makes it; resolves to status and body text. */
async function smartHttp(path: string, authorization?: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${gh.webUrl}/${path}`, {
    headers: authorization ? { authorization } : {},
  });
  return { status: response.status, text: await response.text() };
}

const basic = (token: string) => `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;

beforeAll(async () => {
  const keys = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  privateKey = keys.privateKey;
  gh = await startGitHubStandIn({ app: { appId: APP_ID, publicKey: keys.publicKey } });
  scratch = await mkdtemp(join(tmpdir(), "github-private-test-"));
  await gh.createRepo("acme", "vault", { "secret.txt": "s\n" }, { private: true, defaultBranch: "trunk" });
  await gh.createRepo("acme", "other", { "o.txt": "o\n" }, { private: true });
  await gh.createRepo("acme", "hidden", { "h.txt": "h\n" }, { private: true, collaborator: false });
});
afterAll(async () => {
  await gh?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("private repositories on the GitHub stand-in", () => {
  it("answers REST readers who may not see the repo exactly as for a missing repo", async () => {
    const anonymous = new Octokit({ baseUrl: gh.apiUrl, log });
    const pat = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl, log });
    const narrowed = new Octokit({
      auth: await installationToken({ repositories: ["other"] }),
      baseUrl: gh.apiUrl,
      log,
    });
    for (const client of [anonymous, narrowed])
      for (const repo of ["vault", "does-not-exist"])
        expect(await statusOf(client.rest.repos.get({ owner: "acme", repo })), repo).toBe(404);
    expect(await statusOf(pat.rest.repos.get({ owner: "acme", repo: "hidden" }))).toBe(404);
    expect(
      await statusOf(narrowed.rest.git.getRef({ owner: "acme", repo: "vault", ref: "heads/trunk" })),
    ).toBe(404);
    const wrong = new Octokit({ auth: "ghp_wrong", baseUrl: gh.apiUrl, log });
    expect(await statusOf(wrong.rest.repos.get({ owner: "acme", repo: "vault" }))).toBe(401);
    const { data } = await pat.rest.repos.get({ owner: "acme", repo: "vault" });
    expect(data).toMatchObject({ private: true, visibility: "private" });
    expect(gh.violations).toEqual([]);
  });

  it("answers smart HTTP without a credential that may read the repo as for a missing repo", async () => {
    const refs = "info/refs?service=git-upload-pack";
    const narrowed = await installationToken({ repositories: ["other"], permissions: { contents: "read" } });
    // No credential: asked for one (401), the same as for a repository that does not exist.
    const none = await smartHttp(`acme/vault.git/${refs}`);
    expect(none).toEqual(await smartHttp(`acme/nope.git/${refs}`));
    expect(none.status).toBe(401);
    // A credential GitHub rejects: 401, whichever repository.
    const wrong = await smartHttp(`acme/vault.git/${refs}`, basic("ghp_wrong"));
    expect(wrong).toEqual(await smartHttp(`acme/nope.git/${refs}`, basic("ghp_wrong")));
    expect(wrong.status).toBe(401);
    // A valid credential that may not read it: "Repository not found.", as for a missing one.
    for (const [path, token] of [
      ["acme/vault.git", narrowed],
      ["acme/hidden.git", gh.token],
    ] as const) {
      const denied = await smartHttp(`${path}/${refs}`, basic(token));
      expect(denied).toEqual(await smartHttp(`acme/nope.git/${refs}`, basic(token)));
      expect(denied).toEqual({ status: 404, text: "Repository not found.\n" });
    }
    // And git itself fails to clone in each case.
    expect((await clone(`${gh.webUrl}/acme/vault.git`)).stderr).toMatch(/could not read Username/);
    expect((await clone(withToken("acme/vault.git", "ghp_wrong"))).stderr).toMatch(/Authentication failed/);
    expect((await clone(withToken("acme/vault.git", narrowed))).stderr).toMatch(/not found/);
    expect((await clone(withToken("acme/hidden.git", gh.token))).stderr).toMatch(/not found/);
  });

  it("lets a read-only installation token narrowed to the repo clone it, and refuses it writes with 403", async () => {
    const token = await installationToken({ repositories: ["vault"], permissions: { contents: "read" } });
    const grant = gh.installationTokens.find((t) => t.token === token);
    expect(grant).toMatchObject({
      repositories: ["vault"],
      permissions: { contents: "read", metadata: "read" },
    });
    // The token travels only in the request header here, never in the clone's config.
    const header = `http.extraHeader=Authorization: ${basic(token)}`;
    const cloned = await clone(`${gh.webUrl}/acme/vault.git`, ["-c", header]);
    expect(cloned.code).toBe(0);
    expect(await readFile(join(cloned.dir, "secret.txt"), "utf8")).toBe("s\n");
    expect(gh.gitCalls.filter((c) => c.token === token).every((c) => c.status === 200)).toBe(true);

    const env = {
      PATH: process.env.PATH ?? "",
      HOME: scratch,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_TERMINAL_PROMPT: "0",
    };
    const run = (...args: string[]) => exec("git", ["-C", cloned.dir, "-c", header, ...args], { env });
    await run(
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@example.invalid",
      "commit",
      "--allow-empty",
      "-qm",
      "x",
    );
    const push = await run("push", "origin", "HEAD:refs/heads/evil").then(
      () => "",
      (e: { stderr?: string }) => e.stderr ?? "",
    );
    expect(push).toMatch(/Permission to acme\/vault\.git denied/);
    expect(gh.gitCalls.at(-1)).toMatchObject({ service: "git-receive-pack", status: 403, token });

    const readOnly = new Octokit({ auth: token, baseUrl: gh.apiUrl, log });
    expect((await readOnly.rest.repos.get({ owner: "acme", repo: "vault" })).data.private).toBe(true);
    const blob = readOnly.rest.git.createBlob({ owner: "acme", repo: "vault", content: "x" });
    expect(await statusOf(blob)).toBe(403);
    const pull = readOnly.rest.pulls.create({
      owner: "acme",
      repo: "vault",
      head: "trunk",
      base: "trunk",
      title: "x",
    });
    expect(await statusOf(pull)).toBe(403);
    expect(await gh.git("acme", "vault", "branch", "--list", "evil")).toBe("");
    expect(gh.violations).toEqual([]);
  });

  it("refuses a token asking for more than the installation holds", async () => {
    expect(await statusOf(installationToken({ permissions: { administration: "write" } }))).toBe(422);
  });
});
