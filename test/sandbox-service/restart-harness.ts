// The sandbox service started, stopped for a restart (sandboxes kept) and started again on the same
// root and state directory, for either backend; the Modal stand-in outlives the restarts, as Modal would.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningService, startService } from "../../src/sandbox-service/app";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";
import { ModalBackend } from "../../src/sandbox-service/backends/modal";
import type { Backend } from "../../src/sandbox-service/backends/types";
import { type ModalStandIn, startModalStandIn } from "../stand-ins/modal";
import type { BackendKind } from "./contract-harness";
import { type Harness, serviceCaller } from "./harness";

export interface Generation {
  service: RunningService;
  call: Harness["call"];
}

export interface RestartHarness {
  kind: BackendKind;
  root: string;
  modal?: ModalStandIn;
  /** Starts a service process (its own backend instance) on the shared root; `maxLifetimeSeconds` as in production. */
  start(maxLifetimeSeconds?: number): Promise<Generation>;
  close(): Promise<void>;
}

export async function startRestartHarness(kind: BackendKind, exposed: string[]): Promise<RestartHarness> {
  const root = await mkdtemp(join(tmpdir(), "sandbox-restart-"));
  const token = randomBytes(24).toString("hex");
  let modal: ModalStandIn | undefined;
  if (kind === "modal") {
    modal = await startModalStandIn({ exposedPaths: exposed });
    process.env.MODAL_SERVER_URL = modal.url;
    process.env.MODAL_LOGLEVEL = "error";
  }
  const running: RunningService[] = [];
  const backend = async (): Promise<Backend> => {
    if (!modal) return createLocalBackend({ root });
    return new ModalBackend({
      tokenId: modal.tokenId,
      tokenSecret: modal.tokenSecret,
      appName: "restart-tests",
      cpu: 1,
      memoryMiB: 1024,
      timeoutSeconds: 600,
      idleTimeoutSeconds: 300,
      network: "allowlist",
      allowedDomains: ["github.com"],
      serviceTag: "restart-tests",
      stateDir: join(root, "modal-state"),
    });
  };
  return {
    kind,
    root,
    modal,
    start: async (maxLifetimeSeconds) => {
      const service = await startService({
        backend: await backend(),
        token,
        port: 0,
        host: "127.0.0.1",
        maxLifetimeSeconds,
      });
      running.push(service);
      return { service, call: serviceCaller(service.url, token) };
    },
    close: async () => {
      // Each generation is closed by its test; a second close of the same one is harmless.
      await Promise.allSettled(running.map((s) => s.close()));
      await modal?.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
