// Prompt size over a long run, through the real Worker: a scripted 40-step job that views and
// cats large files, measuring what the model is sent each turn (characters / 4 as an estimate of
// tokens, beside the same run's unbounded size), so the bound on the transcript shows as a figure.
import type { Message } from "../src/worker/agent/model";
import { transcriptChars } from "../src/worker/agent/prompt-budget";
import { postCode, startSystem } from "../test/e2e/harness";
import { collectEvents } from "../test/e2e/sse";
import type { Row } from "./stats";

const STEPS = 40;
const BUDGET_CHARS = 120_000;

/** Estimated prompt tokens per turn of a 40-step run reading large files, with and without elision. */
export async function benchAgent(): Promise<Row[]> {
  const system = await startSystem({
    vars: { AGENT_MAX_STEPS: String(STEPS + 5), AGENT_PROMPT_BUDGET_CHARS: String(BUDGET_CHARS) },
  });
  try {
    const files: Record<string, string> = { "README.md": "# big\n" };
    for (let i = 0; i < STEPS; i++)
      files[`src/m${i}.ts`] = `// module ${i}\n${"export const value = 1;\n".repeat(800)}`;
    await system.github.createRepo("bench", "big", files);
    const script: { toolCalls: { name: string; arguments: Record<string, string> }[] }[] = Array.from(
      { length: STEPS },
      (_, i) =>
        i % 2 === 0
          ? { toolCalls: [{ name: "view", arguments: { path: `src/m${i}.ts` } }] }
          : { toolCalls: [{ name: "bash", arguments: { command: `cat src/m${i}.ts` } }] },
    );
    script.push({
      toolCalls: [{ name: "edit", arguments: { path: "README.md", old: "# big", new: "# big files" } }],
    });
    const finish = {
      toolCalls: [{ name: "finish", arguments: { title: "Read everything", summary: "Read." } }],
    };
    system.openai.setScript([...script, finish], "[prompt-bench]");
    const response = await postCode(system, {
      repoUrl: "bench/big",
      prompt: "[prompt-bench] read every module",
    });
    await collectEvents(response);
    const sizes = system.openai.requests
      .filter((r) => JSON.stringify(r.messages).includes("[prompt-bench]"))
      .map((r) => Math.round(transcriptChars(r.messages as Message[]) / 4));
    const toolOutputs = system.openai.requests.at(-1)?.messages.filter((m) => m.role === "tool") ?? [];
    const unbounded = Math.round(
      (transcriptChars(system.openai.requests[0]?.messages as Message[]) +
        STEPS * (files["src/m1.ts"]?.length ?? 0)) /
        4,
    );
    const at = (turn: number) => sizes[turn - 1] ?? Number.NaN;
    return [
      {
        figure: `prompt per turn, ${STEPS}-step run reading ~19 KB files (est. tokens): turns 1 / 10 / 20 / 30 / 40`,
        value: [1, 10, 20, 30, 40].map((t) => at(t).toLocaleString("en-US")).join(" / "),
        target: "levels off",
      },
      {
        figure: "largest prompt of the run vs the same run unbounded (est. tokens)",
        value: `${Math.max(...sizes).toLocaleString("en-US")} vs ${unbounded.toLocaleString("en-US")} (${toolOutputs.length} tool outputs, ${toolOutputs.filter((m) => String(m.content).startsWith("[output elided")).length} elided)`,
        target: `≤ ${(BUDGET_CHARS / 4 + 10_000).toLocaleString("en-US")}`,
      },
    ];
  } finally {
    await system.close();
  }
}
