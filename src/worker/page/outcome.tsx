/**
 * How the job ended up so far: the pull request (with its draft or ready state as a word) and the
 * error, if any. `#outcome` is always there so the live script can fill it in.
 */
import type { PageView } from "./page-view";

export function PullRequestLink(props: { pr: NonNullable<PageView["pr"]> }) {
  const { pr } = props;
  return (
    <p id="pr">
      Pull request:{" "}
      <a id="pr-link" href={pr.url}>
        #{String(pr.number)} {pr.title}
      </a>{" "}
      <span id="pr-state" class="pr-state">
        {pr.draft ? "draft" : "ready for review"}
      </span>
    </p>
  );
}

export function ErrorSection(props: { error: NonNullable<PageView["error"]> }) {
  return (
    <section id="error" role="alert" aria-labelledby="error-heading">
      <h2 id="error-heading">Error</h2>
      <p>
        <code class="error-code">{props.error.code}</code>{" "}
        <span class="error-message">{props.error.message}</span>
      </p>
    </section>
  );
}

export function Outcome(props: { view: PageView }) {
  const { pr, error } = props.view;
  return (
    <div id="outcome">
      {pr ? <PullRequestLink pr={pr} /> : null}
      {error ? <ErrorSection error={error} /> : null}
    </div>
  );
}
