/**
 * The steps before the agent starts, run once per job: read the repository, start the sandbox
 * (addressed by the job id), clone, gather the repo's context. Their outcome is saved in the
 * JobRoom, so a later attempt skips them; each step is idempotent should one run again.
 */
import type { WorkflowStep } from "cloudflare:workers";
import type { JobEvent } from "../../protocol/events";
import { gatherRepoContext } from "../agent/repo-context";
import type { Deps } from "../deps";
import { gitHubFor } from "../github/client";
import type { RepoRef } from "../github/repo";
import { type CloneTickets, clonePrivate, gitProxyUrl, notFound } from "./clone-step";
import { durableStep } from "./durable";
import type { JobRecord } from "./log";
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
}

export async function setUpJob(step: WorkflowStep, input: SetupInput): Promise<JobSetup> {
  const { job, deps: d, repo, emit } = input;
  const base = await durableStep(step, "prepare", "github", async () => {
    const { data } = await gitHubFor(d.github, repo)
      .then((github) => github.rest.repos.get({ owner: repo.owner, repo: repo.repo }))
      .catch(notFound(job.repo));
    return {
      baseBranch: job.baseBranch ?? data.default_branch,
      // Without push access the branch goes to a fork (see fork-step.ts).
      canPush: data.permissions?.push !== false,
      // Internal repositories (GitHub Enterprise) need a credential to clone, as private ones do.
      private: data.private || (data.visibility ?? "public") !== "public",
    };
  });
  await emit(
    { type: "status", data: { phase: "provisioning", message: "Starting a sandbox" } },
    "provisioning",
  );
  await durableStep(step, "provision", "sandbox", () => d.sandboxes.create(job.jobId));
  await emit({ type: "status", data: { phase: "cloning", message: `Cloning ${job.repo}` } }, "cloning");
  const repoUrl = `${input.githubUrl.replace(/\/+$/, "")}/${repo.owner}/${repo.repo}.git`;
  const clone = await durableStep(step, "clone", "sandbox", () =>
    base.private
      ? clonePrivate(d.sandboxes, input.room, job.jobId, {
          url: gitProxyUrl(input.proxyBase, job.jobId),
          ref: base.baseBranch,
          remoteUrl: repoUrl,
        }).catch(notFound(job.repo))
      : d.sandboxes.clone(job.jobId, { url: repoUrl, ref: base.baseBranch }),
  );
  const context = await durableStep(step, "context", "sandbox", () =>
    gatherRepoContext(d.sandboxes.sandbox(job.jobId)),
  );
  return {
    baseBranch: base.baseBranch,
    canPush: base.canPush,
    headSha: clone.headSha,
    ref: clone.ref,
    context,
  };
}
