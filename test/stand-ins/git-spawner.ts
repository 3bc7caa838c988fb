// Git runs for the GitHub stand-in, started by a small helper process (git-spawner-child.ts)
// instead of by the test process itself: Node forks to spawn, and forking a process of hundreds of
// MB blocks its event loop for tens of milliseconds per run (measured 10-40 ms in the e2e harness),
// stalling every stand-in and service sharing it. The git runs are the same commands, environment
// and input; only the process that forks them differs.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { endChild, holdChild } from "./child-hold";
import { ByteQueue } from "./git-cat-file";

export interface SpawnResult {
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

const CHILD = fileURLToPath(new URL("./git-spawner-child.ts", import.meta.url));

export class GitSpawner {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly waiting = new Map<number, { resolve(r: SpawnResult): void; reject(e: Error): void }>();
  private readonly out = new ByteQueue();
  private header: { id: number; code: number | null; out: number; err: number; error?: string } | undefined;
  private nextId = 1;
  private closed = false;

  /** Runs `git args` in `cwd` with exactly `env`, feeding it `input`. */
  run(
    args: readonly string[],
    cwd: string,
    env: Record<string, string>,
    input: Buffer,
  ): Promise<SpawnResult> {
    if (this.closed) return Promise.reject(new Error("git spawner is closed"));
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (this.waiting.size === 1) holdChild(child, true);
      child.stdin.write(`${JSON.stringify({ id, args, cwd, env, input: input.toString("base64") })}\n`);
    });
  }

  /** Ends the helper once the runs asked for are answered; later runs are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await endChild(this.child);
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = spawn(process.execPath, [CHILD], { stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    holdChild(child, false);
    child.stdout.on("data", (chunk: Buffer) => {
      this.out.push(chunk);
      this.drain();
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-2000);
    });
    child.stdin.on("error", () => undefined);
    const fail = () => {
      if (this.child !== child) return;
      this.child = undefined;
      this.out.clear();
      this.header = undefined;
      const error = new Error(`git spawner exited: ${stderr.trim()}`);
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    };
    child.on("error", fail);
    child.on("close", fail);
    return child;
  }

  private drain(): void {
    for (;;) {
      if (!this.header) {
        const newline = this.out.indexOf(0x0a);
        if (newline < 0) return;
        this.header = JSON.parse(this.out.take(newline + 1).toString("utf8"));
      }
      const head = this.header;
      if (!head || this.out.length < head.out + head.err) return;
      const stdout = this.out.take(head.out);
      const stderr = this.out.take(head.err);
      this.header = undefined;
      const waiter = this.waiting.get(head.id);
      this.waiting.delete(head.id);
      if (this.waiting.size === 0 && this.child) holdChild(this.child, false);
      if (head.error) waiter?.reject(new Error(head.error));
      else waiter?.resolve({ code: head.code, stdout, stderr });
    }
  }
}
