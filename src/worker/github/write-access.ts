/**
 * Who may ask for a follow-up from GitHub: only someone who could push the change themselves. The
 * payload's `author_association` settles it for OWNER, MEMBER and COLLABORATOR; anyone else (an
 * outside contributor, a member of a team added later) is asked about with the collaborator
 * permission check, where admin, maintain and write count.
 */
import { log } from "../log";
import type { GitHubClient } from "./client";
import type { RepoRef } from "./repo";

const TRUSTED = new Set(["OWNER", "MEMBER", "COLLABORATOR"]);
const WRITING_ROLES = new Set(["admin", "maintain", "write"]);

/** Whether `login` (whose association with `repo` the payload gave) may write to `repo`. */
export async function hasWriteAccess(
  client: GitHubClient,
  repo: RepoRef,
  login: string,
  association: string,
): Promise<boolean> {
  if (TRUSTED.has(association)) return true;
  try {
    const { data } = await client.rest.repos.getCollaboratorPermissionLevel({
      owner: repo.owner,
      repo: repo.repo,
      username: login,
    });
    // `permission` is the legacy level (maintain reads as write); `role_name` the role itself.
    return WRITING_ROLES.has(data.permission) || WRITING_ROLES.has(data.role_name);
  } catch (error) {
    // 404: not a user GitHub knows for this repository. Any failure refuses: asking is a privilege.
    const status = (error as { status?: unknown }).status;
    if (status !== 404) log.warn("github webhook: the permission check failed", { login, status, error });
    return false;
  }
}
