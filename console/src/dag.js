// The pipeline as a graph: datasources → jobs → exports, job → job depend edges, workflows as
// groups. dagre lays it out (left to right); the page draws it as SVG.
import dagre from "@dagrejs/dagre";
import { colourOf } from "./charts.js";
import { html, link } from "./ui.js";

const NODE_W = 170;
const NODE_H = 44;
const LABEL_H = 18; // a workflow's title sits above its box's members (dagre leaves no room)

/** Nodes, edges and groups from the API's lists. `last` maps a job name to its last batch. */
export function pipelineGraph({ datasources, jobs, exports, workflows, last }) {
  const nodes = [];
  const edges = [];
  const known = new Set();
  const add = (node) => { nodes.push(node); known.add(node.id); };
  for (const ds of datasources) {
    add({ id: `ds:${ds.name}`, kind: "datasource", name: ds.name, detail: ds.type, group: ds.workflow || "", href: link("datasources", ds.name) });
  }
  for (const job of jobs) {
    const batch = last[job.name];
    add({
      id: `job:${job.name}`, kind: "job", name: job.name, group: job.workflow || "",
      detail: batch ? `#${batch.runId} ${batch.status}` : (job.scheduler && job.scheduler.type) || "",
      status: batch && batch.status, href: link("job", job.name),
    });
  }
  for (const job of jobs) {
    for (const src of job.srcs || []) {
      const upstream = String(src.type).toLowerCase() === "job"; // the API keeps the case sent
      const from = upstream ? `job:${src.name}` : `ds:${src.name}`;
      if (known.has(from)) edges.push({ from, to: `job:${job.name}`, depend: upstream });
    }
    for (const exp of exports[job.name] || []) {
      const id = `exp:${job.name}/${exp.name}`;
      add({ id, kind: "export", name: exp.name, detail: exp.type, group: job.workflow || "", href: link("job", job.name) });
      edges.push({ from: `job:${job.name}`, to: id });
    }
  }
  const groups = workflows.map((wf) => ({ id: `wf:${wf.name}`, name: wf.name, status: wf.status }))
    .filter((g) => nodes.some((n) => n.group === g.name));
  return { nodes, edges, groups };
}

/** Positions from dagre: `{width, height, nodes: {id: {x, y, width, height}}, edges: [[pts]]}`. */
export function layout({ nodes, edges, groups }) {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: "LR", nodesep: 34, ranksep: 70, marginx: 16, marginy: 34 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const group of groups) g.setNode(group.id, { label: group.name });
  for (const node of nodes) {
    g.setNode(node.id, { width: NODE_W, height: NODE_H });
    if (node.group && groups.some((gr) => gr.name === node.group)) g.setParent(node.id, `wf:${node.group}`);
  }
  edges.forEach((e, i) => g.setEdge(e.from, e.to, {}, `e${i}`));
  dagre.layout(g);
  const placed = {};
  for (const id of g.nodes()) placed[id] = g.node(id);
  const routes = edges.map((e, i) => g.edge({ v: e.from, w: e.to, name: `e${i}` }).points);
  const graph = g.graph();
  return { width: graph.width || 200, height: graph.height || 100, nodes: placed, edges: routes };
}

const FILL = { datasource: "#eef4ff", export: "#f4f0ff" };

export function Dag({ graph, onOpen }) {
  if (graph.nodes.length === 0) return html`<p class="muted">Nothing to draw yet: create a datasource and a job.</p>`;
  const placed = layout(graph);
  const path = (pts) => pts.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
  return html`<svg class="dag" width=${placed.width} height=${placed.height} viewBox=${`0 0 ${placed.width} ${placed.height}`}>
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" fill="#7d8796" /></marker></defs>
    ${graph.groups.map((group) => {
      const box = placed.nodes[group.id];
      return html`<g class="group" data-workflow=${group.name}>
        <rect x=${box.x - box.width / 2} y=${box.y - box.height / 2 - LABEL_H} width=${box.width} height=${box.height + LABEL_H} rx="8" />
        <text x=${box.x - box.width / 2 + 10} y=${box.y - box.height / 2 - 6}>workflow ${group.name} · ${group.status}</text>
      </g>`;
    })}
    ${placed.edges.map((pts, i) => html`<path class=${graph.edges[i].depend ? "edge depend" : "edge"} d=${path(pts)} marker-end="url(#arrow)" />`)}
    ${graph.nodes.map((node) => {
      const box = placed.nodes[node.id];
      const x = box.x - NODE_W / 2;
      const y = box.y - NODE_H / 2;
      const stroke = node.kind === "job" ? colourOf(node.status) : "#9aa5b5";
      return html`<g class=${`node ${node.kind}`} data-node=${node.id} data-status=${node.status || ""}
          tabindex="0" role="link" onClick=${() => onOpen(node.href)}
          onKeyDown=${(ev) => { if (ev.key === "Enter") onOpen(node.href); }}>
        <rect x=${x} y=${y} width=${NODE_W} height=${NODE_H} rx="6"
          fill=${node.kind === "job" ? "#fff" : FILL[node.kind]} stroke=${stroke} stroke-width=${node.kind === "job" ? 2.5 : 1} />
        ${node.kind === "job" ? html`<rect x=${x} y=${y} width="6" height=${NODE_H} rx="3" fill=${stroke} />` : null}
        <text x=${x + 14} y=${y + 18} class="name">${node.name.length > 20 ? node.name.slice(0, 19) + "…" : node.name}</text>
        <text x=${x + 14} y=${y + 34} class="detail">${node.kind} · ${node.detail}</text>
      </g>`;
    })}
  </svg>`;
}
