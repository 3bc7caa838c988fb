/**
 * The clone: the only step with network, so the only git that runs on the host. It runs with a
 * clean environment (no system or user config, no prompts, http(s)/file transports only) into a
 * directory no sandbox can see yet; credentials in the URL are removed from the clone's config.
 * A clone ticket (`CloneAuth`) reaches only the `git clone` process, as `http.extraHeader` in its
 * environment (`GIT_CONFIG_COUNT`), so it is in no argv, no file and not in the clone's config.
 */
import type { CloneResult } from "../protocol/sandbox";
import type { CloneAuth } from "./backends/types";
import { ServiceError } from "./errors";
import { ByteCollector } from "./output-cap";
import { runProcess } from "./process-run";

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
  stderr: string;
  timedOut: boolean;
}

async function hostGit(
  args: string[],
  home: string,
  timeoutMs: number,
  signal?: AbortSignal,
  extraEnv: Record<string, string> = {},
): Promise<GitOutcome> {
  const stdout = new ByteCollector(1024 * 1024);
  const stderr = new ByteCollector(64 * 1024);
  const outcome = await runProcess({
    file: "git",
    args: [
      "-c",
      "core.fsmonitor=false",
      "-c",
      "core.hooksPath=/dev/null",
      "-c",
      "credential.helper=",
      ...args,
    ],
    env: gitEnv(home, extraEnv),
    timeoutMs,
    signal,
    onStdout: (chunk) => stdout.push(chunk),
    onStderr: (chunk) => stderr.push(chunk),
  });
  if (outcome.aborted) throw new ServiceError(404, "sandbox not found", "terminated during the clone");
  return {
    exitCode: outcome.exitCode,
    stdout: stdout.bytes().toString("utf8").trim(),
    stderr: stderr.bytes().toString("utf8").trim(),
    timedOut: outcome.timedOut,
  };
}

export interface CloneOptions {
  url: string;
  ref?: string;
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

/** `git clone --filter=blob:none --single-branch [--branch ref]`, then the HEAD it checked out. */
export async function partialClone(options: CloneOptions): Promise<CloneResult> {
  const problem = cloneUrlProblem(options.url);
  if (problem) throw new ServiceError(400, "invalid request", `url: ${problem}`);
  const { url, ref, dest, home, timeoutMs, signal, auth } = options;
  const safeUrl = redactUrl(url);
  const branch = ref === undefined ? [] : ["--branch", ref];
  const clone = await hostGit(
    ["clone", "--filter=blob:none", "--single-branch", ...branch, "--", url, dest],
    home,
    timeoutMs,
    signal,
    extraHeaderEnv(auth),
  );
  if (clone.timedOut)
    throw new ServiceError(504, "clone timed out", `${safeUrl} after ${timeoutMs} ms`, true);
  if (clone.exitCode !== 0) throw cloneFailure(clone.stderr, url, auth);
  const head = await hostGit(["-C", dest, "rev-parse", "--verify", "HEAD^{commit}"], home, timeoutMs);
  if (head.exitCode !== 0) throw new ServiceError(422, "clone failed", "the repository has no commits");
  const symbolic = await hostGit(["-C", dest, "symbolic-ref", "--short", "-q", "HEAD"], home, timeoutMs);
  const origin = redactUrl(options.remoteUrl ?? url);
  if (origin !== url) await hostGit(["-C", dest, "remote", "set-url", "origin", origin], home, timeoutMs);
  return { headSha: head.stdout, ref: symbolic.exitCode === 0 ? symbolic.stdout : (ref ?? "HEAD") };
}
