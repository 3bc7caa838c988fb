// `npm run bench`: every benchmark in one run, printed as a Markdown table (and written to
// bench/latest.md, which the README quotes). Figures are ratios or sit beside a baseline
// measured in the same run, because this machine is shared and noisy.
// `npm run bench -- slack-ack load` runs only the named benchmarks and prints their rows
// without touching bench/latest.md (paste them in by hand).
import { writeFile } from "node:fs/promises";
import { benchAgent } from "./agent";
import { benchCode } from "./code";
import { benchLoad } from "./load";
import { benchSandbox } from "./sandbox";
import { benchSandboxEnv } from "./sandbox-env";
import { benchSandboxTimeout } from "./sandbox-timeout";
import { benchSlackAck } from "./slack-ack";
import { type Row, table } from "./stats";

const benches: Record<string, () => Promise<Row[]>> = {
  code: benchCode,
  "slack-ack": benchSlackAck,
  agent: benchAgent,
  sandbox: benchSandbox,
  "sandbox-env": benchSandboxEnv,
  "sandbox-timeout": benchSandboxTimeout,
  load: benchLoad,
};

const only = process.argv.slice(2);
const unknown = only.filter((name) => !(name in benches));
if (unknown.length > 0) {
  throw new Error(`unknown benchmark ${unknown.join(", ")}; known: ${Object.keys(benches).join(", ")}`);
}
const rows: Row[] = [];
for (const [name, bench] of Object.entries(benches)) {
  if (only.length === 0 || only.includes(name)) rows.push(...(await bench()));
}
const out = `${table(rows)}\n\n_${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${process.platform}/${process.arch}_\n`;
console.log(out);
if (only.length === 0) await writeFile(new URL("./latest.md", import.meta.url), out);
