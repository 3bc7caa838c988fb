/**
 * Shared setup for the sandbox-service tests: the real service on a free loopback port with the
 * real local backend, a tiny JSON client, a real bare git repo to clone, and a /proc scan to
 * prove that no sandboxed process outlived its command.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SandboxInfo } from "../../src/protocol/sandbox";
import { startService } from "../../src/sandbox-service/app";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Harness {
  url: string;
  token: string;
  root: string;
  /** Calls the service with the right token (or `token` when given; `null` sends none). */
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
  ): Promise<Reply<T>>;
  /** Creates a sandbox for a fresh job id. */
  sandbox(): Promise<SandboxInfo>;
  close(): Promise<void>;
}

/** A `call` against the service at `url`, sending `token` unless told otherwise (null: no header). */
export function serviceCaller(url: string, token: string): Harness["call"] {
  return async (method, path, body, as) => {
    const headers: Record<string, string> = {};
    const bearer = as === undefined ? token : as;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  };
}

/** Starts the real service (local backend, port 0) with a fresh token and sandbox root. */
export async function startHarness(): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), "sandbox-test-"));
  const token = randomBytes(24).toString("hex");
  const backend = await createLocalBackend({ root });
  const service = await startService({ backend, token, port: 0, host: "127.0.0.1" });
  const call = serviceCaller(service.url, token);
  return {
    url: service.url,
    token,
    root,
    call,
    sandbox: async () => {
      const reply = await call<SandboxInfo>("POST", "/v1/sandboxes", {
        jobId: `job-${randomBytes(6).toString("hex")}`,
      });
      if (reply.status !== 201) throw new Error(`create failed: ${reply.status}`);
      return reply.body;
    },
    close: async () => {
      await service.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

const GIT_ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
};

/** Runs real git on the host (test fixtures only). */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: { ...GIT_ENV, HOME: cwd }, encoding: "utf8" }).trim();
}

export interface BareRepo {
  url: string;
  headSha: string;
  /** The tree of `headSha`. */
  treeSha: string;
  dir: string;
  cleanup(): Promise<void>;
}

/** A bare repo (partial-clone capable) whose `main` holds `files`, and a branch `feature` one commit on. */
export async function makeBareRepo(files: Record<string, string>): Promise<BareRepo> {
  const dir = await mkdtemp(join(tmpdir(), "sandbox-repo-"));
  const work = join(dir, "work");
  await mkdir(work);
  git(work, "init", "-q", "-b", "main");
  for (const [path, content] of Object.entries(files)) await writeFile(join(work, path), content);
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "initial");
  const headSha = git(work, "rev-parse", "HEAD");
  const treeSha = git(work, "rev-parse", "HEAD^{tree}");
  git(work, "checkout", "-q", "-b", "feature");
  await writeFile(join(work, "feature.txt"), "feature\n");
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "feature");
  git(work, "checkout", "-q", "main");
  git(dir, "clone", "-q", "--bare", work, "repo.git");
  git(join(dir, "repo.git"), "config", "uploadpack.allowFilter", "true");
  return {
    url: `file://${join(dir, "repo.git")}`,
    headSha,
    treeSha,
    dir,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Host pids whose command line contains `marker` (NUL-separated argv joined by spaces). */
export async function processesMatching(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8")).replaceAll("\0", " ");
      if (cmdline.includes(marker)) pids.push(Number(entry));
    } catch {
      // The process exited while we looked: it does not match anything any more.
    }
  }
  return pids;
}

/** base64 of a UTF-8 string or bytes. */
export function b64(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64");
}
