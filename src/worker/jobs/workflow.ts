/**
 * CodeJob: one Workflow instance per attempt at a job. It resumes from what the JobRoom holds
 * (the setup, then the agent's state saved once a turn), runs the agent's turns and the publishing
 * as durable steps, and ends the job through the room, sandbox terminated first. A replaced
 * attempt (the room started a newer one, or ended the job) stops quietly and touches nothing.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { JobEvent, JobStatus } from "../../protocol/events";
import { initialState, runAgent } from "../agent/loop";
import type { FinishInput } from "../agent/tools";
import { notConfigured, readConfig } from "../config";
import { deps, sandboxService } from "../deps";
import { inEnvironment } from "../environment/agent-sandbox";
import { ConfigError, JobError, LimitError } from "../errors";
import { readHistory } from "../followups/history";
import { libraryLogger } from "../library-log";
import { log } from "../log";
import { withJobTrace } from "../telemetry/job-trace";
import { stepSpan } from "../telemetry/step-span";
import { flushAfter, useTracing } from "../telemetry/tracing";
import { isSuperseded, startHeartbeat } from "./attempt";
import { costUsd } from "./cost";
import { messageOf } from "./durable";
import type { Ending } from "./ending";
import { setUpEnvironment } from "./environment-step";
import { livenessConfig } from "./liveness";
import type { AgentState } from "./progress";
import { type Published, publishJob } from "./publish-step";
import type { Resume } from "./room-types";
import { setUpJob } from "./setup-step";
import { MAX_STEP_RESULT_BYTES, stepResultBytes } from "./step-size";
import { turnCall } from "./turn-call";

export interface CodeJobParams {
  jobId: string;
  /** Which attempt at the job this instance is (its id is derived from both). */
  attempt: number;
}

type Outcome = { status: JobStatus } & Ending;

export class CodeJob extends WorkflowEntrypoint<Env, CodeJobParams> {
  override async run(event: Readonly<WorkflowEvent<CodeJobParams>>, step: WorkflowStep): Promise<string> {
    const { jobId, attempt } = event.payload;
    const room = this.env.JOB_ROOM.get(this.env.JOB_ROOM.idFromName(jobId));
    const beat = startHeartbeat(room, attempt, livenessConfig(this.env).heartbeatMs, jobId);
    useTracing(this.env);
    try {
      const resume = await room.begin(attempt);
      // Every span of the attempt (steps, model and tool calls, sandbox and GitHub calls) is the job's.
      const outcome = await withJobTrace(resume.job, () => this.attempt(step, attempt, resume));
      await room.complete(attempt, outcome.status, outcome);
      return outcome.status;
    } catch (error) {
      if (isSuperseded(error)) return "superseded";
      throw error;
    } finally {
      beat.stop();
      flushAfter(this.ctx, this.env);
    }
  }

  /** Runs the job from where `resume` says it is; resolves to how it ended, sandbox freed. */
  private async attempt(step: WorkflowStep, attempt: number, resume: Resume): Promise<Outcome> {
    const { job } = resume;
    const room = this.env.JOB_ROOM.get(this.env.JOB_ROOM.idFromName(job.jobId));
    const emit = async (e: JobEvent, key: string) => {
      await room.append(attempt, e, key);
    };
    // An invalid configuration is refused by the routes, so here it means a change since the job
    // was admitted: the job ends not_configured before any step (inside the try, like any failure).
    const configured = readConfig(this.env);
    const price = configured.ok ? configured.config.price : null;
    let state: AgentState | null = resume.agent;
    const usage = () => {
      const u = state?.record.usage ?? { steps: 0, promptTokens: 0, completionTokens: 0 };
      return { ...u, ...(price ? { costUsd: costUsd(price, u.promptTokens, u.completionTokens) } : {}) };
    };
    const [owner = "", name = ""] = job.repo.split("/");
    const repo = { owner, repo: name };
    let outcome: Outcome;
    try {
      const unconfigured = notConfigured(this.env);
      if (unconfigured)
        throw new ConfigError(`The server is not configured for jobs. ${unconfigured.detail}`);
      const built = deps(this.env);
      // The job's GitHub clients name the job on the lines Octokit logs (a failed request, say).
      const octokitLog = libraryLogger("octokit", "warn", { job_id: job.jobId });
      const d = { ...built, github: { ...built.github, log: octokitLog } };
      const budget = job.limits ?? d.budgets.defaults;
      let setup = resume.setup;
      if (!setup) {
        const proxyBase = this.env.PUBLIC_URL || job.origin;
        setup = await setUpJob(step, {
          job,
          deps: d,
          repo,
          githubUrl: this.env.GITHUB_URL,
          proxyBase,
          room,
          emit,
          history: () => readHistory(this.env, job, d.sandboxes),
        });
        await room.saveSetup(attempt, setup);
      }
      // The agent starts at once: its first model call may overlap the setup phase, while its
      // first command or file access waits for setup to end (agent-sandbox.ts); the job says it
      // is working only then, so every setup step comes before `working`.
      const saved = setup;
      const environment = saved.environment;
      const settingUp =
        environment && !environment.ready
          ? setUpEnvironment(step, {
              jobId: job.jobId,
              sandboxes: d.sandboxes,
              ...environment,
              timeoutMs: d.setup.timeoutMs,
              maxOutputChars: d.maxOutputChars,
              emit,
            }).then(() => room.saveSetup(attempt, { ...saved, environment: { ...environment, ready: true } }))
          : null;
      const message = state
        ? `Agent resuming on ${setup.ref} at turn ${state.turn + 1}`
        : `Agent working on ${setup.ref} at ${setup.headSha.slice(0, 7)}`;
      const working = () =>
        emit(
          { type: "status", data: { phase: "working", message } },
          state ? `resume ${attempt}` : "working",
        );
      const ready = settingUp ? settingUp.then(working) : working();
      // Awaited below, after the agent has started; this only keeps a failure from counting as unhandled.
      ready.catch(() => undefined);
      if (!settingUp) await ready;
      const hands = inEnvironment(d.sandboxes.sandbox(job.jobId), environment?.plan, ready);
      const followUp =
        job.followUp && setup.history
          ? { number: job.followUp.pr.number, branch: job.followUp.pr.branch, history: setup.history }
          : undefined;
      const task = {
        repo: job.repo,
        baseBranch: setup.ref,
        prompt: job.prompt,
        context: setup.context,
        ...(followUp ? { followUp } : {}),
      };
      const agentState = state ?? initialState(task);
      state = agentState;
      let finish: FinishInput | null = null;
      let stopped: LimitError | null = null;
      try {
        const agentRun = runAgent(
          task,
          {
            maxSteps: budget.maxSteps,
            maxTokens: budget.maxTokens,
            deadline: Date.parse(job.createdAt) + budget.maxMinutes * 60_000,
            commandTimeoutMs: budget.commandTimeoutSeconds * 1000,
            maxOutputChars: d.maxOutputChars,
            maxFileBytes: d.policy.maxFileBytes,
            prompt: { maxChars: d.promptBudgetChars, keepRecent: 4 },
          },
          {
            model: d.model,
            sandbox: hands,
            // Not Workflow steps: the saved turn and the exec records keep these results (turn-call.ts).
            durable: (n, fn) => turnCall(n.startsWith("model") ? "model" : "sandbox", fn),
            emit,
            keyPrefix: job.jobId,
            checkpoint: (save, events) => {
              // One turn's save is one Durable Object write: bounded, as a step result would be.
              const bytes = stepResultBytes({ save, events });
              if (bytes > MAX_STEP_RESULT_BYTES) {
                throw new JobError(
                  "model_error",
                  `The model's reply in turn ${save.turn} makes a turn of ${bytes} bytes, over the ${MAX_STEP_RESULT_BYTES} bytes a turn may save, so the job was stopped.`,
                );
              }
              return room.saveTurn(attempt, save, events);
            },
          },
          agentState,
        );
        // After a failed setup the agent's own end (a refused command) is moot: the setup's failure is the job's.
        agentRun.catch(() => undefined);
        await ready;
        finish = await agentRun;
      } catch (error) {
        // A budget that ran out still publishes what the agent changed, as an unfinished draft.
        if (!(error instanceof LimitError)) throw error;
        stopped = error;
      }
      const publishing = job.followUp
        ? `Updating pull request #${job.followUp.pr.number}`
        : "Opening the pull request";
      await emit({ type: "status", data: { phase: "publishing", message: publishing } }, "publishing");
      const cost = usage().costUsd;
      const published = await publishJob(step, {
        job,
        deps: d,
        sandboxId: job.jobId,
        baseSha: setup.headSha,
        ...(setup.treeSha ? { baseTreeSha: setup.treeSha } : {}),
        repo,
        canPush: setup.canPush,
        baseBranch: setup.ref,
        finish,
        stopped,
        record: agentState.record,
        context: setup.context,
        ...(cost === undefined ? {} : { costUsd: cost }),
        ...(setup.history ? { history: setup.history } : {}),
        saveDiff: (diff) => room.saveDiff(attempt, diff),
      });
      try {
        outcome = await announce(job.repo, published.pr, stopped, emit);
      } finally {
        // The job ends with its diff stored (or its failure to be stored logged), PR or not.
        await published.diffStored;
      }
    } catch (error) {
      if (isSuperseded(error)) throw error;
      const failure =
        error instanceof JobError
          ? { code: error.code, message: error.message }
          : { code: "internal_error", message: messageOf(error) };
      outcome = { status: "failed", error: failure };
    }
    // The sandbox goes before `done`, so whoever sees `done` sees nothing left running; if it
    // cannot be terminated now the room retries (reaper.ts).
    const sandboxFreed = await step
      .do(
        "cleanup",
        { retries: { limit: 3, delay: "1 second", backoff: "exponential" } },
        stepSpan("cleanup", "sandbox", () =>
          sandboxService(this.env)
            .terminate(job.jobId)
            .then(() => true),
        ),
      )
      .catch((error: unknown) => {
        log.error("sandbox terminate failed; the JobRoom retries", { job_id: job.jobId, error });
        return false;
      });
    return { ...outcome, usage: usage(), sandboxFreed };
  }
}

/** Tells the log what publishing did (notes, the `pr` event) and how the job ends because of it. */
async function announce(
  repo: string,
  published: Published["pr"],
  stopped: LimitError | null,
  emit: (e: JobEvent, key: string) => Promise<void>,
): Promise<Outcome> {
  const note = (message: string, key: string) =>
    emit({ type: "status", data: { phase: "publishing", message } }, key);
  if ("unchanged" in published) {
    await note(`No file changed, so pull request #${published.number} was left as it was.`, "unchanged");
    return { status: "succeeded", prUrl: published.url };
  }
  const { draftRefused, rebasedOnto, humanCommits, ...pr } = {
    rebasedOnto: undefined,
    humanCommits: 0,
    ...published,
  };
  if (draftRefused) {
    await note(
      `${repo} does not support draft pull requests, so this one was opened ready for review.`,
      "draft-refused",
    );
  }
  if (rebasedOnto) {
    const commits = humanCommits === 1 ? "1 commit" : `${humanCommits} commits`;
    await note(
      `The branch moved while the agent worked (${commits} pushed meanwhile, kept): the change was put on top of ${rebasedOnto.slice(0, 7)}.`,
      "rebased",
    );
  }
  await emit({ type: "pr", data: pr }, "pr");
  if (!stopped) return { status: "succeeded", prUrl: pr.url };
  const text = pr.updated
    ? `${stopped.message} The changes so far were pushed to ${pr.url}.`
    : `${stopped.message} The changes so far are in an unfinished draft pull request: ${pr.url}`;
  return { status: "failed", prUrl: pr.url, error: { code: stopped.code, message: text } };
}
