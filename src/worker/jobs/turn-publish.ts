/**
 * A follow-up's publishing: the turn's change set becomes one commit on the PR's branch, whose
 * parent is the head the turn's clone started from, and the branch moves without force — onto a
 * head a human pushed meanwhile when their commits touched other files, or not at all (a clear
 * failure) when they touched the same ones (github/publish-update.ts). The PR keeps its title
 * unless the agent was asked to rename it, and its body is written again from every turn.
 * A turn that changed nothing pushes nothing: no empty commit.
 */
import type { WorkflowStep } from "cloudflare:workers";
import type { PublishedPr } from "../github/publish";
import { verifyTree, writeTreeBatch } from "../github/publish-tree";
import { pushTurn, turnChanges } from "../github/publish-update";
import { closedError, pullState, updatePull } from "../github/pull-state";
import { durableStep } from "./durable";
import { pullRequestBodyOfTurns } from "./pr-turns";
import { currentTurn, type PublishJobInput } from "./publish-step";
import { type ChangesRead, publishable, sharedClient, writeTrees } from "./tree-steps";

/** A follow-up whose run changed no file: the PR is left as it is. */
export interface Unchanged {
  unchanged: true;
  url: string;
  number: number;
}

/** The PR after a follow-up's commit, and whether that commit had to go on a head pushed meanwhile. */
export type UpdatedPr = PublishedPr & { rebasedOnto?: string; humanCommits?: number };

/** The PR after the turn's commit (`updated`, with its new head), or Unchanged. */
export async function publishTurn(
  step: WorkflowStep,
  input: PublishJobInput,
  found: ChangesRead,
): Promise<UpdatedPr | Unchanged> {
  const { job } = input;
  const followUp = job.followUp;
  if (!followUp) throw new Error("publishTurn: not a follow-up");
  const publish = publishable(input, found, "the pull request was left as it was");
  if (publish === null) return { unchanged: true, url: followUp.pr.url, number: followUp.pr.number };
  const { changes, refused } = publish;
  const [owner = "", name = ""] = followUp.pr.headRepo.split("/");
  const where = { owner, repo: name };
  const gh = sharedClient(input.deps, input.repo);
  const { base, final, last, read } = await writeTrees(step, input, changes, found.contents, where, gh);
  // `finish` names a title only when the request asked to rename the PR (its follow-up variant).
  const title = input.finish?.title?.trim() || undefined;
  const turn = currentTurn(input, changes, refused);
  const body = pullRequestBodyOfTurns(input.history?.turns ?? [], turn);
  const message = `${title ?? followUp.pr.title}\n\n${turn.summary}`.slice(0, 60_000);
  // One step, each call in it safe to repeat: the tree is content-addressed, pushTurn finds its
  // own commit by the job's trailer, and the PR update writes the same title and body again.
  return durableStep(step, `tree ${last} of ${last}, commit and pull request update`, "github", async () => {
    const written = await writeTreeBatch(await gh(), where, base, final, read);
    if (written !== found.expectedTree) await verifyTree(await gh(), where, written, changes);
    // A PR closed while the turn ran takes no commit.
    const now = await pullState(await gh(), input.repo, followUp.pr.number);
    if (!now.open) throw closedError(input.repo, followUp.pr.number, now.merged);
    const pushed = await pushTurn(await gh(), {
      headRepo: where,
      branch: followUp.pr.branch,
      expectedHead: input.baseSha,
      tree: written,
      changes: turnChanges(changes),
      message,
      jobId: job.jobId,
    });
    const pr = await updatePull(await gh(), {
      repo: input.repo,
      number: followUp.pr.number,
      ...(title ? { title } : {}),
      body,
      headSha: pushed.sha,
    });
    return {
      ...pr,
      ...(pushed.rebasedOnto ? { rebasedOnto: pushed.rebasedOnto, humanCommits: pushed.humanCommits } : {}),
    };
  });
}
