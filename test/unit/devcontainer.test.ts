// devcontainer.json as a job reads it (src/worker/environment/devcontainer.ts and plan.ts): the
// three lifecycle command forms, JSONC comments and trailing commas, containerEnv under remoteEnv,
// workspaceFolder mapped into the clone, what the job does not do as notes, bad files refused with
// where they are wrong, and the cache key's inputs.
import { describe, expect, it } from "vitest";
import { commandText } from "../../src/worker/environment/commands";
import { parseDevContainer } from "../../src/worker/environment/devcontainer";
import { hasCommands, planEnvironment } from "../../src/worker/environment/plan";
import { isLockfile } from "../../src/worker/environment/repo-files";
import { SetupError } from "../../src/worker/errors";

const PATH = ".devcontainer/devcontainer.json";
const parse = (text: string) => parseDevContainer(text, PATH, "api");

function refusal(text: string): string {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(SetupError);
    expect((error as SetupError).code).toBe("setup_failed");
    return (error as Error).message;
  }
  throw new Error("parsed");
}

describe("devcontainer.json", () => {
  it("reads the three command forms: string in a shell, array as argv, object in parallel", () => {
    const parsed = parse(`{
      // JSONC: comments of both kinds and trailing commas, as the spec allows
      "image": "mcr.microsoft.com/devcontainers/javascript-node:22", /* the Modal image */
      "onCreateCommand": "npm ci && echo done",
      "updateContentCommand": ["npm", "run", "build", "--", "it's"],
      "postCreateCommand": {
        "server": "npm run fetch-fixtures",
        "db": ["make", "db"],
        "empty": "",
      },
    }`);
    expect(parsed.image).toBe("mcr.microsoft.com/devcontainers/javascript-node:22");
    expect(parsed.commands).toEqual({
      onCreateCommand: [{ argv: ["/bin/sh", "-c", "npm ci && echo done"] }],
      updateContentCommand: [{ argv: ["npm", "run", "build", "--", "it's"] }],
      postCreateCommand: [
        { name: "server", argv: ["/bin/sh", "-c", "npm run fetch-fixtures"] },
        { name: "db", argv: ["make", "db"] },
      ],
    });
    const texts = Object.values(parsed.commands).flatMap((list) => list.map(commandText));
    expect(texts).toEqual([
      "npm ci && echo done",
      "npm run build -- 'it'\\''s'",
      "server: npm run fetch-fixtures",
      "db: make db",
    ]);
    expect(parsed.notes).toEqual([]);
  });

  it("puts remoteEnv over containerEnv, unsets with null, and leaves PATH and HOME to the sandbox", () => {
    const parsed = parse(`{
      "containerEnv": { "NODE_ENV": "development", "DROP": "x", "A": "1", "PATH": "/x" },
      "remoteEnv": { "A": "2", "DROP": null, "HOME": "/root", "B": "\${containerEnv:A}" }
    }`);
    expect(parsed.env).toEqual({ NODE_ENV: "development", A: "2", B: `\${containerEnv:A}` });
    expect(parsed.notes).toEqual([
      `${PATH}: \`containerEnv.PATH\` is ignored; PATH is the sandbox's own.`,
      `${PATH}: \`remoteEnv.HOME\` is ignored; HOME is the sandbox's own.`,
      `${PATH}: variables such as \${containerEnv:…} are not substituted in containerEnv or remoteEnv.`,
    ]);
  });

  it("maps workspaceFolder into the clone and refuses one outside it", () => {
    const folder = (value: string) => parse(JSON.stringify({ workspaceFolder: value })).cwd;
    expect(folder("packages/web")).toBe("packages/web");
    expect(folder("./packages//web/")).toBe("packages/web");
    expect(folder("/workspaces/api/packages/web")).toBe("packages/web");
    expect(folder(`/workspaces/\${localWorkspaceFolderBasename}/svc`)).toBe("svc");
    expect(folder("/workspaces/api")).toBeUndefined();
    expect(folder("packages/../svc")).toBe("svc");
    expect(refusal('{ "workspaceFolder": "/workspaces/other/x" }')).toMatch(
      /workspaceFolder` "\/workspaces\/other\/x" is outside the repository/,
    );
    expect(refusal('{ "workspaceFolder": "/home/app" }')).toMatch(/outside the repository/);
    expect(refusal('{ "workspaceFolder": "../elsewhere" }')).toMatch(/outside the repository/);
    expect(refusal('{ "workspaceFolder": 3 }')).toMatch(/`workspaceFolder` must be a string/);
  });

  it("names what a job does not do as notes", () => {
    const parsed = parse(
      '{ "build": { "dockerfile": "Dockerfile" }, "features": {}, "initializeCommand": "x", "postStartCommand": "y" }',
    );
    expect(parsed.notes).toEqual([
      `${PATH}: \`build\` (a Dockerfile) is not built; the sandbox's image is used.`,
      `${PATH}: \`features\` are not installed; install what they provide in \`onCreateCommand\`.`,
      `${PATH}: \`initializeCommand\` runs on the host in the spec, so it never runs here.`,
      `${PATH}: \`postStartCommand\` does not run (a job's sandbox is not restarted).`,
    ]);
    expect(Object.values(parsed.commands).flat()).toEqual([]);
  });

  it("refuses a file that does not parse, naming the error and its line and column", () => {
    expect(refusal('{\n  "image": "node",\n  "postCreateCommand": "npm ci"\n  "x": 1\n}')).toBe(
      `${PATH} does not parse: CommaExpected at line 4, column 3.`,
    );
    expect(refusal('{ "image": "node", ')).toMatch(/does not parse: \w+ at line 1, column \d+\./);
    expect(refusal("")).toMatch(/does not parse/);
  });

  it("refuses fields of the wrong shape", () => {
    expect(refusal("[1, 2]")).toBe(`${PATH}: the file must hold one JSON object.`);
    expect(refusal('{ "postCreateCommand": 3 }')).toBe(
      `${PATH}: postCreateCommand must be a string, an array of strings or an object.`,
    );
    expect(refusal('{ "onCreateCommand": ["npm", 1] }')).toBe(
      `${PATH}: onCreateCommand must be an array of strings.`,
    );
    expect(refusal('{ "postCreateCommand": { "a": { "b": "c" } } }')).toBe(
      `${PATH}: postCreateCommand.a must be a string, an array of strings or an object.`,
    );
    expect(refusal('{ "containerEnv": { "A-B": "x" } }')).toMatch(/invalid variable "A-B"/);
    expect(refusal('{ "containerEnv": { "A": 1 } }')).toMatch(/`containerEnv.A` must be a string/);
    expect(refusal('{ "image": "" }')).toMatch(/`image` must be a non-empty string/);
  });
});

describe("the environment plan", () => {
  const lockfiles = [
    { path: "package-lock.json", sha: "a".repeat(40) },
    { path: "requirements-dev.txt", sha: "b".repeat(40) },
  ];
  const devcontainer = { path: PATH, sha: "c".repeat(40), text: '{ "postCreateCommand": "npm ci" }' };

  it("keys the cache on the repository, the devcontainer.json blob and the lockfiles", async () => {
    const plan = await planEnvironment("acme/api", { devcontainer, lockfiles }, "ignored");
    expect(plan?.source).toBe(PATH);
    expect(plan?.cacheKey).toMatch(/^[0-9a-f]{64}$/);
    const again = await planEnvironment(
      "acme/api",
      { devcontainer, lockfiles: [...lockfiles].reverse() },
      "",
    );
    expect(again?.cacheKey).toBe(plan?.cacheKey);
    const keys = await Promise.all([
      planEnvironment("acme/web", { devcontainer, lockfiles }, ""),
      planEnvironment("acme/api", { devcontainer: { ...devcontainer, sha: "d".repeat(40) }, lockfiles }, ""),
      planEnvironment("acme/api", { devcontainer, lockfiles: lockfiles.slice(1) }, ""),
    ]);
    for (const other of keys) expect(other?.cacheKey).not.toBe(plan?.cacheKey);
  });

  it("falls back to SETUP_COMMAND as the only postCreate command, and to nothing", async () => {
    const plan = await planEnvironment("acme/api", { lockfiles }, "npm ci");
    expect(plan).toMatchObject({
      source: "SETUP_COMMAND",
      commands: {
        onCreateCommand: [],
        updateContentCommand: [],
        postCreateCommand: [{ argv: ["/bin/sh", "-c", "npm ci"] }],
      },
      env: {},
    });
    expect(plan && hasCommands(plan)).toBe(true);
    const other = await planEnvironment("acme/api", { lockfiles }, "make deps");
    expect(other?.cacheKey).not.toBe(plan?.cacheKey);
    expect(await planEnvironment("acme/api", { lockfiles }, "")).toBeNull();
    const envOnly = await planEnvironment(
      "acme/api",
      { devcontainer: { ...devcontainer, text: '{"containerEnv":{"A":"1"}}' }, lockfiles },
      "",
    );
    expect(envOnly && hasCommands(envOnly)).toBe(false);
  });

  it("knows the lockfiles of the ecosystems the cache keys on", () => {
    for (const name of [
      "package-lock.json",
      "pnpm-lock.yaml",
      "yarn.lock",
      "bun.lockb",
      "requirements.txt",
      "requirements-dev.txt",
      "poetry.lock",
      "uv.lock",
      "Cargo.lock",
      "go.sum",
      "Gemfile.lock",
    ]) {
      expect(isLockfile(name), name).toBe(true);
    }
    for (const name of ["package.json", "go.mod", "requirements", "yarn.lock.bak", "Cargo.toml"]) {
      expect(isLockfile(name), name).toBe(false);
    }
  });
});
