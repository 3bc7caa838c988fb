// One long-lived `git cat-file --batch-command -z` per bare repository: object reads and name
// resolution (`refs/heads/x^{commit}`, `main:src`) without spawning git for each. Commands are
// pipelined and answered in order. Each command looks the object up afresh (loose, then the packs,
// re-scanning for packs it has not seen), so objects and refs written by other git processes since
// it started — a push, update-ref — are found.
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { endChild, holdChild } from "./child-hold";
import { GitError, spawnGit } from "./git-cli";

export interface CatFileAnswer {
  sha: string;
  type: string;
  size: number;
  /** The object's bytes (`contents` only). */
  content?: Buffer;
}

interface Pending {
  command: string;
  /** What git answers when the name resolves to nothing (`<name> missing`) or to several objects. */
  notFound: Buffer[];
  contents: boolean;
  resolve(answer: CatFileAnswer | undefined): void;
  reject(error: Error): void;
}

export class CatFile {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending: Pending[] = [];
  private readonly out = new ByteQueue();
  private header: { sha: string; type: string; size: number } | undefined;
  private stderr = "";
  private closed = false;

  constructor(
    private readonly gitDir: string,
    private readonly home: string,
  ) {}

  /** The running process's id, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Id, type and size of the object `name` names, or undefined when there is none. */
  info(name: string): Promise<CatFileAnswer | undefined> {
    return this.request(name, false);
  }

  /** Like `info`, with the object's bytes. */
  contents(name: string): Promise<CatFileAnswer | undefined> {
    return this.request(name, true);
  }

  /** Ends the process; later requests are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await endChild(this.child);
  }

  private request(name: string, contents: boolean): Promise<CatFileAnswer | undefined> {
    if (this.closed) return Promise.reject(new Error(`cat-file of ${this.gitDir} is closed`));
    // -z frames commands with NUL, so no name holds one; git resolves no such name either.
    if (name.includes("\0")) return Promise.resolve(undefined);
    const child = this.child ?? this.start();
    const command = `${contents ? "contents" : "info"} ${name}`;
    return new Promise((resolve, reject) => {
      const notFound = ["missing", "ambiguous"].map((word) => Buffer.from(`${name} ${word}\n`));
      this.pending.push({ command, notFound, contents, resolve, reject });
      if (this.pending.length === 1) holdChild(child, true);
      child.stdin.write(`${command}\0`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = spawnGit(this.gitDir, this.home, ["cat-file", "--batch-command", "-z"]);
    this.child = child;
    holdChild(child, false);
    child.stdout.on("data", (chunk: Buffer) => {
      this.out.push(chunk);
      this.drain();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString("utf8")).slice(-2000);
    });
    // A write after git died is reported by the exit below.
    child.stdin.on("error", () => undefined);
    const fail = (code: number | null) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.out.clear();
      this.header = undefined;
      const error = new GitError(["cat-file", "--batch-command"], code, this.stderr);
      for (const p of this.pending.splice(0)) p.reject(error);
    };
    child.on("error", () => fail(null));
    child.on("close", (code) => fail(code));
    return child;
  }

  private drain(): void {
    for (;;) {
      const head = this.pending[0];
      if (!head) return;
      if (!this.header) {
        const verdicts = head.notFound.map((form) => this.out.startsWith(form));
        const matched = verdicts.indexOf("yes");
        if (matched >= 0) {
          this.out.take(head.notFound[matched]?.length ?? 0);
          this.settle(undefined);
          continue;
        }
        if (verdicts.includes("maybe")) return;
        const newline = this.out.indexOf(0x0a);
        if (newline < 0) return;
        const line = this.out
          .take(newline + 1)
          .toString("utf8")
          .trimEnd();
        const [sha = "", type = "", size = ""] = line.split(" ");
        if (!/^[0-9a-f]{40}$/.test(sha) || !/^\d+$/.test(size)) {
          this.child?.kill();
          head.reject(new Error(`cat-file answered ${JSON.stringify(line)} to ${head.command}`));
          return;
        }
        this.header = { sha, type, size: Number(size) };
        if (!head.contents) {
          this.settle(this.header);
          continue;
        }
      }
      // Contents are followed by a newline.
      if (this.out.length < this.header.size + 1) return;
      const content = this.out.take(this.header.size);
      this.out.take(1);
      this.settle({ ...this.header, content });
    }
  }

  private settle(answer: CatFileAnswer | undefined): void {
    this.header = undefined;
    this.pending.shift()?.resolve(answer);
    if (this.pending.length === 0 && this.child) holdChild(this.child, false);
  }
}

/** Received bytes as a list of chunks, so a large object is copied once, not once per chunk. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  clear(): void {
    this.chunks = [];
    this.length = 0;
  }

  indexOf(byte: number): number {
    let offset = 0;
    for (const chunk of this.chunks) {
      const at = chunk.indexOf(byte);
      if (at >= 0) return offset + at;
      offset += chunk.length;
    }
    return -1;
  }

  /** Whether the bytes begin with `prefix`: "maybe" while fewer bytes than it have arrived. */
  startsWith(prefix: Buffer): "yes" | "no" | "maybe" {
    const have = this.peek(Math.min(prefix.length, this.length));
    if (!have.equals(prefix.subarray(0, have.length))) return "no";
    return have.length === prefix.length ? "yes" : "maybe";
  }

  take(n: number): Buffer {
    const out = this.peek(n);
    let left = n;
    while (left > 0) {
      const first = this.chunks[0] as Buffer;
      if (first.length <= left) {
        this.chunks.shift();
        left -= first.length;
      } else {
        this.chunks[0] = first.subarray(left);
        left = 0;
      }
    }
    this.length -= n;
    return out;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    const parts: Buffer[] = [];
    let left = n;
    for (const chunk of this.chunks) {
      if (left <= 0) break;
      parts.push(chunk.subarray(0, left));
      left -= chunk.length;
    }
    return Buffer.concat(parts, n);
  }
}
