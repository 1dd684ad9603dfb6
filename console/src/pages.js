// The console's pages. Each loads through the signed API and polls for changes.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { DurationChart, Sparkline } from "./charts.js";
import { Dag, pipelineGraph } from "./dag.js";
import {
  Action, ErrorBox, FINISHED, Json, Loading, STATUSES, Status, bytes, html, link,
  schedulerText, seconds, usePoll, when,
} from "./ui.js";

const SPARK_BATCHES = 20;

async function jobsWithHistory(size) {
  const { jobs } = await api.jobs();
  const histories = await Promise.all(jobs.map((j) => api.history(j.name, { page: 1, size })));
  return jobs.map((job, i) => ({ job, batches: histories[i].history, total: histories[i].total }));
}

export function JobsPage() {
  const { data, error } = usePoll(() => jobsWithHistory(SPARK_BATCHES), []);
  return html`<section>
    <h1>Jobs</h1>
    <${ErrorBox} error=${error} />
    ${data === undefined ? html`<${Loading} what="jobs" />` : data.length === 0
      ? html`<p class="muted">No job yet.</p>`
      : html`<table class="list" id="jobs">
        <thead><tr><th>Job</th><th>Scheduler</th><th>Workflow</th><th>Last batch</th><th>Next fire times</th><th>Durations</th></tr></thead>
        <tbody>${data.map(({ job, batches }) => html`<tr data-job=${job.name}>
          <td><a href=${link("job", job.name)}>${job.name}</a></td>
          <td>${schedulerText(job.scheduler)}</td>
          <td>${job.workflow || html`<span class="muted">—</span>`}</td>
          <td>${batches[0] ? html`<a href=${link("batch", job.name, batches[0].runId)}>#${batches[0].runId}</a> <${Status} status=${batches[0].status} />` : html`<${Status} />`}</td>
          <td class="times">${(job.nextFireTimes || []).slice(0, 2).map((t) => html`<div>${when(t)}</div>`)}
            ${(job.nextFireTimes || []).length === 0 ? html`<span class="muted">—</span>` : null}</td>
          <td><${Sparkline} batches=${batches} /></td>
        </tr>`)}</tbody></table>`}
  </section>`;
}

async function pipeline() {
  const [{ datasources }, { jobs }, workflows] = await Promise.all([api.datasources(), api.jobs(), api.workflows()]);
  const [lists, lasts] = await Promise.all([
    Promise.all(jobs.map((j) => api.exports(j.name))),
    Promise.all(jobs.map((j) => api.history(j.name, { runId: -1 }))),
  ]);
  const exports = {};
  const last = {};
  jobs.forEach((j, i) => { exports[j.name] = lists[i].exports; last[j.name] = lasts[i].history[0]; });
  return pipelineGraph({ datasources, jobs, exports, workflows, last });
}

export function DagPage({ go }) {
  const { data, error } = usePoll(pipeline, [], 4000);
  return html`<section>
    <h1>DAG</h1>
    <p class="muted">Datasources → jobs → exports; dashed edges are depend jobs; boxes are workflows. Click a node to open it.</p>
    <${ErrorBox} error=${error} />
    ${data === undefined ? html`<${Loading} what="the pipeline" />` : html`<div class="dag-wrap"><${Dag} graph=${data} onOpen=${go} /></div>`}
  </section>`;
}

function SqlView({ code }) {
  const parts = (code || "").split(/(\$\([A-Za-z0-9_]+\))/g);
  return html`<pre class="sql">${parts.map((p) => /^\$\([A-Za-z0-9_]+\)$/.test(p) ? html`<mark class="var" title="magic variable">${p}</mark>` : p)}</pre>`;
}

function StartForm({ name, job, onDone, onError, onCancel }) {
  const declared = job.params || [];
  const [values, setValues] = useState(Object.fromEntries(declared.map((p) => [p.name, p.default || ""])));
  const [dry, setDry] = useState(null);
  const params = () => {
    const given = declared.map((p) => ({ name: p.name, value: values[p.name] ?? "" }));
    return given.length ? given : null;
  };
  const run = (action) => async (ev) => {
    ev.preventDefault();
    onError(null);
    try {
      await action();
    } catch (error) {
      onError(error);
    }
  };
  const start = run(async () => { await api.start(name, params()); onDone(); });
  const render = run(async () => setDry(await api.render(name, params())));
  return html`<div>
    <form class="start-form" onSubmit=${start}>
      ${declared.length === 0 ? html`<p class="muted">This job declares no params.</p>` : declared.map((p) => html`<label>
        ${p.name}<input name=${p.name} value=${values[p.name]} placeholder=${p.default}
          onInput=${(ev) => setValues({ ...values, [p.name]: ev.target.value })} /></label>`)}
      <button type="submit" class="primary">Start now</button>
      <button type="button" onClick=${render}>Dry run</button>
      <button type="button" onClick=${onCancel}>Cancel</button>
    </form>
    ${dry ? html`<${DryRun} dry=${dry} />` : null}
  </div>`;
}

function DryRun({ dry }) {
  return html`<div class="panel" id="dry-run"><h2>Dry run at ${when(dry.batchTime)} <span class="muted small">nothing was run</span></h2>
    <h3>SQL with its variables rendered</h3><pre class="sql">${dry.sql}</pre>
    <p class="muted small">engine ${dry.engine.name}: ${dry.engine.reason}</p>
    <h3>Inputs</h3>
    <table class="list"><thead><tr><th>Table</th><th>Source</th><th>Files</th><th>Size</th></tr></thead>
      <tbody>${dry.sources.map((s) => html`<tr><td>${s.tableName}</td><td>${s.type} ${s.name}${s.runId ? ` #${s.runId}` : ""}</td>
        <td>${s.fileCount ?? "—"}</td><td>${s.bytes === undefined ? "—" : bytes(s.bytes)}</td></tr>`)}</tbody></table>
    ${dry.exports.length ? html`<h3>Exports would write</h3>${dry.exports.map((e) => html`<div><b>${e.name}</b> <span class="muted">${e.type}</span><${Json} value=${e.target} /></div>`)}` : null}
  </div>`;
}

const PAGE_SIZE = 10;

export function JobPage({ name }) {
  const [status, setStatus] = useState("");
  const [page, setPage] = useState(1);
  const [actionError, setActionError] = useState(null);
  const [starting, setStarting] = useState(false);
  const spec = usePoll(() => Promise.all([api.job(name), api.exports(name)]), [name], 10000);
  const recent = usePoll(() => api.history(name, { page: 1, size: 30 }), [name]);
  const table = usePoll(() => api.history(name, { page, size: PAGE_SIZE, status }), [name, page, status]);
  const refresh = () => { recent.reload(); table.reload(); spec.reload(); };
  const [job, exportList] = spec.data || [];
  const latest = recent.data && recent.data.history[0];
  const pages = table.data ? Math.max(1, Math.ceil(table.data.total / PAGE_SIZE)) : 1;
  return html`<section>
    <h1>Job <span class="name">${name}</span> ${latest ? html`<${Status} status=${latest.status} />` : null}</h1>
    <${ErrorBox} error=${spec.error || actionError} />
    ${!job ? html`<${Loading} what="the job" />` : html`
      <div class="toolbar">
        <button class="primary" onClick=${() => setStarting(!starting)}>Start</button>
        <${Action} label="Stop" action=${() => api.stopJob(name)} onError=${setActionError} onDone=${refresh} />
        <${Action} label=${latest && FINISHED.has(latest.status) ? `Rerun #${latest.runId}` : "Rerun"} disabled=${!latest || !FINISHED.has(latest.status)}
          action=${() => api.rerun(name, latest.runId)} onError=${setActionError} onDone=${refresh} />
        <span class="muted">${schedulerText(job.scheduler)}${job.workflow ? ` · workflow ${job.workflow}` : ""}</span>
      </div>
      ${starting ? html`<${StartForm} name=${name} job=${job} onError=${setActionError} onCancel=${() => setStarting(false)}
        onDone=${() => { setStarting(false); refresh(); }} />` : null}
      <div class="cols">
        <div class="panel"><h2>SQL</h2><${SqlView} code=${job.computation && job.computation.code} />
          ${(job.nextFireTimes || []).length ? html`<h3>Next fire times</h3><ul class="times">${job.nextFireTimes.map((t) => html`<li>${when(t)}</li>`)}</ul>` : null}
          <h3>Exports</h3>${(exportList && exportList.exports.length) ? html`<ul>${exportList.exports.map((e) => html`<li><b>${e.name}</b> <span class="muted">${e.type}</span></li>`)}</ul>` : html`<p class="muted">None.</p>`}
        </div>
        <div class="panel"><h2>Duration of the last batches</h2>
          <${ErrorBox} error=${recent.error} />
          ${recent.data ? html`<${DurationChart} batches=${recent.data.history} />` : html`<${Loading} />`}
        </div>
      </div>
      <div class="panel">
        <h2>History</h2>
        <div class="toolbar">
          <label>Status <select value=${status} onChange=${(ev) => { setStatus(ev.target.value); setPage(1); }}>
            <option value="">All</option>${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
          </select></label>
          <button disabled=${page <= 1} onClick=${() => setPage(page - 1)}>‹ Newer</button>
          <span class="muted">page ${page} of ${pages}${table.data ? ` · ${table.data.total} batches` : ""}</span>
          <button disabled=${page >= pages} onClick=${() => setPage(page + 1)}>Older ›</button>
        </div>
        <${ErrorBox} error=${table.error} />
        ${table.data ? html`<table class="list" id="history">
          <thead><tr><th>Batch</th><th>Status</th><th>Batch time</th><th>Start</th><th>End</th><th>Duration</th><th>Message</th></tr></thead>
          <tbody>${table.data.history.map((b) => html`<tr data-run=${b.runId}>
            <td><a href=${link("batch", name, b.runId)}>#${b.runId}</a></td><td><${Status} status=${b.status} /></td>
            <td>${when(b.batchTime)}</td><td>${when(b.startTime)}</td><td>${when(b.endTime)}</td>
            <td>${seconds(b.duration)}</td><td class="message">${b.message}</td></tr>`)}</tbody>
        </table>` : html`<${Loading} />`}
      </div>
      <details class="panel"><summary>Spec</summary><${Json} value=${job} /></details>`}
  </section>`;
}

function ResultTable({ result }) {
  return html`<table class="list result"><thead><tr>${result.columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
    <tbody>${result.rows.map((row) => html`<tr>${row.map((v) => html`<td>${v === null ? html`<span class="muted">null</span>` : typeof v === "object" ? JSON.stringify(v) : String(v)}</td>`)}</tr>`)}</tbody></table>
    <p class="muted">${result.rows.length} of ${result.total} rows</p>`;
}

async function batchDetails(job, runId, status) {
  const settle = (promise) => promise.then((value) => ({ value }), (error) => ({ error }));
  const [log, result, exports] = await Promise.all([
    settle(api.log(job, runId)),
    status === "Successful" ? settle(api.result(job, runId, 20)) : Promise.resolve(null),
    settle(api.batchExports(job, runId)),
  ]);
  return { log, result, exports };
}

export function BatchPage({ job, runId }) {
  const [actionError, setActionError] = useState(null);
  const batch = usePoll(() => api.history(job, { runId }), [job, runId]);
  const current = batch.data && batch.data.history[0];
  const status = current && current.status;
  // Log, result and exports change with the status: loaded again when it changes.
  const details = usePoll(() => (status ? batchDetails(job, runId, status) : Promise.resolve(null)), [job, runId, status], 0);
  const d = details.data;
  return html`<section>
    <h1>Batch <a href=${link("job", job)}>${job}</a> #${runId} ${current ? html`<${Status} status=${status} />` : null}</h1>
    <${ErrorBox} error=${batch.error || actionError} />
    ${batch.data && !current ? html`<div class="error" role="alert">job ${job} has no batch ${runId}</div>` : null}
    ${current ? html`
      <div class="toolbar">
        <${Action} label="Stop" disabled=${status !== "Running"} action=${() => api.stopBatch(job, Number(runId))} onError=${setActionError} onDone=${batch.reload} />
        <${Action} label="Rerun" disabled=${!FINISHED.has(status)} action=${() => api.rerun(job, Number(runId))} onError=${setActionError} onDone=${batch.reload} />
      </div>
      <div class="panel"><dl class="facts">
        <dt>Status</dt><dd id="batch-status">${status}</dd>
        <dt>Batch time</dt><dd>${when(current.batchTime)}</dd>
        <dt>Started</dt><dd>${when(current.startTime)}</dd>
        <dt>Ended</dt><dd>${FINISHED.has(status) ? when(current.endTime) : html`<span class="muted">not yet</span>`}</dd>
        <dt>Duration</dt><dd>${seconds(current.duration)}</dd>
        <dt>Message</dt><dd class="message">${current.message || html`<span class="muted">—</span>`}</dd>
      </dl></div>
      <div class="panel"><h2>Exports</h2>
        ${!d ? html`<${Loading} />` : d.exports.error ? html`<${ErrorBox} error=${d.exports.error} />`
          : d.exports.value.exports.length === 0 ? html`<p class="muted">No export outcome recorded.</p>`
          : html`<table class="list"><thead><tr><th>Export</th><th>Type</th><th>Run</th><th>Status</th><th>Rows</th><th>Message</th></tr></thead>
            <tbody>${d.exports.value.exports.map((e) => html`<tr><td>${e.name}</td><td>${e.type}</td><td>${e.attempt ? `rerun ${e.attempt}` : "first"}</td><td><${Status} status=${e.status} /></td><td>${e.rows}</td><td class="message">${e.message}</td></tr>`)}</tbody></table>`}
      </div>
      <div class="panel"><h2>Result preview</h2>
        ${status !== "Successful" ? html`<p class="muted">Only a Successful batch has a result.</p>`
          : !d || !d.result ? html`<${Loading} />` : d.result.error ? html`<${ErrorBox} error=${d.result.error} />`
          : html`<${ResultTable} result=${d.result.value} />`}
      </div>
      <div class="panel"><h2>Log</h2>
        ${!d ? html`<${Loading} />` : d.log.error
          ? (d.log.error.status === 404 || d.log.error.status === 405
            ? html`<p class="muted" id="log">log not available (${d.log.error.message})</p>`
            : html`<${ErrorBox} error=${d.log.error} />`)
          : html`<pre class="log" id="log">${d.log.value}</pre>`}
      </div>` : null}
  </section>`;
}

export function DatasourcesPage({ name, go }) {
  const list = usePoll(() => api.datasources(), [], 10000);
  return html`<section>
    <h1>Datasources</h1>
    <${ErrorBox} error=${list.error} />
    <div class="split">
      <nav class="side">${list.data === undefined ? html`<${Loading} />` : list.data.datasources.length === 0
        ? html`<p class="muted">No datasource yet.</p>`
        : list.data.datasources.map((ds) => html`<a class=${ds.name === name ? "active" : ""} href=${link("datasources", ds.name)}>${ds.name} <span class="muted">${ds.type}</span></a>`)}</nav>
      <div class="main">${name ? html`<${Datasource} key=${name} name=${name} />` : html`<p class="muted">Choose a datasource.</p>`}</div>
    </div>
  </section>`;
}

function Datasource({ name }) {
  const ds = usePoll(() => api.datasource(name), [name], 0);
  const files = usePoll(() => api.files(name), [name], 0);
  return html`<div>
    <h2>${name}</h2>
    <${ErrorBox} error=${ds.error} />
    ${ds.data ? html`<div class="cols">
      <div class="panel"><h3>Spec</h3><${Json} value=${{ type: ds.data.type, region: ds.data.region, spec: ds.data.spec, workflow: ds.data.workflow }} /></div>
      <div class="panel"><h3>Schema</h3><table class="list"><thead><tr><th>Key</th><th>Type</th></tr></thead>
        <tbody>${ds.data.schema.map((f) => html`<tr><td>${f.key}</td><td>${f.valtype}</td></tr>`)}</tbody></table></div>
    </div>` : html`<${Loading} />`}
    <div class="panel" id="files"><h3>Files the spec selects now</h3>
      <${ErrorBox} error=${files.error} />
      ${files.data ? html`<p class="muted">${files.data.total} files at ${when(files.data.time)}</p>
        <table class="list"><thead><tr><th>File</th><th>Size</th><th>Format</th><th>Compression</th></tr></thead>
        <tbody>${files.data.files.map((f) => html`<tr><td>${f.name}</td><td>${bytes(f.size)}</td><td>${f.format}</td><td>${f.compression || "—"}</td></tr>`)}</tbody></table>`
        : files.error ? null : html`<${Loading} />`}
    </div>
  </div>`;
}

export function VariablesPage() {
  const { data, error } = usePoll(() => api.variables(), [], 10000);
  return html`<section>
    <h1>Variables</h1>
    <${ErrorBox} error=${error} />
    ${data === undefined ? html`<${Loading} />` : html`<table class="list" id="variables">
      <thead><tr><th>Name</th><th>Type</th><th>Value</th><th>Format</th></tr></thead>
      <tbody>${data.variables.map((v) => html`<tr><td><code>$(${v.name})</code></td><td>${v.type}</td><td>${v.value}</td><td>${v.format || ""}</td></tr>`)}</tbody>
    </table>`}
  </section>`;
}

const RUNNING_WORKFLOW = new Set(["Starting", "Started", "Stopping"]);

export function WorkflowsPage() {
  const [actionError, setActionError] = useState(null);
  const { data, error, reload } = usePoll(() => api.workflows(), []);
  return html`<section>
    <h1>Workflows</h1>
    <${ErrorBox} error=${error || actionError} />
    ${data === undefined ? html`<${Loading} />` : data.length === 0 ? html`<p class="muted">No workflow yet.</p>` : html`<table class="list" id="workflows">
      <thead><tr><th>Workflow</th><th>Status</th><th>Nodes</th><th>Updated</th><th></th></tr></thead>
      <tbody>${data.map((wf) => html`<tr data-workflow=${wf.name}>
        <td><b>${wf.name}</b>${wf.comment ? html`<div class="muted">${wf.comment}</div>` : null}</td>
        <td><span class=${`status s-${wf.status.toLowerCase()}`}>${wf.status}</span></td>
        <td>${Object.values(wf.nodes || {}).map((n) => n.name).join(", ") || html`<span class="muted">—</span>`}</td>
        <td>${when(wf.updateTime)}</td>
        <td class="actions"><${Action} label="Start" disabled=${RUNNING_WORKFLOW.has(wf.status)} action=${() => api.startWorkflow(wf.name)} onError=${setActionError} onDone=${reload} />
          <${Action} label="Stop" disabled=${!RUNNING_WORKFLOW.has(wf.status)} action=${() => api.stopWorkflow(wf.name)} onError=${setActionError} onDone=${reload} /></td>
      </tr>`)}</tbody></table>`}
  </section>`;
}
