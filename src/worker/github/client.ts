/**
 * The GitHub client: Octokit with @octokit/plugin-retry (5xx and network faults) and
 * @octokit/plugin-throttling (primary and secondary rate limits, writes one at a time), writes
 * paced by a `WriteBudget` (about 80 a minute after a small burst), and its auth —
 * a personal access token, or a GitHub App whose installation token is minted per job and narrowed
 * to the one repository the job works on.
 */
/// <reference path="../shims/bottleneck-light.d.ts" />

import { createPrivateKey } from "node:crypto";
import { createAppAuth } from "@octokit/auth-app";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import Bottleneck from "bottleneck/light.js";
import { type ConsoleMethods, libraryLogger } from "../library-log";
import { tracedFetch } from "../telemetry/traced-fetch";
import type { RepoRef } from "./repo";
import { isContentCreating, WriteBudget } from "./write-budget";

export const GitHub = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof GitHub>;

export interface GitHubConfig {
  apiUrl: string;
  /** A personal access token; used when no App is configured. */
  token?: string;
  app?: { appId: string; privateKey: string };
  /**
   * Average time between content-creating requests once the burst is spent (750 ms ≈ the 80 a
   * minute GitHub's secondary rate limits allow); 0 turns pacing off.
   */
  writeIntervalMs: number;
  /** Rate-limit waits longer than this fail the request instead of sleeping. */
  maxRateLimitWaitSeconds: number;
  /** Octokit's log (a job's clients name the job in it); default: our log, at warn and above. */
  log?: ConsoleMethods;
}

// Each GitHub call is a client span of the job's trace when tracing is on (traced-fetch.ts).
const fetcher: typeof fetch = tracedFetch("github", (input, init) => fetch(input, init));

/**
 * An Octokit on `auth` with retry and throttling; each client has its own limiter groups and write
 * budget, so one client should serve a whole publish.
 */
export function gitHubClient(config: GitHubConfig, auth: string | undefined): GitHubClient {
  const wait = (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
    retryCount < 2 && retryAfter <= config.maxRateLimitWaitSeconds;
  const budget = new WriteBudget(config.writeIntervalMs);
  const client = new GitHub({
    ...(auth ? { auth } : {}),
    baseUrl: config.apiUrl.replace(/\/+$/, ""),
    userAgent: "modal-coding-agent",
    request: { fetch: fetcher },
    log: config.log ?? libraryLogger("octokit"),
    retry: { retries: 3 },
    throttle: {
      onRateLimit: wait,
      onSecondaryRateLimit: wait,
      // Per-client limiters, none shared between requests at module level (workerd isolates), and
      // plain limiters rather than Bottleneck Groups, whose cleanup timers would outlive the client.
      ...limiters(),
    },
  });
  client.hook.before("request", async (options) => {
    if (isContentCreating(options.method)) await budget.take();
  });
  return client;
}

/**
 * GitHub hands out App keys as PKCS#1 (`BEGIN RSA PRIVATE KEY`); WebCrypto, which signs the JWT on
 * workerd, takes only PKCS#8. Either form may be configured.
 */
function pkcs8(pem: string): string {
  if (!pem.includes("BEGIN RSA PRIVATE KEY")) return pem;
  return createPrivateKey({ key: pem, format: "pem" }).export({ type: "pkcs8", format: "pem" }).toString();
}

/** The plugin's limiter groups (`global`, `auth`, `write`, …), each one limiter for this client's key. */
function limiters(): object {
  const one = (options: Bottleneck.ConstructorOptions) => {
    const limiter = new Bottleneck(options);
    return { key: () => limiter };
  };
  return {
    global: one({ maxConcurrent: 10 }),
    auth: one({ maxConcurrent: 1 }),
    search: one({ maxConcurrent: 1, minTime: 2_000 }),
    // Pacing is the WriteBudget's; the plugin's write limiter only keeps writes one at a time.
    write: one({ maxConcurrent: 1 }),
    notifications: one({ maxConcurrent: 1, minTime: 3_000 }),
  };
}

/**
 * The client a job uses for `repo`: the PAT's, or an App installation token minted now for this
 * repository alone (`repositories: [repo]`), so a job can never write anywhere else.
 */
export async function gitHubFor(config: GitHubConfig, repo: RepoRef): Promise<GitHubClient> {
  if (!config.app) return gitHubClient(config, config.token);
  return gitHubClient(config, await installationToken(config.app, config, repo));
}

/**
 * The credential the Worker's git proxy clones `repo` with: the PAT, or with an App an installation
 * token for this one repository that may only read its contents (`contents: read`), so even the
 * proxy's credential cannot push. Undefined when neither is configured (public repos only).
 */
export async function cloneCredential(config: GitHubConfig, repo: RepoRef): Promise<string | undefined> {
  if (!config.app) return config.token || undefined;
  return installationToken(config.app, config, repo, { contents: "read" });
}

/** An installation token of the App narrowed to `repo`, with `permissions` when given (else the installation's). */
async function installationToken(
  appConfig: NonNullable<GitHubConfig["app"]>,
  config: GitHubConfig,
  repo: RepoRef,
  permissions?: { contents: "read" | "write" },
): Promise<string> {
  const app = appClient(appConfig, config);
  const { data: installation } = await app.rest.apps.getRepoInstallation({
    owner: repo.owner,
    repo: repo.repo,
  });
  const { data: minted } = await app.rest.apps.createInstallationAccessToken({
    installation_id: installation.id,
    repositories: [repo.repo],
    ...(permissions ? { permissions } : {}),
  });
  return minted.token;
}

/** A client authenticated as the App itself (its JWT): the App endpoints (`/app`, installations) only. */
export function appClient(appConfig: NonNullable<GitHubConfig["app"]>, config: GitHubConfig): GitHubClient {
  return new GitHub({
    authStrategy: createAppAuth,
    auth: { appId: appConfig.appId, privateKey: pkcs8(appConfig.privateKey) },
    baseUrl: config.apiUrl.replace(/\/+$/, ""),
    userAgent: "modal-coding-agent",
    request: { fetch: fetcher },
    log: config.log ?? libraryLogger("octokit"),
    throttle: { enabled: false },
  });
}
