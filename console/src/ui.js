// Small shared pieces of the pages: polling, status badges, errors, tables, JSON.
import { html } from "htm/preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export { html };

export const POLL_MS = 2000;
export const STATUSES = ["Ready", "Running", "Successful", "Failed", "Canceled", "Restarting", "Cancelling"];
export const FINISHED = new Set(["Successful", "Failed", "Canceled"]);

/** Run `load` now and every `ms` while the page shows; `{data, error, reload}`. Answers of
 * an older `deps` are dropped. An error keeps the last good data and is shown beside it. */
export function usePoll(load, deps, ms = POLL_MS) {
  const [state, setState] = useState({ data: undefined, error: null });
  const generation = useRef(0);
  const run = useCallback(async () => {
    const mine = generation.current;
    try {
      const data = await load();
      if (mine === generation.current) setState({ data, error: null });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error }));
    }
  }, deps);
  useEffect(() => {
    generation.current += 1;
    setState({ data: undefined, error: null });
    run();
    const timer = ms ? setInterval(() => { if (!document.hidden) run(); }, ms) : null;
    return () => { generation.current += 1; if (timer) clearInterval(timer); };
  }, [run]);
  return { ...state, reload: run };
}

export function Status({ status }) {
  if (!status) return html`<span class="status none">no batch</span>`;
  return html`<span class=${`status s-${status.toLowerCase()}`} data-status=${status}>${status}</span>`;
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error" role="alert">${error.message || String(error)}</div>`;
}

export function Loading({ what = "" }) {
  return html`<p class="muted">Loading${what ? ` ${what}` : ""}…</p>`;
}

export function Json({ value }) {
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

export function link(...parts) {
  return "#/" + parts.map((p) => encodeURIComponent(String(p))).join("/");
}

export function when(text) {
  if (!text) return "—";
  return text.replace("T", " ").replace(/\+\d\d:\d\d$|Z$/, "");
}

export function seconds(value) {
  if (value === undefined || value === null) return "—";
  if (value < 60) return `${value} s`;
  const m = Math.floor(value / 60);
  if (m < 60) return `${m} min ${value % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function schedulerText(scheduler) {
  if (!scheduler) return "manual";
  const spec = scheduler.spec || {};
  if (scheduler.type === "crontab") return `crontab ${spec.crontab || ""}`;
  if (scheduler.type === "loop") return `every ${spec.loop || ""}`;
  return scheduler.type;
}

/** An action button: runs `action`, shows "…" while it runs, and hands its error to `onError`. */
export function Action({ label, action, onError, onDone, disabled, kind = "" }) {
  const [busy, setBusy] = useState(false);
  const click = async () => {
    setBusy(true);
    onError(null);
    try {
      await action();
      if (onDone) onDone();
    } catch (error) {
      onError(error);
    } finally {
      setBusy(false);
    }
  };
  return html`<button class=${kind} disabled=${disabled || busy} onClick=${click}>${label}</button>`;
}
