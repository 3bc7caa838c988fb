/**
 * The job's header: what was asked (repository, base branch, prompt, requester) and how it is
 * going (status as a word, phase, elapsed time, steps, tokens, estimated cost). The live script
 * updates the elements with ids; everything is readable before it runs.
 */
import { costText, formatDuration, isoDuration, tokensText } from "./format";
import { type PageView, SETUP_TOOL } from "./page-view";

function elapsedMs(view: PageView, now: number): number {
  return view.usage ? view.usage.durationMs : now - Date.parse(view.createdAt);
}

export function JobFacts(props: { view: PageView; now: number }) {
  const { view } = props;
  const elapsed = elapsedMs(view, props.now);
  const agentSteps = view.steps.filter((s) => s.tool !== SETUP_TOOL);
  const steps = view.usage?.steps ?? agentSteps.reduce((most, s) => Math.max(most, s.n), 0);
  return (
    <header>
      <h1>
        <a href={view.repoUrl}>{view.repo}</a>
      </h1>
      <p id="status" aria-live="polite">
        <strong class="status-word" data-status={view.status}>
          {view.status}
        </strong>{" "}
        <span class="phase">
          (<span id="phase">{view.phase}</span>)
        </span>{" "}
        <span id="status-message">{view.statusMessage}</span>
      </p>
      <dl id="facts">
        <dt>Base branch</dt>
        <dd>{view.baseBranch ? <code>{view.baseBranch}</code> : "the repository's default"}</dd>
        <dt>Requested by</dt>
        <dd>{view.requester ?? "unknown"}</dd>
        <dt>Elapsed</dt>
        <dd>
          <time id="elapsed" datetime={isoDuration(elapsed)}>
            {formatDuration(elapsed)}
          </time>
        </dd>
        <dt>Steps</dt>
        <dd id="step-count">{String(steps)}</dd>
        <dt>Tokens</dt>
        <dd id="tokens">{tokensText(view.usage)}</dd>
        <dt>Estimated cost</dt>
        <dd id="cost">{costText(view.usage)}</dd>
      </dl>
      <h2 class="prompt-heading">Prompt</h2>
      <blockquote id="prompt">
        <p>{view.prompt}</p>
      </blockquote>
    </header>
  );
}
