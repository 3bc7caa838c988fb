#!/usr/bin/env node
// The sandbox service's image build, in one place: the Dockerfile runs these steps and so does
// test/sandbox-service/image.test.ts (no Docker engine in CI), so the two cannot drift apart.
//
//   node scripts/build-service.mjs bundle  [--out DIR]  DIR/dist/sandbox-service.mjs (esbuild)
//   node scripts/build-service.mjs install [--out DIR]  package.json + lock into DIR, production deps only
//   node scripts/build-service.mjs         [--out DIR]  both
//
// DIR defaults to the current directory. The bundle keeps every package external, so at run time
// it resolves only what `install` put in DIR/node_modules: the production dependencies.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The entry file inside the output directory; the image's CMD runs it. */
const BUNDLE = "dist/sandbox-service.mjs";

function usage(message) {
  console.error(`build-service: ${message}\nusage: build-service.mjs [bundle|install] [--out DIR]`);
  process.exit(2);
}

function parseArgs(argv) {
  const steps = [];
  let out = process.cwd();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "bundle" || arg === "install") steps.push(arg);
    else if (arg === "--out") {
      const value = argv[++i];
      if (!value) usage("--out needs a directory");
      out = resolve(value);
    } else usage(`unknown argument ${JSON.stringify(arg)}`);
  }
  return { steps: steps.length > 0 ? steps : ["bundle", "install"], out };
}

/** Bundles our TypeScript (src/sandbox-service + src/protocol) into one ESM file for Node 24. */
async function bundle(out) {
  // esbuild comes with wrangler (a dev dependency): bundling is a build step, never a runtime one.
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [join(projectRoot, "src/sandbox-service/server.ts")],
    absWorkingDir: projectRoot,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    packages: "external",
    outfile: join(out, BUNDLE),
    logLevel: "warning",
  });
}

/** Production dependencies only, exactly as locked, with no install scripts. */
function install(out) {
  mkdirSync(out, { recursive: true });
  if (out !== projectRoot) {
    for (const file of ["package.json", "package-lock.json"])
      copyFileSync(join(projectRoot, file), join(out, file));
  }
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = spawnSync(npm, ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: out,
    stdio: "inherit",
  });
  if (result.status !== 0) {
    console.error(`build-service: npm ci --omit=dev failed (${result.error ?? `exit ${result.status}`})`);
    process.exit(1);
  }
}

const { steps, out } = parseArgs(process.argv.slice(2));
if (steps.includes("bundle")) await bundle(out);
if (steps.includes("install")) install(out);
