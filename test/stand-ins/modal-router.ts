// The task command router calls the stand-in answers (modal.task_command_router.TaskCommandRouter):
// exec start, stdio read by offset (streaming), stdin (unary and client-streaming), poll, wait, and
// runtime network policy, filesystem snapshots (modal-images.ts). The router's JWT is checked on every call.
import { type CallContext, ServerError, Status } from "nice-grpc";
import type { Handler, ModalStandIn, StandInSandbox } from "./modal";
import { type SnapshotRequest, snapshotFilesystem } from "./modal-images";
import type { TaskExec } from "./modal-task";

interface ExecRef {
  taskId: string;
  execId: string;
}

function bytesFrom(chunks: Buffer[], offset: number): Buffer {
  const all = Buffer.concat(chunks);
  return all.subarray(Math.min(offset, all.length));
}

/** The handlers by SDK method key (camelCase). */
export function routerHandlers(state: ModalStandIn, jwt: string, root: string): Record<string, Handler> {
  const auth = (context: CallContext): void => {
    if (context.metadata.get("authorization") !== `Bearer ${jwt}`)
      throw new ServerError(Status.UNAUTHENTICATED, "invalid router token");
  };
  const task = (taskId: string): StandInSandbox => {
    const found = [...state.sandboxes.values()].find((s) => s.taskId === taskId);
    if (!found) throw new ServerError(Status.NOT_FOUND, `task ${taskId} not found`);
    return found;
  };
  const exec = (r: ExecRef): TaskExec => {
    const found = task(r.taskId).task.execs.get(r.execId);
    if (!found) throw new ServerError(Status.NOT_FOUND, `exec ${r.execId} not found`);
    return found;
  };
  const status = async (e: TaskExec) => {
    const exit = await e.exit;
    return exit.signal !== undefined ? { signal: exit.signal } : { code: exit.code };
  };
  const handlers: Record<string, Handler> = {
    taskExecStart: ((
      r: ExecRef & {
        commandArgs: string[];
        workdir?: string;
        timeoutSecs?: number;
        secretSources?: { env?: { contents?: Record<string, string> }; secretId?: string }[];
      },
      c: CallContext,
    ) => {
      auth(c);
      const sandbox = task(r.taskId);
      if (sandbox.task.terminated)
        throw new ServerError(Status.FAILED_PRECONDITION, "the sandbox has terminated");
      // `exec({ env })` arrives inline as a secret source; stored Modal Secrets are not supported.
      const env: Record<string, string> = {};
      for (const source of r.secretSources ?? []) {
        if (source.secretId)
          throw new ServerError(Status.UNIMPLEMENTED, "stored secrets are not in the stand-in");
        Object.assign(env, source.env?.contents ?? {});
      }
      sandbox.task.start(r.execId, r.commandArgs, r.workdir ?? "/", r.timeoutSecs ?? 0, env);
      return {};
    }) as Handler,
    taskExecStdioRead: async function* (
      r: ExecRef & { offset: number; fileDescriptor: number },
      c: CallContext,
    ) {
      auth(c);
      const e = exec(r);
      const chunks = r.fileDescriptor === 1 ? e.stderr : e.stdout;
      let offset = r.offset;
      for (;;) {
        const done = e.done;
        const fresh = bytesFrom(chunks, offset);
        if (fresh.length > 0) {
          offset += fresh.length;
          yield { data: fresh };
          continue;
        }
        if (done) return;
        await new Promise<void>((resolve) => {
          const wake = (): void => resolve();
          e.changed.addEventListener("change", wake, { once: true });
          c.signal.addEventListener("abort", wake, { once: true });
        });
        if (c.signal.aborted) return;
      }
    } as unknown as Handler,
    taskExecStdinWrite: ((r: ExecRef & { data: Uint8Array; eof: boolean }, c: CallContext) => {
      auth(c);
      exec(r).writeStdin(r.data, r.eof);
      return {};
    }) as Handler,
    taskExecStdinWriteStream: (async (
      requests: AsyncIterable<{ start?: ExecRef; data?: Uint8Array; end?: object }>,
      c: CallContext,
    ) => {
      auth(c);
      let target: TaskExec | undefined;
      for await (const request of requests) {
        if (request.start) target = exec(request.start);
        else if (request.data) target?.writeStdin(request.data, false);
        else if (request.end) target?.writeStdin(new Uint8Array(0), true);
      }
      return {};
    }) as Handler,
    taskExecStdinStatus: ((r: ExecRef, c: CallContext) => {
      auth(c);
      const e = exec(r);
      return { numBytesWritten: e.stdinWritten, closed: e.done };
    }) as Handler,
    taskExecPoll: (async (r: ExecRef, c: CallContext) => {
      auth(c);
      const e = exec(r);
      return e.done ? status(e) : {};
    }) as Handler,
    taskExecWait: (async (r: ExecRef, c: CallContext) => {
      auth(c);
      return status(exec(r));
    }) as Handler,
    taskSetNetworkAccess: ((
      r: { taskId: string; networkAccess?: Record<string, unknown> },
      c: CallContext,
    ) => {
      auth(c);
      task(r.taskId).network = r.networkAccess ?? {};
      return {};
    }) as Handler,
    taskSnapshotFilesystem: (async (r: SnapshotRequest, c: CallContext) => {
      auth(c);
      return snapshotFilesystem(state, root, task(r.taskId), r);
    }) as Handler,
  };
  return handlers;
}
