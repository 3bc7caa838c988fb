/** The HTML 404 for a browser asking for a job that does not exist (API clients get problem+json). */
import { Document, renderDocument } from "./document";

export function NotFoundPage(props: { id: string }) {
  return (
    <Document title="Job not found">
      <main id="not-found">
        <h1>Job not found</h1>
        <p>
          No job has the id <code>{props.id.slice(0, 80)}</code>. Check the link: job ids are long and random,
          and a copied link may have lost part of it.
        </p>
      </main>
    </Document>
  );
}

export function renderNotFoundPage(id: string): Promise<string> {
  return renderDocument(<NotFoundPage id={id} />);
}
