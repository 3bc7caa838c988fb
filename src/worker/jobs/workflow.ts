/**
 * CodeJob: one Workflow instance per attempt at a job. Named durable steps — prepare, provision,
 * clone, the agent's turns, publish, cleanup — each reporting to the job's JobRoom, which stays
 * the source of truth. Every path ends the job with `done` and terminates the sandbox.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { JobEvent, JobStatus } from "../../protocol/events";
import { type AgentUsage, runAgent } from "../agent/loop";
import { deps } from "../deps";
import { JobError } from "../errors";
import { branchName, publish } from "../github/publish";
import { durableStep, messageOf } from "./durable";
import { pullRequestBody } from "./pr-body";

export interface CodeJobParams {
  jobId: string;
}

export class CodeJob extends WorkflowEntrypoint<Env, CodeJobParams> {
  override async run(event: Readonly<WorkflowEvent<CodeJobParams>>, step: WorkflowStep): Promise<JobStatus> {
    const { jobId } = event.payload;
    const room = this.env.JOB_ROOM.get(this.env.JOB_ROOM.idFromName(jobId));
    const job = await room.job();
    if (!job) return "failed";
    const { model, octokit, sandboxes, limits } = deps(this.env);
    const emit = async (e: JobEvent, key: string) => {
      await room.append(e, key);
    };
    const usage: AgentUsage = { steps: 0, promptTokens: 0, completionTokens: 0 };
    const [owner = "", repo = ""] = job.repo.split("/");
    let sandboxId: string | null = null;
    try {
      const base = await durableStep(step, "prepare", "github", async () => {
        const { data } = await octokit.rest.repos.get({ owner, repo });
        return { baseBranch: job.baseBranch ?? data.default_branch };
      });
      await emit(
        { type: "status", data: { phase: "provisioning", message: "Starting a sandbox" } },
        "provisioning",
      );
      const sandbox = await durableStep(step, "provision", "sandbox", () => sandboxes.create(jobId));
      sandboxId = sandbox.id;
      await room.remember("sandboxId", sandbox.id);
      await emit({ type: "status", data: { phase: "cloning", message: `Cloning ${job.repo}` } }, "cloning");
      const cloneUrl = `${this.env.GITHUB_URL.replace(/\/+$/, "")}/${owner}/${repo}.git`;
      const clone = await durableStep(step, "clone", "sandbox", () =>
        sandboxes.clone(sandbox.id, { url: cloneUrl, ref: base.baseBranch }),
      );
      await emit(
        {
          type: "status",
          data: {
            phase: "working",
            message: `Agent working on ${clone.ref} at ${clone.headSha.slice(0, 7)}`,
          },
        },
        "working",
      );
      const finish = await runAgent(
        { repo: job.repo, baseBranch: clone.ref, prompt: job.prompt },
        {
          maxSteps: limits.maxSteps,
          deadline: Date.parse(job.createdAt) + limits.maxWallMs,
          commandTimeoutMs: limits.commandTimeoutMs,
          maxOutputChars: limits.maxOutputChars,
        },
        {
          model,
          sandbox: sandboxes.sandbox(sandbox.id),
          durable: (name, fn) => durableStep(step, name, name.startsWith("model") ? "model" : "sandbox", fn),
          emit,
          keyPrefix: jobId,
        },
        usage,
      );
      await emit(
        { type: "status", data: { phase: "publishing", message: "Opening the pull request" } },
        "publishing",
      );
      const changeSet = await durableStep(step, "read changes", "sandbox", () =>
        sandboxes.changes(sandbox.id),
      );
      if (changeSet.changes.length === 0) {
        throw new JobError(
          "no_changes",
          "The agent finished without changing any file, so no pull request was opened.",
        );
      }
      const pr = await durableStep(step, "publish", "github", () =>
        publish(octokit, {
          repo: { owner, repo },
          baseBranch: clone.ref,
          baseSha: changeSet.baseSha,
          branch: branchName(finish.title, jobId),
          changes: changeSet.changes,
          title: finish.title,
          body: pullRequestBody({
            summary: finish.summary,
            prompt: job.prompt,
            eventsUrl: `${job.origin}/jobs/${jobId}/events`,
            changes: changeSet.changes,
          }),
          draft: job.draft,
        }),
      );
      await emit({ type: "pr", data: pr }, "pr");
      await room.finish("succeeded", { prUrl: pr.url, usage });
      return "succeeded";
    } catch (error) {
      const failure =
        error instanceof JobError
          ? { code: error.code, message: error.message }
          : { code: "internal_error", message: messageOf(error) };
      await room.finish("failed", { error: failure, usage });
      return "failed";
    } finally {
      if (sandboxId !== null) {
        const id = sandboxId;
        await step
          .do("cleanup", { retries: { limit: 5, delay: "2 seconds", backoff: "exponential" } }, () =>
            sandboxes.terminate(id).then(() => true),
          )
          .then(() => room.remember("sandboxId", null))
          .catch((error: unknown) =>
            console.error("sandbox terminate failed; the JobRoom watchdog will retry:", messageOf(error)),
          );
      }
    }
  }
}
