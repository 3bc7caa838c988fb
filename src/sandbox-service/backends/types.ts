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
  ExecResult,
  FileMode,
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

/**
 * A place that holds sandboxes. Unknown or terminated ids make every per-sandbox method throw a
 * 404 `ServiceError`; paths are relative to the repo root and already checked by `checkRepoPath`.
 */
export interface Backend {
  readonly name: SandboxInfo["backend"];
  /** Idempotent on `jobId`: the live sandbox of that job when there is one (`created: false`). */
  create(jobId: string): Promise<{ sandbox: SandboxInfo; created: boolean }>;
  get(id: string): Promise<SandboxInfo>;
  /** The live sandboxes this process created. */
  list(): Promise<SandboxInfo[]>;
  /** Every sandbox of this service at the provider, including ones an earlier process left. */
  owned(): Promise<OwnedSandbox[]>;
  /**
   * Partial clone into the repo root, before isolation; idempotent. `auth` goes to that one git
   * process's environment only, never to argv, a file, the clone's config or a log.
   */
  clone(id: string, request: CloneRequest, auth?: CloneAuth): Promise<CloneResult>;
  /** Runs one command isolated; exit code 124 with `timedOut` when the limit killed it. */
  exec(id: string, spec: ExecSpec): Promise<ExecResult>;
  readFile(id: string, path: string): Promise<FileData>;
  /** Creates parent directories; `120000` makes a symlink whose target is `content`. */
  writeFile(id: string, path: string, content: Uint8Array, mode?: FileMode): Promise<void>;
  /** The work tree against the cloned commit; untracked files included, ignored ones not. */
  changes(id: string): Promise<ChangeSet>;
  /** Bytes `[offset, offset + length)` of a blob of the sandbox's repository (404 when it has none). */
  readBlob(id: string, sha: string, offset: number, length: number): Promise<BlobRange>;
  /** Blobs read whole, in order; together at most 1 MiB (413 otherwise). */
  readBlobs(id: string, shas: string[]): Promise<BlobRange[]>;
  /** Kills what runs and frees the sandbox; idempotent; works on `owned()` ids this process never made. */
  terminate(id: string): Promise<void>;
  /** Terminates every sandbox; the backend accepts nothing afterwards. */
  close(): Promise<void>;
}
