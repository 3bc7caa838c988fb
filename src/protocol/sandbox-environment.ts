/**
 * The sandbox service's API for environments (types only, like sandbox.ts, which re-exports
 * them): what a sandbox is created from, and the setup phase's begin and ready. The setup phase
 * has network; the agent phase that follows it does not (local) or has the allowlist (Modal).
 */

export interface SandboxEnvironment {
  /** `owner/name`. */
  repo: string;
  /** The Worker's digest of the repository, its devcontainer.json and its lockfiles. */
  cacheKey: string;
  /** devcontainer.json's `image`: the Modal backend's sandbox image; the local backend ignores it. */
  image?: string;
}

/**
 * `POST /v1/sandboxes/:id/environment/begin` — the setup phase starts (after the clone): until
 * `environment/ready`, the sandbox's commands have network (local: the host's; Modal: the
 * allowlist, also under `SANDBOX_NETWORK=clone-only`). Idempotent; 409 once `ready` was called.
 */
export interface EnvironmentBegun {
  phase: "setup";
}

/**
 * `POST /v1/sandboxes/:id/environment/ready` — the setup phase ends: the network is shut for every
 * later command (local: none; Modal: the allowlist, or nothing under `clone-only`). With `save`
 * (a cold setup that succeeded) the set-up environment is stored in the cache under the `cacheKey`
 * the sandbox was created with; the cache's bounds (`ENV_CACHE_TTL_HOURS`, `ENV_CACHE_MAX_ENTRIES`,
 * `ENV_CACHE_MAX_BYTES`) evict least-recently-used entries. Idempotent.
 */
export interface EnvironmentReadyRequest {
  save: boolean;
}

export interface EnvironmentReady {
  phase: "agent";
  /** Whether an entry was stored; its size (bytes) when known. */
  saved: boolean;
  bytes?: number;
  /** Entries the bounds evicted to make room. */
  evicted: number;
}
