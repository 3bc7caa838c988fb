/**
 * The clone of a private repository: through the Worker's git proxy (routes/git-proxy.ts) with a
 * clone ticket the JobRoom issues for this one call and revokes when it ends, success or failure, so
 * the sandbox service and the sandbox hold at most a spent, read-only, one-repository capability —
 * never the GitHub credential. And the one message a job ends with when the repository is out of reach.
 */
import type { CloneRequest, CloneResult } from "../../protocol/sandbox";
import { JobError, SandboxError } from "../errors";
import type { SandboxService } from "../sandbox";

/** What the clone needs of the JobRoom (clone-ticket.ts). */
export interface CloneTickets {
  issueCloneTicket(): Promise<string | null>;
  revokeCloneTicket(): Promise<void>;
}

/** The clone URL of job `jobId` through the git proxy, on the Worker's public `base` URL. */
export function gitProxyUrl(base: string, jobId: string): string {
  return `${base.replace(/\/+$/, "")}/git/${jobId}`;
}

/** Clones through the proxy with a fresh ticket; the ticket is revoked however the clone ends. */
export async function clonePrivate(
  sandboxes: SandboxService,
  room: CloneTickets,
  sandboxId: string,
  request: CloneRequest,
): Promise<CloneResult> {
  const ticket = await room.issueCloneTicket();
  if (ticket === null) throw new JobError("cancelled", "The job ended before its repository was cloned.");
  try {
    return await sandboxes.clone(sandboxId, request, ticket);
  } finally {
    await room.revokeCloneTicket();
  }
}

/**
 * A `catch` handler: GitHub's 404 for the repository (REST, or the App's installation lookup) and
 * git's "repository '…' not found" from the clone become the job's `repo_not_found` error, which
 * says what to check; anything else is rethrown as it is.
 */
export function notFound(repo: string): (error: unknown) => never {
  return (error) => {
    const status = (error as { status?: unknown } | null)?.status;
    const gitSaysMissing =
      error instanceof SandboxError &&
      error.status === 422 &&
      /repository '[^']*' not found/i.test(error.message);
    if ((status === 404 && !(error instanceof SandboxError)) || gitSaysMissing) {
      throw new JobError(
        "repo_not_found",
        `Repository ${repo} was not found, or the GitHub credential has no access to it (for a private repository, the token or the GitHub App installation must include it).`,
      );
    }
    throw error;
  };
}
