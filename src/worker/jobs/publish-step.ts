/**
 * The publishing half of a job: read the sandbox's change set (metadata only), write it to GitHub
 * (to a fork when the token cannot push) and open the PR, as durable steps whose results are ids
 * and small metadata only: blob groups, one tree per batch (publish-plan.ts), and the last batch's
 * tree — checked against the tree git wrote in the sandbox — with the commit, branch and PR in one
 * step. File contents move inside the steps that upload them, except a small change set's, which
 * the change set itself carries (bounded, see `MAX_INLINE_CHANGE_BYTES`).
 * A run a budget stopped publishes what it has as a draft marked unfinished; with nothing changed
 * the job fails with the reason the run ended. A follow-up updates its PR instead (turn-publish.ts).
 * Once the change set is read, the job's diff is stored for its page (diff-step.ts) beside the
 * GitHub writes.
 */
import type { WorkflowStep } from "cloudflare:workers";
import type { Change } from "../../protocol/sandbox";
import type { AgentRecord } from "../agent/loop";
import type { RepoContext } from "../agent/repo-context";
import type { FinishInput } from "../agent/tools";
import type { Deps } from "../deps";
import { JobError, type LimitError } from "../errors";
import type { FollowUpHistory } from "../followups/types";
import { applyPolicy, type Refusal } from "../github/policy";
import { branchAndPull, branchName, commitTree, type PublishedPr, type PullInput } from "../github/publish";
import { verifyTree, writeTreeBatch } from "../github/publish-tree";
import type { RepoRef } from "../github/repo";
import { storeDiff } from "./diff-step";
import { durableStep } from "./durable";
import { forkForJob } from "./fork-step";
import type { JobRecord } from "./log";
import { type PrBodyInput, pullRequestBody } from "./pr-body";
import { MAX_STEP_RESULT_BYTES, stepResultBytes } from "./step-size";
import { type ChangesRead, publishable, sharedClient, writeTrees } from "./tree-steps";
import { publishTurn, type Unchanged, type UpdatedPr } from "./turn-publish";

export interface PublishJobInput {
  job: JobRecord;
  deps: Deps;
  sandboxId: string;
  /** The commit the clone step checked out: the change set's base, from the job's setup. */
  baseSha: string;
  /** Its tree, as the clone read it (absent in older setups: then GitHub is asked). */
  baseTreeSha?: string;
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
  /** A follow-up's conversation so far (its setup's), for the PR body. */
  history?: FollowUpHistory;
  /** Stores the job's diff in its room (attempt-checked); called once, when publishing starts. */
  saveDiff: (diff: string) => Promise<void>;
}

/** What publishing did, and the job's diff, still being stored when the PR is already out. */
export interface Published {
  pr: UpdatedPr | Unchanged;
  /** Awaited before the job ends; rejects only when the attempt was superseded. */
  diffStored: Promise<void>;
}

/** Opens the job's PR (a follow-up: updates it); throws JobError when there is nothing to publish. */
export async function publishJob(step: WorkflowStep, input: PublishJobInput): Promise<Published> {
  const { deps } = input;
  // The policy runs inside the step, so its result is bounded by the policy's file cap.
  // The base is the clone step's commit, from the job's setup; never the service's memory.
  const baseSha = input.baseSha;
  // A small change set comes with its contents (at most MAX_INLINE_CHANGE_BYTES, so the result
  // stays far under a step's bound) and the tree git wrote for it, which a publish of every change
  // must reproduce exactly; a policy that refused a path publishes another tree, so none is expected.
  const changeSet = await durableStep(step, "read changes", "sandbox", async () => {
    const changeSet = await deps.sandboxes.changes(input.sandboxId, baseSha);
    const total = changeSet.changes.length;
    const policy = applyPolicy(changeSet.changes, deps.policy);
    const whole = policy.ok && policy.refused.length === 0 && policy.changes.length === total;
    const kept = new Set(
      policy.ok ? policy.changes.flatMap((c) => (c.status === "deleted" ? [] : [c.sha])) : [],
    );
    const contents = Object.fromEntries(
      Object.entries(changeSet.contents ?? {}).filter(([sha]) => kept.has(sha)),
    );
    const result = { total, policy, expectedTree: whole ? (changeSet.treeSha ?? null) : null, contents };
    // A long change list with its contents could pass the bound: then the blobs are read later.
    return stepResultBytes(result) <= MAX_STEP_RESULT_BYTES ? result : { ...result, contents: {} };
  });
  // The page's diff is read beside the GitHub writes, so it costs the PR no time: nothing else
  // stages the sandbox's index by now, and it never fails the job (diff-step.ts). The PR is
  // announced without waiting for it; the job's end waits (the caller awaits `diffStored`).
  const diffStored = storeDiff(step, deps, input.sandboxId, baseSha, input.saveDiff);
  // Handled by whoever awaits it; this keeps a rejection from counting as unhandled meanwhile.
  diffStored.catch(() => undefined);
  try {
    const pr = await (input.job.followUp
      ? publishTurn(step, input, changeSet)
      : publishChanges(step, input, changeSet));
    return { pr, diffStored };
  } catch (error) {
    await Promise.allSettled([diffStored]);
    await diffStored; // rejects only when the attempt was superseded, which outranks the PR's outcome
    throw error;
  }
}

/** Writes the change set read to GitHub and opens the PR; throws JobError when there is nothing to publish. */
async function publishChanges(
  step: WorkflowStep,
  input: PublishJobInput,
  found: ChangesRead,
): Promise<PublishedPr> {
  const { job, deps, baseSha } = input;
  const publish = publishable(input, found, "no pull request was opened");
  if (publish === null) {
    throw new JobError(
      "no_changes",
      "The agent finished without changing any file, so no pull request was opened.",
    );
  }
  const { changes, refused } = publish;
  const headRepo = input.canPush ? undefined : await forkForJob(step, deps, input.repo, input.baseBranch);
  const title =
    input.finish?.title ?? `WIP: ${job.prompt.split("\n")[0]?.slice(0, 60) ?? "unfinished change"}`;
  const body = pullRequestBody(currentTurn(input, changes, refused));
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
  const { expectedTree } = found;
  const gh = sharedClient(deps, input.repo);
  const { base, final, last, read } = await writeTrees(step, input, changes, found.contents, where, gh);
  // One step for the last tree, the commit, the branch and the PR: each call in it is safe to
  // repeat (a tree is content-addressed; a commit again is a new commit the branch then points at
  // instead; the branch is moved when it exists; the PR is found when it is open already).
  return durableStep(step, `tree ${last} of ${last}, commit and pull request`, "github", async () => {
    const written = await writeTreeBatch(await gh(), where, base, final, read);
    // Trees are content-addressed: GitHub's id equal to git's means the very same tree. Else (or
    // with no tree expected) every changed path is checked, naming the first that differs.
    if (written !== expectedTree) await verifyTree(await gh(), where, written, changes);
    const commit = await commitTree(await gh(), pull, written, baseSha);
    return branchAndPull(await gh(), pull, commit);
  });
}

/** The running turn as the PR body renders it: what a first turn's body and a follow-up's share. */
export function currentTurn(input: PublishJobInput, changes: Change[], refused: Refusal[]): PrBodyInput {
  const { job, record } = input;
  return {
    summary:
      input.finish?.summary ??
      "The agent stopped before it called `finish`, so there is no summary of its own.",
    prompt: job.prompt,
    pageUrl: `${job.origin}/jobs/${job.jobId}`,
    changes,
    refused,
    ...(job.requester ? { requester: job.requester } : {}),
    checks: record.checks,
    hasTests: input.context.testCommands.length > 0,
    usage: { ...record.usage, ...(input.costUsd === undefined ? {} : { costUsd: input.costUsd }) },
    ...(input.stopped ? { unfinished: input.stopped.message } : {}),
  };
}
