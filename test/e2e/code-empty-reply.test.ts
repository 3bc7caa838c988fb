// A model that first says nothing, end to end: the real Worker on workerd, the real sandbox
// service, and the OpenAI stand-in (as strict as the real API about empty assistant messages)
// driven by the real SDK, streaming and not. The scripted model answers with empty content, then
// whitespace only, then no content at all, then edits and finishes: the job succeeds, every
// request the Worker sent was accepted, and each empty reply was met with a nudge.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents } from "./sse";

const script = [
  { content: "", usage: { promptTokens: 100, completionTokens: 1 } },
  { content: "  \n\t  ", usage: { promptTokens: 110, completionTokens: 2 } },
  { usage: { promptTokens: 120, completionTokens: 1 } },
  { toolCalls: [{ name: "edit", arguments: { path: "README.md", old: "# api", new: "# API" } }] },
  { toolCalls: [{ name: "finish", arguments: { title: "Capitalise the title", summary: "API, not api." } }] },
];

for (const stream of [true, false]) {
  describe(`empty model replies (${stream ? "streaming" : "not streaming"})`, () => {
    let system: System;
    beforeAll(async () => {
      system = await startSystem({ stream });
      await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
    });
    afterAll(async () => {
      await system?.close();
    });

    it("are nudged, never sent back as empty assistant messages, and the job succeeds", async () => {
      const marker = `[empty-${stream ? "stream" : "plain"}]`;
      system.openai.setScript(script, marker);
      const response = await postCode(system, {
        repoUrl: "acme/api",
        prompt: `${marker} capitalise the title`,
      });
      expect(response.status).toBe(200);
      const { events } = await collectEvents(response);
      const done = events.at(-1);
      expect(done?.type).toBe("done");
      expect(done?.data).toMatchObject({ status: "succeeded" });
      expect(events.filter((e) => e.type === "error")).toEqual([]);
      expect(system.openai.rejected).toEqual([]);
      expect(system.openai.errors).toEqual([]);
      expect(system.openai.remaining(marker)).toBe(0);

      const sent = system.openai.requests.filter((r) => JSON.stringify(r.messages).includes(marker));
      expect(sent).toHaveLength(5);
      expect(sent.every((r) => r.stream === (stream ? true : undefined))).toBe(true);
      const last = sent.at(-1)?.messages ?? [];
      expect(last.map((m) => m.role)).toEqual([
        "system",
        "user",
        "user",
        "user",
        "user",
        "assistant",
        "tool",
      ]);
      for (const nudge of last.slice(2, 5))
        expect(String(nudge.content)).toMatch(/^Your last reply was empty\./);
      expect(system.github.pulls.at(-1)?.title).toBe("Capitalise the title");
      // Three empty replies and one edit: four of the step budget, one step of work.
      expect(done?.data).toMatchObject({ usage: { steps: 1 } });
    });
  });
}
