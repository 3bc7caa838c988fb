/**
 * Pieces every part of the OpenAPI document (openapi.ts) uses: the problem+json response body,
 * the Retry-After header and the job id path parameter.
 */
export const problem = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };
export const retryAfter = {
  "Retry-After": { description: "Seconds to wait before trying again", schema: { type: "integer" } },
};
export const jobId = {
  name: "id",
  in: "path",
  required: true,
  description: "The job id (a UUID from `x-job-id` or the `job` event)",
  schema: { type: "string", format: "uuid" },
};
