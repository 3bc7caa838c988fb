// Runs the real git binary for the GitHub stand-in, isolated from the host's configuration, so
// what the stand-in stores is exactly what GitHub would: the same object ids, modes and trees.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import type { GitSpawner } from "./git-spawner";

/** A git command that exited non-zero; `stderr` says why. */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(" ")} failed (${exitCode}): ${stderr.trim()}`);
  }
}

export interface GitRun {
  /** Bytes for stdin. */
  input?: string | Buffer;
  env?: Record<string, string>;
  cwd?: string;
}

/** Environment shared by every git the stand-in runs: no system or user config, no prompts. */
export function gitEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    LANG: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    ...extra,
  };
}

/**
 * Runs `git --git-dir=<gitDir> …args` and resolves to its stdout; rejects with GitError. With a
 * `spawner`, its small helper process starts git rather than this one.
 */
export async function runGit(
  gitDir: string,
  args: readonly string[],
  run: GitRun & { home: string; spawner?: GitSpawner },
): Promise<Buffer> {
  const full = [`--git-dir=${gitDir}`, ...args];
  if (run.spawner) {
    const input = Buffer.isBuffer(run.input) ? run.input : Buffer.from(run.input ?? "", "utf8");
    const done = await run.spawner.run(full, run.cwd ?? gitDir, gitEnv(run.home, run.env), input);
    if (done.code === 0) return done.stdout;
    throw new GitError(args, done.code, done.stderr.toString("utf8"));
  }
  return new Promise((resolve, reject) => {
    const child = spawn("git", full, {
      cwd: run.cwd ?? gitDir,
      env: gitEnv(run.home, run.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new GitError(args, code, Buffer.concat(err).toString("utf8")));
    });
    // git may exit before reading all of stdin (e.g. a bad object id); that is reported by the exit code.
    child.stdin.on("error", () => undefined);
    child.stdin.end(run.input ?? "");
  });
}

/** A long-lived `git --git-dir=<gitDir> …args` with piped stdio, for a stand-in to talk to. */
export function spawnGit(
  gitDir: string,
  home: string,
  args: readonly string[],
): ChildProcessWithoutNullStreams {
  return spawn("git", [`--git-dir=${gitDir}`, ...args], {
    cwd: gitDir,
    env: gitEnv(home),
    stdio: ["pipe", "pipe", "pipe"],
  });
}
