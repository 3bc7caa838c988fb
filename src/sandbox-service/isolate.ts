/**
 * The bubblewrap jail every command in a local sandbox runs in: no network (all namespaces
 * unshared), no capabilities, a read-only /usr and a short list of /etc entries, a private /tmp,
 * and the workspace read-write at /workspace. Nothing of the service's environment gets in.
 */
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import type { ExecResult } from "../protocol/sandbox";
import type { ExecSpec } from "./backends/types";
import { HeadTailCapture } from "./output-cap";
import { type ProcessOutcome, runProcess } from "./process-run";

/** Where the repo root appears inside the sandbox. */
export const SANDBOX_WORKDIR = "/workspace";

const SANDBOX_ENV: Record<string, string> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/tmp",
  LANG: "C.UTF-8",
  TERM: "dumb",
  CI: "true",
};

/** What of the host's /etc a build needs: users, TLS roots, time zone, loader and resolver files. */
const ETC_ENTRIES = [
  "passwd",
  "group",
  "alternatives",
  "ssl",
  "ca-certificates",
  "ca-certificates.conf",
  "localtime",
  "timezone",
  "gitconfig",
  "hosts",
  "host.conf",
  "nsswitch.conf",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "os-release",
  "debian_version",
  "protocols",
  "services",
  "mime.types",
];

/** Root-level entries that merged-/usr systems make symlinks into /usr (or that are real dirs). */
const ROOT_LINKS = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

let systemBinds: string[] | undefined;

/** Binds of the host system, computed once: /usr, the merged-usr links, and the /etc allow-list. */
function systemArgs(): string[] {
  if (systemBinds) return systemBinds;
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const name of ROOT_LINKS) {
    const host = `/${name}`;
    if (!existsSync(host)) continue;
    if (lstatSync(host).isSymbolicLink()) args.push("--symlink", readlinkSync(host), host);
    else args.push("--ro-bind", host, host);
  }
  for (const entry of ETC_ENTRIES) args.push("--ro-bind-try", `/etc/${entry}`, `/etc/${entry}`);
  systemBinds = args;
  return args;
}

/** The bwrap arguments (without the bwrap binary) that run `argv` jailed with `workspace` at /workspace. */
export function bwrapArgs(workspace: string, argv: string[]): string[] {
  const env = Object.entries(SANDBOX_ENV).flatMap(([key, value]) => ["--setenv", key, value]);
  return [
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
    "--clearenv",
    ...env,
    ...systemArgs(),
    ...["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"],
    ...["--bind", workspace, SANDBOX_WORKDIR, "--chdir", SANDBOX_WORKDIR],
    // Everything outside /workspace, /tmp and /dev is read-only, the root directory included.
    ...["--remount-ro", "/", "--hostname", "sandbox", "--cap-drop", "ALL"],
    "--",
    ...argv,
  ];
}

export interface IsolatedRun {
  /** Host directory bound read-write at /workspace. */
  workspace: string;
  argv: string[];
  stdin?: Uint8Array;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Receives stdout; also stderr when `onStderr` is absent. */
  onStdout(chunk: Buffer): void;
  onStderr?(chunk: Buffer): void;
  /** Path of the bwrap binary; `/usr/bin/bwrap` by default. */
  bwrapPath?: string;
}

/** Runs one command in the jail; a timeout or abort kills the jail and everything in it. */
export function runIsolated(run: IsolatedRun): Promise<ProcessOutcome> {
  return runProcess({
    file: run.bwrapPath ?? "/usr/bin/bwrap",
    args: bwrapArgs(run.workspace, run.argv),
    env: {},
    stdin: run.stdin,
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    onStdout: run.onStdout,
    onStderr: run.onStderr ?? run.onStdout,
  });
}

/**
 * Runs an agent command in the jail: stdout and stderr interleaved through one pipe (`2>&1`
 * inside, by a non-login `sh` that execs the command), output cut to head + tail.
 * Also the benchmark's baseline: `execIsolated(dir, { argv: ["true"], ... })`.
 */
export async function execIsolated(
  workspace: string,
  spec: ExecSpec,
  options: { signal?: AbortSignal; bwrapPath?: string } = {},
): Promise<ExecResult & { aborted: boolean }> {
  const capture = new HeadTailCapture(spec.maxOutputBytes);
  const outcome = await runIsolated({
    workspace,
    argv: ["/bin/sh", "-c", 'exec "$@" 2>&1', "sh", ...spec.argv],
    stdin: spec.stdin,
    timeoutMs: spec.timeoutMs,
    signal: options.signal,
    bwrapPath: options.bwrapPath,
    onStdout: (chunk) => capture.push(chunk),
  });
  const { text, truncated } = capture.result();
  return {
    exitCode: outcome.exitCode,
    output: text,
    truncated,
    timedOut: outcome.timedOut,
    durationMs: outcome.durationMs,
    aborted: outcome.aborted,
  };
}
