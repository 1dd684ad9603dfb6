// The console's shell: sign-in, navigation, and the hash routes of the pages.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, forget, keys, remember } from "./api.js";
import { BatchPage, DagPage, DatasourcesPage, JobPage, JobsPage, VariablesPage, WorkflowsPage } from "./pages.js";
import { ErrorBox, html } from "./ui.js";

function SignIn({ onSignedIn }) {
  const [accessKey, setAccessKey] = useState("");
  const [secretKey, setSecretKey] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (ev) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    remember(accessKey.trim(), secretKey);
    try {
      await api.jobs(); // the keys are good when a signed call passes
      onSignedIn();
    } catch (exc) {
      forget();
      setError(exc);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <form onSubmit=${submit} class="panel">
      <h1><span class="logo">◆</span> Tidemill console</h1>
      <label for="ak">Access key</label>
      <input id="ak" name="accessKey" autocomplete="username" value=${accessKey} onInput=${(e) => setAccessKey(e.target.value)} required />
      <label for="sk">Secret key</label>
      <input id="sk" name="secretKey" type="password" autocomplete="current-password" value=${secretKey} onInput=${(e) => setSecretKey(e.target.value)} required />
      <button type="submit" class="primary" disabled=${busy}>Sign in</button>
      <${ErrorBox} error=${error} />
      <p class="muted small">Requests are signed in this browser; the secret key stays in this tab's session storage and is never sent.</p>
    </form>
  </main>`;
}

const PAGES = [
  ["jobs", "Jobs"], ["dag", "DAG"], ["datasources", "Datasources"], ["variables", "Variables"], ["workflows", "Workflows"],
];

function route() {
  const parts = (location.hash.replace(/^#\/?/, "") || "jobs").split("/").map(decodeURIComponent);
  return parts;
}

function Page({ parts, go }) {
  const [page, a, b] = parts;
  switch (page) {
    case "dag": return html`<${DagPage} go=${go} />`;
    case "job": return html`<${JobPage} key=${a} name=${a} />`;
    case "batch": return html`<${BatchPage} key=${`${a}/${b}`} job=${a} runId=${b} />`;
    case "datasources": return html`<${DatasourcesPage} name=${a} go=${go} />`;
    case "variables": return html`<${VariablesPage} />`;
    case "workflows": return html`<${WorkflowsPage} />`;
    default: return html`<${JobsPage} />`;
  }
}

function App() {
  const [signedIn, setSignedIn] = useState(Boolean(keys()));
  const [parts, setParts] = useState(route());
  useEffect(() => {
    const onHash = () => setParts(route());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    const [page, a, b] = parts;
    const what = page === "job" ? `Job ${a}` : page === "batch" ? `Batch ${a} #${b}`
      : (PAGES.find(([id]) => id === page) || PAGES[0])[1];
    document.title = signedIn ? `${what} · Tidemill` : "Sign in · Tidemill";
  }, [parts, signedIn]);
  if (!signedIn) return html`<${SignIn} onSignedIn=${() => setSignedIn(true)} />`;
  const go = (href) => { location.hash = href; };
  const current = parts[0] === "job" || parts[0] === "batch" ? "jobs" : parts[0];
  return html`<div class="shell">
    <header>
      <a class="brand" href="#/jobs"><span class="logo">◆</span> Tidemill</a>
      <nav>${PAGES.map(([id, label]) => html`<a href=${`#/${id}`} class=${current === id ? "active" : ""}>${label}</a>`)}</nav>
      <span class="who">${keys().accessKey}</span>
      <button class="link" onClick=${() => { forget(); setSignedIn(false); }}>Sign out</button>
    </header>
    <main><${Page} parts=${parts} go=${go} /></main>
  </div>`;
}

render(html`<${App} />`, document.getElementById("app"));
