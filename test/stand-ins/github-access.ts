// Who may see and change a repository on the GitHub stand-in, for REST and smart HTTP alike, the way
// GitHub decides it: a private repository is indistinguishable from a missing one to anyone who may
// not read it, an installation token reaches only the repositories it was minted for and holds only
// the permissions it was asked for, and a read-only credential is refused writes with 403.
import type { Principal } from "./github-app";
import type { RepoInfo } from "./github-objects";

/** What a request needs of a repository: to read it, write its contents, or open pull requests. */
export type Need = "read" | "contents" | "pull_requests";

/** The anonymous principal (no credentials), beside the App's and the token's. */
export type Caller = Principal | { kind: "anonymous" };

/** Whether `caller` may read `repo` at all; when not, GitHub answers as if it did not exist. */
export function canRead(caller: Caller, repo: RepoInfo): boolean {
  switch (caller.kind) {
    case "anonymous":
      return !repo.private;
    case "pat":
      return !repo.private || repo.collaborator !== false;
    case "installation": {
      const grant = caller.grant.repositories;
      return grant === "all" || grant.some((name) => name.toLowerCase() === repo.name.toLowerCase());
    }
    case "app":
      return false;
  }
}

/** Whether `caller` (who can read `repo`) holds `need`; false means a 403 from GitHub. */
export function holds(caller: Caller, repo: RepoInfo, need: Need): boolean {
  if (need === "read") return canRead(caller, repo);
  switch (caller.kind) {
    case "pat":
      // Anyone who can read may open a pull request; contents need push access.
      return need === "pull_requests" || (repo.pushable !== false && repo.collaborator !== false);
    case "installation":
      return caller.grant.permissions[need] === "write";
    default:
      return false;
  }
}

/** The message GitHub's REST API gives a credential without the permission. */
export function forbiddenMessage(caller: Caller): string {
  return caller.kind === "installation"
    ? "Resource not accessible by integration"
    : "Resource not accessible by personal access token";
}
