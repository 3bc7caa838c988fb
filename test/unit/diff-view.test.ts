// The job page's diff section, rendered from a real git diff (bounded by the service's own script,
// run here on a plain temp repository instead of in a jail): files, notes, signs, escaping, cuts.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectDiffWith, type DiffBounds } from "../../src/sandbox-service/diff";
import type { GitRunner } from "../../src/sandbox-service/jailed-git";
import { DiffView } from "../../src/worker/page/diff-view";

let dir: string;
let base: string;
const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();
const runner: GitRunner = async (argv) =>
  execFileSync(argv[0] ?? "", argv.slice(1), { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
const diffOf = async (bounds?: DiffBounds) => (await collectDiffWith(runner, base, bounds)).diff;
const render = (diff: string | null, prUrl?: string) => String(DiffView({ diff, prUrl }));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "diff-view-"));
  git("init", "-q", "-b", "main");
  git("config", "user.email", "t@example.com");
  git("config", "user.name", "t");
  writeFileSync(join(dir, "page.html"), "<p>one</p>\n<p>two</p>\n");
  writeFileSync(join(dir, "gone.txt"), "bye\n");
  writeFileSync(join(dir, "old-name.txt"), "a\nb\nc\nd\ne\n");
  writeFileSync(join(dir, "run.sh"), "echo hi\n");
  writeFileSync(join(dir, "big.txt"), Array.from({ length: 3000 }, (_, i) => `line ${i}`).join("\n"));
  git("add", "-A");
  git("commit", "-qm", "base");
  base = git("rev-parse", "HEAD");
  writeFileSync(join(dir, "page.html"), "<p>one</p>\n<script>alert('x')</script>\n");
  rmSync(join(dir, "gone.txt"));
  git("mv", "old-name.txt", "new-name.txt");
  chmodSync(join(dir, "run.sh"), 0o755);
  writeFileSync(join(dir, "blob.bin"), Buffer.from([0, 1, 2, 0, 255]));
  writeFileSync(join(dir, "big.txt"), Array.from({ length: 3000 }, (_, i) => `LINE ${i}`).join("\n"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("DiffView", () => {
  it("says the diff comes with publishing when there is none yet, and when nothing changed", () => {
    expect(render(null)).toContain("The diff appears when publishing starts.");
    expect(render("")).toContain("No file changed.");
  });

  it("renders each file with its notes, signed lines and escaped text", async () => {
    const html = render(await diffOf());
    const paths = [...html.matchAll(/<article class="diff-file" data-path="([^"]*)"/g)].map((m) => m[1]);
    expect(paths).toEqual(["big.txt", "blob.bin", "gone.txt", "new-name.txt", "page.html", "run.sh"]);
    const article = (path: string) =>
      html.slice(html.indexOf(`data-path="${path}"`)).split("</article>")[0] ?? "";
    expect(article("blob.bin")).toContain("(added)");
    expect(article("blob.bin")).toContain("(binary)");
    expect(article("gone.txt")).toContain("(deleted)");
    expect(article("gone.txt")).toContain(
      '<span class="del" data-old="1"><span class="sign">-</span>bye</span>',
    );
    expect(article("new-name.txt")).toContain("(renamed from old-name.txt)");
    expect(article("run.sh")).toContain("(mode 100644 → 100755)");
    const page = article("page.html");
    expect(page).toContain("@@ -1,2 +1,2 @@");
    expect(page).toContain(
      '<span class="context" data-old="1" data-new="1"><span class="sign"> </span>&lt;p&gt;one&lt;/p&gt;</span>',
    );
    expect(page).toContain(
      '<span class="del" data-old="2"><span class="sign">-</span>&lt;p&gt;two&lt;/p&gt;</span>',
    );
    expect(page).toContain(
      '<span class="add" data-new="2"><span class="sign">+</span>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</span>',
    );
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("diff-truncated");
  });

  it("ends a cut file with the marker and a link to the pull request's files", async () => {
    const diff = await diffOf({ fileBytes: 2000, totalBytes: 512 * 1024 });
    const html = render(diff, "https://github.com/acme/app/pull/7");
    const big = html.slice(html.indexOf('data-path="big.txt"')).split("</article>")[0] ?? "";
    expect(big).toMatch(
      /<p class="diff-truncated">Truncated: this file&#39;s diff is over 2000 bytes; \d+ more added and \d+ more removed lines of this file are not shown\./,
    );
    expect(big).toContain('<a href="https://github.com/acme/app/pull/7/files">');
    // The kept lines are the file's first, in order, and the next file is whole.
    expect(big).toContain('data-old="1"><span class="sign">-</span>line 0</span>');
    expect(html).toContain('data-path="page.html"');
    expect(render(diff)).toContain("The pull request will show the whole change.");
  });

  it("names the files a whole-diff cut left out", async () => {
    const diff = await diffOf({ fileBytes: 2000, totalBytes: 3000 });
    expect(Buffer.byteLength(diff)).toBeLessThanOrEqual(3000);
    const html = render(diff, "https://github.com/acme/app/pull/7");
    expect(html).toMatch(
      /<p class="diff-omitted">Not shown: \d+ more files are not shown; the whole diff reached 3000 bytes\./,
    );
    expect(html).toContain('data-path="big.txt"');
    expect(html).not.toContain('data-path="run.sh"');
  });
});
