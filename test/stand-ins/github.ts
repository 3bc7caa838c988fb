// A loopback GitHub for tests: a REST subset (repos, branches, Git Data API, pulls) checked against
// GitHub's OpenAPI description and driven by the real @octokit/rest, over real bare git repos that
// `git clone` reaches through git http-backend. See README.md in this folder for the full list.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseGitPath, serveGitHttp } from "./git-http";
import { type Caller, canRead, holds } from "./github-access";
import { AppAuth, type GitHubAppOptions, type InstallationToken } from "./github-app";
import { type FaultMatch, type GitHubFault, GitHubFaults, sendFault } from "./github-faults";
import { closePull } from "./github-pulls-update";
import { type CallRecord, type RestRecorder, serveRest, type Violation } from "./github-rest";
import {
  GitHubWorld,
  type PullRecord,
  type RepoFile,
  type RepoOptions,
  type RepoRecord,
} from "./github-state";
import { type TalkControls, talkControls } from "./github-talk-controls";
import { listenLoopback, readBody } from "./loopback-server";

export type { CallRecord, Violation } from "./github-rest";
export type { PullRecord, RepoFile } from "./github-state";
export type { Speaker } from "./github-talk-controls";

/** One smart HTTP request to the stand-in. */
export interface GitCall {
  method: string;
  path: string;
  service: "git-upload-pack" | "git-receive-pack";
  /** `invalid` for credentials GitHub would reject. */
  caller: Caller["kind"] | "invalid";
  /** The installation token used, when it was one. */
  token?: string;
  status: number;
}

export interface GitHubStandInOptions {
  /** The token `Authorization: token|Bearer …` must carry; default `ghp_standin…`. */
  token?: string;
  /** Login of the token's user (PR author, commit author by default); default `stand-in-bot`. */
  login?: string;
  /** A GitHub App installed on every owner: JWT-authenticated App endpoints and installation tokens. */
  app?: GitHubAppOptions;
  /** Reads a new fork answers 404 to before it is ready (GitHub forks asynchronously); default 0. */
  forkDelay?: number;
}

/** The PR conversation controls (`addComment`, `addReview`, …) are github-talk-controls.ts's. */
export interface GitHubStandIn extends TalkControls {
  /** REST root for `new Octokit({ baseUrl })`, e.g. `http://127.0.0.1:PORT/api/v3`. */
  apiUrl: string;
  /** Web root; clone URLs are `${webUrl}/owner/repo(.git)`. */
  webUrl: string;
  token: string;
  login: string;
  /** Creates a repo whose default branch holds `files` in one commit; resolves to that commit's sha. */
  createRepo(
    owner: string,
    repo: string,
    files: Record<string, RepoFile>,
    options?: RepoOptions,
  ): Promise<string>;
  /** Commits `files` on top of `branch` as someone else's push (to make a fork stale); resolves to its sha. */
  commitFiles(owner: string, repo: string, branch: string, files: Record<string, string>): Promise<string>;
  /**
   * A human's push to `branch`: one real commit on its head setting `files` (null deletes one),
   * by someone other than the token's user; resolves to its sha.
   */
  pushCommit(
    owner: string,
    repo: string,
    branch: string,
    files: Record<string, string | null>,
    message: string,
  ): Promise<string>;
  /** Closes pull request `number`, or with `merged` merges it (a merge commit on its base) and closes it. */
  closePull(owner: string, repo: string, number: number, options?: { merged?: boolean }): Promise<void>;
  /** Installation tokens minted for the App (with the repositories each may reach), in order. */
  installationTokens: InstallationToken[];
  /** Pull requests opened through the API, in order. */
  pulls: PullRecord[];
  /** Every REST call: method, path below the API root, operationId, status. */
  calls: CallRecord[];
  /** Every smart HTTP request (clones, fetches, pushes): who made it and how it was answered. */
  gitCalls: GitCall[];
  /** OpenAPI mismatches and unimplemented operations; tests assert it is empty. */
  violations: Violation[];
  /** Answers the next `times` REST calls matching `match` with `fault` (github-faults.ts). */
  fail(match: FaultMatch, fault: GitHubFault, times?: number): void;
  /** Runs `git <args>` against the bare repo; resolves to stdout. */
  git(owner: string, repo: string, ...args: string[]): Promise<string>;
  close(): Promise<void>;
}

/** Starts the GitHub stand-in on 127.0.0.1 (free port) with no repositories. */
export async function startGitHubStandIn(opts: GitHubStandInOptions = {}): Promise<GitHubStandIn> {
  const token = opts.token ?? "ghp_standin0000000000000000000000000000";
  const login = opts.login ?? "stand-in-bot";
  const dir = await mkdtemp(join(tmpdir(), "github-stand-in-"));
  const root = join(dir, "repos");
  const home = join(dir, "home");
  await Promise.all([mkdir(root), mkdir(home)]);
  const recorder: RestRecorder = { calls: [], violations: [] };
  const app = opts.app ? new AppAuth(opts.app) : undefined;
  let world: GitHubWorld | undefined;
  const faults = new GitHubFaults();
  const gitCalls: GitCall[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!world) throw new Error("not started");
    const url = new URL(req.url ?? "/", "http://x");
    const body = await readBody(req);
    if (url.pathname === "/api/v3" || url.pathname.startsWith("/api/v3/")) {
      const path = url.pathname.slice("/api/v3".length) || "/";
      const fault = faults.take(req.method ?? "GET", path);
      if (fault) {
        recorder.calls.push({
          method: req.method ?? "GET",
          path,
          operationId: undefined,
          status: sendFault(res, fault),
        });
        return;
      }
      return serveRest(world, token, recorder, req, res, path, url.searchParams, body, app);
    }
    const gitPath = parseGitPath(url.pathname);
    if (!gitPath) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("Not Found\n");
      return;
    }
    const pushing =
      gitPath.rest === "git-receive-pack" || url.searchParams.get("service") === "git-receive-pack";
    const found = world.repo(gitPath.owner, gitPath.repo);
    const caller = gitCaller(req.headers.authorization, token, app);
    const refusal = gitRefusal(caller, found, pushing, login);
    gitCalls.push({
      method: req.method ?? "GET",
      path: url.pathname,
      service: pushing ? "git-receive-pack" : "git-upload-pack",
      caller: caller?.kind ?? "invalid",
      ...(caller?.kind === "installation" ? { token: caller.grant.token } : {}),
      status: refusal?.status ?? 200,
    });
    if (refusal || !found) {
      const { status, message } = refusal ?? { status: 404, message: "Repository not found." };
      res.writeHead(status, {
        "content-type": "text/plain; charset=utf-8",
        ...(status === 401 ? { "www-authenticate": 'Basic realm="GitHub"' } : {}),
      });
      res.end(`${message}\n`);
      return;
    }
    const repo = found;
    const user = caller?.kind === "anonymous" ? undefined : login;
    await serveGitHttp(req, res, {
      projectRoot: root,
      home,
      pathInfo: `/${repo.owner}/${repo.name}.git/${gitPath.rest}`,
      query: url.search.slice(1),
      body,
      remoteUser: user,
    });
  };

  const server = await listenLoopback(handle, (error) =>
    recorder.violations.push({
      kind: "crash",
      method: "",
      path: "",
      operationId: undefined,
      status: 500,
      errors: [String(error)],
    }),
  );
  world = new GitHubWorld({ api: `${server.origin}/api/v3`, web: server.origin }, login, root, home);
  const w = world;
  w.forkDelay = opts.forkDelay ?? 0;
  return {
    apiUrl: w.urls.api,
    webUrl: w.urls.web,
    token,
    login,
    createRepo: (owner, repo, files, options) => w.createRepo(owner, repo, files, options),
    commitFiles: (owner, repo, branch, files) => w.commitFiles(owner, repo, branch, files),
    pushCommit: (owner, repo, branch, files, message) => w.commitFiles(owner, repo, branch, files, message),
    async closePull(owner, repo, number, options) {
      const record = w.repo(owner, repo);
      const pull = w.pulls.find((p) => p.number === number && record && w.repo(p.owner, p.repo) === record);
      if (!record || !pull) throw new Error(`no pull request ${owner}/${repo}#${number}`);
      await closePull(w, record, pull, options?.merged ?? false);
    },
    pulls: w.pulls,
    installationTokens: app?.tokens ?? [],
    calls: recorder.calls,
    gitCalls,
    violations: recorder.violations,
    fail: (match, fault, times) => faults.add(match, fault, times),
    ...talkControls(w),
    async git(owner, repo, ...args) {
      const record = w.repo(owner, repo);
      if (!record) throw new Error(`no repository ${owner}/${repo}`);
      return (await record.git.run(args)).toString("utf8");
    },
    async close() {
      await server.close();
      await w.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Who HTTP Basic credentials are: the token or an installation token (as user or password, e.g.
 * `x-access-token:<token>`), anonymous without credentials, undefined for credentials GitHub rejects.
 */
function gitCaller(header: string | undefined, token: string, app: AppAuth | undefined): Caller | undefined {
  if (header === undefined) return { kind: "anonymous" };
  const encoded = /^Basic\s+(.+)$/i.exec(header)?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const [user, password] = colon < 0 ? [decoded, ""] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
  for (const credential of [password, user]) {
    if (credential === token) return { kind: "pat" };
    const grant = app?.tokens.find((t) => t.token === credential);
    if (grant) return { kind: "installation", grant };
  }
  return undefined;
}

/**
 * GitHub's answer when smart HTTP refuses: no credentials for anything private, missing or a push
 * is a 401 asking for them (so a missing repository is no different from a private one); a wrong
 * credential is a 401; a credential that may not read the repository gets "not found"; one that
 * may read but not write is refused the push with 403.
 */
function gitRefusal(
  caller: Caller | undefined,
  repo: RepoRecord | undefined,
  pushing: boolean,
  login: string,
): { status: number; message: string } | undefined {
  if (caller === undefined)
    return {
      status: 401,
      message: "Invalid username or token. Password authentication is not supported for Git operations.",
    };
  if (caller.kind === "anonymous") {
    if (!repo || repo.private || pushing) return { status: 401, message: "Authentication required." };
    return undefined;
  }
  if (!repo || !canRead(caller, repo)) return { status: 404, message: "Repository not found." };
  if (pushing && !holds(caller, repo, "contents")) {
    const who = caller.kind === "installation" ? "github-actions[bot]" : login;
    return { status: 403, message: `Permission to ${repo.owner}/${repo.name}.git denied to ${who}.` };
  }
  return undefined;
}
