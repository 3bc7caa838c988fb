// The job page's live part: follows the job with the browser's own EventSource from the
// server-rendered position (`data-last-seq`), so nothing already on the page is sent twice; a
// reconnect resumes by Last-Event-ID. Event data goes in through textContent only, never as HTML.
// The diff is never rendered here: on `publishing` and at `done` the page's own HTML is fetched
// and its `#diff` section swapped in (one renderer, the server's).

(() => {
  const main = document.getElementById("job");
  if (main?.dataset.status !== "running" || typeof EventSource !== "function") return;

  const byId = (id) => document.getElementById(id);
  const createdAt = Date.parse(main.dataset.createdAt || "");
  let lastSeq = Number(main.dataset.lastSeq || "0");

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function formatDuration(ms) {
    const total = Math.max(0, Math.round(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    if (h > 0) return `${h}h ${m}m`;
    if (m > 0) return `${m}m ${s}s`;
    return `${s}s`;
  }

  function showElapsed(ms) {
    const time = byId("elapsed");
    if (!time) return;
    time.textContent = formatDuration(ms);
    time.setAttribute("datetime", `PT${Math.max(0, Math.round(ms / 1000))}S`);
  }

  /** The one-line form of a step's input: a JSON input's `command`, else the input itself. */
  function inputLine(input) {
    let line = input;
    try {
      const parsed = JSON.parse(input);
      if (parsed && typeof parsed === "object" && typeof parsed.command === "string") line = parsed.command;
    } catch {
      // Plain-text input: shown as it is.
    }
    line = line.replace(/\s+/g, " ").trim();
    return line.length > 120 ? `${line.slice(0, 119)}…` : line;
  }

  function stepDuration(ms) {
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
  }

  function dropEmpty(list) {
    const empty = document.querySelector(`[data-empty-for="${list}"]`);
    if (empty) empty.remove();
  }

  function addStep(seq, step) {
    const list = byId("steps");
    if (!list) return;
    dropEmpty("steps");
    const item = el("li", "step");
    item.dataset.seq = String(seq);
    const details = el("details");
    const summary = el("summary");
    // The setup phase's commands are numbered apart from the agent's steps (the step count).
    const setup = step.tool === "setup";
    const label = `${setup ? "Setup" : "Step"} ${step.n}`;
    summary.append(el("span", "step-n", label), " ", el("code", "step-tool", step.tool), " ");
    summary.append(el("code", "step-input", inputLine(step.input)));
    if (typeof step.exitCode === "number") {
      summary.append(
        el("span", step.exitCode === 0 ? "step-exit" : "step-exit fail", ` exit ${step.exitCode}`),
      );
    }
    summary.append(el("span", "step-duration", ` ${stepDuration(step.durationMs)}`));
    details.append(summary, el("p", "label", "Input"), el("pre", "step-input-full", step.input));
    details.append(
      el("p", "label", "Output"),
      step.output === "" ? el("p", "empty", "No output.") : el("pre", "step-output", step.output),
    );
    item.append(details);
    list.append(item);
    const count = byId("step-count");
    if (count && !setup) count.textContent = String(Math.max(Number(count.textContent) || 0, step.n));
  }

  function addMessage(seq, text) {
    const section = byId("messages");
    if (!section) return;
    dropEmpty("messages");
    const p = el("p", "message", text);
    p.dataset.seq = String(seq);
    section.append(p);
  }

  function setStatus(word, phase, message) {
    const status = document.querySelector("#status .status-word");
    if (status && word) {
      status.textContent = word;
      status.dataset.status = word;
      main.dataset.status = word;
    }
    const phaseEl = byId("phase");
    if (phaseEl && phase) phaseEl.textContent = phase;
    const messageEl = byId("status-message");
    if (messageEl && message !== undefined) messageEl.textContent = message;
  }

  function showPr(pr) {
    const outcome = byId("outcome");
    if (!outcome) return;
    const old = byId("pr");
    if (old) old.remove();
    const p = el("p");
    p.id = "pr";
    const link = el("a", "", `#${pr.number} ${pr.title}`);
    link.id = "pr-link";
    link.href = pr.url;
    const state = el("span", "pr-state", pr.draft ? "draft" : "ready for review");
    state.id = "pr-state";
    p.append("Pull request: ", link, " ", state);
    outcome.prepend(p);
  }

  function showError(error) {
    const outcome = byId("outcome");
    if (!outcome || byId("error")) return;
    const section = el("section");
    section.id = "error";
    section.setAttribute("role", "alert");
    section.setAttribute("aria-labelledby", "error-heading");
    const heading = el("h2", "", "Error");
    heading.id = "error-heading";
    const p = el("p");
    p.append(el("code", "error-code", error.code), " ", el("span", "error-message", error.message));
    section.append(heading, p);
    outcome.append(section);
  }

  function showUsage(usage) {
    const n = (value) => value.toLocaleString("en-US");
    const tokens = byId("tokens");
    if (tokens)
      tokens.textContent = `${n(usage.promptTokens)} prompt + ${n(usage.completionTokens)} completion`;
    const cost = byId("cost");
    if (cost) {
      cost.textContent =
        typeof usage.costUsd === "number"
          ? `about $${usage.costUsd.toFixed(4)}`
          : "no price known for this model";
    }
    const count = byId("step-count");
    if (count) count.textContent = String(usage.steps);
    showElapsed(usage.durationMs);
  }

  /** Swaps in the server's current rendering of `#diff`. */
  async function refreshDiff() {
    try {
      const response = await fetch(location.href, { headers: { accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser()
        .parseFromString(await response.text(), "text/html")
        .getElementById("diff");
      const current = byId("diff");
      if (fresh && current) current.replaceWith(document.importNode(fresh, true));
    } catch {
      // The next refresh (or a reload) shows it; the rest of the page is unaffected.
    }
  }

  const ticker = setInterval(() => {
    if (!Number.isNaN(createdAt)) showElapsed(Date.now() - createdAt);
  }, 1000);

  const source = new EventSource(`${main.dataset.eventsUrl}?after=${lastSeq}`);
  /** Runs `render` for an event not shown yet (the log's seq is the SSE id). */
  function on(type, render) {
    source.addEventListener(type, (event) => {
      const seq = Number(event.lastEventId);
      if (!Number.isInteger(seq) || seq <= lastSeq || document.querySelector(`[data-seq="${seq}"]`)) return;
      lastSeq = seq;
      main.dataset.lastSeq = String(seq);
      render(JSON.parse(event.data), seq);
    });
  }
  on("step", (data, seq) => addStep(seq, data));
  on("message", (data, seq) => addMessage(seq, data.text));
  on("status", (data) => {
    setStatus("", data.phase, data.message);
    if (data.phase === "publishing") void refreshDiff();
  });
  on("pr", (data) => showPr(data));
  on("error", (data) => showError(data));
  on("done", (data) => {
    source.close();
    clearInterval(ticker);
    setStatus(data.status, "done", "The job has ended.");
    showUsage(data.usage);
    document.title = document.title.replace(/^running/, data.status);
    void refreshDiff();
  });
})();
