/**
 * Settings of the Modal backend, read once from the environment with defaults: app, image,
 * resources, lifetime, and the network policy agent commands run under. Invalid values stop the
 * service at startup with a message naming the variable.
 */
import { join } from "node:path";
import { type EnvCacheLimits, envCacheLimitsFromEnv } from "../env-cache";
import { sandboxName } from "../job-name";
import { MODAL_WORKDIR } from "./modal-exec";

/**
 * Debian with what agents reach for — git, python (python-is-python3), pip, rg, node, build tools —
 * the same commands and HOME (/root) as a local sandbox; Modal builds it once and caches it by
 * content. The container's filesystem lives as long as the sandbox, so /tmp and HOME persist
 * across commands and vanish with it.
 */
export const DEFAULT_BASE_IMAGE = "debian:bookworm-slim";
export const DEFAULT_IMAGE_COMMANDS = [
  "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends " +
    "git ca-certificates curl bash coreutils procps build-essential pkg-config python3 python3-pip " +
    "python3-venv python-is-python3 nodejs npm jq ripgrep unzip xz-utils && rm -rf /var/lib/apt/lists/*",
  "RUN mkdir -p /workspace /root",
  // As in the local jail: HOME is root's, and pip installs instead of refusing Debian's Python.
  "ENV HOME=/root PIP_BREAK_SYSTEM_PACKAGES=1",
];

/** Package registries and GitHub: what agent commands may reach under the default policy. */
export const DEFAULT_ALLOWED_DOMAINS = [
  "github.com",
  "*.github.com",
  "*.githubusercontent.com",
  "registry.npmjs.org",
  "registry.yarnpkg.com",
  "pypi.org",
  "files.pythonhosted.org",
  "crates.io",
  "static.crates.io",
  "index.crates.io",
  "proxy.golang.org",
  "sum.golang.org",
  "rubygems.org",
  "repo.maven.apache.org",
  "deb.debian.org",
];

/**
 * `allowlist` (default): the domains above plus `SANDBOX_ALLOWED_DOMAINS`, from creation on.
 * `clone-only`: the same for the clone, then no network at all for agent commands.
 * `open`: unrestricted outbound network.
 */
export type NetworkPolicy = "allowlist" | "clone-only" | "open";

export interface ModalBackendOptions {
  tokenId: string;
  tokenSecret: string;
  appName: string;
  /** A registry tag used as is; absent means the default Debian image built from `DEFAULT_IMAGE_COMMANDS`. */
  image?: string;
  cpu: number;
  memoryMiB: number;
  /** Whole seconds: Modal takes sandbox lifetimes in multiples of 1000 ms. */
  timeoutSeconds: number;
  idleTimeoutSeconds: number;
  network: NetworkPolicy;
  allowedDomains: string[];
  /** Value of the `service` tag on every sandbox; the janitor only touches sandboxes carrying it. */
  serviceTag: string;
  /**
   * The service's own records per sandbox (clone, exec idempotency) on this machine
   * (`SANDBOX_STATE_DIR`): keep it across restarts, or a restarted service may run a repeated key again.
   */
  stateDir: string;
  /**
   * Bounds of the environment cache (`ENV_CACHE_TTL_HOURS`, `ENV_CACHE_MAX_ENTRIES`; Modal reports
   * no image sizes, so `ENV_CACHE_MAX_BYTES` never binds); the defaults when absent.
   */
  envCacheLimits?: EnvCacheLimits;
}

function positive(env: NodeJS.ProcessEnv, key: string, fallback: number, integer: boolean): number {
  const raw = env[key];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new Error(
      `${key} must be a positive ${integer ? "integer" : "number"}, not ${JSON.stringify(raw)}`,
    );
  return value;
}

/**
 * The Modal backend's options from `env`; throws a message naming the variable when one is wrong.
 * The state directory defaults to `modal-state` under the service's data root.
 */
export function modalOptionsFromEnv(env: NodeJS.ProcessEnv, dataRoot: string): ModalBackendOptions {
  const tokenId = env.MODAL_TOKEN_ID ?? "";
  const tokenSecret = env.MODAL_TOKEN_SECRET ?? "";
  if (!tokenId || !tokenSecret)
    throw new Error(
      "SANDBOX_BACKEND=modal needs MODAL_TOKEN_ID and MODAL_TOKEN_SECRET (modal.com → Settings → API tokens)",
    );
  const network = (env.SANDBOX_NETWORK || "allowlist") as NetworkPolicy;
  if (!["allowlist", "clone-only", "open"].includes(network))
    throw new Error(
      `SANDBOX_NETWORK must be "allowlist", "clone-only" or "open", not ${JSON.stringify(network)}`,
    );
  const extra = (env.SANDBOX_ALLOWED_DOMAINS ?? "")
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d.length > 0);
  return {
    tokenId,
    tokenSecret,
    appName: env.MODAL_APP_NAME || "modal-coding-agent",
    image: env.SANDBOX_IMAGE || undefined,
    cpu: positive(env, "SANDBOX_CPU", 2, false),
    memoryMiB: positive(env, "SANDBOX_MEMORY_MIB", 4096, true),
    timeoutSeconds: positive(env, "SANDBOX_TIMEOUT_SECONDS", 3600, true),
    idleTimeoutSeconds: positive(env, "SANDBOX_IDLE_TIMEOUT_SECONDS", 900, true),
    network,
    allowedDomains: [...DEFAULT_ALLOWED_DOMAINS, ...extra],
    serviceTag: env.SANDBOX_SERVICE_TAG || "modal-coding-agent",
    stateDir: env.SANDBOX_STATE_DIR || join(dataRoot, "modal-state"),
    envCacheLimits: envCacheLimitsFromEnv(env),
  };
}

/** A job's sandbox as Modal creates it: named and tagged after the job, with the limits and network. */
export function sandboxParams(o: ModalBackendOptions, jobId: string) {
  return {
    name: sandboxName(jobId),
    tags: { service: o.serviceTag, jobId },
    timeoutMs: o.timeoutSeconds * 1000,
    idleTimeoutMs: o.idleTimeoutSeconds * 1000,
    cpu: o.cpu,
    memoryMiB: o.memoryMiB,
    workdir: MODAL_WORKDIR,
    ...(o.network === "open" ? {} : { outboundDomainAllowlist: o.allowedDomains }),
  };
}
