// A change as large as the publishing policy allows, through the real job path: the scripted agent
// makes a 6 MiB binary file and 250 text files (plus non-UTF-8 text, a byte-order mark, CRLF, a
// text file too large to go inline, a mode change, a symlink, a rename and a deletion) with bash.
// Contents move in pieces of at most 1 MiB, no step result may pass Workflows' 1 MiB (checkpoints.ts
// fails any that does), text goes inline in tree batches and only the rest as blobs; the branch
// must hold exactly what the same commands make in a plain clone.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

const run = promisify(execFile);

// 96 blocks of an 8-byte counter and 64 KiB of random seed: 6,291,456 bytes, no two pieces alike.
const BIG_BINARY = [
  "set -e",
  "mkdir -p assets",
  "for i in $(seq 1 96); do printf '%08d' $i; cat seed.bin; done > assets/big.bin",
  "truncate -s 6291456 assets/big.bin",
  "printf '\\x00\\x01\\x02\\xff\\x89PNG' > assets/small.bin",
].join("\n");

const TEXT = [
  "set -e",
  "mkdir -p gen/deep/er",
  'for i in $(seq 1 250); do seq -f "line %g of file $i" 1 $((i * 4)) > gen/file-$i.txt; done',
  "printf 'caf\\xe9 cr\\xe8me\\n' > gen/deep/latin1.txt",
  "printf '\\xef\\xbb\\xbfbom first\\n' > gen/deep/bom.txt",
  "printf 'one\\r\\ntwo\\r\\n' > gen/deep/er/crlf.txt",
  "seq 1 100000 > gen/large.txt",
  "chmod +x tool.sh",
  "ln -s ../README.md gen/readme-link",
  "mv docs.md guide.md",
  "rm old.txt",
].join("\n");

const bash = (command: string) => ({ toolCalls: [{ name: "bash", arguments: { command } }] });

/** Tree id of the same commands run in a plain (unsandboxed) clone: what the branch must hold. */
async function expectedTree(system: System, dir: string): Promise<string> {
  // Asynchronous on purpose: the GitHub stand-in serving this clone lives in this process.
  await run("git", ["clone", "-q", `${system.github.webUrl}/acme/large.git`, dir]);
  await run("bash", ["-c", `${BIG_BINARY}\n${TEXT}`], { cwd: dir });
  await run("git", ["add", "-A"], { cwd: dir });
  return (await run("git", ["write-tree"], { cwd: dir })).stdout.trim();
}

describe("a change of every size the policy allows", () => {
  let system: System;
  let events: ParsedEvent[];
  let clone: string;

  beforeAll(async () => {
    system = await startSystem();
    clone = await mkdtemp(join(tmpdir(), "expected-large-"));
    await system.github.createRepo("acme", "large", {
      "README.md": "# large\n",
      "seed.bin": randomBytes(64 * 1024),
      "tool.sh": "#!/bin/sh\necho tool\n",
      "docs.md": "docs\n",
      "old.txt": "remove me\n",
    });
    system.openai.setScript(
      [
        bash(BIG_BINARY),
        bash(TEXT),
        { toolCalls: [{ name: "finish", arguments: { title: "Large change", summary: "Many files." } }] },
      ],
      "[large]",
    );
    const response = await postCode(system, { repoUrl: "acme/large", prompt: "[large] make many files" });
    expect(response.status).toBe(200);
    events = (await collectEvents(response)).events;
  }, 60_000);
  afterAll(async () => {
    await system?.close();
    if (clone) await rm(clone, { recursive: true, force: true });
  });

  it("publishes the whole change and succeeds", () => {
    const done = events.at(-1);
    expect(done?.type).toBe("done");
    expect(done?.data, JSON.stringify(done?.data)).toMatchObject({ status: "succeeded" });
    // 261 paths; GitHub counts the rename (docs.md → guide.md) once.
    expect(events.find((e) => e.type === "pr")?.data).toMatchObject({ filesChanged: 260 });
    expect(system.github.violations).toEqual([]);
  });

  it("puts exactly the bytes the agent wrote on the branch", async () => {
    const head = system.github.pulls[0]?.head ?? "";
    const tree = (await system.github.git("acme", "large", "rev-parse", `refs/heads/${head}^{tree}`)).trim();
    expect(tree).toBe(await expectedTree(system, clone));
    const big = await system.github.git(
      "acme",
      "large",
      "cat-file",
      "-s",
      `refs/heads/${head}:assets/big.bin`,
    );
    expect(Number(big)).toBe(6 * 1024 * 1024);
    const expected = await readFile(join(clone, "gen/deep/latin1.txt"));
    expect(expected).toEqual(Buffer.from("caf\xe9 cr\xe8me\n", "latin1"));
  });

  it("sends text inline in tree batches and only binary, non-UTF-8 or large files as blobs", () => {
    const posts = (suffix: string) =>
      system.github.calls.filter((c) => c.method === "POST" && c.path.endsWith(suffix));
    // big.bin, small.bin (binary), latin1.txt (not UTF-8), large.txt (too large to go inline).
    expect(posts("/git/blobs")).toHaveLength(4);
    expect(posts("/git/trees").length).toBeGreaterThanOrEqual(3);
    expect(posts("/git/trees").every((c) => c.status === 201)).toBe(true);
  });

  it("fails a turn whose model reply would pass 1 MiB at once, naming it", async () => {
    // A model reply of 1.1 MiB: its turn cannot be saved in one write, so the job ends with that reason.
    system.openai.setScript([{ content: "x".repeat(1_150_000) }], "[huge-reply]");
    const response = await postCode(system, { repoUrl: "acme/large", prompt: "[huge-reply] say a lot" });
    const { events: failed } = await collectEvents(response);
    expect(failed.at(-1)).toMatchObject({ type: "done", data: { status: "failed" } });
    const error = failed.find((e) => e.type === "error")?.data;
    expect(String(error?.message), JSON.stringify(error)).toMatch(
      /The model's reply in turn 1 makes a turn of \d+ bytes, over the 1048576 bytes a turn may save/,
    );
  });
});
