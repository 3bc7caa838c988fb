/**
 * The HTML document around every job page: a phone-friendly viewport, both colour schemes, the one
 * stylesheet and the one deferred script, both same-origin files (the CSP allows nothing inline).
 */
import type { Child } from "hono/jsx";

export function Document(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="referrer" content="no-referrer" />
        <title>{props.title}</title>
        {/* An empty icon: the browser then asks the server for no /favicon.ico. */}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/job.css" />
        <script src="/job.js" defer />
      </head>
      <body>{props.children}</body>
    </html>
  );
}

/** The page as a string, with its doctype. */
export async function renderDocument(page: Child): Promise<string> {
  return `<!doctype html>${await Promise.resolve(page?.toString() ?? "")}`;
}
