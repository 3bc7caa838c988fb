/**
 * A Workflow step's callback as the span `step <name>`, child of the span that was active where
 * the step was declared. The engine calls a step back from its own invocation, where the caller's
 * async context is gone, so the context is captured here and carried in by hand.
 */
import { context } from "@opentelemetry/api";
import { inSpan } from "../../telemetry/spans";
import { tracer } from "./tracing";

export function stepSpan<T>(name: string, kind: string, fn: () => Promise<T>): () => Promise<T> {
  const parent = context.active();
  return () =>
    context.with(parent, () =>
      inSpan(tracer(), `step ${name}`, { "workflow.step.name": name, "workflow.step.kind": kind }, () =>
        fn(),
      ),
    );
}
