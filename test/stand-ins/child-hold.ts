// The stand-ins' long-lived git processes (cat-file, update-ref, the spawner) must not keep a
// test process alive once nothing waits on them, yet must while a request is in flight.
import type { ChildProcessWithoutNullStreams } from "node:child_process";

interface Refable {
  ref(): void;
  unref(): void;
}

/** Refs `child` and its pipes while `busy`, unrefs them otherwise. */
export function holdChild(child: ChildProcessWithoutNullStreams, busy: boolean): void {
  // The pipes are sockets, which hold the loop too (their stream types do not say so).
  const handles = [child, child.stdin, child.stdout, child.stderr] as unknown as Refable[];
  for (const handle of handles) {
    if (busy) handle.ref();
    else handle.unref();
  }
}

/** Closes `child`'s stdin (the end of its input) and resolves once it exited; at once if it has. */
export async function endChild(child: ChildProcessWithoutNullStreams | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("close", resolve));
  holdChild(child, true);
  child.stdin.end();
  await exited;
}
