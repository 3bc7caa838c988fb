/**
 * The steps before the agent starts, run once per job: read the repository and its environment's
 * files (prepare-step.ts), start the sandbox (addressed by the job id; from the cached
 * environment when there is one), clone (the clone answers the repo's context files too). Their
 * outcome is saved in the JobRoom, so a later attempt skips them; each step is idempotent should
 * one run again. The setup phase that follows is environment-step.ts.
 */
import type { WorkflowStep } from "cloudflare:workers";
import type { JobEvent } from "../../protocol/events";
import { CONTEXT_PATHS, gatherRepoContext, repoContextFromClone } from "../agent/repo-context";
import type { Deps } from "../deps";
import type { FollowUpHistory } from "../followups/types";
import { gitHubFor } from "../github/client";
import type { RepoRef } from "../github/repo";
import { type CloneTickets, clonePrivate, gitProxyUrl, notFound } from "./clone-step";
import { durableStep } from "./durable";
import type { JobRecord } from "./log";
import { prepare } from "./prepare-step";
import type { JobSetup } from "./progress";

export interface SetupInput {
  job: JobRecord;
  deps: Deps;
  repo: RepoRef;
  githubUrl: string;
  /** The Worker's public URL, which private repositories are cloned through (its /git proxy). */
  proxyBase: string;
  room: CloneTickets;
  emit(event: JobEvent, key: string): Promise<void>;
  /** A follow-up's view of its PR's conversation, read once the branch is cloned (followups/history.ts). */
  history(): Promise<FollowUpHistory | undefined>;
}

export async function setUpJob(step: WorkflowStep, input: SetupInput): Promise<JobSetup> {
  const { job, deps: d, repo, emit } = input;
  const base = await durableStep(step, "prepare", "github", async () =>
    prepare(await gitHubFor(d.github, repo).catch(notFound(job.repo)), {
      job,
      repo,
      setupCommand: d.setup.command,
    }),
  );
  await emit(
    { type: "status", data: { phase: "provisioning", message: "Starting a sandbox" } },
    "provisioning",
  );
  const plan = base.environment;
  const sandbox = await durableStep(step, "provision", "sandbox", () =>
    d.sandboxes.create(
      job.jobId,
      plan
        ? { repo: job.repo, cacheKey: plan.cacheKey, ...(plan.image ? { image: plan.image } : {}) }
        : undefined,
    ),
  );
  await emit({ type: "status", data: { phase: "cloning", message: `Cloning ${job.repo}` } }, "cloning");
  // A follow-up continues its PR's branch, where it lives (the repository, or the token's fork).
  const source = job.followUp?.pr.headRepo ?? `${repo.owner}/${repo.repo}`;
  const repoUrl = `${input.githubUrl.replace(/\/+$/, "")}/${source}.git`;
  // The context files come with the clone, read from the cloned commit; only the context (not
  // the files) is the step's result. `full` spares a small repository's checkout its second fetch.
  const ref = job.followUp?.pr.branch ?? base.baseBranch;
  const request = { ref, full: base.small === true, contextPaths: [...CONTEXT_PATHS] };
  const clone = await durableStep(step, "clone", "sandbox", async () => {
    const { files, ...cloned } = await (base.private
      ? clonePrivate(d.sandboxes, input.room, job.jobId, {
          url: gitProxyUrl(input.proxyBase, job.jobId),
          remoteUrl: repoUrl,
          ...request,
        }).catch(notFound(job.repo))
      : d.sandboxes.clone(job.jobId, { url: repoUrl, ...request }));
    return { ...cloned, context: files ? repoContextFromClone(files) : null };
  });
  // A service that answered no files (an older one) is asked file by file.
  const context =
    clone.context ??
    (await durableStep(step, "context", "sandbox", () => gatherRepoContext(d.sandboxes.sandbox(job.jobId))));
  const history = job.followUp ? await durableStep(step, "history", "sandbox", input.history) : undefined;
  return {
    baseBranch: base.baseBranch,
    canPush: base.canPush,
    headSha: clone.headSha,
    ref: clone.ref,
    ...(clone.treeSha ? { treeSha: clone.treeSha } : {}),
    context,
    ...(history ? { history } : {}),
    ...(plan
      ? { environment: { plan, warm: sandbox.warm === true, notes: sandbox.notes ?? [], ready: false } }
      : {}),
  };
}
