// Hand-drawn SVG charts of batch durations: a sparkline for the Jobs table and a bar chart
// for the Job page. `batches` are history entries, newest first (the API's default order).
import { html } from "./ui.js";

const COLOURS = {
  Successful: "#2e9d5b", Failed: "#d64545", Canceled: "#8a8f98", Running: "#2f6fdb",
  Ready: "#b0b6bf", Restarting: "#2f6fdb", Cancelling: "#c78a1e",
};

export const colourOf = (status) => COLOURS[status] || "#b0b6bf";

export function Sparkline({ batches, width = 120, height = 24 }) {
  const shown = [...(batches || [])].reverse().filter((b) => b.startTime);
  if (shown.length === 0) return html`<span class="muted">—</span>`;
  const max = Math.max(1, ...shown.map((b) => b.duration));
  const slot = width / Math.max(shown.length, 12);
  const bar = Math.max(2, slot - 2);
  return html`<svg class="spark" width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`}
      role="img" aria-label=${`durations of the last ${shown.length} batches`}>
    <line x1="0" y1=${height - 0.5} x2=${width} y2=${height - 0.5} stroke="#dde2e9" />
    ${shown.map((b, i) => {
      const h = Math.max(2, ((height - 2) * b.duration) / max);
      return html`<rect x=${i * slot} y=${height - 1 - h} width=${bar} height=${h} rx="1" fill=${colourOf(b.status)}>
        <title>${`#${b.runId} ${b.status}: ${b.duration} s`}</title></rect>`;
    })}
  </svg>`;
}

export function DurationChart({ batches, width = 640, height = 160 }) {
  const shown = [...(batches || [])].reverse();
  if (shown.length === 0) return html`<p class="muted">No batch yet.</p>`;
  const max = Math.max(1, ...shown.map((b) => b.duration));
  const left = 40;
  const bottom = 20;
  const slot = Math.min(36, (width - left - 8) / shown.length);
  const bar = Math.max(2, Math.min(28, slot - 3));
  const scale = (height - bottom - 10) / max;
  return html`<svg class="chart" width="100%" height=${height} viewBox=${`0 0 ${width} ${height}`}
      preserveAspectRatio="xMinYMid meet"
      role="img" aria-label="duration of the last batches">
    <line x1=${left} y1=${height - bottom} x2=${width - 4} y2=${height - bottom} stroke="#c9ced6" />
    <text x=${left - 6} y=${height - bottom} text-anchor="end" class="axis">0</text>
    <text x=${left - 6} y="14" text-anchor="end" class="axis">${max} s</text>
    ${shown.map((b, i) => {
      const h = Math.max(1, b.duration * scale);
      const x = left + i * slot + (slot - bar) / 2;
      return html`<g>
        <rect x=${x} y=${height - bottom - h} width=${bar} height=${h} rx="2" fill=${colourOf(b.status)}>
          <title>${`#${b.runId} ${b.status}: ${b.duration} s`}</title>
        </rect>
        ${shown.length <= 20 || i % Math.ceil(shown.length / 20) === 0
          ? html`<text x=${x + bar / 2} y=${height - 6} text-anchor="middle" class="axis">${b.runId}</text>`
          : null}
      </g>`;
    })}
  </svg>`;
}
