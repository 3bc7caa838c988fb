/**
 * The publishing half of a job: read the sandbox's change set (metadata only), write it to GitHub
 * (to a fork when the token cannot push) and open the PR, as durable steps whose results are ids
 * and small metadata only: blob groups, one tree per batch (publish-plan.ts), a check of the final
 * tree, the commit, the branch and PR. File contents move inside the steps that upload them.
 * A run a budget stopped publishes what it has as a draft marked unfinished; with nothing changed
 * the job fails with the reason the run ended.
 */
import type { WorkflowStep } from "cloudflare:workers";
import type { AgentRecord } from "../agent/loop";
import type { RepoContext } from "../agent/repo-context";
import type { FinishInput } from "../agent/tools";
import type { Deps } from "../deps";
import { JobError, type LimitError } from "../errors";
import { type GitHubClient, gitHubFor } from "../github/client";
import { applyPolicy } from "../github/policy";
import { branchAndPull, branchName, commitTree, type PublishedPr, type PullInput } from "../github/publish";
import { planPublish } from "../github/publish-plan";
import { type BlobReader, uploadBlobs, verifyTree, writeTreeBatch } from "../github/publish-tree";
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
  // The policy runs inside the step, so its result is bounded by the policy's file cap.
  // The base is the clone step's commit, from the job's setup; never the service's memory.
  const baseSha = input.baseSha;
  const { total, policy } = await durableStep(step, "read changes", "sandbox", async () => {
    const changeSet = await deps.sandboxes.changes(input.sandboxId, baseSha);
    const total = changeSet.changes.length;
    return { total, policy: applyPolicy(changeSet.changes, deps.policy) };
  });
  if (!policy.ok) throw new JobError("policy_refused", policy.reason);
  if (total > 0 && policy.changes.length === 0) {
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
  const pull: PullInput = {
    repo: input.repo,
    ...(headRepo ? { headRepo } : {}),
    baseBranch: input.baseBranch,
    branch: branchName(title, job.jobId),
    title,
    body,
    draft: input.stopped ? true : (job.draft ?? deps.draftByDefault),
  };
  const where = headRepo ?? input.repo;
  // One client for every publishing step of this run, so its write budget paces them all.
  let client: Promise<GitHubClient> | undefined;
  const gh = (): Promise<GitHubClient> => {
    client ??= gitHubFor(deps.github, input.repo).catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };
  const read: BlobReader = {
    read: (sha, size) => deps.sandboxes.readBlob(input.sandboxId, sha, size),
    readMany: (shas) => deps.sandboxes.readBlobs(input.sandboxId, shas),
  };
  const plan = planPublish(changes);
  const { blobGroups, treeBatches } = plan;
  for (const [i, files] of blobGroups.entries()) {
    await durableStep(step, `blobs ${i + 1} of ${blobGroups.length}`, "github", async () =>
      uploadBlobs(await gh(), where, files, read),
    );
  }
  let tree = await durableStep(step, "base tree", "github", async () => {
    const { data } = await (await gh()).rest.git.getCommit({ ...where, commit_sha: baseSha });
    return data.tree.sha;
  });
  for (const [i, batch] of treeBatches.entries()) {
    const base = tree;
    tree = await durableStep(step, `tree ${i + 1} of ${treeBatches.length}`, "github", async () =>
      writeTreeBatch(await gh(), where, base, batch, read),
    );
  }
  const finalTree = tree;
  await durableStep(step, "verify tree", "github", async () => {
    await verifyTree(await gh(), where, finalTree, changes);
    return finalTree;
  });
  const commit = await durableStep(step, "commit", "github", async () =>
    commitTree(await gh(), pull, finalTree, baseSha),
  );
  return durableStep(step, "pull request", "github", async () => branchAndPull(await gh(), pull, commit));
}
