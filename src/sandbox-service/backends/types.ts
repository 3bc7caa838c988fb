/**
 * The `Backend` interface every sandbox backend implements (local bubblewrap, Modal).
 * Transport-neutral: argv arrays, bytes as Uint8Array, already-validated requests with defaults
 * applied. HTTP concerns (auth, base64, idempotency keys, problem+json) stay in app.ts.
 */
import type {
  BlobRange,
  ChangeSet,
  CloneRequest,
  CloneResult,
  EnvironmentBegun,
  EnvironmentReady,
  EnvironmentReadyRequest,
  ExecResult,
  FileMode,
  SandboxDiff,
  SandboxEnvironment,
  SandboxInfo,
} from "../../protocol/sandbox";

/** One command to run in a sandbox's repo root, with limits already resolved. */
export interface ExecSpec {
  /** argv[0] is looked up on the sandbox's PATH; never run through a login shell. */
  argv: string[];
  /** Bytes fed to stdin; stdin is empty (/dev/null) when absent. */
  stdin?: Uint8Array;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Set on top of the sandbox's own environment; names checked, PATH and HOME never among them. */
  env?: Record<string, string>;
  /** Where the command runs, relative to the repo root (lexically checked); the root when absent. */
  cwd?: string;
}

import type { OwnedSandbox } from "../../protocol/sandbox";

/** A sandbox as its provider knows it (for Modal: found by the service's tag), for the janitor. */
export type { OwnedSandbox };

/**
 * A header the clone's git sends to the clone URL (`Authorization: Bearer <clone ticket>`, from the
 * request's `Clone-Ticket`): the Worker's short-lived, read-only, one-repository capability for its
 * git proxy, revoked once the clone is done — not a GitHub credential.
 */
export interface CloneAuth {
  httpHeader: string;
}

/** A file read from a sandbox. */
export interface FileData {
  content: Uint8Array;
  /** `100755` when executable, else `100644`. */
  mode: FileMode;
}

/** How `close` leaves the sandboxes. */
export interface CloseOptions {
  /**
   * Keep every sandbox (workspace, clone, records) for the next service process on the same
   * root or state directory: what a restart needs. Running commands are stopped (local) or left
   * to their own timeout (Modal). Default: terminate them all.
   */
  keepSandboxes?: boolean;
}

/**
 * A place that holds sandboxes, one per job, addressed by the job id. Unknown or terminated ids
 * make every per-sandbox method throw a 404 `ServiceError`; paths are relative to the repo root
 * and already checked by `checkRepoPath`.
 */
export interface Backend {
  readonly name: SandboxInfo["backend"];
  /**
   * Idempotent on `jobId`: the live sandbox of that job when there is one (`created: false`).
   * With an `environment`, a new sandbox starts from the environment cached for its repo and key
   * when there is one (`warm`), and the environment is kept for `environmentReady`'s save.
   */
  create(
    jobId: string,
    environment?: SandboxEnvironment,
  ): Promise<{ sandbox: SandboxInfo; created: boolean }>;
  /**
   * Takes up the sandboxes an earlier service process left (local: directories under the root;
   * Modal: found by the service's tag), so they are served again; resolves to them.
   */
  adopt(): Promise<SandboxInfo[]>;
  get(id: string): Promise<SandboxInfo>;
  /** The live sandboxes this process serves (created or adopted). */
  list(): Promise<SandboxInfo[]>;
  /** Every sandbox of this service at the provider, including ones no process has adopted. */
  owned(): Promise<OwnedSandbox[]>;
  /**
   * Partial clone into the repo root, before isolation; idempotent, also across restarts. `auth`
   * goes to that one git process's environment only, never to argv, a file, the clone's config or a log.
   */
  clone(id: string, request: CloneRequest, auth?: CloneAuth): Promise<CloneResult>;
  /**
   * The setup phase begins: later commands have network (local: the host's; Modal: the allowlist).
   * Idempotent; 409 once `environmentReady` was called. Recorded, so a restart keeps the phase.
   */
  beginEnvironment(id: string): Promise<EnvironmentBegun>;
  /**
   * The agent phase, for good: the network is shut for every later command. With `save`, the
   * environment is stored in the cache under the key the sandbox was created with (409 without
   * one). Idempotent: a repeat answers the first call's result.
   */
  environmentReady(id: string, request: EnvironmentReadyRequest): Promise<EnvironmentReady>;
  /** Runs one command isolated; exit code 124 with `timedOut` when the limit killed it. */
  exec(id: string, spec: ExecSpec): Promise<ExecResult>;
  /** The directory for a live sandbox's exec idempotency records: outside what its commands can see. */
  execsDir(id: string): Promise<string>;
  readFile(id: string, path: string): Promise<FileData>;
  /** Creates parent directories; `120000` makes a symlink whose target is `content`. */
  writeFile(id: string, path: string, content: Uint8Array, mode?: FileMode): Promise<void>;
  /**
   * The work tree against `baseSha` (the caller's record of the clone's head), or else the commit
   * recorded at clone time; untracked files included, ignored ones not.
   */
  changes(id: string, baseSha?: string): Promise<ChangeSet>;
  /** The same staged work tree as git's unified diff against the same base, bounded (diff.ts). */
  diff(id: string, baseSha?: string): Promise<SandboxDiff>;
  /** Bytes `[offset, offset + length)` of a blob of the sandbox's repository (404 when it has none). */
  readBlob(id: string, sha: string, offset: number, length: number): Promise<BlobRange>;
  /** Blobs read whole, in order; together at most 1 MiB (413 otherwise). */
  readBlobs(id: string, shas: string[]): Promise<BlobRange[]>;
  /** Kills what runs and frees the sandbox and its records; idempotent. */
  terminate(id: string): Promise<void>;
  /**
   * Proves the backend usable now (local: a jailed `true`; Modal: an authenticated call), for
   * `GET /v1/ready`; throws a 503 `ServiceError` whose detail says what failed.
   */
  proveReady(): Promise<void>;
  /** Accepts nothing afterwards; terminates every sandbox unless told to keep them. */
  close(options?: CloseOptions): Promise<void>;
}
