// The spec's test vectors (§2.6) against the console's signer, run by `npm test` (node --test).
import assert from "node:assert/strict";
import { test } from "node:test";
import { signature, stringToSign, token } from "../src/signing.js";

const AK = "ak_test_0123456789";
const SK = "sk_test_abcdefghijklmnopqrstuvwxyz";
const DATE = "Mon, 02 Jan 2006 15:04:05 GMT";

test("A: create datasource", async () => {
  const req = { method: "POST", path: "/v2/datasources/my_ds", contentType: "application/json", date: DATE };
  assert.equal(stringToSign(req), "POST\n\napplication/json\nMon, 02 Jan 2006 15:04:05 GMT\n/v2/datasources/my_ds");
  assert.equal(await signature(AK, SK, req), `Pandora ${AK}:fFMotMoN5uU38v6Z5-W8zKAYFlc=`);
});

test("B: history, the query not signed", async () => {
  const req = { method: "GET", path: "/v2/jobs/my_job/history", date: DATE };
  assert.equal(await signature(AK, SK, req), `Pandora ${AK}:R9V3v7DSCC5Te1fR9cBdDxGOElU=`);
});

test("C: X-Qiniu headers in the Go form", async () => {
  const req = {
    method: "POST", path: "/v2/batch/actions/rerun", contentType: "application/json", date: DATE,
    headers: { "X-Qiniu-Zeta": "2", "x-qiniu-alpha": "1" },
  };
  assert.equal(await signature(AK, SK, req), `Pandora ${AK}:qSZG9yM6JQSC0UzzO9KNWvIdxSI=`);
});

test("D: token for GET history", async () => {
  const got = await token(AK, SK, { resource: "/v2/jobs/my_job/history", expires: 4102444800, method: "GET" });
  assert.equal(got, `Pandora ${AK}:CW51AZif_tQcdlmXbMbwPgMe_0U=:eyJyZXNvdXJjZSI6Ii92Mi9qb2JzL215X2pvYi9oaXN0b3J5IiwiZXhwaXJlcyI6NDEwMjQ0NDgwMCwiY29udGVudE1ENSI6IiIsImNvbnRlbnRUeXBlIjoiIiwiaGVhZGVycyI6IiIsIm1ldGhvZCI6IkdFVCJ9`);
});

test("E: token for POST with a content type", async () => {
  const got = await token(AK, SK, { resource: "/v2/datasources/my_ds", expires: 4102444800, method: "POST", contentType: "application/json" });
  assert.equal(got, `Pandora ${AK}:EfhMAM_0P9eAhgbiMhA0SXXijgU=:eyJyZXNvdXJjZSI6Ii92Mi9kYXRhc291cmNlcy9teV9kcyIsImV4cGlyZXMiOjQxMDI0NDQ4MDAsImNvbnRlbnRNRDUiOiIiLCJjb250ZW50VHlwZSI6ImFwcGxpY2F0aW9uL2pzb24iLCJoZWFkZXJzIjoiIiwibWV0aG9kIjoiUE9TVCJ9`);
});
