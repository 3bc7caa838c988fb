// GET /readyz through the real Worker on workerd: ready when the sandbox service proves its
// bubblewrap backend, D1 answers and the configuration is complete; 401 without a valid token;
// and a 503 naming each failing part (the sandbox service unreachable, a key jobs need missing)
// without echoing a secret or the credentials in a URL.
import { readFile, rm, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPortUrl } from "./closed-port";
import { type System, startSystem } from "./harness";

function readyz(system: System, token: string | null = system.apiToken): Promise<Response> {
  return fetch(
    `${system.url}/readyz`,
    token === null ? {} : { headers: { authorization: `Bearer ${token}` } },
  );
}

describe("GET /readyz on a healthy system", () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  }, 60_000);
  afterAll(async () => {
    await system?.close();
  });

  it("answers 200 ready with every check passed, the sandbox's backend named", async () => {
    const response = await readyz(system);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      status: "ready",
      checks: {
        sandbox: { ok: true, backend: "local", ms: expect.any(Number) },
        database: { ok: true, ms: expect.any(Number) },
        config: { ok: true },
      },
    });
  });

  it("is 401 problem+json without a token or with a wrong one; /healthz needs none", async () => {
    for (const token of [null, "not-a-configured-token"]) {
      const response = await readyz(system, token);
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(await response.json()).toMatchObject({ title: "Unauthorized", status: 401 });
    }
    const health = await fetch(`${system.url}/healthz`);
    expect(health.status).toBe(200);
  });
});

describe("GET /readyz with the sandbox service unreachable and OPENAI_API_KEY unset", () => {
  let system: System;
  let origin: string;
  const password = "url-password-1234567890";
  beforeAll(async () => {
    origin = await closedPortUrl();
    // Credentials in the URL, to prove the answer names the origin only.
    const withUserinfo = origin.replace("http://", `http://ops:${password}@`);
    system = await startSystem({
      vars: { SANDBOX_SERVICE_URL: withUserinfo },
      secretsOverride: { OPENAI_API_KEY: "" },
    });
  }, 60_000);
  afterAll(async () => {
    await system?.close();
  });

  it("answers 503 naming the sandbox service and the missing key, D1 still ok, no secret echoed", async () => {
    const response = await readyz(system);
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const text = await response.text();
    const body = JSON.parse(text) as {
      detail: string;
      checks: Record<string, { ok: boolean; error?: string; missing?: string[] }>;
    };
    expect(body).toMatchObject({ type: "about:blank", title: "Not ready", status: 503 });
    expect(body.checks.sandbox).toEqual({
      ok: false,
      ms: expect.any(Number),
      error: `sandbox service unreachable at ${origin}`,
    });
    expect(body.checks.database).toEqual({ ok: true, ms: expect.any(Number) });
    expect(body.checks.config).toMatchObject({ ok: false, missing: ["OPENAI_API_KEY"] });
    expect(body.checks.config?.error).toMatch(/Missing OPENAI_API_KEY, for the model API\./);
    expect(body.detail).toContain(`sandbox: sandbox service unreachable at ${origin}`);
    expect(body.detail).toContain("config: Missing OPENAI_API_KEY");
    expect(text).not.toContain(password);
    for (const value of Object.values(system.secrets).filter((v) => v.length > 8)) {
      expect(text).not.toContain(value);
    }
  });
});

describe("GET /readyz when the sandbox service answers but bubblewrap fails", () => {
  let system: System;
  const before = process.env.BWRAP_PATH;
  beforeAll(async () => {
    // The in-process service looks bwrap up at every proof; /bin/false runs but starts no jail.
    process.env.BWRAP_PATH = "/bin/false";
    system = await startSystem();
  }, 60_000);
  afterAll(async () => {
    await system?.close();
    if (before === undefined) delete process.env.BWRAP_PATH;
    else process.env.BWRAP_PATH = before;
  });

  it("answers 503 with the service's own words about bwrap", async () => {
    const response = await readyz(system);
    expect(response.status).toBe(503);
    const body = (await response.json()) as {
      detail: string;
      checks: Record<string, { ok: boolean; error?: string }>;
    };
    expect(body.checks.sandbox).toEqual({
      ok: false,
      ms: expect.any(Number),
      error: `sandbox service at ${system.service.url}: backend not ready — bubblewrap failed: exit 1 with no message`,
    });
    expect(body.checks.database?.ok).toBe(true);
    expect(body.checks.config?.ok).toBe(true);
    expect(body.detail).toBe(`sandbox: ${body.checks.sandbox?.error}`);
  });
});

describe("GET /readyz on a deployment whose wrangler.toml has no D1 binding", () => {
  let system: System;
  // Beside wrangler.toml, so its relative paths (main, assets, tsconfig) resolve the same.
  const configPath = "./wrangler.readyz-no-d1.toml";
  beforeAll(async () => {
    const toml = await readFile("./wrangler.toml", "utf8");
    const withoutD1 = toml.replace(/\n# [^\n]*\n\[\[d1_databases\]\]\n(?:[a-z_]+ = [^\n]*\n?)+/, "\n");
    expect(withoutD1).not.toContain("d1_databases");
    await writeFile(configPath, withoutD1);
    system = await startSystem({ configPath });
  }, 60_000);
  afterAll(async () => {
    await system?.close();
    await rm(configPath, { force: true });
  });

  it("answers 503 saying the binding is missing, the other checks still run", async () => {
    const response = await readyz(system);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { detail: string; checks: Record<string, { ok: boolean }> };
    expect(body.checks.database).toEqual({
      ok: false,
      ms: 0,
      error: "D1 binding DB missing (wrangler.toml [[d1_databases]])",
    });
    expect(body.checks.sandbox).toMatchObject({ ok: true, backend: "local" });
    expect(body.checks.config).toEqual({ ok: true });
    expect(body.detail).toBe("database: D1 binding DB missing (wrangler.toml [[d1_databases]])");
  });
});

describe("GET /readyz when the sandbox service holds the proof past the deadline", () => {
  let system: System;
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  beforeAll(async () => {
    system = await startSystem({
      serviceHook: async (request) => {
        if (request.path === "/v1/ready") await held;
      },
    });
  }, 60_000);
  afterAll(async () => {
    release();
    await system?.close();
  });

  it("answers 503 saying the service did not answer in time, the other checks reported beside it", async () => {
    const response = await readyz(system);
    release();
    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: Record<string, { ok: boolean; error?: string }> };
    expect(body.checks.sandbox).toMatchObject({
      ok: false,
      error: `sandbox service at ${system.tap?.url} did not answer within 3 s`,
    });
    expect(body.checks.database?.ok).toBe(true);
    expect(body.checks.config?.ok).toBe(true);
    // The Worker asked with the service's own token, and nothing else of its secrets.
    const asked = system.tap?.seen.filter((r) => r.path === "/v1/ready") ?? [];
    expect(asked.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${system.secrets.SANDBOX_SERVICE_TOKEN}`,
    ]);
  });
});
