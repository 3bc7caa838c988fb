// `GET /v1/sandboxes/:id/diff` on both backends: git's own unified diff of the staged work tree
// (renames, modes, binary, deletions), unmoved by the workspace's git config, and its bounds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecResult, SandboxDiff, SandboxInfo } from "../../src/protocol/sandbox";
import {
  DIFF_OMITTED_MARKER,
  DIFF_TRUNCATED_MARKER,
  MAX_DIFF_BYTES,
  MAX_DIFF_FILE_BYTES,
} from "../../src/protocol/sandbox-schemas";
import { type BackendKind, type ContractHarness, startContractHarness } from "./contract-harness";
import { type BareRepo, makeBareRepo } from "./harness";

describe.each<BackendKind>(["local", "modal"])("sandbox diff: %s backend", (kind) => {
  let h: ContractHarness;
  let repo: BareRepo;

  beforeAll(async () => {
    repo = await makeBareRepo({
      "mod.txt": "one\ntwo\nthree\n",
      "del.txt": "to be deleted\n",
      "old-name.txt": "a\nb\nc\nd\ne\nf\n",
      "script.sh": "#!/bin/sh\necho hi\n",
    });
    h = await startContractHarness(kind, [repo.dir]);
  });
  afterAll(async () => {
    await h?.close();
    await repo?.cleanup();
  });

  const exec = async (sandbox: SandboxInfo, script: string): Promise<ExecResult> => {
    const reply = await h.call<ExecResult>("POST", `/v1/sandboxes/${sandbox.id}/exec`, {
      argv: ["sh", "-c", script],
      maxOutputBytes: 8 * 1024 * 1024,
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.exitCode, reply.body.output).toBe(0);
    return reply.body;
  };
  const cloned = async (): Promise<SandboxInfo> => {
    const sandbox = await h.sandbox();
    const reply = await h.call("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url: repo.url });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return sandbox;
  };
  const diffOf = async (sandbox: SandboxInfo): Promise<SandboxDiff> => {
    const reply = await h.call<SandboxDiff>("GET", `/v1/sandboxes/${sandbox.id}/diff?base=${repo.headSha}`);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return reply.body;
  };

  it("is git's diff of the staged tree: modified, added, deleted, renamed, chmod, binary; config ignored", async () => {
    const sandbox = await cloned();
    await exec(
      sandbox,
      [
        "printf 'one\\n2\\nthree\\n<script>x</script>\\n' > mod.txt",
        "rm del.txt",
        "git mv old-name.txt new-name.txt && echo g >> new-name.txt",
        "chmod +x script.sh",
        "mkdir -p dir && echo new > dir/new.txt",
        "printf 'a\\0b\\377' > bin.dat",
        // Settings the agent could leave to change what the service's git prints: all overridden.
        "git config diff.noprefix true && git config diff.external 'sh -c \"echo pwned\"' && git config color.ui always",
      ].join(" && "),
    );
    const reply = await diffOf(sandbox);
    // The agent's own git, its settings switched off by hand, prints the very same text.
    const own = await exec(
      sandbox,
      `git add -A && git -c diff.noprefix=false -c color.ui=never diff --cached -M --no-ext-diff ${repo.headSha}`,
    );
    expect(reply).toEqual({ baseSha: repo.headSha, diff: own.output, truncated: false });
    const diff = reply.diff;
    expect(diff).toContain("diff --git a/mod.txt b/mod.txt\n");
    expect(diff).toContain("-two\n+2\n three\n+<script>x</script>\n");
    expect(diff).toContain("diff --git a/del.txt b/del.txt\ndeleted file mode 100644\n");
    expect(diff).toContain("rename from old-name.txt\nrename to new-name.txt\n");
    expect(diff).toContain("diff --git a/script.sh b/script.sh\nold mode 100644\nnew mode 100755\n");
    expect(diff).toContain("new file mode 100644\n");
    expect(diff).toContain("Binary files /dev/null and b/bin.dat differ\n");
    expect(diff).not.toContain("pwned");
    expect(diff).not.toContain("\u001b[");
  });

  it("cuts a file past the per-file bound with counts that still parse, and later files stay whole", async () => {
    const sandbox = await cloned();
    // ~150 KiB of new lines in one file, then a small change in a file after it.
    await exec(sandbox, "seq 1 25000 | sed 's/^/line /' > a-big.txt && echo changed > mod.txt");
    const { diff, truncated } = await diffOf(sandbox);
    expect(truncated).toBe(true);
    const [big = "", rest = ""] = diff.split("diff --git a/mod.txt");
    const marker = big.split("\n").find((l) => l.startsWith(DIFF_TRUNCATED_MARKER));
    expect(marker).toMatch(
      new RegExp(
        `^\\\\ truncated: this file's diff is over ${MAX_DIFF_FILE_BYTES} bytes; (\\d+) more added and 0 more removed lines of this file are not shown$`,
      ),
    );
    const kept = big.split("\n").filter((l) => l.startsWith("+line "));
    expect(kept[0]).toBe("+line 1");
    const more = Number(/(\d+) more added/.exec(marker ?? "")?.[1]);
    expect(kept.length + more).toBe(25000);
    // The hunk's header counts the lines kept.
    expect(big).toContain(`@@ -0,0 +1,${kept.length} @@\n`);
    expect(Buffer.byteLength(big.slice(big.indexOf("@@")))).toBeLessThanOrEqual(MAX_DIFF_FILE_BYTES + 300);
    expect(rest).toContain("+changed\n");
  });

  it("keeps the whole diff under its bound and counts the files it leaves out", async () => {
    const sandbox = await cloned();
    // Twelve files of ~60 KiB each: about 720 KiB of diff, over the 512 KiB bound.
    await exec(sandbox, 'for i in $(seq 10 21); do seq 1 9000 | sed "s/^/f$i /" > f$i.txt; done');
    const { diff, truncated } = await diffOf(sandbox);
    expect(truncated).toBe(true);
    expect(Buffer.byteLength(diff)).toBeLessThanOrEqual(MAX_DIFF_BYTES);
    const shown = [...diff.matchAll(/^diff --git a\/(\S+) /gm)].map((m) => m[1]);
    const last = diff.trimEnd().split("\n").at(-1) ?? "";
    expect(last.startsWith(DIFF_OMITTED_MARKER)).toBe(true);
    const omitted = Number(/^\\ omitted: (\d+) more files are not shown/.exec(last)?.[1]);
    expect(shown.length + omitted).toBe(12);
    expect(shown[0]).toBe("f10.txt");
    expect(omitted).toBeGreaterThan(0);
  });

  it("refuses a bad base, an unknown sandbox and one not cloned", async () => {
    const sandbox = await cloned();
    expect((await h.call("GET", `/v1/sandboxes/${sandbox.id}/diff?base=HEAD`)).status).toBe(400);
    expect((await h.call("GET", `/v1/sandboxes/${sandbox.id}/diff?base=${"0".repeat(40)}`)).status).toBe(409);
    expect((await h.call("GET", "/v1/sandboxes/job-unknown/diff")).status).toBe(404);
    const fresh = await h.sandbox();
    expect((await h.call("GET", `/v1/sandboxes/${fresh.id}/diff`)).status).toBe(409);
    // Without a base, the commit recorded at clone time.
    expect((await h.call<SandboxDiff>("GET", `/v1/sandboxes/${sandbox.id}/diff`)).body).toEqual({
      baseSha: repo.headSha,
      diff: "",
      truncated: false,
    });
  });
});
