// Ref updates through one long-lived `git update-ref --stdin -z` per repository: each update is
// its own transaction (`start`, the command, `commit`), so git takes the same locks and makes the
// same checks (old value, object exists, a commit for a branch, no directory/file clash) as one
// `git update-ref` run would. A refused transaction ends the process (git dies on it); the next
// update starts another. Transactions run one at a time, in the order asked.
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { holdChild } from "./child-hold";
import { GitError, spawnGit } from "./git-cli";

export class RefUpdater {
  private child: ChildProcessWithoutNullStreams | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly gitDir: string,
    private readonly home: string,
  ) {}

  /**
   * Points `ref` at `sha`: `expectOld` "" means it must not exist yet, a sha that it must still
   * point there, undefined no check. False when git refuses.
   */
  update(ref: string, sha: string, expectOld?: string): Promise<boolean> {
    return expectOld === ""
      ? this.transact("create", [ref, sha])
      : this.transact("update", [ref, sha, expectOld ?? ""]);
  }

  /** Removes `ref`; rejects when git refuses. */
  async delete(ref: string): Promise<void> {
    if (!(await this.transact("delete", [ref, ""])))
      throw new GitError(["update-ref", "-d", ref], 128, `update-ref refused to delete ${ref}`);
  }

  /** Ends the process once the transactions asked for are done; later ones are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => undefined);
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("close", resolve));
    holdChild(child, true);
    child.stdin.end();
    await exited;
  }

  private transact(verb: string, args: string[]): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error(`update-ref of ${this.gitDir} is closed`));
    // -z ends each argument with NUL, so none may hold one (no ref name git takes does).
    if (args.some((a) => a.includes("\0"))) return Promise.resolve(false);
    const command = `${verb} ${args.map((a) => `${a}\0`).join("")}`;
    const run = this.queue.then(() => this.once(command));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** One transaction: true on `commit: ok`, false when git ends the process instead. */
  private once(command: string): Promise<boolean> {
    const child = this.child ?? this.start();
    holdChild(child, true);
    return new Promise((resolve) => {
      let out = "";
      const done = (ok: boolean) => {
        child.stdout.off("data", onData);
        child.off("close", onClose);
        child.off("error", onClose);
        if (this.child === child) holdChild(child, false);
        resolve(ok);
      };
      const onData = (chunk: Buffer) => {
        out += chunk.toString("utf8");
        if (out === "start: ok\ncommit: ok\n") done(true);
      };
      const onClose = () => done(false);
      child.stdout.on("data", onData);
      child.once("close", onClose);
      child.once("error", onClose);
      child.stdin.write(`start\0${command}commit\0`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = spawnGit(this.gitDir, this.home, ["update-ref", "--stdin", "-z"]);
    this.child = child;
    // Why git refused is its own business here: the caller answers the way GitHub does.
    child.stderr.resume();
    child.stdin.on("error", () => undefined);
    child.on("error", () => undefined);
    child.once("close", () => {
      if (this.child === child) this.child = undefined;
    });
    return child;
  }
}
