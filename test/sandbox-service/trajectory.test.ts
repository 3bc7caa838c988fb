// Multi-command trajectories of the kind real agents produce, through the service's HTTP API on
// both backends: a scratch script written to /tmp in one command and run in the next, notes kept in
// $HOME, the tools agents reach for (python, pip, rg, node, git), and /tmp and HOME private to a
// sandbox and gone with it.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloneResult, ExecResult, SandboxInfo } from "../../src/protocol/sandbox";
import { sandboxName } from "../../src/sandbox-service/job-name";
import { type BackendKind, type ContractHarness, startContractHarness } from "./contract-harness";
import { type BareRepo, b64, makeBareRepo } from "./harness";

const FIX_SCRIPT = `import pathlib
p = pathlib.Path("/workspace/app.py")
p.write_text(p.read_text().replace("return a - b", "return a + b"))
print("patched", p)
`;

describe.each<BackendKind>(["local", "modal"])("agent trajectories: %s backend", (kind) => {
  let h: ContractHarness;
  let repo: BareRepo;

  beforeAll(async () => {
    repo = await makeBareRepo({
      "app.py": "def add(a, b):\n    return a - b\n",
      "README.md": "# demo\nThe needle is here.\n",
    });
    h = await startContractHarness(kind, [repo.dir]);
  });
  afterAll(async () => {
    await h?.close();
    await repo?.cleanup();
  });

  /** One agent command, as the agent's shell tool sends it: `bash -lc`-style, one string. */
  const sh = async (sandbox: SandboxInfo, command: string, stdin?: string): Promise<ExecResult> => {
    const body = {
      argv: ["bash", "-c", command],
      timeoutMs: 60_000,
      ...(stdin ? { stdinBase64: b64(stdin) } : {}),
    };
    const reply = await h.call<ExecResult>("POST", `/v1/sandboxes/${sandbox.id}/exec`, body);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return reply.body;
  };
  const cloned = async (): Promise<SandboxInfo> => {
    const sandbox = await h.sandbox();
    const reply = await h.call<CloneResult>("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url: repo.url });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return sandbox;
  };

  it("writes a script to /tmp with a heredoc, runs it with python in the next command, then sees the diff", async () => {
    const sandbox = await cloned();
    const write = await sh(sandbox, `cat > /tmp/fix.py <<'EOF'\n${FIX_SCRIPT}EOF`);
    expect(write).toMatchObject({ exitCode: 0, output: "" });
    const run = await sh(sandbox, "python /tmp/fix.py");
    expect(run).toMatchObject({ exitCode: 0, output: "patched /workspace/app.py\n" });
    const status = await sh(sandbox, "git status --short && git diff");
    expect(status.exitCode).toBe(0);
    expect(status.output).toMatch(/^ M app\.py\n/);
    expect(status.output).toContain("-    return a - b\n+    return a + b\n");
    const check = await sh(sandbox, `python -c 'import app; print(app.add(2, 3))'`);
    expect(check).toMatchObject({ exitCode: 0, output: "5\n" });
  });

  it("`cd /tmp && …` in one command; the files stay for the next", async () => {
    const sandbox = await h.sandbox();
    const made = await sh(
      sandbox,
      "cd /tmp && mkdir -p work && cd work && printf 'x = 41\\n' > cfg.py && pwd",
    );
    expect(made).toMatchObject({ exitCode: 0, output: "/tmp/work\n" });
    const used = await sh(sandbox, "cd /tmp/work && python3 -c 'import cfg; print(cfg.x + 1)'");
    expect(used).toMatchObject({ exitCode: 0, output: "42\n" });
    const tmpfile = await sh(sandbox, "python -c 'import tempfile; print(tempfile.gettempdir())'");
    expect(tmpfile.output).toBe("/tmp\n");
  });

  it("keeps $HOME (/root) across commands: a note and a git identity set there", async () => {
    const sandbox = await cloned();
    expect((await sh(sandbox, 'echo "$HOME"; cd ~ && pwd')).output).toBe("/root\n/root\n");
    await sh(sandbox, "echo 'remember: tests in tests/' > ~/notes.txt");
    await sh(
      sandbox,
      "git config --global user.name Agent && git config --global user.email agent@example.com",
    );
    expect(await sh(sandbox, "cat ~/notes.txt")).toMatchObject({
      exitCode: 0,
      output: "remember: tests in tests/\n",
    });
    const commit = await sh(
      sandbox,
      "echo more >> README.md && git commit -qam wip && git log -1 --format=%an",
    );
    expect(commit).toMatchObject({ exitCode: 0, output: "Agent\n" });
  });

  it("has the tools agents reach for: python, pip, rg, node, git", async () => {
    const sandbox = await cloned();
    const python = await sh(sandbox, "python --version && python3 --version");
    expect(python.output).toMatch(/^Python 3\.\d+\.\d+\nPython 3\.\d+\.\d+\n$/);
    const pip = await sh(sandbox, "pip --version && python3 -m pip --version");
    expect(pip.exitCode, pip.output).toBe(0);
    expect(pip.output).toMatch(/^pip \d+[\s\S]*\(python 3\.\d+\)\npip \d+/);
    const rg = await sh(sandbox, "rg -n needle");
    expect(rg).toMatchObject({ exitCode: 0, output: "README.md:2:The needle is here.\n" });
    expect((await sh(sandbox, "rg -n absent-word")).exitCode).toBe(1);
    const node = await sh(sandbox, `node -e 'console.log([1, 2, 3].map((x) => x * 2).join(","))'`);
    expect(node).toMatchObject({ exitCode: 0, output: "2,4,6\n" });
    const git = await sh(sandbox, "git status --porcelain=v1 --branch");
    expect(git).toMatchObject({ exitCode: 0, output: "## main...origin/main\n" });
  });

  it("keeps one sandbox's /tmp and HOME from another", async () => {
    const a = await h.sandbox();
    const b = await h.sandbox();
    await sh(a, "echo secret-a > /tmp/a.txt && echo home-a > ~/a.txt");
    const seen = await sh(b, "ls -A /tmp ~; cat /tmp/a.txt ~/a.txt");
    expect(seen.exitCode).not.toBe(0);
    expect(seen.output).not.toContain("secret-a");
    expect(seen.output).not.toContain("home-a");
    expect((await sh(a, "cat /tmp/a.txt ~/a.txt")).output).toBe("secret-a\nhome-a\n");
  });

  it("removes the sandbox's /tmp and HOME with it on terminate", async () => {
    const sandbox = await h.sandbox();
    await sh(sandbox, "echo scratch > /tmp/scratch.txt && echo note > ~/note.txt");
    // Where each backend keeps them on this machine: the local sandbox directory, or the stand-in's.
    const atModal = [...(h.modal?.sandboxes.values() ?? [])].find((s) => s.tags.jobId === sandbox.jobId);
    const hostDir = kind === "local" ? join(h.root, sandboxName(sandbox.id)) : (atModal?.task.dir ?? "");
    expect(existsSync(join(hostDir, "tmp", "scratch.txt"))).toBe(true);
    expect(existsSync(join(hostDir, "home", "note.txt"))).toBe(true);
    const path = `/v1/sandboxes/${encodeURIComponent(sandbox.id)}`;
    expect((await h.call("DELETE", path)).status).toBe(204);
    expect(existsSync(hostDir)).toBe(false);
    expect((await h.call("POST", `${path}/exec`, { argv: ["true"] })).status).toBe(404);
  });
});
