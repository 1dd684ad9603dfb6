// The DAG's graph and dagre layout, under node (needs node_modules: `make console`).
import assert from "node:assert/strict";
import { test } from "node:test";
import { layout, pipelineGraph } from "../src/dag.js";

const lists = {
  datasources: [{ name: "logs", type: "kodo", workflow: "" }, { name: "wf_logs", type: "kodo", workflow: "nightly" }],
  jobs: [
    { name: "by_url", srcs: [{ name: "logs", type: "DataSource" }], workflow: "", scheduler: { type: "manual" } },
    { name: "top", srcs: [{ name: "by_url", type: "Job" }], workflow: "", scheduler: { type: "depend" } },
    { name: "nightly_sum", srcs: [{ name: "wf_logs", type: "datasource" }], workflow: "nightly", scheduler: { type: "crontab" } },
  ],
  exports: { by_url: [{ name: "files", type: "kodo" }], top: [], nightly_sum: [{ name: "counts", type: "kodo" }] },
  workflows: [{ name: "nightly", status: "Ready" }, { name: "empty", status: "Ready" }],
  last: { by_url: { runId: 3, status: "Failed" } },
};

test("nodes, edges (depend marked) and the workflows that have members", () => {
  const graph = pipelineGraph(lists);
  assert.deepEqual(graph.nodes.map((n) => n.id).sort(), [
    "ds:logs", "ds:wf_logs", "exp:by_url/files", "exp:nightly_sum/counts", "job:by_url", "job:nightly_sum", "job:top",
  ]);
  assert.deepEqual(graph.edges.map((e) => `${e.from}>${e.to}${e.depend ? " depend" : ""}`).sort(), [
    "ds:logs>job:by_url", "ds:wf_logs>job:nightly_sum", "job:by_url>exp:by_url/files",
    "job:by_url>job:top depend", "job:nightly_sum>exp:nightly_sum/counts",
  ]);
  assert.deepEqual(graph.groups.map((g) => g.id), ["wf:nightly"]);
  const byUrl = graph.nodes.find((n) => n.id === "job:by_url");
  assert.equal(byUrl.status, "Failed");
  assert.equal(byUrl.href, "#/job/by_url");
});

test("the layout runs left to right, without overlaps, members inside their group", () => {
  const graph = pipelineGraph(lists);
  const placed = layout(graph);
  const box = (id) => placed.nodes[id];
  assert.ok(box("ds:logs").x < box("job:by_url").x && box("job:by_url").x < box("job:top").x);
  const ids = graph.nodes.map((n) => n.id);
  for (const a of ids) {
    for (const b of ids) {
      if (a >= b) continue;
      const [p, q] = [box(a), box(b)];
      const apart = Math.abs(p.x - q.x) >= (p.width + q.width) / 2 || Math.abs(p.y - q.y) >= (p.height + q.height) / 2;
      assert.ok(apart, `${a} overlaps ${b}`);
    }
  }
  const group = box("wf:nightly");
  for (const id of ["ds:wf_logs", "job:nightly_sum", "exp:nightly_sum/counts"]) {
    const n = box(id);
    assert.ok(Math.abs(n.x - group.x) <= (group.width - n.width) / 2 + 0.5, `${id} outside its group`);
  }
  assert.equal(placed.edges.length, graph.edges.length);
  assert.ok(placed.width > 0 && placed.height > 0);
});
