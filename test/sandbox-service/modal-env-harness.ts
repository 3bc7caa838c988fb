// The Modal environment tests' setup: the Modal stand-in, a bare repository (node_modules ignored)
// that tests move on with `pushCommit`, and the real service over HTTP on a Modal backend whose
// records live under a named state directory (a second service on the same one is a restart).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type {
  CloneResult,
  EnvironmentReady,
  ExecResult,
  SandboxEnvironment,
  SandboxInfo,
} from "../../src/protocol/sandbox";
import { startService } from "../../src/sandbox-service/app";
import { ModalBackend } from "../../src/sandbox-service/backends/modal";
import type { ModalBackendOptions } from "../../src/sandbox-service/backends/modal-config";
import { type ModalStandIn, type StandInSandbox, startModalStandIn } from "../stand-ins/modal";
import { type BareRepo, git, makeBareRepo, serviceCaller } from "./harness";

export const ALLOWED = ["github.com", "registry.npmjs.org"];

export const jobId = (label: string): string => `${label}-${randomBytes(4).toString("hex")}`;
export const newKey = (): string => `key-${randomBytes(4).toString("hex")}`;
export const environment = (cacheKey: string, image?: string): SandboxEnvironment => ({
  repo: "acme/widgets",
  cacheKey,
  ...(image ? { image } : {}),
});

export interface ModalEnv {
  modal: ModalStandIn;
  repo: BareRepo;
  service: (state: string, overrides?: Partial<ModalBackendOptions>) => Promise<EnvService>;
  /** The stand-in's record of the live sandbox of `jobId`. */
  atModal: (jobId: string) => StandInSandbox | undefined;
  /** A new commit on the bare repo's `main`: a warm sandbox must end up there, not at the cached one. */
  pushCommit: (file: string) => Promise<string>;
  close: () => Promise<void>;
}

export type EnvService = Awaited<ReturnType<typeof serviceOn>>;

export async function startModalEnv(): Promise<ModalEnv> {
  const repo = await makeBareRepo({ ".gitignore": "node_modules/\n", "a.txt": "a\n" });
  const stateRoot = await mkdtemp(join(tmpdir(), "modal-env-"));
  const modal = await startModalStandIn({ exposedPaths: [repo.dir] });
  process.env.MODAL_SERVER_URL = modal.url;
  process.env.MODAL_LOGLEVEL = "error";
  const closers: (() => Promise<void>)[] = [];
  return {
    modal,
    repo,
    service: async (state, overrides = {}) => {
      const made = await serviceOn(modal, repo, join(stateRoot, state), overrides);
      closers.push(() => made.close());
      return made;
    },
    atModal: (id) => [...modal.sandboxes.values()].find((s) => s.tags.jobId === id && !s.task.terminated),
    pushCommit: async (file) => {
      const work = join(repo.dir, "work");
      await writeFile(join(work, file), `${file}\n`);
      git(work, "add", "-A");
      git(work, "commit", "-q", "-m", `add ${file}`);
      git(work, "push", "-q", join(repo.dir, "repo.git"), "main");
      return git(work, "rev-parse", "HEAD");
    },
    close: async () => {
      for (const close of closers.reverse()) await close();
      await modal.close();
      await repo.cleanup();
      await rm(stateRoot, { recursive: true, force: true });
    },
  };
}

/** The service over HTTP on a Modal backend whose records live in `stateDir`. */
async function serviceOn(
  modal: ModalStandIn,
  repo: BareRepo,
  stateDir: string,
  overrides: Partial<ModalBackendOptions>,
) {
  const backend = new ModalBackend({
    tokenId: modal.tokenId,
    tokenSecret: modal.tokenSecret,
    appName: "modal-env-tests",
    cpu: 1,
    memoryMiB: 1024,
    timeoutSeconds: 600,
    idleTimeoutSeconds: 300,
    network: "allowlist",
    allowedDomains: ALLOWED,
    serviceTag: "modal-env-tests",
    stateDir,
    ...overrides,
  });
  const token = randomBytes(16).toString("hex");
  const running = await startService({ backend, token, port: 0, host: "127.0.0.1" });
  const call = serviceCaller(running.url, token);
  const close = (keepSandboxes = false) => running.close({ keepSandboxes });
  const path = (id: string, rest: string) => `/v1/sandboxes/${encodeURIComponent(id)}${rest}`;
  return {
    call,
    close,
    url: running.url,
    token,
    create: async (jobId: string, environment?: SandboxEnvironment) => {
      const reply = await call<SandboxInfo>("POST", "/v1/sandboxes", { jobId, environment });
      expect(reply.status, JSON.stringify(reply.body)).toBe(201);
      return reply.body;
    },
    clone: async (id: string, ref = "main") => {
      const reply = await call<CloneResult>("POST", path(id, "/clone"), { url: repo.url, ref });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return reply.body;
    },
    sh: async (id: string, script: string, extra: { env?: Record<string, string>; cwd?: string } = {}) => {
      const reply = await call<ExecResult>("POST", path(id, "/exec"), {
        argv: ["sh", "-c", script],
        ...extra,
      });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return reply.body;
    },
    begin: (id: string) => call("POST", path(id, "/environment/begin")),
    ready: (id: string, save: boolean) =>
      call<EnvironmentReady>("POST", path(id, "/environment/ready"), { save }),
  };
}
