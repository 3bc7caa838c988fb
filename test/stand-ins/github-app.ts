// GitHub App authentication on the GitHub stand-in: JWTs signed with the App's private key (RS256,
// checked against its public key, `iss` = App id, unexpired) reach only the App endpoints; the
// installation tokens they mint are each limited to the repositories they were asked for.
import { createPublicKey, createVerify, randomBytes } from "node:crypto";
import { stableId, userJson } from "./github-objects";
import { asObject, GitHubError, type RouteResult } from "./github-route";
import type { GitHubWorld } from "./github-state";

/** The App's slug: `GET /app` names it, and its bot account is `<slug>[bot]`. */
export const APP_SLUG = "modal-coding-agent";

export interface GitHubAppOptions {
  appId: string;
  /** PEM public key of the App (the private key signs the JWTs the client sends). */
  publicKey: string;
}

/** An installation token the stand-in minted: which repositories (names) it may touch, and how. */
export interface InstallationToken {
  token: string;
  installationId: number;
  repositories: string[] | "all";
  /** What the token may do (`contents`, `pull_requests`: `read` | `write`; `metadata: read` always). */
  permissions: Record<string, "read" | "write">;
}

/** What the App's installation was granted; a token may ask for these or less. */
const INSTALLATION_PERMISSIONS: Record<string, "read" | "write"> = {
  contents: "write",
  pull_requests: "write",
  metadata: "read",
};

/** Who a request authenticates as. */
export type Principal =
  | { kind: "pat" }
  | { kind: "app" }
  | { kind: "installation"; grant: InstallationToken };

/** The App's state on one stand-in: its installation (every repo's owner) and minted tokens. */
export class AppAuth {
  readonly tokens: InstallationToken[] = [];
  readonly installationId: number;

  constructor(readonly options: GitHubAppOptions) {
    this.installationId = stableId("installation", options.appId);
  }

  /** The principal for a bearer credential, or undefined when it is not the App's. */
  principal(credential: string): Principal | undefined {
    const grant = this.tokens.find((t) => t.token === credential);
    if (grant) return { kind: "installation", grant };
    if (credential.split(".").length !== 3) return undefined;
    if (!this.verifyJwt(credential)) throw new GitHubError(401, "A JSON web token could not be decoded");
    return { kind: "app" };
  }

  private verifyJwt(jwt: string): boolean {
    const [header = "", payload = "", signature = ""] = jwt.split(".");
    const verifier = createVerify("RSA-SHA256");
    verifier.update(`${header}.${payload}`);
    if (!verifier.verify(createPublicKey(this.options.publicKey), Buffer.from(signature, "base64url")))
      return false;
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
      iss?: unknown;
      exp?: number;
    };
    return String(claims.iss) === this.options.appId && (claims.exp ?? 0) > Date.now() / 1000;
  }

  /** `GET /repos/{owner}/{repo}/installation` (App JWT). */
  repoInstallation(world: GitHubWorld, owner: string): RouteResult {
    const { api, web } = world.urls;
    const id = this.installationId;
    return {
      status: 200,
      body: {
        id,
        account: userJson(world.urls, owner),
        repository_selection: "all",
        access_tokens_url: `${api}/app/installations/${id}/access_tokens`,
        repositories_url: `${api}/installation/repositories`,
        html_url: `${web}/settings/installations/${id}`,
        app_id: Number(this.options.appId),
        app_slug: APP_SLUG,
        target_id: stableId("user", owner),
        target_type: "User",
        permissions: INSTALLATION_PERMISSIONS,
        events: [],
        created_at: "2024-01-01T00:00:00Z",
        updated_at: "2024-01-01T00:00:00Z",
        single_file_name: null,
        suspended_by: null,
        suspended_at: null,
      },
    };
  }

  /** `POST /app/installations/{installation_id}/access_tokens` (App JWT): mints a token. */
  createToken(installationId: number, body: unknown): RouteResult {
    if (installationId !== this.installationId) throw new GitHubError(404, "Not Found");
    const names = asObject(body).repositories;
    const repositories = Array.isArray(names) ? names.map(String) : "all";
    const grant: InstallationToken = {
      token: `ghs_${randomBytes(18).toString("hex")}`,
      installationId,
      repositories,
      permissions: narrowed(asObject(body).permissions),
    };
    this.tokens.push(grant);
    return {
      status: 201,
      body: {
        token: grant.token,
        expires_at: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z"),
        permissions: grant.permissions,
        repository_selection: repositories === "all" ? "all" : "selected",
      },
    };
  }
}

/**
 * The permissions a token asked for (`permissions` in the mint request), or the installation's when
 * it asked for none. More than the installation holds is a 422, as on GitHub.
 */
function narrowed(requested: unknown): Record<string, "read" | "write"> {
  if (requested === undefined) return { ...INSTALLATION_PERMISSIONS };
  const granted: Record<string, "read" | "write"> = { metadata: "read" };
  for (const [name, level] of Object.entries(asObject(requested))) {
    const held = INSTALLATION_PERMISSIONS[name];
    if ((level !== "read" && level !== "write") || !held || (level === "write" && held === "read"))
      throw new GitHubError(422, `The permissions requested are not granted to this installation.`);
    granted[name] = level;
  }
  return granted;
}
