/**
 * Running a piece of work as the active span: its status ERROR with the error's code when it
 * throws, ended either way. With no tracer provider registered the API's no-op tracer makes this
 * a plain call.
 */
import { type Attributes, type Span, SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";

export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes, kind }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      markError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Status ERROR, with the error's code (a JobError's `code`, an HTTP status, else its name). */
export function markError(span: Span, error: unknown): void {
  const code = errorCode(error);
  span.setAttribute("error.type", code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    if ("code" in error && typeof error.code === "string" && error.code) return error.code;
    if ("status" in error && typeof error.status === "number" && error.status > 0)
      return String(error.status);
  }
  return error instanceof Error ? error.name : "error";
}
