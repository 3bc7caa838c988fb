/**
 * The job page: server-rendered from the log so it is complete with scripts off; public/job.js then
 * follows the job live from `data-last-seq`. The diff section is a slot (its renderer lives
 * beside this one) and follow-up links a hook (`#chain`), empty until follow-up jobs exist.
 */
import type { JSX } from "hono/jsx/jsx-runtime";
import { Document, renderDocument } from "./document";
import { JobFacts } from "./job-facts";
import { MessageList } from "./message-list";
import { Outcome } from "./outcome";
import type { PageView } from "./page-view";
import { StepList } from "./step-list";

export interface JobPageProps {
  view: PageView;
  /** The rendered diff section (`<section id="diff">`); absent until there is a diff. */
  diff?: JSX.Element | null;
  /** When the page is rendered (the elapsed time of a running job counts to it). */
  now: number;
}

/** Links to the previous and next job of a follow-up chain; there are none yet, so it renders nothing. */
export function Chain(_props: { jobId: string }) {
  return null;
}

function DiffPlaceholder() {
  return (
    <section id="diff" aria-labelledby="diff-heading">
      <h2 id="diff-heading">Diff</h2>
      <p class="empty">The diff appears when publishing starts.</p>
    </section>
  );
}

export function JobPage(props: JobPageProps) {
  const { view } = props;
  return (
    <Document title={`${view.status} · ${view.repo} · job ${view.jobId.slice(0, 8)}`}>
      <main
        id="job"
        data-job-id={view.jobId}
        data-last-seq={String(view.lastSeq)}
        data-status={view.status}
        data-events-url={view.eventsUrl}
        data-created-at={view.createdAt}
      >
        <JobFacts view={view} now={props.now} />
        <Outcome view={view} />
        <StepList steps={view.steps} />
        <MessageList messages={view.messages} />
        {props.diff ?? <DiffPlaceholder />}
        <Chain jobId={view.jobId} />
      </main>
      <footer>
        <p>
          Job <code>{view.jobId}</code>. Its raw event stream: <a href={view.eventsUrl}>events</a>.
        </p>
      </footer>
    </Document>
  );
}

export function renderJobPage(props: JobPageProps): Promise<string> {
  return renderDocument(<JobPage {...props} />);
}
