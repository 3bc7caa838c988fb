/**
 * The bubblewrap jail every command in a local sandbox runs in: no network (all namespaces
 * unshared; in a sandbox's setup phase the host's network is shared, and the host's resolver
 * configuration bound, so package managers reach their registries), no capabilities, a read-only /usr and a short list of /etc entries, the workspace
 * read-write at /workspace, and /tmp and HOME (/root) either the sandbox's own persistent
 * directories or, for the service's helpers, empty throwaway ones. Nothing of the service's
 * environment gets in.
 */
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { ExecResult } from "../protocol/sandbox";
import type { ExecSpec } from "./backends/types";
import { locateBwrap } from "./bwrap-path";
import { EtcViews } from "./etc-view";
import { HeadTailCapture } from "./output-cap";
import { type ProcessOutcome, runProcess } from "./process-run";

/** Where the repo root appears inside the sandbox. */
export const SANDBOX_WORKDIR = "/workspace";
/** HOME inside the sandbox: root's home, as in the containers agents usually work in (and on Modal). */
export const SANDBOX_HOME = "/root";
/** Read-only directory of `python` / `pip` links, made only for names the host's /usr lacks. */
export const SHIM_DIR = "/opt/sandbox-shims";

const SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

const SANDBOX_ENV: Record<string, string> = {
  // `pip install --user` puts its scripts in ~/.local/bin, which persists with HOME.
  PATH: [...SYSTEM_PATH, SHIM_DIR, `${SANDBOX_HOME}/.local/bin`].join(":"),
  HOME: SANDBOX_HOME,
  LANG: "C.UTF-8",
  TERM: "dumb",
  CI: "true",
  // Debian marks its Python "externally managed"; /usr is read-only here anyway, so a plain
  // `pip install` falls back to a user install in HOME instead of refusing outright.
  PIP_BREAK_SYSTEM_PACKAGES: "1",
};

/** The names agents type and what provides them on Debian when the alias package is absent. */
const ALIASES: [alias: string, target: string][] = [
  ["python", "python3"],
  ["pip", "pip3"],
];

/** Links `SHIM_DIR/alias` → the first `target` in `dirs`, for each alias none of `dirs` has. */
export function toolShims(
  dirs: string[],
  exists: (path: string) => boolean = existsSync,
): { link: string; target: string }[] {
  const shims: { link: string; target: string }[] = [];
  for (const [alias, target] of ALIASES) {
    if (dirs.some((dir) => exists(join(dir, alias)))) continue;
    const found = dirs.map((dir) => join(dir, target)).find((path) => exists(path));
    if (found) shims.push({ link: `${SHIM_DIR}/${alias}`, target: found });
  }
  return shims;
}

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

let usrBinds: string[] | undefined;

/** Binds of the host's /usr, the merged-usr links and the python/pip shims, computed once. */
function usrArgs(): string[] {
  if (usrBinds) return usrBinds;
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const name of ROOT_LINKS) {
    const host = `/${name}`;
    if (!existsSync(host)) continue;
    if (lstatSync(host).isSymbolicLink()) args.push("--symlink", readlinkSync(host), host);
    else args.push("--ro-bind", host, host);
  }
  // The host's /usr is the sandbox's, so what exists on the host is what the sandbox would find.
  args.push("--dir", SHIM_DIR);
  for (const { link, target } of toolShims(SYSTEM_PATH)) args.push("--symlink", target, link);
  usrBinds = args;
  return args;
}

let hostEtc: EtcViews | undefined;

/**
 * The /etc allow-list. Without network: one bind of its copy (etc-view.ts) and its directories
 * live. With network (the setup phase) each entry is bound live, as is the host's resolver
 * configuration, which has no mount point in the copy.
 */
function etcArgs(network: boolean): string[] {
  if (network) {
    const args = ETC_ENTRIES.flatMap((entry) => ["--ro-bind-try", `/etc/${entry}`, `/etc/${entry}`]);
    // A symlink into /run (systemd-resolved) is followed on the host side by bwrap.
    return [...args, "--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf"];
  }
  if (!hostEtc) {
    const views = new EtcViews(ETC_ENTRIES);
    process.once("exit", () => views.removeAll());
    hostEtc = views;
  }
  const view = hostEtc.view();
  const live = view.liveDirs.flatMap((entry) => ["--ro-bind-try", `/etc/${entry}`, `/etc/${entry}`]);
  return ["--ro-bind", view.dir, "/etc", ...live];
}

/**
 * A sandbox's own host directories for /tmp and HOME (an absent one is an empty tmpfs per
 * command), and how one command runs there.
 */
export interface SandboxDirs {
  tmpDir?: string;
  homeDir?: string;
  /** The host's network (the setup phase); none by default. */
  network?: boolean;
  /** Set after the sandbox's own variables (which the caller keeps PATH and HOME out of). */
  env?: Record<string, string>;
  /** The working directory relative to /workspace; the caller checked it names a directory there. */
  cwd?: string;
}

function mountAt(hostDir: string | undefined, target: string): string[] {
  return hostDir ? ["--bind", hostDir, target] : ["--tmpfs", target];
}

/** The bwrap arguments (without the bwrap binary) that run `argv` jailed with `workspace` at /workspace. */
export function bwrapArgs(workspace: string, argv: string[], dirs: SandboxDirs = {}): string[] {
  // The request's variables may change LANG or CI, never where tools and HOME are.
  const vars = { ...SANDBOX_ENV, ...dirs.env, PATH: SANDBOX_ENV.PATH, HOME: SANDBOX_ENV.HOME };
  const env = Object.entries(vars).flatMap(([key, value]) => ["--setenv", key, value ?? ""]);
  const workdir = dirs.cwd ? `${SANDBOX_WORKDIR}/${dirs.cwd}` : SANDBOX_WORKDIR;
  return [
    "--unshare-all",
    // After --unshare-all, so of all namespaces only the network is the host's.
    ...(dirs.network ? ["--share-net"] : []),
    "--die-with-parent",
    "--new-session",
    "--clearenv",
    ...env,
    ...usrArgs(),
    ...etcArgs(dirs.network === true),
    ...["--proc", "/proc", "--dev", "/dev"],
    ...mountAt(dirs.tmpDir, "/tmp"),
    ...mountAt(dirs.homeDir, SANDBOX_HOME),
    ...["--bind", workspace, SANDBOX_WORKDIR, "--chdir", workdir],
    // Everything outside /workspace, /tmp, HOME and /dev is read-only, the root directory included.
    ...["--remount-ro", "/", "--hostname", "sandbox", "--cap-drop", "ALL"],
    "--",
    ...argv,
  ];
}

export interface IsolatedRun extends SandboxDirs {
  /** Host directory bound read-write at /workspace. */
  workspace: string;
  argv: string[];
  stdin?: Uint8Array;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Receives stdout; also stderr when `onStderr` is absent. */
  onStdout(chunk: Buffer): void;
  onStderr?(chunk: Buffer): void;
  /** Path of the bwrap binary; `locateBwrap()` (BWRAP_PATH, then PATH) by default. */
  bwrapPath?: string;
}

/** Runs one command in the jail; a timeout or abort kills the jail and everything in it. */
export function runIsolated(run: IsolatedRun): Promise<ProcessOutcome> {
  return runProcess({
    file: run.bwrapPath ?? locateBwrap(),
    args: bwrapArgs(run.workspace, run.argv, run),
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
  options: Omit<SandboxDirs, "env" | "cwd"> & { signal?: AbortSignal; bwrapPath?: string } = {},
): Promise<ExecResult & { aborted: boolean }> {
  const capture = new HeadTailCapture(spec.maxOutputBytes);
  const outcome = await runIsolated({
    workspace,
    argv: ["/bin/sh", "-c", 'exec "$@" 2>&1', "sh", ...spec.argv],
    stdin: spec.stdin,
    timeoutMs: spec.timeoutMs,
    signal: options.signal,
    bwrapPath: options.bwrapPath,
    tmpDir: options.tmpDir,
    homeDir: options.homeDir,
    network: options.network,
    ...(spec.env ? { env: spec.env } : {}),
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
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
