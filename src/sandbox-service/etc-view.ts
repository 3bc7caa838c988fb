/**
 * The host's /etc as a jail shows it, in one read-only bind: a private copy of the allow-listed
 * files (users, time zone, loader and resolver configuration), with the allow-listed directories
 * (TLS roots, alternatives, loader snippets) bound live on top of it. bubblewrap re-reads its
 * mount table for every bind it makes, so one bind per file cost each command a few ms.
 *
 * The copy follows the host: at most every `refreshMs` a jail's start looks at the sources (one
 * stat each, off the request's path) and a change makes a fresh copy for the jails after it. A
 * copy is never changed or removed while the service runs (a running jail may have it bound);
 * copies go with the process, and those of a process that died are removed by the next one.
 */
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
} from "node:fs";
import { stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PREFIX = "sandbox-etc-";

export interface EtcView {
  /** The host directory to bind read-only at /etc. */
  dir: string;
  /** Allow-listed entries that are directories on the host, to bind live at /etc/<name>. */
  liveDirs: string[];
}

interface Snapshot extends EtcView {
  signature: string;
}

export class EtcViews {
  private current: Snapshot | undefined;
  private checkedAt = 0;
  private checking: Promise<void> | undefined;
  private readonly made: string[] = [];

  constructor(
    private readonly entries: readonly string[],
    private readonly source = "/etc",
    private readonly refreshMs = 2_000,
  ) {}

  /** The view to bind now; a look for changes on the host starts when one is due. */
  view(): EtcView {
    if (!this.current) {
      pruneDeadCopies();
      this.current = this.snapshot(signatureSync(this.paths()));
      this.checkedAt = Date.now();
    } else if (!this.checking && Date.now() - this.checkedAt > this.refreshMs) {
      this.refresh().catch(() => {
        // No room for a new copy (a full disk, say): jails keep the last one; the next look tries again.
      });
    }
    return this.current;
  }

  /** Compares the sources with the current copy's and makes a new copy when they differ. */
  refresh(): Promise<void> {
    this.checking ??= (async () => {
      const stats = await Promise.all(this.paths().map((p) => stat(p).then(sign, () => "-")));
      const signature = stats.join("|");
      if (signature !== this.current?.signature) this.current = this.snapshot(signature);
    })().finally(() => {
      this.checking = undefined;
      this.checkedAt = Date.now();
    });
    return this.checking;
  }

  /** Removes every copy this process made (at exit: no jail of ours is left running). */
  removeAll(): void {
    for (const dir of this.made.splice(0)) rmSync(dir, { recursive: true, force: true });
    this.current = undefined;
  }

  private paths(): string[] {
    return this.entries.map((entry) => join(this.source, entry));
  }

  /** Copies the regular files (links followed, as a bind would) and makes mount points for the directories. */
  private snapshot(signature: string): Snapshot {
    const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
    this.made.push(dir);
    const liveDirs: string[] = [];
    for (const entry of this.entries) {
      const from = join(this.source, entry);
      const to = join(dir, entry);
      try {
        const found = statSync(from);
        if (found.isDirectory()) {
          mkdirSync(to);
          liveDirs.push(entry);
        } else {
          copyFileSync(from, to);
          utimesSync(to, found.atime, found.mtime);
        }
      } catch {
        // Missing, or unreadable to the service: absent in the jail, as `--ro-bind-try` skips a missing source.
      }
    }
    // mkdtemp makes 0700; /etc is world-readable, and so is its copy.
    chmodSync(dir, 0o755);
    return { dir, liveDirs, signature };
  }
}

/** What a copy was made from: inode, size, mtime and kind of each source, following links. */
function sign(s: { ino: number; size: number; mtimeMs: number; isDirectory(): boolean }): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.isDirectory() ? "d" : "f"}`;
}

function signatureSync(paths: string[]): string {
  return paths
    .map((path) => {
      try {
        return sign(statSync(path));
      } catch {
        // Missing or unreadable: so is the copy's entry.
        return "-";
      }
    })
    .join("|");
}

/** Removes the copies of service processes that are gone (killed before their exit handler ran). */
function pruneDeadCopies(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    // No readable temp directory: nothing to prune; making the copy reports the real problem.
    return;
  }
  for (const name of names) {
    const pid = Number(new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's process.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
