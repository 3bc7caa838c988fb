// `npm run bench`: every benchmark in one run, printed as a Markdown table (and written to
// bench/latest.md, which the README quotes). Figures are ratios or sit beside a baseline
// measured in the same run, because this machine is shared and noisy.
import { writeFile } from "node:fs/promises";
import { benchAgent } from "./agent";
import { benchCode } from "./code";
import { benchLoad } from "./load";
import { benchSandbox } from "./sandbox";
import { benchSandboxTimeout } from "./sandbox-timeout";
import { benchSlackAck } from "./slack-ack";
import { type Row, table } from "./stats";

const rows: Row[] = [
  ...(await benchCode()),
  ...(await benchSlackAck()),
  ...(await benchAgent()),
  ...(await benchSandbox()),
  ...(await benchSandboxTimeout()),
  ...(await benchLoad()),
];
const out = `${table(rows)}\n\n_${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${process.platform}/${process.arch}_\n`;
console.log(out);
await writeFile(new URL("./latest.md", import.meta.url), out);
