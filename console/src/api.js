// Signed calls to the Tidemill REST API from the page. Keys live in sessionStorage only.
import { token } from "./signing.js";

const STORE = "tidemill.console.keys";
const TOKEN_SECONDS = 300; // a request's token is valid this long (§2.5 `expires`)
let skewMs = 0; // the server's clock minus this browser's, from the answers' Date headers

function learnClock(response) {
  const date = Date.parse(response.headers.get("Date") || "");
  if (!Number.isNaN(date)) skewMs = date - Date.now();
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function keys() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) || "null");
  } catch {
    return null;
  }
}

export function remember(accessKey, secretKey) {
  sessionStorage.setItem(STORE, JSON.stringify({ accessKey, secretKey }));
}

export function forget() {
  sessionStorage.removeItem(STORE);
}

function queryText(query) {
  const parts = [];
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === "") continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.join("&");
}

/** One signed request; the parsed JSON answer (null for an empty one). Throws ApiError with
 * the API's own message (`{"error": ...}`) for any non-2xx answer. */
export async function call(method, path, options = {}) {
  const before = skewMs;
  try {
    return await attempt(method, path, options);
  } catch (error) {
    // A browser clock far from the server's makes every token look expired: once the
    // answer's Date has told the difference, sign again with the server's time.
    if (error.status === 401 && /expired/.test(error.message) && Math.abs(skewMs - before) > 1000) {
      return attempt(method, path, options);
    }
    throw error;
  }
}

async function attempt(method, path, { query, body, asText = false }) {
  const k = keys();
  if (!k) throw new ApiError(401, "not signed in");
  const qs = queryText(query);
  // The server compares the token's resource with the decoded path (and query) it received.
  const plainPath = decodeURIComponent(path);
  const resource = qs ? `${plainPath}?${decodeURIComponent(qs)}` : plainPath;
  const contentType = body === undefined ? "" : "application/json";
  const headers = {
    Authorization: await token(k.accessKey, k.secretKey, {
      resource, method, contentType,
      expires: Math.floor((Date.now() + skewMs) / 1000) + TOKEN_SECONDS,
    }),
  };
  if (contentType) headers["Content-Type"] = contentType;
  let response;
  try {
    response = await fetch(qs ? `${path}?${qs}` : path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (exc) {
    throw new ApiError(0, `the server did not answer: ${exc.message}`);
  }
  learnClock(response);
  const text = await response.text();
  if (!response.ok) {
    let message = text || response.statusText;
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed.error === "string") message = parsed.error;
    } catch { /* not JSON: the text itself */ }
    throw new ApiError(response.status, message);
  }
  if (asText) return text;
  return text ? JSON.parse(text) : null;
}

export const get = (path, query) => call("GET", path, { query });
export const post = (path, body) => call("POST", path, { body: body ?? {} });

const n = encodeURIComponent;
export const api = {
  jobs: () => get("/v2/jobs"),
  job: (name) => get(`/v2/jobs/${n(name)}`),
  history: (job, query) => get(`/v2/jobs/${n(job)}/history`, query),
  exports: (job) => get(`/v2/jobs/${n(job)}/exports`),
  start: (job, params) => post(`/v2/jobs/${n(job)}/actions/start`, params ? { params } : {}),
  render: (job, params) => post(`/v2/jobs/${n(job)}/actions/render`, params ? { params } : {}),
  stopJob: (job) => call("POST", `/v2/jobs/${n(job)}/actions/stop`),
  stopBatch: (jobName, runId) => post("/v2/batch/actions/stop", { jobName, runId }),
  rerun: (jobName, runId) => post("/v2/batch/actions/rerun", { jobName, runId }),
  result: (job, runId, limit = 20) => get(`/v2/jobs/${n(job)}/history/${runId}/result`, { limit }),
  log: (job, runId) => call("GET", `/v2/jobs/${n(job)}/history/${runId}/log`, { asText: true }),
  batchExports: (job, runId) => get(`/v2/console/jobs/${n(job)}/history/${runId}/exports`),
  datasources: () => get("/v2/datasources"),
  datasource: (name) => get(`/v2/datasources/${n(name)}`),
  files: (name) => get(`/v2/console/datasources/${n(name)}/files`),
  variables: () => get("/v2/variables"),
  workflows: () => get("/v2/workflows"),
  workflowStatus: (name) => get(`/v2/workflows/${n(name)}/status`),
  startWorkflow: (name) => post(`/v2/workflows/${n(name)}/start`, {}),
  stopWorkflow: (name) => post(`/v2/workflows/${n(name)}/stop`, {}),
};
