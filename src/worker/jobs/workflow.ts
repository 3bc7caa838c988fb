/**
 * CodeJob: one Workflow instance per attempt at a job. Named durable steps — prepare, provision,
 * clone, context, the agent's turns, publish, cleanup — each reporting to the job's JobRoom, which
 * stays the source of truth. Every path ends the job with `done` and terminates the sandbox.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { JobEvent, JobStatus } from "../../protocol/events";
import { newRecord, runAgent } from "../agent/loop";
import { gatherRepoContext } from "../agent/repo-context";
import type { FinishInput } from "../agent/tools";
import { notConfigured, readConfig } from "../config";
import { type Deps, deps } from "../deps";
import { ConfigError, JobError, LimitError } from "../errors";
import { gitHubFor } from "../github/client";
import { resumableStep } from "./checkpoints";
import { clonePrivate, gitProxyUrl, notFound } from "./clone-step";
import { costUsd } from "./cost";
import { durableStep, messageOf } from "./durable";
import { publishJob } from "./publish-step";

export interface CodeJobParams {
  jobId: string;
}

export class CodeJob extends WorkflowEntrypoint<Env, CodeJobParams> {
  override async run(
    event: Readonly<WorkflowEvent<CodeJobParams>>,
    attempt: WorkflowStep,
  ): Promise<JobStatus> {
    const { jobId } = event.payload;
    const room = this.env.JOB_ROOM.get(this.env.JOB_ROOM.idFromName(jobId));
    // Steps an earlier attempt finished are replayed from the room, so this attempt resumes.
    const step = resumableStep(attempt, room);
    const job = await room.job();
    if (!job) return "failed";
    const emit = async (e: JobEvent, key: string) => {
      await room.append(e, key);
    };
    const record = newRecord();
    // Read before anything can fail; an invalid configuration is refused by the routes, so here it
    // means a change since the job was admitted, and the job ends not_configured before any step.
    const configured = readConfig(this.env);
    const price = configured.ok ? configured.config.price : null;
    const usage = () => ({
      ...record.usage,
      ...(price ? { costUsd: costUsd(price, record.usage.promptTokens, record.usage.completionTokens) } : {}),
    });
    const [owner = "", name = ""] = job.repo.split("/");
    const repo = { owner, repo: name };
    let sandboxId: string | null = null;
    let outcome: { status: JobStatus; prUrl?: string; error?: { code: string; message: string } };
    // Built inside the try, so that a configuration problem ends the job like any other failure.
    let built: Deps | null = null;
    try {
      const unconfigured = notConfigured(this.env);
      if (unconfigured)
        throw new ConfigError(`The server is not configured for jobs. ${unconfigured.detail}`);
      const d = deps(this.env);
      built = d;
      const budget = job.limits ?? d.budgets.defaults;
      const base = await durableStep(step, "prepare", "github", async () => {
        const { data } = await gitHubFor(d.github, repo)
          .then((github) => github.rest.repos.get(repo))
          .catch(notFound(job.repo));
        // Without push access the branch goes to a fork (see fork-step.ts).
        return {
          baseBranch: job.baseBranch ?? data.default_branch,
          canPush: data.permissions?.push !== false,
          // Internal repositories (GitHub Enterprise) need a credential to clone, as private ones do.
          private: data.private || (data.visibility ?? "public") !== "public",
        };
      });
      await emit(
        { type: "status", data: { phase: "provisioning", message: "Starting a sandbox" } },
        "provisioning",
      );
      const sandbox = await durableStep(step, "provision", "sandbox", () => d.sandboxes.create(jobId));
      sandboxId = sandbox.id;
      await room.remember("sandboxId", sandbox.id);
      await emit({ type: "status", data: { phase: "cloning", message: `Cloning ${job.repo}` } }, "cloning");
      const repoUrl = `${this.env.GITHUB_URL.replace(/\/+$/, "")}/${owner}/${name}.git`;
      const clone = await durableStep(step, "clone", "sandbox", () =>
        base.private === true
          ? clonePrivate(d.sandboxes, room, sandbox.id, {
              url: gitProxyUrl(this.env.PUBLIC_URL || job.origin, jobId),
              ref: base.baseBranch,
              remoteUrl: repoUrl,
            }).catch(notFound(job.repo))
          : d.sandboxes.clone(sandbox.id, { url: repoUrl, ref: base.baseBranch }),
      );
      const hands = d.sandboxes.sandbox(sandbox.id);
      const context = await durableStep(step, "context", "sandbox", () => gatherRepoContext(hands));
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
      let finish: FinishInput | null = null;
      let stopped: LimitError | null = null;
      try {
        finish = await runAgent(
          { repo: job.repo, baseBranch: clone.ref, prompt: job.prompt, context },
          {
            maxSteps: budget.maxSteps,
            maxTokens: budget.maxTokens,
            deadline: Date.parse(job.createdAt) + budget.maxMinutes * 60_000,
            commandTimeoutMs: budget.commandTimeoutSeconds * 1000,
            maxFileBytes: d.policy.maxFileBytes,
            maxOutputChars: d.maxOutputChars,
            prompt: { maxChars: d.promptBudgetChars, keepRecent: 4 },
          },
          {
            model: d.model,
            sandbox: hands,
            durable: (n, fn) => durableStep(step, n, n.startsWith("model") ? "model" : "sandbox", fn),
            emit,
            keyPrefix: jobId,
          },
          record,
        );
      } catch (error) {
        // A budget that ran out still publishes what the agent changed, as an unfinished draft.
        if (!(error instanceof LimitError)) throw error;
        stopped = error;
      }
      await emit(
        { type: "status", data: { phase: "publishing", message: "Opening the pull request" } },
        "publishing",
      );
      const cost = usage().costUsd;
      const pr = await publishJob(step, {
        job,
        deps: d,
        sandboxId: sandbox.id,
        repo,
        canPush: base.canPush !== false,
        baseBranch: clone.ref,
        finish,
        stopped,
        record,
        context,
        ...(cost === undefined ? {} : { costUsd: cost }),
      });
      if (pr.draftRefused) {
        const message = `${job.repo} does not support draft pull requests, so this one was opened ready for review.`;
        await emit({ type: "status", data: { phase: "publishing", message } }, "draft-refused");
      }
      const { draftRefused: _, ...prData } = pr;
      await emit({ type: "pr", data: prData }, "pr");
      if (stopped) {
        const message = `${stopped.message} The changes so far are in an unfinished draft pull request: ${pr.url}`;
        outcome = { status: "failed", prUrl: pr.url, error: { code: stopped.code, message } };
      } else {
        outcome = { status: "succeeded", prUrl: pr.url };
      }
    } catch (error) {
      const failure =
        error instanceof JobError
          ? { code: error.code, message: error.message }
          : { code: "internal_error", message: messageOf(error) };
      outcome = { status: "failed", error: failure };
    }
    // The sandbox goes before `done`, so whoever sees `done` sees nothing left running.
    if (sandboxId !== null && built !== null) {
      const id = sandboxId;
      const sandboxes = built.sandboxes;
      await step
        .do("cleanup", { retries: { limit: 5, delay: "2 seconds", backoff: "exponential" } }, () =>
          sandboxes.terminate(id).then(() => true),
        )
        .then(() => room.remember("sandboxId", null))
        .catch((error: unknown) =>
          console.error("sandbox terminate failed; the JobRoom watchdog will retry:", messageOf(error)),
        );
    }
    await room.finish(outcome.status, { ...outcome, usage: usage() });
    return outcome.status;
  }
}
