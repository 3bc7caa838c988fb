// What the agent-loop unit tests share: a config with generous limits, and the loop's I/O over a
// given Model and in-memory Sandbox with nothing durable behind it.
import { type AgentConfig, type AgentIO, immediate } from "../../src/worker/agent/loop";
import type { Model } from "../../src/worker/agent/model";
import type { MemorySandbox } from "./memory-sandbox";

export const agentConfig = (over: Partial<AgentConfig> = {}): AgentConfig => ({
  maxSteps: 100,
  maxTokens: 10_000_000,
  deadline: Date.now() + 60_000,
  commandTimeoutMs: 5000,
  maxOutputChars: 20_000,
  prompt: { maxChars: 60_000, keepRecent: 4 },
  ...over,
});

export const agentIO = (model: Model, sandbox: MemorySandbox): AgentIO => ({
  model,
  sandbox,
  durable: immediate,
  emit: async () => {},
  keyPrefix: "job",
  checkpoint: async () => {},
});
