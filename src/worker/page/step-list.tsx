/**
 * Every step the agent took (and the setup phase's commands, numbered apart), in order: a collapsed `<details>` whose summary names the step, tool,
 * input (clipped), exit code and duration, with the full input and output inside. public/job.js
 * appends live steps with the same markup.
 */
import { inputLine, stepDuration } from "./format";
import { type PageStep, SETUP_TOOL } from "./page-view";

export function StepItem(props: { step: PageStep }) {
  const { step } = props;
  const failed = step.exitCode !== undefined && step.exitCode !== 0;
  return (
    <li class="step" data-seq={String(step.seq)}>
      <details>
        <summary>
          <span class="step-n">
            {step.tool === SETUP_TOOL ? "Setup" : "Step"} {String(step.n)}
          </span>{" "}
          <code class="step-tool">{step.tool}</code> <code class="step-input">{inputLine(step.input)}</code>
          {step.exitCode === undefined ? null : (
            <span class={failed ? "step-exit fail" : "step-exit"}> exit {String(step.exitCode)}</span>
          )}
          <span class="step-duration"> {stepDuration(step.durationMs)}</span>
        </summary>
        <p class="label">Input</p>
        <pre class="step-input-full">{step.input}</pre>
        <p class="label">Output</p>
        {step.output === "" ? <p class="empty">No output.</p> : <pre class="step-output">{step.output}</pre>}
      </details>
    </li>
  );
}

export function StepList(props: { steps: PageStep[] }) {
  return (
    <section id="timeline" aria-labelledby="steps-heading">
      <h2 id="steps-heading">Steps</h2>
      {props.steps.length === 0 ? (
        <p class="empty" data-empty-for="steps">
          No steps yet.
        </p>
      ) : null}
      <ol id="steps">
        {props.steps.map((step) => (
          <StepItem step={step} />
        ))}
      </ol>
    </section>
  );
}
