/**
 * The clone: the only step with network, so the only git that runs on the host. It runs with a
 * clean environment (no system or user config, no prompts, http(s)/file transports only) into a
 * directory no sandbox can see yet; credentials in the URL are removed from the clone's config.
 * A clone ticket (`CloneAuth`) reaches only the `git clone` process, as `http.extraHeader` in its
 * environment (`GIT_CONFIG_COUNT`), so it is in no argv, no file and not in the clone's config.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CloneResult } from "../protocol/sandbox";
import type { CloneAuth } from "./backends/types";
import { readCloneHead } from "./context-files";
import { ServiceError } from "./errors";
import type { GitRunner } from "./jailed-git";
import { MAX_HELPER_OUTPUT_BYTES } from "./limits";
import { ByteCollector } from "./output-cap";
import { runProcess } from "./process-run";

const HOST_GIT_CONFIG = [
  "-c",
  "core.fsmonitor=false",
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "credential.helper=",
];
const ALLOWED_SCHEMES = new Set(["http:", "https:", "file:"]);
const PERMANENT_FAILURE =
  /not found|does not appear to be a git repository|could not read Username|Authentication failed|does not exist|not valid|invalid/i;

/** The URL's scheme and shape problem, or undefined when it is an http(s) or file URL git may clone. */
export function cloneUrlProblem(url: string): string | undefined {
  if (!URL.canParse(url)) return "must be an absolute URL";
  const parsed = new URL(url);
  if (!ALLOWED_SCHEMES.has(parsed.protocol)) return "must be an http, https or file URL";
  return undefined;
}

/** The URL without user name or password, safe to log and to leave in the clone's config. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  parsed.username = "";
  parsed.password = "";
  return parsed.toString();
}

/**
 * Git's environment variables that set `http.extraHeader` for one process: config by environment,
 * which no file, argv or later git command sees.
 */
export function extraHeaderEnv(auth: CloneAuth | undefined): Record<string, string> {
  if (!auth) return {};
  return { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: auth.httpHeader };
}

/** The error for a failed `git clone` (credentials redacted): 422 when a retry cannot help, else 502. */
export function cloneFailure(stderr: string, url: string, auth?: CloneAuth): ServiceError {
  let detail = stderr.replaceAll(url, redactUrl(url));
  // Git does not print request headers unless traced, and the environment has no trace set; still.
  if (auth) detail = detail.replaceAll(auth.httpHeader, "[clone ticket]");
  detail = detail.slice(-2000);
  if (PERMANENT_FAILURE.test(detail)) return new ServiceError(422, "clone failed", detail);
  return new ServiceError(502, "clone failed", detail, true);
}

function gitEnv(home: string, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {
    ...extra,
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    LANG: "C",
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_ALLOW_PROTOCOL: "http:https:file",
  };
  // Proxy settings are network configuration the clone may need; nothing else is passed on.
  for (const key of ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"]) {
    const value = process.env[key];
    if (value) env[key] = value;
  }
  return env;
}

interface GitOutcome {
  exitCode: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
  timedOut: boolean;
}

async function hostGit(
  args: string[],
  home: string,
  timeoutMs: number,
  signal?: AbortSignal,
  extraEnv: Record<string, string> = {},
  raw?: { argv: string[]; cwd: string; stdin?: Uint8Array },
): Promise<GitOutcome> {
  const stdout = new ByteCollector(MAX_HELPER_OUTPUT_BYTES);
  const stderr = new ByteCollector(64 * 1024);
  const outcome = await runProcess({
    // `raw`: an argv run as it is (it carries the git prefix itself), in the clone's directory.
    file: raw ? (raw.argv[0] ?? "git") : "git",
    args: raw ? raw.argv.slice(1) : [...HOST_GIT_CONFIG, ...args],
    env: gitEnv(home, extraEnv),
    ...(raw ? { cwd: raw.cwd, stdin: raw.stdin } : {}),
    timeoutMs,
    signal,
    onStdout: (chunk) => stdout.push(chunk),
    onStderr: (chunk) => stderr.push(chunk),
  });
  if (outcome.aborted) throw new ServiceError(404, "sandbox not found", "terminated during the clone");
  if (stdout.overflowed)
    throw new ServiceError(413, "git output too large", `more than ${MAX_HELPER_OUTPUT_BYTES} bytes`);
  return {
    exitCode: outcome.exitCode,
    stdoutBytes: stdout.bytes(),
    stdout: stdout.bytes().toString("utf8").trim(),
    stderr: stderr.bytes().toString("utf8").trim(),
    timedOut: outcome.timedOut,
  };
}

export interface CloneOptions {
  url: string;
  ref?: string;
  /** Every blob, not a partial clone. */
  full?: boolean;
  /** Files read from the cloned commit into the result (context-files.ts). */
  contextPaths?: string[];
  /** What `origin` points at afterwards (credentials removed); `url` when absent. */
  remoteUrl?: string;
  /** The clone ticket's header, for the `git clone` process alone. */
  auth?: CloneAuth;
  /** New directory to clone into (must not exist). */
  dest: string;
  /** An empty directory used as HOME, so no user config applies. */
  home: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Git on the host in the fresh clone `dir`, for the service's reads right after the clone: before
 * the clone is moved where any sandbox command can reach it, so nothing in it was written by one.
 */
function hostGitIn(dir: string, home: string, timeoutMs: number, signal?: AbortSignal): GitRunner {
  return async (argv, stdin) => {
    const run = await hostGit([], home, timeoutMs, signal, {}, { argv, cwd: dir, stdin });
    if (run.exitCode !== 0) throw new ServiceError(500, "reading the clone failed", run.stderr.slice(-2000));
    return run.stdoutBytes;
  };
}

/**
 * The branch the fresh clone checked out, `HEAD` when detached: read from `.git/HEAD`, which host
 * git just wrote (no sandbox has seen it), rather than by one more git run; asked of git only when
 * that file does not name a branch the files way (a reftable repository's stub, say).
 */
async function branchOf(dest: string, git: GitRunner): Promise<string> {
  const head = (await readFile(join(dest, ".git", "HEAD"), "utf8")).trim();
  if (/^[0-9a-f]{40,64}$/.test(head)) return "HEAD";
  const branch = /^ref: refs\/heads\/(.+)$/.exec(head)?.[1];
  if (branch && branch !== ".invalid") return branch;
  const asked = await git(["git", ...HOST_GIT_CONFIG, "rev-parse", "--abbrev-ref", "HEAD"]);
  return asked.toString("utf8").trim() || "HEAD";
}

/**
 * `git clone [--filter=blob:none] --single-branch [--branch ref]`, then the HEAD it checked out,
 * its tree and the context files asked for.
 */
export async function cloneRepository(options: CloneOptions): Promise<CloneResult> {
  const problem = cloneUrlProblem(options.url);
  if (problem) throw new ServiceError(400, "invalid request", `url: ${problem}`);
  const { url, ref, dest, home, timeoutMs, signal, auth } = options;
  const safeUrl = redactUrl(url);
  const branch = ref === undefined ? [] : ["--branch", ref];
  // No template (git's sample hooks, `description`, `info/exclude`) and no reflog of the clone
  // itself: files nobody reads, yet creating them was a quarter of a small clone's CPU (perf: ext4
  // inode allocation). Later git in the sandbox keeps reflogs as usual (the option is this run's).
  const flags = ["--template=", ...(options.full ? [] : ["--filter=blob:none"]), "--single-branch"];
  const clone = await hostGit(
    ["-c", "core.logAllRefUpdates=false", "clone", ...flags, ...branch, "--", url, dest],
    home,
    timeoutMs,
    signal,
    extraHeaderEnv(auth),
  );
  if (clone.timedOut)
    throw new ServiceError(504, "clone timed out", `${safeUrl} after ${timeoutMs} ms`, true);
  if (clone.exitCode !== 0) throw cloneFailure(clone.stderr, url, auth);
  // The origin's URL is set while the clone is read: neither needs the other (a config write is atomic).
  const origin = redactUrl(options.remoteUrl ?? url);
  const git = hostGitIn(dest, home, timeoutMs, signal);
  const [read, setUrl] = await Promise.allSettled([
    readCloneHead(git, ["git", ...HOST_GIT_CONFIG], options.contextPaths ?? []),
    origin === url
      ? undefined
      : hostGit(["-C", dest, "remote", "set-url", "origin", origin], home, timeoutMs),
  ]);
  if (read.status === "rejected") throw read.reason;
  if (setUrl.status === "rejected") throw setUrl.reason;
  if (setUrl.value && setUrl.value.exitCode !== 0)
    throw new ServiceError(500, "setting the origin failed", setUrl.value.stderr.slice(-2000));
  const { headSha, treeSha, files } = read.value;
  const branchName = await branchOf(dest, git);
  return {
    headSha,
    ref: branchName !== "HEAD" ? branchName : (ref ?? "HEAD"),
    treeSha,
    ...(options.contextPaths ? { files } : {}),
  };
}
