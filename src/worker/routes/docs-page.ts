/**
 * `/docs`: the OpenAPI document rendered as one plain HTML page on the server — operations,
 * parameters, request fields and responses — with no script and no CDN, so it works offline.
 */
import type { OpenApiDocument } from "./openapi";

const html = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Operation {
  summary?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  requestBody?: unknown;
  responses: Record<string, { description: string }>;
}

interface FieldSchema {
  properties?: Record<string, { type?: string; description?: string }>;
  required?: string[];
}

function fields(schema: FieldSchema): string {
  const rows = Object.entries(schema.properties ?? {}).map(
    ([name, p]) =>
      `<tr><td><code>${html(name)}</code>${schema.required?.includes(name) ? " (required)" : ""}</td><td>${html(p.type ?? "object")}</td><td>${html(p.description ?? "")}</td></tr>`,
  );
  return `<table><tr><th>field</th><th>type</th><th>meaning</th></tr>${rows.join("")}</table>`;
}

function operation(method: string, path: string, op: Operation, body: FieldSchema): string {
  const params = (op.parameters ?? []).map(
    (p) =>
      `<li><code>${html(p.name)}</code> (${html(p.in)}${p.required ? ", required" : ""})${p.description ? ` — ${html(p.description)}` : ""}</li>`,
  );
  const responses = Object.entries(op.responses).map(
    ([status, r]) => `<li><code>${html(status)}</code> ${html(r.description)}</li>`,
  );
  return `<section id="${html(`${method}-${path}`)}">
<h2><code>${method.toUpperCase()} ${html(path)}</code></h2>
<p>${html(op.summary ?? "")}${op.security ? " <em>Needs <code>Authorization: Bearer &lt;token&gt;</code>.</em>" : ""}</p>
${params.length ? `<h3>Parameters</h3><ul>${params.join("")}</ul>` : ""}
${op.requestBody ? `<h3>Body (JSON)</h3>${fields(body)}` : ""}
<h3>Responses</h3><ul>${responses.join("")}</ul>
</section>`;
}

/** The page for `doc`. */
export function renderDocs(doc: OpenApiDocument): string {
  const body = doc.components.schemas.CodeRequest as FieldSchema;
  const sections = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Operation>).map(([method, op]) =>
      operation(method, path, op, body),
    ),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(doc.info.title)} — API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}</style>
</head><body><h1>${html(doc.info.title)} <small>${html(doc.info.version)}</small></h1>
<p>${html(doc.info.description)} Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>
${sections.join("\n")}
</body></html>`;
}
