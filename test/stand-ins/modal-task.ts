// One stand-in Modal sandbox: a directory per sandbox whose `workspace/`, `tmp/` and `home/` appear
// at /workspace, /tmp and /root inside a bubblewrap jail (host /usr and /etc read-only, network
// shared so a clone reaches loopback servers) — like a container's filesystem, they outlive each
// exec and go with the sandbox. Execs get the image's ENV and are real processes; their output is
// buffered by offset.
import { spawn } from "node:child_process";
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";

/** The path modal's filesystem API execs; the stand-in implements its ReadFile and WriteFile. */
export const FS_TOOLS_PATH = "/__modal/.bin/modal-sandbox-fs-tools";

const FS_WRITE = `p=$1
err() { printf '{"error_kind":"%s","message":"%s"}' "$1" "$2" >&2; exit 1; }
[ -d "$p" ] && err IsDirectory "Is a directory"
mkdir -p -- "$(dirname -- "$p")" 2>/dev/null || err NotDirectory "Not a directory"
cat > "$p" || err PermissionDenied "Permission denied"`;
const FS_READ = `p=$1
err() { printf '{"error_kind":"%s","message":"%s"}' "$1" "$2" >&2; exit 1; }
[ -d "$p" ] && err IsDirectory "Is a directory"
[ -e "$p" ] || err NotFound "No such file or directory"
exec cat -- "$p"`;

export interface TaskExec {
  stdout: Buffer[];
  stderr: Buffer[];
  /** Resolves with `{ code }` or `{ signal }` once the process has exited and its output is read. */
  exit: Promise<{ code?: number; signal?: number }>;
  done: boolean;
  /** Wakes readers waiting for more output. */
  changed: EventTarget;
  writeStdin(data: Uint8Array, eof: boolean): void;
  stdinWritten: number;
  kill(): void;
}

function systemBinds(): string[] {
  const args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"];
  for (const name of ["bin", "sbin", "lib", "lib32", "lib64"]) {
    const host = `/${name}`;
    if (!existsSync(host)) continue;
    if (lstatSync(host).isSymbolicLink()) args.push("--symlink", readlinkSync(host), host);
    else args.push("--ro-bind", host, host);
  }
  return args;
}

const SIGNALS: Record<string, number> = {
  SIGKILL: 9,
  SIGTERM: 15,
  SIGINT: 2,
  SIGHUP: 1,
  SIGABRT: 6,
  SIGSEGV: 11,
};

export class StandInTask {
  readonly execs = new Map<string, TaskExec>();
  terminated = false;

  constructor(
    readonly dir: string,
    /** Host paths made visible read-only at the same place (e.g. bare repos for file:// clones). */
    private readonly exposed: string[],
    /** The image's `ENV` settings, over the defaults, as a container of that image gets them. */
    private readonly imageEnv: Record<string, string> = {},
  ) {}

  static async create(
    dir: string,
    exposed: string[],
    imageEnv: Record<string, string> = {},
  ): Promise<StandInTask> {
    for (const sub of ["workspace", "tmp", "home"]) await mkdir(join(dir, sub), { recursive: true });
    return new StandInTask(dir, exposed, imageEnv);
  }

  /** Starts `argv` in `workdir`; the fs-tools path is answered by a shell script doing the same. */
  start(
    execId: string,
    argv: string[],
    workdir: string,
    timeoutSecs: number,
    env: Record<string, string> = {},
  ): TaskExec {
    let command = argv;
    if (argv[0] === FS_TOOLS_PATH) {
      const request = JSON.parse(argv[1] ?? "{}") as Record<string, { path: string }>;
      if (request.WriteFile) command = ["sh", "-c", FS_WRITE, "sh", request.WriteFile.path];
      else if (request.ReadFile) command = ["sh", "-c", FS_READ, "sh", request.ReadFile.path];
      else
        command = [
          "sh",
          "-c",
          `echo '{"error_kind":"Unsupported","message":"not in the stand-in"}' >&2; exit 1`,
        ];
    }
    const expose = this.exposed.flatMap((p) => ["--ro-bind", p, p]);
    // The image's ENV, then the exec's own `env` (as Modal layers them).
    const merged = {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      HOME: "/root",
      LANG: "C.UTF-8",
      ...this.imageEnv,
      ...env,
    };
    const args = [
      ...["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session"],
      "--clearenv",
      ...Object.entries(merged).flatMap(([key, value]) => ["--setenv", key, value]),
      ...systemBinds(),
      ...["--proc", "/proc", "--dev", "/dev"],
      ...["--bind", join(this.dir, "workspace"), "/workspace", "--bind", join(this.dir, "tmp"), "/tmp"],
      ...["--bind", join(this.dir, "home"), "/root"],
      ...expose,
      ...["--chdir", workdir || "/", "--", ...command],
    ];
    const child = spawn("/usr/bin/bwrap", args, { stdio: ["pipe", "pipe", "pipe"], detached: true, env: {} });
    const changed = new EventTarget();
    const exec: TaskExec = {
      stdout: [],
      stderr: [],
      done: false,
      changed,
      stdinWritten: 0,
      exit: Promise.resolve({}),
      writeStdin: (data, eof) => {
        exec.stdinWritten += data.length;
        if (data.length > 0) child.stdin.write(data);
        if (eof) child.stdin.end();
      },
      kill: () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // Already exited: nothing to kill.
        }
      },
    };
    child.stdin.on("error", () => {
      // EPIPE: the command exited without reading its stdin, as real processes may.
    });
    child.stdout.on("data", (chunk: Buffer) => {
      exec.stdout.push(chunk);
      changed.dispatchEvent(new Event("change"));
    });
    child.stderr.on("data", (chunk: Buffer) => {
      exec.stderr.push(chunk);
      changed.dispatchEvent(new Event("change"));
    });
    const timer = timeoutSecs > 0 ? setTimeout(() => exec.kill(), timeoutSecs * 1000) : undefined;
    exec.exit = new Promise((resolve) => {
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        exec.done = true;
        changed.dispatchEvent(new Event("change"));
        resolve(signal ? { signal: SIGNALS[signal] ?? 9 } : { code: code ?? 0 });
      });
      child.on("error", () => {
        exec.done = true;
        resolve({ code: 127 });
      });
    });
    this.execs.set(execId, exec);
    return exec;
  }

  async terminate(): Promise<void> {
    this.terminated = true;
    for (const exec of this.execs.values()) exec.kill();
    await Promise.all([...this.execs.values()].map((e) => e.exit));
    await rm(this.dir, { recursive: true, force: true });
  }
}
