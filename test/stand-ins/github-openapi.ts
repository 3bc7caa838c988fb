// Checks the GitHub stand-in's traffic against GitHub's own OpenAPI description (@octokit/openapi):
// request bodies and response bodies per operation, with ajv. The stand-in is only as faithful as
// this check, so a mismatch is reported as a violation that tests assert never happens.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

type Schema = Record<string, unknown>;
interface Operation {
  operationId: string;
  externalDocs?: { url?: string };
  requestBody?: Schema;
  responses: Record<string, Schema>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, Schema>>;
}

const DOC_ID = "https://api.github.com/openapi.json";
let loaded: { doc: Document; ajv: Ajv } | undefined;

/** Parses the description once per process (13 MB) and registers it with ajv as one document. */
function load(): { doc: Document; ajv: Ajv } {
  if (loaded) return loaded;
  const file = createRequire(import.meta.url).resolve("@octokit/openapi/generated/api.github.com.json");
  const doc = JSON.parse(readFileSync(file, "utf8")) as Document;
  for (const schema of Object.values(doc.components.schemas ?? {})) openApiToJsonSchema(schema);
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
  // ajv-formats is CommonJS; depending on the loader its default export may arrive wrapped.
  const addFormats = (
    "default" in addFormatsModule ? addFormatsModule.default : addFormatsModule
  ) as typeof addFormatsModule.default;
  addFormats(ajv);
  ajv.addSchema({ $id: DOC_ID, components: doc.components });
  loaded = { doc, ajv };
  return loaded;
}

/** Rewrites OpenAPI 3.0's `nullable: true` (not JSON Schema) in place, recursively. */
function openApiToJsonSchema(schema: unknown): void {
  if (typeof schema !== "object" || schema === null) return;
  const s = schema as Schema;
  for (const key of ["properties", "patternProperties"]) {
    const map = s[key];
    if (typeof map === "object" && map !== null)
      for (const child of Object.values(map)) openApiToJsonSchema(child);
  }
  for (const key of ["items", "additionalProperties", "not"]) openApiToJsonSchema(s[key]);
  for (const key of ["allOf", "anyOf", "oneOf"]) {
    const list = s[key];
    if (Array.isArray(list)) for (const child of list) openApiToJsonSchema(child);
  }
  if (s.nullable !== true) return;
  delete s.nullable;
  if (typeof s.type === "string") {
    s.type = [s.type, "null"];
    if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...s.enum, null];
    return;
  }
  const copy = { ...s };
  for (const key of Object.keys(s)) delete s[key];
  s.anyOf = [copy, { type: "null" }];
}

/** Points local `#/components/...` references at the registered document. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === "$ref" && typeof value === "string" && value.startsWith("#/") ? DOC_ID + value : rebase(value);
  }
  return out;
}

const validators = new Map<string, ValidateFunction | null>();

/** Compiles (once) the validator for the JSON body at `pointer` in the document, if it has one. */
function validatorFor(cacheKey: string, schema: unknown): ValidateFunction | null {
  const cached = validators.get(cacheKey);
  if (cached !== undefined) return cached;
  let validate: ValidateFunction | null = null;
  if (schema !== undefined) {
    const copy = rebase(schema);
    openApiToJsonSchema(copy);
    validate = load().ajv.compile(copy as Schema);
  }
  validators.set(cacheKey, validate);
  return validate;
}

/** Follows a `#/components/...` reference to its target (responses and request bodies can be refs). */
function deref(doc: Document, node: Schema | undefined): Schema | undefined {
  const ref = node?.$ref;
  if (typeof ref !== "string") return node;
  const [, , group, name] = ref.split("/");
  return doc.components[group ?? ""]?.[name ?? ""];
}

function jsonSchema(doc: Document, holder: Schema | undefined): unknown {
  const content = deref(doc, holder)?.content as Record<string, { schema?: unknown }> | undefined;
  return content?.["application/json"]?.schema;
}

/** The operation GitHub documents for `method` and the path template, e.g. `/repos/{owner}/{repo}`. */
export function findOperation(method: string, template: string): Operation | undefined {
  return load().doc.paths[template]?.[method.toLowerCase()];
}

/** Every path template GitHub documents. */
export function documentedTemplates(): string[] {
  return Object.keys(load().doc.paths);
}

function describe(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || "/"} ${e.message ?? "invalid"} ${JSON.stringify(e.params)}`,
  );
}

/** Problems with a request body for the operation; empty when it matches GitHub's schema. */
export function checkRequestBody(method: string, template: string, body: unknown): string[] {
  const op = findOperation(method, template);
  if (!op) return [`no operation ${method} ${template} in GitHub's description`];
  const validate = validatorFor(`${method} ${template} request`, jsonSchema(load().doc, op.requestBody));
  if (!validate) return body === undefined ? [] : ["operation takes no JSON request body"];
  return validate(body) ? [] : describe(validate);
}

/** Problems with a response (status and body) for the operation; empty when GitHub documents it. */
export function checkResponseBody(method: string, template: string, status: number, body: unknown): string[] {
  const op = findOperation(method, template);
  if (!op) return [`no operation ${method} ${template} in GitHub's description`];
  const response = op.responses[String(status)];
  // GitHub answers 401, 403 and 404 on every operation (bad token, no access, unknown repo), with a
  // basic-error body, whether or not the description lists them.
  const anyOperation = [401, 403, 404].includes(status)
    ? { $ref: "#/components/schemas/basic-error" }
    : undefined;
  if (!response && !anyOperation) return [`status ${status} is not documented for ${op.operationId}`];
  const schema = response ? jsonSchema(load().doc, response) : anyOperation;
  const validate = validatorFor(`${method} ${template} ${status}`, schema);
  if (!validate) return body === undefined ? [] : [`status ${status} of ${op.operationId} has no JSON body`];
  return validate(body) ? [] : describe(validate);
}
