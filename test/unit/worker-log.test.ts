import {
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { afterEach, describe, expect, it, vi } from "vitest";
import { log, logLine } from "../../src/worker/log";

/** A synchronous context manager, so `context.with` makes a span active without the tracing SDK. */
class StackContextManager implements ContextManager {
  private stack: Context[] = [];
  active(): Context {
    return this.stack.at(-1) ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.stack = [];
    return this;
  }
}

const parse = (line: string) => JSON.parse(line) as Record<string, unknown>;

describe("the Worker's log lines", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    context.disable();
  });

  it("are one JSON object with time, level, msg, job_id first and the fields after", () => {
    const line = logLine("warn", "sandbox terminate failed", { job_id: "job_1", attempt: 2, freed: false });
    expect(line).not.toContain("\n");
    const entry = parse(line);
    expect(Object.keys(entry)).toEqual(["time", "level", "msg", "job_id", "attempt", "freed"]);
    expect(entry).toMatchObject({
      level: "warn",
      msg: "sandbox terminate failed",
      job_id: "job_1",
      attempt: 2,
    });
    expect(new Date(String(entry.time)).toISOString()).toBe(entry.time);
  });

  it("cannot have their envelope overwritten by a field", () => {
    const entry = parse(logLine("info", "real", { time: "then", level: "error", msg: "fake" }));
    expect(entry.level).toBe("info");
    expect(entry.msg).toBe("real");
    expect(entry.time).not.toBe("then");
  });

  it("redact token-shaped text, credential-named fields and URL credentials at any depth", () => {
    const key = "sk-proj-abcdefghijklmnop";
    const token = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
    const line = logLine("error", `model call failed with ${key}`, {
      job_id: "job_2",
      detail: `Bearer ${token}`,
      remote: `https://x-access-token:${token}@github.com/o/r.git`,
      nested: { list: [{ apiKey: "plain-looking-value" }], SLACK_BOT_TOKEN: "whatever" },
      signingSecret: "also-plain",
    });
    for (const secret of [key, token, "plain-looking-value", "whatever", "also-plain"])
      expect(line).not.toContain(secret);
    const entry = parse(line);
    expect(entry.nested).toEqual({ list: [{ apiKey: "[redacted]" }], SLACK_BOT_TOKEN: "[redacted]" });
    expect(entry.remote).toBe("https://[redacted]@github.com/o/r.git");
  });

  it("write errors as name, message and code, and requests without their headers", () => {
    const error = Object.assign(new TypeError("fetch failed for token abcdefghijkl"), { code: "ECONNRESET" });
    const request = new Request("https://worker.example/code?x=1", {
      method: "POST",
      headers: { authorization: "Bearer secret-api-token-value" },
    });
    const line = logLine("error", "unhandled error", { error, request, headers: request.headers });
    expect(line).not.toContain("secret-api-token-value");
    expect(line).not.toContain("abcdefghijkl");
    expect(parse(line)).toMatchObject({
      error: { name: "TypeError", message: "fetch failed for token [redacted]", code: "ECONNRESET" },
      request: { method: "POST", path: "/code" },
      headers: "[headers]",
    });
  });

  it("carry the active span's trace and span ids, and none without a valid span", () => {
    expect(parse(logLine("info", "no span"))).not.toHaveProperty("trace_id");
    context.setGlobalContextManager(new StackContextManager());
    const spanContext = {
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: TraceFlags.SAMPLED,
    };
    const active = trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(spanContext));
    const entry = context.with(active, () => parse(logLine("info", "in a span", { job_id: "job_3" })));
    expect(entry).toMatchObject({ trace_id: spanContext.traceId, span_id: spanContext.spanId });
    const invalid = trace.setSpan(
      ROOT_CONTEXT,
      trace.wrapSpanContext({ ...spanContext, traceId: "0".repeat(32) }),
    );
    expect(context.with(invalid, () => parse(logLine("info", "invalid")))).not.toHaveProperty("trace_id");
  });

  it("go to the console method of their level, one string argument each", () => {
    const spies = {
      debug: vi.spyOn(console, "debug").mockImplementation(() => {}),
      info: vi.spyOn(console, "info").mockImplementation(() => {}),
      warn: vi.spyOn(console, "warn").mockImplementation(() => {}),
      error: vi.spyOn(console, "error").mockImplementation(() => {}),
    };
    for (const level of ["debug", "info", "warn", "error"] as const) {
      log[level](`a ${level} line`, { job_id: "job_4" });
      expect(spies[level]).toHaveBeenCalledTimes(1);
      const [arg, ...more] = spies[level].mock.calls[0] ?? [];
      expect(more).toEqual([]);
      expect(parse(String(arg))).toMatchObject({ level, msg: `a ${level} line`, job_id: "job_4" });
    }
  });
});
