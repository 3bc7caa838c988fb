/**
 * The sandbox service's HTTP API, shared by the Worker's client and the Node service.
 * Types only: this file is imported from both runtimes and must stay free of runtime code (the
 * reply schemas are in sandbox-schemas.ts). Every route sits under `/v1`, answers JSON, and needs
 * `Authorization: Bearer <SANDBOX_SERVICE_TOKEN>`. A sandbox is addressed by its job's id
 * (URL-encoded in the path), so a caller never stores a sandbox id, and a restarted service
 * serves the sandboxes of running jobs again (workspace, clone record, idempotency keys).
 */

import type { SandboxEnvironment } from "./sandbox-environment";

export type {
  EnvironmentBegun,
  EnvironmentReady,
  EnvironmentReadyRequest,
  SandboxEnvironment,
} from "./sandbox-environment";

/**
 * `POST /v1/sandboxes` — idempotent on `jobId`: a second create returns the same sandbox
 * (201 when created, 200 when it already existed, also after a service restart; either way the
 * body is `SandboxInfo`, whose `id` is the job id).
 */
export interface CreateSandboxRequest {
  jobId: string;
  /**
   * The job's environment: with a `cacheKey` the sandbox starts from the
   * environment cached for `repo` under that key when there is one (local: a copy of the set-up
   * workspace and HOME, reflinked where the filesystem allows; Modal: a sandbox started from the
   * snapshot image), and `SandboxInfo.warm` says so; the clone then moves it to the job's commit.
   * An entry is never shared across repositories: `repo` is part of its identity.
   */
  environment?: SandboxEnvironment;
}

export interface SandboxInfo {
  /** The job id: every per-sandbox route takes it. */
  id: string;
  jobId: string;
  backend: "local" | "modal";
  createdAt: string;
  /** True when the sandbox started from a cached environment (create's `environment`). */
  warm?: boolean;
  /** What the backend says about the environment ("the local backend ignores `image` …"). */
  notes?: string[];
}

/**
 * `POST /v1/sandboxes/:id/clone` — a clone of one branch into the workspace root: partial
 * (`--filter=blob:none`) unless `full` asks for every blob. Idempotent: cloning again returns the
 * first clone's result (recorded on disk, so also after a service restart).
 *
 * An optional `Clone-Ticket: <ticket>` request header (base64url) is sent by that one git process
 * to `url` as `Authorization: Bearer <ticket>` — through git's environment
 * (`GIT_CONFIG_COUNT`/`http.extraHeader`), never argv, a file or the clone's config — and is never
 * logged. The Worker uses it to clone a private repository through its read-only git proxy.
 */
export interface CloneRequest {
  url: string;
  /** Branch to check out; the remote's default branch when absent. */
  ref?: string;
  /**
   * What `origin` points at once the clone is done (`url` when absent): the plain repository URL,
   * so the agent's git sees the repository's own address, not the proxy the clone came through.
   */
  remoteUrl?: string;
  /**
   * Fetch every blob (a full clone) instead of a partial one: one fetch instead of two for a
   * small repository, whose checkout would fetch nearly all of its blobs anyway.
   */
  full?: boolean;
  /**
   * Files (repo-relative, at most `MAX_CONTEXT_PATHS` of sandbox-schemas.ts) read from the cloned commit before any
   * command runs, answered in `files`: the repository's context, without a call per file.
   */
  contextPaths?: string[];
}

/** A file of `contextPaths` as committed at `headSha` (a path absent there, or not a file, is left out). */
export interface ContextFile {
  path: string;
  /** Its first `MAX_CONTEXT_FILE_BYTES` bytes, as UTF-8 (invalid sequences replaced). */
  text: string;
  truncated: boolean;
}

export interface CloneResult {
  /** The commit the workspace was cloned at: the base of the change set. */
  headSha: string;
  /** The branch checked out. */
  ref: string;
  /**
   * The tree of `headSha`, read by the service at clone time (before any command ran), so the
   * publisher builds on it without asking GitHub. Absent in clones recorded before it existed.
   */
  treeSha?: string;
  /** The `contextPaths` found at `headSha`, in the order asked. */
  files?: ContextFile[];
}

/** `POST /v1/sandboxes/:id/exec` — runs argv in the workspace root, isolated, no login shell. */
export interface ExecRequest {
  argv: string[];
  /** Bytes written to the command's stdin, base64. */
  stdinBase64?: string;
  /** Wall-clock limit; the whole process tree is killed when it passes. */
  timeoutMs?: number;
  /** Output beyond this many bytes is cut to head + tail with a marker. */
  maxOutputBytes?: number;
  /**
   * A repeated key returns the first result and never runs the command twice (a repeat that
   * arrives while the first call runs waits for it), also after a service restart. A key whose
   * command was running when the service stopped answers `interrupted: true` (exit code 137)
   * instead of running again. Keys are per sandbox; reusing one for a different argv or stdin is
   * refused with 409.
   */
  idempotencyKey?: string;
  /**
   * Extra environment variables (the repository's devcontainer `containerEnv` and `remoteEnv`),
   * on top of the sandbox's own; names are `[A-Za-z_][A-Za-z0-9_]*`, and PATH and HOME are refused.
   */
  env?: Record<string, string>;
  /** Where the command runs, relative to the repo root (devcontainer `workspaceFolder`); the root when absent. */
  cwd?: string;
}

export interface ExecResult {
  /** Exit status; 124 when the timeout killed the command, 128+N for signal N. */
  exitCode: number;
  /** stdout and stderr interleaved in arrival order, UTF-8, possibly cut. */
  output: string;
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
  /** True when the sandbox service restarted while the command ran: its result is lost. */
  interrupted?: boolean;
}

/**
 * `GET /v1/sandboxes/:id/files?path=…` answers this; `PUT /v1/sandboxes/:id/files` with the same
 * body writes a file (204), creating parent directories. `path` is relative to the repo root
 * (absolute paths and `..` escapes are 400). Symlinks resolve inside the sandbox, never on the host.
 * On write, `mode` `120000` makes a symlink whose target is the content.
 */
export interface FileContent {
  path: string;
  contentBase64: string;
  /** `100644` or `100755`; ignored on read of a directory (refused). */
  mode?: FileMode;
}

export type FileMode = "100644" | "100755" | "120000";

/**
 * One path in the change set, relative to the repository root: metadata only, so the list stays
 * small whatever the files hold. Contents are read separately, in pieces (`BlobRange`).
 */
export type Change =
  | {
      path: string;
      status: "added" | "modified";
      mode: FileMode;
      /** Git blob id of the new content, as computed inside the sandbox. */
      sha: string;
      /** Content length in bytes. */
      size: number;
      /**
       * Git's own verdict (`diff --numstat`): a NUL in the first 8000 bytes or a `binary`
       * attribute. A hint for publishing; text that is not valid UTF-8 is still found there.
       */
      binary: boolean;
      /** For a symlink (`120000`): its target, which is the blob's content. */
      target?: string;
    }
  | { path: string; status: "deleted" };

/**
 * `GET /v1/sandboxes/:id/changes?base=<sha>` — everything in the work tree that differs from
 * `base` (the clone's `headSha`, which the caller keeps); without `base`, from the commit the
 * service recorded at clone time.
 */
export interface ChangeSet {
  baseSha: string;
  changes: Change[];
  /**
   * The tree git writes for the staged work tree (`git write-tree`): the tree a faithful publish
   * produces, so one comparison of tree ids checks it (equal ids mean identical trees).
   */
  treeSha?: string;
  /**
   * The contents of small files of `changes`, base64 by blob sha, when the present files together
   * hold at most `MAX_INLINE_CHANGE_BYTES` (else none): such a change set publishes without any
   * blob read. Content the caller must still check against `sha`.
   */
  contents?: Record<string, string>;
}

/**
 * `GET /v1/sandboxes/:id/diff?base=<sha>` — git's unified diff of the staged work tree against
 * `base` (the same `git add -A` the change set makes, so the same tree the pull request is built
 * from): `git diff --cached -M` with renames, mode changes and "Binary files … differ" as git
 * writes them. Bounded by the service: a file's hunks past `MAX_DIFF_FILE_BYTES` end with a
 * `DIFF_TRUNCATED_MARKER` line, files past `MAX_DIFF_BYTES` altogether are counted in a final
 * `DIFF_OMITTED_MARKER` line, and the whole text is at most `MAX_DIFF_BYTES` (UTF-8, decoded
 * from git's bytes; invalid sequences become U+FFFD). A cut hunk's `@@` counts describe the lines
 * kept, so the text still parses as a unified diff.
 */
export interface SandboxDiff {
  baseSha: string;
  diff: string;
  /** True when a marker line says something was cut or left out. */
  truncated: boolean;
}

/**
 * `GET /v1/sandboxes/:id/blobs/:sha?offset=&length=` — bytes `[offset, offset + length)` of a blob
 * in the sandbox's repository (`length` at most `MAX_BLOB_RANGE_BYTES`, 1 MiB, which is also the
 * default; `offset` at most the blob's size). 404 when the repository has no such blob.
 */
export interface BlobRange {
  sha: string;
  /** The whole blob's size in bytes. */
  size: number;
  offset: number;
  /** The bytes of the range, base64; shorter than asked only at the blob's end. */
  contentBase64: string;
}

/**
 * `POST /v1/sandboxes/:id/blobs` with `{ shas: string[] }` (1 to 1000 ids) — those blobs whole, in
 * order, as `{ blobs: BlobRange[] }` (each with `offset` 0): for many small files in one call.
 * Together they may hold at most 1 MiB (413 otherwise); 404 when one is missing.
 */
export interface BlobsRequest {
  shas: string[];
}

/**
 * `GET /v1/ready` — proves the backend usable now, not just configured: the local backend runs
 * `true` in a bubblewrap jail, the Modal backend makes an authenticated call to Modal. 200 with
 * this body; otherwise 503 `SandboxProblem` whose `detail` says what failed (bwrap's own message,
 * or that Modal refused the credentials), never a credential.
 */
export interface SandboxReadiness {
  ok: true;
  backend: SandboxInfo["backend"];
  /** How long the proof took. */
  ms: number;
}

/** Error body of every non-2xx answer (`application/problem+json`). */
export interface SandboxProblem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  /** True when the same request may succeed later (service restarting, capacity). */
  retryable: boolean;
}

/**
 * `GET /v1/janitor` — every sandbox of this service (for Modal: found by its tag at Modal), by job. `POST /v1/janitor` with
 * `{ jobIds: string[] }` terminates the sandboxes of those jobs and answers `{ terminated: OwnedSandbox[] }`.
 * The Worker's cron decides which jobs are over (their JobRoom is unknown or finished).
 */
export interface OwnedSandbox {
  /** The job id, as everywhere (kept for callers that address sandboxes by `id`). */
  id: string;
  jobId: string;
}

export interface OwnedSandboxes {
  sandboxes: OwnedSandbox[];
}

/*
 * Other routes:
 *   GET    /v1/sandboxes          → { sandboxes: SandboxInfo[] }
 *   GET    /v1/sandboxes/:id      → SandboxInfo (404 when unknown or terminated)
 *   DELETE /v1/sandboxes/:id      → 204; idempotent, kills anything still running
 *   GET    /healthz               → { ok: true, backend }  (no auth, no I/O; see /v1/ready)
 *
 * Error statuses (all `SandboxProblem`): 400 invalid field (named in `detail`), 401, 404 unknown or
 * terminated sandbox / missing file, 409 conflict (not cloned yet, cloned from another URL, workspace
 * written before the clone, idempotency key reused, git failed in the sandbox), 413 too large, 415,
 * 422 clone failed for good; retryable: 429 too many sandboxes (with `Retry-After`), 502/504 clone
 * failed or timed out, 503 shutting down, out of resources or the Modal API unavailable.
 */
