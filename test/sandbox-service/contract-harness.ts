// The real sandbox service over either backend for the contract suite: `local` (bubblewrap on this
// machine) or `modal` (the real `modal` SDK against the loopback Modal stand-in, via MODAL_SERVER_URL).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SandboxInfo } from "../../src/protocol/sandbox";
import { startService } from "../../src/sandbox-service/app";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";
import { ModalBackend } from "../../src/sandbox-service/backends/modal";
import type { Backend } from "../../src/sandbox-service/backends/types";
import { type ModalStandIn, startModalStandIn } from "../stand-ins/modal";
import { type Harness, serviceCaller } from "./harness";

export type BackendKind = "local" | "modal";

export interface ContractHarness extends Harness {
  kind: BackendKind;
  backend: Backend;
  /** The Modal stand-in when `kind` is `modal`. */
  modal?: ModalStandIn;
}

async function makeBackend(kind: BackendKind, root: string, exposed: string[]) {
  if (kind === "local") return { backend: await createLocalBackend({ root }) };
  const modal = await startModalStandIn({ exposedPaths: exposed });
  // The SDK reads its server URL from the environment when a client is made.
  process.env.MODAL_SERVER_URL = modal.url;
  // Its one warning here ("insecure TLS" for a loopback router) is expected; keep test output clean.
  process.env.MODAL_LOGLEVEL = "error";
  const backend = new ModalBackend({
    tokenId: modal.tokenId,
    tokenSecret: modal.tokenSecret,
    appName: "contract-tests",
    cpu: 1,
    memoryMiB: 1024,
    timeoutSeconds: 600,
    idleTimeoutSeconds: 300,
    network: "allowlist",
    allowedDomains: ["github.com"],
    serviceTag: "contract-tests",
    stateDir: join(root, "modal-state"),
  });
  return { backend, modal };
}

/** Starts the service (port 0, fresh token) on a `kind` backend; `exposed` host paths are visible to modal sandboxes. */
export async function startContractHarness(
  kind: BackendKind,
  exposed: string[] = [],
  maxSandboxes?: number,
): Promise<ContractHarness> {
  const root = await mkdtemp(join(tmpdir(), "sandbox-contract-"));
  const token = randomBytes(24).toString("hex");
  const { backend, modal } = await makeBackend(kind, root, exposed);
  const service = await startService({ backend, token, port: 0, host: "127.0.0.1", maxSandboxes });
  const call = serviceCaller(service.url, token);
  return {
    kind,
    backend,
    modal,
    url: service.url,
    token,
    root,
    call,
    sandbox: async () => {
      const reply = await call<SandboxInfo>("POST", "/v1/sandboxes", {
        jobId: `job-${randomBytes(6).toString("hex")}`,
      });
      if (reply.status !== 201)
        throw new Error(`create failed: ${reply.status} ${JSON.stringify(reply.body)}`);
      return reply.body;
    },
    close: async () => {
      await service.close();
      await modal?.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
