"""The OpenAPI 3.1 document of Tidemill's API (issue 15, item 4), served at `GET /openapi.json`.

Written by hand from the wire contract (shared spec `batch-api.md`; section numbers below),
because the routes read their bodies themselves (tolerant JSON, §1.4) and FastAPI cannot see
them. Request schemas name the members the services read and allow others (the SDKs send
extra ones, e.g. `name`); response schemas are what the services answer. Every error is the
Pandora envelope `{"error": "<code>: <message>"}` (§1.5), under `4XX` (the codes of §1.6).
Signed endpoints use the `Pandora <AK>:<signature>` Authorization header (§2); the ops
endpoints need none. tests/ops/test_openapi.py validates the document and holds every route
of the app to being in it; tests/ops/test_contract.py runs schemathesis against a server.
"""

from __future__ import annotations

from typing import Any

from tidemill import __version__
from tidemill.core.names import RESOURCE_NAME

JSON = dict[str, Any]
NAME_PATTERN = f"^{RESOURCE_NAME.pattern}$"  # §3.1: datasource, job, export, variable, workflow


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: JSON, required: tuple[str, ...] = (), extra: bool = True) -> JSON:
    schema: JSON = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if not extra:
        schema["additionalProperties"] = False
    return schema


def _array(items: JSON) -> JSON:
    return {"type": "array", "items": items}


STRING: JSON = {"type": "string"}
BOOL: JSON = {"type": "boolean"}
INT: JSON = {"type": "integer"}
ANY_OBJECT: JSON = {"type": "object"}
BATCH_STATUSES = [  # §7.2
    "Ready", "Running", "Successful", "Failed", "Cancelling", "Canceled", "Restarting",
]  # fmt: skip

# Tidemill's job members (issue 14; docs/extensions.md): old clients ignore them.
JOB_EXTENSIONS: JSON = {
    "maxConcurrent": {**INT, "description": "batches of the job executing at once, 1..1000"},
    "retry": _obj(
        {"attempts": INT, "backoff": STRING, "maxBackoff": STRING},
        extra=False,
    ),
    "notify": _array(
        _obj(
            {
                "url": {
                    **STRING,
                    "examples": ["https://hooks.example.com/tidemill"],
                    "description": "http(s); user info (user:password@) is used to deliver "
                    "and read back as ***@; ***@ sent on an update keeps the stored one",
                },
                "on": _array(STRING),
                "lateAfter": STRING,
                "secret": {
                    **STRING,
                    "description": '16-256 characters; read back as "set"; '
                    '"set" sent on an update keeps the stored secret',
                },
                "secretCheck": {
                    **STRING,
                    "description": "read only (ignored when sent): "
                    "pbkdf2-sha256$<rounds>$<salt hex>$<hex> of '<secret>\\n<url>', so a "
                    "client holding the secret and url can tell whether they changed",
                },
            },
            extra=False,
        )
    ),
}

SCHEMAS: JSON = {
    "Error": _obj(
        {"error": {"type": "string", "description": "`<code>: <message>` (§1.5, §1.6)"}},
        ("error",),
    ),
    "Exist": _obj({"exist": BOOL}, ("exist",)),
    "SchemaField": _obj(
        {"key": STRING, "valtype": STRING, "required": BOOL},
        ("key", "valtype"),
    ),
    "OutputField": _obj({"key": STRING, "valtype": STRING}, ("key", "valtype")),
    # §4: datasources
    "DatasourceBody": _obj(
        {
            "region": {**STRING, "examples": ["nb"]},
            "type": {**STRING, "description": "kodo | hdfs | fusion"},
            "spec": {**ANY_OBJECT, "description": "per type (§4.2)"},
            "noVerifySchema": BOOL,
            "workflow": STRING,
            "schema": _array(_ref("SchemaField")),
        },
        ("region", "type", "spec", "schema"),
    ),
    "Datasource": _obj(
        {
            "region": STRING,
            "type": STRING,
            "spec": ANY_OBJECT,
            "schema": _array(_ref("SchemaField")),
            "workflow": STRING,
        },
        ("region", "type", "spec", "schema", "workflow"),
    ),
    "DatasourceList": _obj(
        {"datasources": _array({"allOf": [_ref("Datasource"), _obj({"name": STRING}, ("name",))]})},
        ("datasources",),
    ),
    "SchemaRequest": _obj({"type": STRING, "spec": ANY_OBJECT}, ("type", "spec")),
    "SchemaResponse": _obj({"schema": _array(_ref("SchemaField"))}, ("schema",)),
    # §6: jobs
    "JobBody": _obj(
        {
            "srcs": _array(
                _obj(
                    {
                        "name": STRING,
                        "type": {**STRING, "description": "DataSource | Job"},
                        "tableName": STRING,
                        "fileFilter": STRING,
                    },
                    ("name", "type", "tableName"),
                )
            ),
            "computation": _obj(
                {"code": STRING, "type": {**STRING, "description": "sql"}}, ("code", "type")
            ),
            "container": {
                "oneOf": [_obj({"type": STRING, "count": INT}, ("type", "count")), {"type": "null"}]
            },
            "scheduler": _obj(
                {
                    "type": {**STRING, "description": "crontab | loop | manual | depend"},
                    "spec": _obj({"crontab": STRING, "loop": STRING}),
                },
                ("type",),
            ),
            "params": {
                "oneOf": [
                    _array(_obj({"name": STRING, "default": STRING}, ("name", "default"))),
                    {"type": "null"},
                ]
            },
            **JOB_EXTENSIONS,
        },
        ("srcs", "computation", "scheduler"),
    ),
    "Job": _obj(
        {
            "srcs": _array(
                _obj({"name": STRING, "fileFilter": STRING, "type": STRING, "tableName": STRING})
            ),
            "computation": ANY_OBJECT,
            "container": _obj({"type": STRING, "count": INT}),
            "params": _array(_obj({"name": STRING, "default": STRING})),
            "scheduler": ANY_OBJECT,
            "schema": _array(_ref("OutputField")),
            "workflow": STRING,
            "nextFireTimes": {
                **_array(STRING),
                "description": "Tidemill extension: the next fire times of a started job",
            },
            **JOB_EXTENSIONS,
        },
        ("srcs", "computation", "scheduler", "schema", "workflow"),
    ),
    "JobList": _obj(
        {"jobs": _array({"allOf": [_ref("Job"), _obj({"name": STRING}, ("name",))]})},
        ("jobs",),
    ),
    "StartBody": _obj(
        {"params": _array(_obj({"name": STRING, "value": STRING}, ("name",)))},
    ),
    # §7: batches
    "Batch": _obj(
        {
            "runId": INT,
            "batchTime": STRING,
            "startTime": STRING,
            "endTime": STRING,
            "duration": INT,
            "status": {"type": "string", "enum": BATCH_STATUSES},
            "message": STRING,
        },
        ("runId", "batchTime", "startTime", "endTime", "duration", "status", "message"),
    ),
    "History": _obj({"total": INT, "history": _array(_ref("Batch"))}, ("total", "history")),
    "BatchRef": _obj(
        {
            "jobName": STRING,
            "runId": {
                "oneOf": [INT, STRING],
                "description": "an integer, or a string of one (§7.4); -1 is the latest",
            },
        },
        ("jobName", "runId"),
    ),
    "StopResult": _obj({"preStatus": STRING, "postStatus": STRING}, ("preStatus", "postStatus")),
    "RerunResult": _obj(
        {"preStatus": STRING, "postStatus": STRING, "rerunCount": INT},
        ("preStatus", "postStatus", "rerunCount"),
    ),
    "Result": _obj(
        {
            "runId": INT,
            "schema": _array(_ref("OutputField")),
            "columns": _array(STRING),
            "total": INT,
            "rows": _array(_array({})),
        },
        ("runId", "schema", "columns", "total", "rows"),
    ),
    # Tidemill extensions (docs/extensions.md): backfills, render, the console's reads
    "BackfillBody": _obj(
        {
            "from": {**STRING, "description": "RFC 3339 with an offset; included"},
            "to": {**STRING, "description": "RFC 3339 with an offset; included"},
            "reprocess": {**STRING, "description": "missing (default) | failed | all"},
            "concurrency": INT,
            "order": {**STRING, "description": "asc (default) | desc"},
            "dryRun": BOOL,
        },
        ("from", "to"),
    ),
    "BackfillQueued": _obj(
        {
            "backfillId": STRING,
            "slots": INT,
            "batches": _array(_obj({"runId": {"type": ["integer", "null"]}, "batchTime": STRING})),
        },
        ("backfillId", "slots", "batches"),
    ),
    "Backfill": _obj(
        {
            "backfillId": STRING,
            "job": STRING,
            "from": STRING,
            "to": STRING,
            "reprocess": STRING,
            "concurrency": INT,
            "order": STRING,
            "slots": INT,
            "state": {**STRING, "description": "Running | Done | Canceled"},
            "createTime": STRING,
            "counts": {"type": "object", "additionalProperties": INT},
            "total": INT,
        },
        ("backfillId", "job", "state", "counts", "total"),
    ),
    "RenderBody": _obj(
        {"batchTime": STRING, "params": _array(_obj({"name": STRING, "value": STRING}))}
    ),
    "Render": _obj(
        {
            "job": STRING,
            "batchTime": STRING,
            "params": {"type": "object", "additionalProperties": STRING},
            "sql": STRING,
            "engine": _obj({"name": STRING, "reason": STRING, "sql": STRING}),
            "sources": _array(ANY_OBJECT),
            "totals": _obj({"files": INT, "bytes": INT}),
            "exports": _array(_obj({"name": STRING, "type": STRING, "target": {}})),
        },
        ("job", "batchTime", "sql", "engine", "sources", "exports"),
    ),
    "SelectedFiles": _obj(
        {
            "time": STRING,
            "total": INT,
            "files": _array(
                _obj({"name": STRING, "size": INT, "format": STRING, "compression": STRING})
            ),
        },
        ("time", "total", "files"),
    ),
    "BatchExports": _obj(
        {
            "runId": INT,
            "exports": _array(
                _obj(
                    {
                        "name": STRING,
                        "type": STRING,
                        "status": STRING,
                        "message": STRING,
                        "rows": INT,
                        "attempt": INT,
                    }
                )
            ),
        },
        ("runId", "exports"),
    ),
    # §8: exports
    "ExportBody": _obj(
        {
            "type": {**STRING, "description": "kodo | hdfs | http | logdb | tsdb | report"},
            "spec": {**ANY_OBJECT, "description": "per type (§8.2-§8.7)"},
        },
        ("type", "spec"),
    ),
    "ExportUpdate": _obj({"type": STRING, "spec": ANY_OBJECT}, ("spec",)),
    "Export": _obj(
        {"type": STRING, "spec": ANY_OBJECT, "workflow": STRING}, ("type", "spec", "workflow")
    ),
    "ExportList": _obj(
        {"exports": _array(_obj({"name": STRING, "type": STRING, "spec": ANY_OBJECT}))},
        ("exports",),
    ),
    # §9: variables
    "VariableBody": _obj(
        {"type": {**STRING, "description": "time | string"}, "value": STRING, "format": STRING},
        ("type", "value"),
    ),
    "Variable": _obj(
        {"name": STRING, "type": STRING, "value": STRING, "format": STRING},
        ("name", "type", "value", "format"),
    ),
    "VariableList": _obj({"variables": _array(_ref("Variable"))}, ("variables",)),
    # §10: workflows
    "WorkflowBody": _obj({"region": STRING, "comment": STRING}, ("region",)),
    "WorkflowUpdate": _obj({"region": STRING, "comment": STRING, "nodes": {}}),
    "Workflow": _obj(
        {
            "name": STRING,
            "region": STRING,
            "comment": STRING,
            "createTime": STRING,
            "updateTime": STRING,
            "status": STRING,
            "canStart": BOOL,
            "isManualWorkflow": BOOL,
            "nodes": {"type": "object", "additionalProperties": _ref("WorkflowNode")},
        },
        ("name", "region", "status", "canStart", "nodes"),
    ),
    "WorkflowNode": _obj(
        {
            "name": STRING,
            "type": STRING,
            "data": ANY_OBJECT,
            "parents": _array(_obj({"name": STRING, "type": STRING})),
            "children": _array(_obj({"name": STRING, "type": STRING})),
        },
        ("name", "type"),
    ),
    "WorkflowStatus": _obj(
        {
            "name": STRING,
            "region": STRING,
            "status": STRING,
            "nodes": _array(_obj({"name": STRING, "type": STRING, "status": STRING})),
        },
        ("name", "region", "status", "nodes"),
    ),
}

# Bodies the services accept (with the named resources present), as the spec's samples.
EXAMPLES: JSON = {
    "WorkflowBody": {"region": "nb", "comment": "nightly reports"},
    "VariableBody": {"type": "time", "value": "$(now)-1d", "format": "yyyy-MM-dd"},
    "DatasourceBody": {
        "region": "nb", "type": "kodo", "noVerifySchema": True,
        "spec": {"bucket": "bkt1", "keyPrefixes": ["logs/"], "fileType": "json"},
        "schema": [{"key": "url", "valtype": "string", "required": True}],
    },
    "JobBody": {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select url, count(*) as n from logs group by url"},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "manual"},
    },
    "BatchRef": {"jobName": "daily", "runId": 1},
    "ExportBody": {
        "type": "kodo", "spec": {"bucket": "outb", "keyPrefix": "out/", "format": "json"}
    },
}  # fmt: skip

ERRORS: JSON = {
    "4XX": {
        "description": "Refused: the Pandora error envelope; the code and status per §1.6",
        "content": {"application/json": {"schema": _ref("Error")}},
    }
}


PATH_PARAMS: dict[str, JSON] = {
    "name": {"type": "string", "pattern": NAME_PATTERN},
    "job": {"type": "string", "pattern": NAME_PATTERN},
    "run_id": {"type": "integer", "minimum": -1, "description": "-1: the latest batch"},
    "backfill": {"type": "string", "description": "a backfillId (32 hex digits)"},
}


def _param(name: str, where: str = "path", schema: JSON | None = None, text: str = "") -> JSON:
    """A path parameter (schema from PATH_PARAMS) or a query parameter (`schema`)."""
    param: JSON = {"name": name, "in": where, "required": where == "path"}
    param["schema"] = schema or (PATH_PARAMS[name] if where == "path" else STRING)
    if text:
        param["description"] = text
    return param


def _op(
    summary: str,
    params: tuple[str, ...] = (),
    body: str | None = None,
    answer: str | None = None,
    *,
    query: tuple[JSON, ...] = (),
    text_answer: bool = False,
    body_required: bool = True,
) -> JSON:
    """One signed operation: path `params`, a JSON `body` schema, the 200 `answer` schema
    (None: an empty body), and the error envelope."""
    op: JSON = {"summary": summary, "parameters": [_param(p) for p in params] + list(query)}
    if body is not None:
        media: JSON = {"schema": _ref(body)}
        if body in EXAMPLES:
            media["example"] = EXAMPLES[body]
        op["requestBody"] = {"required": body_required, "content": {"application/json": media}}
    if text_answer:
        ok: JSON = {"description": "OK", "content": {"text/plain": {"schema": STRING}}}
    elif answer is None:
        ok = {"description": "OK, an empty body (§1.5)"}
    else:
        ok = {"description": "OK", "content": {"application/json": {"schema": _ref(answer)}}}
    op["responses"] = {"200": ok, **ERRORS}
    return op


def _unsigned(summary: str, content: JSON, codes: tuple[str, ...] = ("200",)) -> JSON:
    return {
        "summary": summary,
        "security": [],
        "responses": {code: {"description": summary, "content": content} for code in codes},
    }


def _console(summary: str) -> JSON:
    """An unsigned console file (text/html, text/javascript, text/css ...) or 404."""
    return {
        "summary": summary,
        "security": [],
        "responses": {
            "200": {"description": summary, "content": {"*/*": {"schema": STRING}}},
            "404": {
                "description": "No such file",
                "content": {"application/json": {"schema": _ref("Error")}},
            },
        },
    }


def _paths() -> JSON:
    ds = job = var = wf = ("name",)
    both = ("job", "name")
    history_query = (
        _param("page", "query", INT),
        _param("size", "query", INT),
        _param("sortBy", "query", text="runId, batchTime, startTime, endTime, duration; -desc"),
        _param("status", "query"),
        _param("runId", "query", INT, "-1: the latest batch"),
    )
    return {
        "/v2/datasources": {"get": _op("List datasources (§4.6)", answer="DatasourceList")},
        "/v2/datasources/{name}": {
            "post": _op("Create a datasource (§4.1)", ds, "DatasourceBody"),
            "put": _op("Update a datasource (§4.4)", ds, "DatasourceBody"),
            "get": _op("Get a datasource (§4.5)", ds, answer="Datasource"),
            "delete": _op("Delete a datasource (§4.7)", ds),
        },
        "/v2/datasources/{name}/exists": {
            "get": _op("Whether a datasource exists (§4.8)", ds, answer="Exist")
        },
        "/v2/schemas": {
            "post": _op("Infer a schema from files (§5)", (), "SchemaRequest", "SchemaResponse")
        },
        "/v2/jobs": {
            "get": _op(
                "List jobs (§6.3)",
                answer="JobList",
                query=(_param("srcDatasource", "query"), _param("srcJob", "query")),
            )
        },
        "/v2/jobs/{name}": {
            "post": _op("Create a job (§6.1)", job, "JobBody"),
            "put": _op("Update a job (§6.2)", job, "JobBody"),
            "get": _op("Get a job (§6.4)", job, answer="Job"),
            "delete": _op("Delete a job (§6.7)", job),
        },
        "/v2/jobs/{name}/exists": {"get": _op("Whether a job exists (§6.8)", job, answer="Exist")},
        "/v2/jobs/{name}/actions/start": {
            "post": _op("Start a job (§6.5)", job, "StartBody", body_required=False)
        },
        "/v2/jobs/{name}/actions/stop": {"post": _op("Stop a job (§6.6)", job)},
        "/v2/jobs/{name}/history": {
            "get": _op("A job's batches (§7.3)", job, answer="History", query=history_query)
        },
        "/v2/jobs/{name}/history/{run_id}/result": {
            "get": _op(
                "Tidemill extension: a successful batch's result, first rows",
                ("name", "run_id"),
                answer="Result",
                query=(_param("limit", "query", INT, "rows, 0-10000, default 20"),),
            )
        },
        "/v2/jobs/{name}/history/{run_id}/log": {
            "get": _op(
                "Tidemill extension: what a batch did, as text (SQL, inputs, figures, exports,"
                " errors)",
                ("name", "run_id"),
                text_answer=True,
            )
        },
        "/v2/batch/actions/stop": {
            "post": _op("Stop a batch (§7.4)", (), "BatchRef", "StopResult")
        },
        "/v2/batch/actions/rerun": {
            "post": _op("Rerun a batch (§7.5)", (), "BatchRef", "RerunResult")
        },
        "/v2/jobs/{job}/exports": {
            "get": _op("List a job's exports (§8.1)", ("job",), answer="ExportList")
        },
        "/v2/jobs/{job}/exports/{name}": {
            "post": _op("Create an export (§8.1)", both, "ExportBody"),
            "put": _op("Update an export's spec (§8.1)", both, "ExportUpdate"),
            "get": _op("Get an export (§8.1)", both, answer="Export"),
            "delete": _op("Delete an export (§8.1)", both),
        },
        "/v2/jobs/{job}/exports/{name}/exists": {
            "get": _op("Whether an export exists (§8.1)", both, answer="Exist")
        },
        "/v2/variables": {
            "get": _op(
                "List variables (§9.4)",
                answer="VariableList",
                query=(_param("type", "query", text="system | user"),),
            )
        },
        "/v2/variables/{name}": {
            "post": _op("Create a variable (§9.1)", var, "VariableBody"),
            "put": _op("Update a variable (§9.2)", var, "VariableBody"),
            "get": _op("Get a variable (§9.3)", var, answer="Variable"),
            "delete": _op("Delete a variable (§9.5)", var),
        },
        "/v2/workflows": {
            "get": {
                **_op("List workflows (§10.3): a bare array"),
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": _array(_ref("Workflow"))}},
                    },
                    **ERRORS,
                },
            }
        },
        "/v2/workflows/{name}": {
            "post": _op("Create a workflow (§10.1)", wf, "WorkflowBody"),
            "put": _op("Update a workflow (§10.4)", wf, "WorkflowUpdate"),
            "get": _op("Get a workflow (§10.2)", wf, answer="Workflow"),
            "delete": _op("Delete a workflow (§10.7)", wf),
        },
        "/v2/workflows/{name}/status": {
            "get": _op("A workflow's status (§10.5)", wf, answer="WorkflowStatus")
        },
        "/v2/workflows/{name}/start": {"post": _op("Start a workflow (§10.6)", wf)},
        "/v2/workflows/{name}/stop": {"post": _op("Stop a workflow (§10.6)", wf)},
        "/v2/workflows/{name}/search": {
            "post": {
                **_op("Workflow search: not implemented by Tidemill", wf),
                "responses": {
                    "501": {
                        "description": "Not implemented (E9001)",
                        "content": {"application/json": {"schema": _ref("Error")}},
                    },
                    **ERRORS,
                },
            }
        },
        "/v2/jobs/{name}/actions/backfill": {
            "post": _op(
                "Tidemill extension: queue a batch per schedule slot in a range",
                job,
                "BackfillBody",
                "BackfillQueued",
            )
        },
        "/v2/backfills/{backfill}": {
            "get": _op("Tidemill extension: a backfill's progress", ("backfill",), None, "Backfill")
        },
        "/v2/backfills/{backfill}/cancel": {
            "post": _op("Tidemill extension: cancel a backfill", ("backfill",), None, "Backfill")
        },
        "/v2/jobs/{name}/actions/render": {
            "post": _op(
                "Tidemill extension: what a batch would read, run and write (a dry run); "
                "at most api.max_listings_per_account per account at once (more: 429)",
                job,
                "RenderBody",
                "Render",
                body_required=False,
            )
        },
        "/v2/console/datasources/{name}/files": {
            "get": _op(
                "Tidemill extension (console): the files a datasource selects now; at most "
                "api.max_listings_per_account per account at once (more: 429)",
                ds,
                answer="SelectedFiles",
            )
        },
        "/v2/console/jobs/{job}/history/{run_id}/exports": {
            "get": _op(
                "Tidemill extension (console): a batch's export outcomes",
                ("job", "run_id"),
                answer="BatchExports",
            )
        },
        "/console": {"get": _console("The web console's page")},
        "/console/": {"get": _console("The web console's page")},
        "/console/{name}": {
            "get": {
                **_console("A file of the web console (its script, styles)"),
                "parameters": [_param("name", schema=STRING)],
            }
        },
        "/healthz": {
            "get": _unsigned(
                "The process serves requests",
                {"application/json": {"schema": _obj({"status": {"const": "ok"}}, ("status",))}},
            )
        },
        "/readyz": {
            "get": _unsigned(
                "Ready: the metadata store answers and the runner and scheduler run (503: not)",
                {
                    "application/json": {
                        "schema": _obj(
                            {
                                "status": {"enum": ["ready", "not ready"]},
                                "checks": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                            },
                            ("status", "checks"),
                        )
                    }
                },
                ("200", "503"),
            )
        },
        "/metrics": {
            "get": _unsigned(
                "Prometheus metrics, text format 0.0.4", {"text/plain": {"schema": STRING}}
            )
        },
        "/openapi.json": {
            "get": _unsigned("This document", {"application/json": {"schema": ANY_OBJECT}})
        },
    }


def document() -> JSON:
    """The OpenAPI 3.1 document (a JSON-ready dict)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tidemill",
            "version": __version__,
            "summary": "Batch SQL computation, wire-compatible with the Pandora batch API v2",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "/"}],
        "security": [{"pandora": []}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "pandora": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`Pandora <AK>:<signature>` over the method, path, "
                    "Content-Type and Date headers (§2); Date within the allowed skew",
                }
            },
        },
    }
