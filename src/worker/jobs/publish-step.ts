/**
 * The publishing half of a job: read the sandbox's change set, write it to GitHub (to a fork when
 * the token cannot push) and open the PR, as durable steps. A run a budget stopped publishes what it has as a draft marked unfinished;
 * with nothing changed the job fails with the reason the run ended.
 */
import type { WorkflowStep } from "cloudflare:workers";
import type { AgentRecord } from "../agent/loop";
import type { RepoContext } from "../agent/repo-context";
import type { FinishInput } from "../agent/tools";
import type { Deps } from "../deps";
import { JobError, type LimitError } from "../errors";
import { gitHubFor } from "../github/client";
import { applyPolicy } from "../github/policy";
import { branchName, type PublishedPr, publish } from "../github/publish";
import type { RepoRef } from "../github/repo";
import { durableStep } from "./durable";
import { forkForJob } from "./fork-step";
import type { JobRecord } from "./log";
import { pullRequestBody } from "./pr-body";

export interface PublishJobInput {
  job: JobRecord;
  deps: Deps;
  sandboxId: string;
  /** The commit the clone step checked out: the change set's base, from the job's setup. */
  baseSha: string;
  repo: RepoRef;
  /** False when the token cannot push to `repo`: the branch then goes to the token's fork. */
  canPush: boolean;
  baseBranch: string;
  /** `finish`'s input, or null when a budget stopped the run. */
  finish: FinishInput | null;
  stopped: LimitError | null;
  record: AgentRecord;
  context: RepoContext;
  costUsd?: number;
}

/** Opens the job's PR; throws JobError when there is nothing to publish. */
export async function publishJob(step: WorkflowStep, input: PublishJobInput): Promise<PublishedPr> {
  const { job, deps, record } = input;
  const changeSet = await durableStep(step, "read changes", "sandbox", () =>
    deps.sandboxes.changes(input.sandboxId),
  );
  const policy = applyPolicy(changeSet.changes, deps.policy);
  if (!policy.ok) throw new JobError("policy_refused", policy.reason);
  if (changeSet.changes.length > 0 && policy.changes.length === 0) {
    const list = policy.refused.map((r) => `${r.path}: ${r.reason}`).join("; ");
    throw new JobError(
      "policy_refused",
      `Every change was refused by the publishing policy, so no pull request was opened: ${list}.`,
    );
  }
  const changes = policy.changes;
  if (changes.length === 0) {
    if (input.stopped) {
      throw new JobError(
        input.stopped.code,
        `${input.stopped.message} No file was changed, so no pull request was opened.`,
      );
    }
    throw new JobError(
      "no_changes",
      "The agent finished without changing any file, so no pull request was opened.",
    );
  }
  const headRepo = input.canPush ? undefined : await forkForJob(step, deps, input.repo, input.baseBranch);
  const title =
    input.finish?.title ?? `WIP: ${job.prompt.split("\n")[0]?.slice(0, 60) ?? "unfinished change"}`;
  const summary =
    input.finish?.summary ??
    "The agent stopped before it called `finish`, so there is no summary of its own.";
  const body = pullRequestBody({
    summary,
    prompt: job.prompt,
    eventsUrl: `${job.origin}/jobs/${job.jobId}/events`,
    changes,
    refused: policy.refused,
    ...(job.requester ? { requester: job.requester } : {}),
    checks: record.checks,
    hasTests: input.context.testCommands.length > 0,
    usage: { ...record.usage, ...(input.costUsd === undefined ? {} : { costUsd: input.costUsd }) },
    ...(input.stopped ? { unfinished: input.stopped.message } : {}),
  });
  return durableStep(step, "publish", "github", async () =>
    publish(await gitHubFor(deps.github, input.repo), {
      repo: input.repo,
      ...(headRepo ? { headRepo } : {}),
      baseBranch: input.baseBranch,
      baseSha: input.baseSha,
      branch: branchName(title, job.jobId),
      changes,
      title,
      body,
      draft: input.stopped ? true : (job.draft ?? deps.draftByDefault),
    }),
  );
}
