// A loopback Modal control plane and task command router (one gRPC server, plaintext HTTP/2) that
// the real `modal` SDK (pinned: 0.11.1) talks to through MODAL_SERVER_URL. Sandboxes are
// bubblewrap jails on this machine (modal-task.ts). The calls implemented are listed in README.md.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CallContext, createServer, ServerError, Status } from "nice-grpc";
import { type ModalDefinitions, modalDefinitions, type ServiceDefinition } from "./modal-codecs";
import { controlHandlers } from "./modal-control";
import type { SandboxImage, StandInSnapshot } from "./modal-images";
import { routerHandlers } from "./modal-router";
import type { StandInTask } from "./modal-task";

export { MODAL_SDK_VERSION } from "./modal-codecs";

export interface StandInSandbox {
  id: string;
  taskId: string;
  appId: string;
  name: string;
  tags: Record<string, string>;
  createdAt: number;
  /** What `SandboxCreateV2` asked for (timeouts, resources, network), as decoded. */
  definition: Record<string, unknown>;
  /** The image it was started from: its registry tag, or the sandbox a snapshot image copies. */
  image: SandboxImage;
  /** The last network policy set at runtime (`TaskSetNetworkAccess`), if any. */
  network?: Record<string, unknown>;
  task: StandInTask;
}

export interface ModalStandIn {
  /** For MODAL_SERVER_URL, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  tokenId: string;
  tokenSecret: string;
  apps: Map<string, string>;
  images: Map<string, string[]>;
  /** Filesystem snapshots (`TaskSnapshotFilesystem`) by image id; each is also in `images`. */
  snapshots: Map<string, StandInSnapshot>;
  /** The image id answered for each snapshot request id (the SDK retries with the same id). */
  snapshotRequests: Map<string, string>;
  /** Every sandbox ever created, live or terminated. */
  sandboxes: Map<string, StandInSandbox>;
  /** `Service/Method` of every call, in order. */
  calls: string[];
  /** Calls to methods the stand-in does not implement; tests assert it is empty. */
  unimplemented: string[];
  live(): StandInSandbox[];
  /** Ends a snapshot image's lifetime now, as its TTL would at Modal. */
  expireSnapshot(imageId: string): void;
  close(): Promise<void>;
}

export interface ModalStandInOptions {
  /** Host paths visible read-only inside every sandbox (bare repos for file:// clones). */
  exposedPaths?: string[];
}

/** An unsigned JWT with an `exp` claim, which is all the SDK reads of its tokens. */
export function fakeJwt(subject: string): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none" })}.${part({ sub: subject, exp: Math.floor(Date.now() / 1000) + 3600 })}.x`;
}

export type Handler = (request: never, context: CallContext) => unknown;

/** Every method of `definition`: ours where we have one, else UNIMPLEMENTED (and recorded). */
function complete(
  definition: ServiceDefinition,
  handlers: Record<string, Handler>,
  state: ModalStandIn,
): object {
  const impl: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(definition.methods)) {
    const path = `${definition.name}/${method.name}`;
    const own = handlers[key];
    const refuse = (): never => {
      state.unimplemented.push(path);
      throw new ServerError(Status.UNIMPLEMENTED, `${path} is not implemented by the Modal stand-in`);
    };
    if (method.responseStream) {
      impl[key] = own
        ? (request: never, context: CallContext) => {
            state.calls.push(path);
            return own(request, context);
          }
        : async function* () {
            yield refuse();
          };
    } else {
      impl[key] = async (request: never, context: CallContext) => {
        state.calls.push(path);
        if (!own) refuse();
        return own?.(request, context);
      };
    }
  }
  return impl;
}

/** Starts the stand-in on 127.0.0.1 (free port). */
export async function startModalStandIn(options: ModalStandInOptions = {}): Promise<ModalStandIn> {
  const defs: ModalDefinitions = await modalDefinitions();
  const root = await mkdtemp(join(tmpdir(), "modal-stand-in-"));
  const server = createServer();
  const state: ModalStandIn = {
    url: "",
    tokenId: `ak-${randomBytes(8).toString("hex")}`,
    tokenSecret: `as-${randomBytes(16).toString("hex")}`,
    apps: new Map(),
    images: new Map(),
    snapshots: new Map(),
    snapshotRequests: new Map(),
    sandboxes: new Map(),
    calls: [],
    unimplemented: [],
    live: () => [...state.sandboxes.values()].filter((s) => !s.task.terminated),
    expireSnapshot: (imageId) => {
      const snapshot = state.snapshots.get(imageId);
      if (snapshot) snapshot.expiresAt = Date.now() - 1;
    },
    close: async () => {
      await server.shutdown();
      await Promise.all(state.live().map((s) => s.task.terminate()));
      await rm(root, { recursive: true, force: true });
    },
  };
  const routerJwt = fakeJwt("task-router");
  const port = { value: 0 };
  const control = controlHandlers(state, {
    root,
    exposed: options.exposedPaths ?? [],
    routerUrl: () => `https://127.0.0.1:${port.value}`,
    routerJwt,
  });
  const router = routerHandlers(state, routerJwt, root);
  server.add(defs.control as never, complete(defs.control, control, state) as never);
  server.add(defs.router as never, complete(defs.router, router, state) as never);
  port.value = await server.listen("127.0.0.1:0");
  state.url = `http://127.0.0.1:${port.value}`;
  return state;
}
