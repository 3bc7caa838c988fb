// The job page in a real browser (Debian's Chromium, driven by playwright-core) against the real
// Worker on workerd, the sandbox service and the stand-ins. A scripted job is held at its model
// calls, so the page is open before its steps exist: they arrive live, a cut connection resumes by
// Last-Event-ID without showing a step twice, a hostile step output stays text, and the PR shows
// at the end. With JavaScript off the server's render shows it all. Screenshots go to a temp dir;
// JOB_PAGE_SCREENSHOT=docs/job-page.png also writes the README's.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, watchPage } from "./browser";
import { type CutProxy, startCutProxy } from "./cut-proxy";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

const HOSTILE_OUTPUT = `<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">`;
const HOSTILE_MESSAGE = `<img src="y" onerror="window.__pwned = 3">Changing the title.`;

const PRICE = { inputPerMillion: 2, outputPerMillion: 8 };

let system: System;
let proxy: CutProxy;
let browser: Browser;
let artifacts: string;

beforeAll(async () => {
  system = await startSystem({ vars: { MODEL_PRICES: JSON.stringify({ "scripted-model": PRICE }) } });
  proxy = await startCutProxy(system.url);
  browser = await launchBrowser();
  artifacts = await mkdtemp(join(tmpdir(), "job-page-"));
  await system.github.createRepo("acme", "site", {
    "README.md": "# Site\n",
    "hostile.txt": `${HOSTILE_OUTPUT}\n`,
  });
});
afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await system?.close();
  console.log(`job page screenshots kept in ${artifacts}`);
});

/** A promise a scripted model turn waits on, and the function that lets it go. */
function gate(): { opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

const bash = (command: string) => ({ toolCalls: [{ name: "bash", arguments: { command } }] });

/** Starts a job scripted by `turns`; its events are collected (to `done`) in the background. */
async function startJob(marker: string, turns: Parameters<System["openai"]["setScript"]>[0]) {
  system.openai.setScript(turns, marker);
  const response = await postCode(system, { repoUrl: "acme/site", prompt: `${marker} retitle the README` });
  expect(response.status).toBe(200);
  const jobId = response.headers.get("x-job-id") ?? "";
  const events = collectEvents(response).then((r) => r.events);
  return { jobId, events, pageUrl: `${proxy.url}/jobs/${jobId}` };
}

// The page follows a job that runs beside it on a loaded machine: changes are awaited, never timed.
const LIVE = { timeout: 30_000, interval: 100 };

const seqs = (events: ParsedEvent[], type: string) =>
  events.filter((e) => e.type === type).map((e) => String(e.id));

describe("the job page, live", () => {
  let finished: { pageUrl: string; events: ParsedEvent[] };

  it("shows steps as they happen, resumes after a cut without duplicates, keeps hostile output as text", async () => {
    const first = gate();
    const second = gate();
    const job = await startJob("[live]", [
      { content: "Looking first.", ...bash("cat README.md") },
      async () => {
        await first.opened;
        return bash("cat hostile.txt");
      },
      async () => {
        await second.opened;
        return {
          content: HOSTILE_MESSAGE,
          toolCalls: [{ name: "edit", arguments: { path: "README.md", old: "# Site", new: "# The site" } }],
        };
      },
      { toolCalls: [{ name: "finish", arguments: { title: "Retitle the site", summary: "Retitled." } }] },
    ]);
    const page = await browser.newPage();
    const watch = watchPage(page, proxy.url);
    const response = await page.goto(job.pageUrl);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.locator("#job").getAttribute("data-status"), LIVE).toBe("running");
    await page.evaluate("window.__sameDocument = true");
    const steps = page.locator("#steps > li.step");
    await steps.first().waitFor();

    // Held at turn two: step 2 cannot exist yet, so seeing it means it came live.
    expect(await steps.count()).toBe(1);
    const elapsed = page.locator("#elapsed");
    const before = await elapsed.getAttribute("datetime");
    await expect.poll(() => elapsed.getAttribute("datetime"), LIVE).not.toBe(before);
    first.open();
    await steps.nth(1).waitFor();
    const hostile = steps.nth(1).locator("pre.step-output");
    await expect.poll(() => hostile.textContent(), LIVE).toContain(HOSTILE_OUTPUT);
    await page.screenshot({ path: join(artifacts, "running.png"), fullPage: true });

    // Cut every connection while the job is held, let it run on, and wait for the reconnect.
    const shown = Number(await page.locator("#job").getAttribute("data-last-seq"));
    const reconnect = page.waitForRequest((r) => r.url().includes("/events"));
    proxy.cut();
    second.open();
    const resumed = await reconnect;
    expect(Number((await resumed.allHeaders())["last-event-id"])).toBeGreaterThanOrEqual(shown);

    await page.locator("#pr-link").waitFor();
    await expect.poll(() => page.locator("#job").getAttribute("data-status"), LIVE).toBe("succeeded");
    const events = await job.events;
    const pr = events.find((e) => e.type === "pr")?.data as { url: string; draft: boolean };
    expect(await page.locator("#pr-link").getAttribute("href")).toBe(pr.url);
    expect(await page.locator("#pr-state").textContent()).toBe(pr.draft ? "draft" : "ready for review");
    expect(await page.locator("#status .status-word").textContent()).toBe("succeeded");
    expect(await page.locator("#status-message").textContent()).toBe("The job has ended.");
    const usage = events.at(-1)?.data.usage as { costUsd: number; promptTokens: number };
    expect(await page.locator("#cost").textContent()).toBe(`about $${usage.costUsd.toFixed(4)}`);
    expect(await page.locator("#tokens").textContent()).toMatch(
      new RegExp(`^${usage.promptTokens.toLocaleString("en-US")} prompt \\+ \\d+ completion$`),
    );
    // At `done` the diff section is fetched again from the page's own HTML.
    await expect
      .poll(() => watch.requests.some((r) => r.resourceType() === "fetch" && r.url() === job.pageUrl), LIVE)
      .toBe(true);

    // Every step and message once, in the log's order, and no reload happened.
    expect(await steps.evaluateAll((items) => items.map((i) => i.getAttribute("data-seq")))).toEqual(
      seqs(events, "step"),
    );
    expect(await page.locator("p.message").allTextContents()).toEqual(["Looking first.", HOSTILE_MESSAGE]);
    expect(await page.evaluate("window.__sameDocument")).toBe(true);
    expect(await page.evaluate("window.__pwned")).toBeUndefined();
    expect(await page.locator("#steps img, #messages img").count()).toBe(0);
    // The diff was swapped in live (the page was rendered before publishing): the edit's removed and
    // added lines, each with its visible sign.
    const readme = page.locator('#diff article.diff-file[data-path="README.md"]');
    await readme.waitFor();
    expect(await readme.locator(".del").allTextContents()).toContain("-# Site");
    expect(await readme.locator(".add").allTextContents()).toContain("+# The site");
    expect(await page.locator("#diff .diff-pending").count()).toBe(0);

    expect(watch.foreign()).toEqual([]);
    // A refused image or script would have been fetched from the page's origin as /jobs/x or /jobs/y.
    const paths = watch.requests.map((r) => new URL(r.url()).pathname);
    expect(paths.filter((p) => p === "/jobs/x" || p === "/jobs/y")).toEqual([]);
    // The cut itself is reported against the event stream it broke; nothing else may complain.
    const cutReport =
      /^console: Failed to load resource: net::ERR_(INCOMPLETE_CHUNKED_ENCODING|CONNECTION_RESET)$/;
    expect(watch.errors.filter((e) => !cutReport.test(e))).toEqual([]);
    await page.screenshot({ path: join(artifacts, "done.png"), fullPage: true });
    await page.close();
    finished = { pageUrl: job.pageUrl, events };
  });

  it("loads cleanly with no console error and nothing from another origin", async () => {
    const page = await browser.newPage();
    const watch = watchPage(page, proxy.url);
    await page.goto(finished.pageUrl);
    await page.locator("#pr-link").waitFor();
    expect(await page.getByRole("main").count()).toBe(1);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("acme/site");
    expect(await page.getByRole("contentinfo").count()).toBe(1);
    expect(watch.requests.map((r) => new URL(r.url()).pathname).sort()).toEqual(
      [new URL(finished.pageUrl).pathname, "/job.css", "/job.js"].sort(),
    );
    expect(watch.foreign()).toEqual([]);
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it("with JavaScript off, the server's render shows the steps, messages and PR, readable on a phone", async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 375, height: 740 },
    });
    const page = await context.newPage();
    await page.goto(finished.pageUrl);
    const items = page.locator("#steps > li.step");
    expect(await items.evaluateAll((list) => list.map((i) => i.getAttribute("data-seq")))).toEqual(
      seqs(finished.events, "step"),
    );
    expect(await items.nth(1).locator("summary").textContent()).toMatch(
      /Step 2\s*bash\s*cat hostile\.txt\s*exit 0/,
    );
    expect(await items.nth(1).locator("pre.step-output").textContent()).toContain(HOSTILE_OUTPUT);
    expect(await page.locator("p.message").allTextContents()).toEqual(["Looking first.", HOSTILE_MESSAGE]);
    expect(await page.locator("#steps img, #messages img").count()).toBe(0);
    expect(await page.locator("#pr-link").count()).toBe(1);
    expect(await page.locator("#status").textContent()).toContain("succeeded");
    const overflow = await page.locator("html").evaluate((html) => html.scrollWidth - html.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(artifacts, "no-script-phone.png"), fullPage: true });
    await context.close();
  });

  it.runIf(process.env.JOB_PAGE_SCREENSHOT)("writes the README's screenshot of a finished job", async () => {
    const job = await startJob("[docs]", [
      { content: "I'll look at the README first, then run the checks.", ...bash("cat README.md") },
      bash("test -f CHANGES.md"),
      {
        content: "There is no changelog yet; retitling and adding one.",
        toolCalls: [{ name: "edit", arguments: { path: "README.md", old: "# Site", new: "# The site" } }],
      },
      bash("printf '# Changes\\n\\n- Retitled the README.\\n' > CHANGES.md && test -f CHANGES.md"),
      { toolCalls: [{ name: "finish", arguments: { title: "Retitle the README", summary: "Retitled." } }] },
    ]);
    await job.events;
    const context = await browser.newContext({
      viewport: { width: 900, height: 1000 },
      colorScheme: "light",
    });
    const page = await context.newPage();
    await page.goto(job.pageUrl);
    await page.locator("#steps > li.step").nth(1).locator("summary").click();
    await page.screenshot({ path: String(process.env.JOB_PAGE_SCREENSHOT), fullPage: true });
    await context.close();
  });
});
