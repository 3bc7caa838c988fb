// The jail's copy of the /etc allow-list (etc-view.ts): what it copies, what it leaves to live
// binds, and how it follows the host, with a temporary directory standing in for the host's /etc.
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EtcViews } from "../../src/sandbox-service/etc-view";

let host: string;
let views: EtcViews;

beforeEach(async () => {
  host = await mkdtemp(join(tmpdir(), "etc-view-test-"));
  await writeFile(join(host, "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  await writeFile(join(host, "hosts"), "127.0.0.1 localhost\n");
  await mkdir(join(host, "ssl"));
  await writeFile(join(host, "ssl", "cert.pem"), "PEM");
  await utimes(join(host, "passwd"), new Date("2020-01-02T03:04:05Z"), new Date("2020-01-02T03:04:05Z"));
  views = new EtcViews(["passwd", "hosts", "ssl", "absent"], host, 0);
});
afterEach(async () => {
  views.removeAll();
  await rm(host, { recursive: true, force: true });
});

describe("etc view", () => {
  it("copies files with their times, leaves directories to live binds, skips what is missing", async () => {
    const view = views.view();
    expect(await readFile(join(view.dir, "passwd"), "utf8")).toBe("root:x:0:0:root:/root:/bin/sh\n");
    expect(statSync(join(view.dir, "passwd")).mtime.toISOString()).toBe("2020-01-02T03:04:05.000Z");
    expect(view.liveDirs).toEqual(["ssl"]);
    // An empty mount point for the live bind, never the directory's content.
    expect(statSync(join(view.dir, "ssl")).isDirectory()).toBe(true);
    expect(existsSync(join(view.dir, "ssl", "cert.pem"))).toBe(false);
    expect(existsSync(join(view.dir, "absent"))).toBe(false);
    expect(statSync(view.dir).mode & 0o777).toBe(0o755);
  });

  it("makes a new copy when a source changes, and leaves the copy a jail may still have bound", async () => {
    const first = views.view();
    await views.refresh();
    expect(views.view()).toBe(first);
    // Replaced by rename, as tools that edit /etc do.
    await writeFile(join(host, "passwd.new"), "root:x:0:0:root:/root:/bin/bash\n");
    await rename(join(host, "passwd.new"), join(host, "passwd"));
    await views.refresh();
    const second = views.view();
    expect(second.dir).not.toBe(first.dir);
    expect(await readFile(join(second.dir, "passwd"), "utf8")).toContain("/bin/bash");
    expect(await readFile(join(first.dir, "passwd"), "utf8")).toContain("/bin/sh\n");
    await writeFile(join(host, "absent"), "now here\n");
    await views.refresh();
    expect(await readFile(join(views.view().dir, "absent"), "utf8")).toBe("now here\n");
  });

  it("removes its copies", () => {
    const { dir } = views.view();
    views.removeAll();
    expect(existsSync(dir)).toBe(false);
  });
});
