"""Query hints (fault kind 8): accepted, never a reason to refuse a job."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "hints_a": Table(
        columns=(("id", "long"), ("v", "float")),
        rows=((1, 9.6), (2, -1.9), (3, 2.5)),
    ),
    "hints_b": Table(columns=(("id", "long"), ("tag", "string")), rows=((1, "x"), (3, "z"))),
}

CASES = [
    Case("hints/coalesce", "select /*+ COALESCE(1) */ id, v from hints_a order by id", True),
    Case("hints/repartition", "select /*+ REPARTITION(4) */ id from hints_a order by id", True),
    Case(
        "hints/repartition-column",
        "select /*+ REPARTITION(3, id) */ id, v from hints_a order by id",
        True,
    ),
    Case("hints/repartition-by-column", "select /*+ REPARTITION(id) */ id from hints_a"),
    Case(
        "hints/repartition-by-range",
        "select /*+ REPARTITION_BY_RANGE(2, id) */ id from hints_a order by id",
        True,
    ),
    Case("hints/rebalance", "select /*+ REBALANCE */ id from hints_a"),
    Case(
        "hints/broadcast",
        "select /*+ BROADCAST(b) */ a.id, b.tag from hints_a a join hints_b b on a.id = b.id",
    ),
    Case(
        "hints/broadcastjoin",
        "select /*+ BROADCASTJOIN(hints_b) */ a.id, tag from hints_a a join hints_b using (id)",
    ),
    Case(
        "hints/mapjoin",
        "select /*+ MAPJOIN(b) */ a.id, b.tag from hints_a a left join hints_b b on a.id = b.id",
    ),
    Case(
        "hints/merge",
        "select /*+ MERGE(a, b) */ a.id, b.tag from hints_a a join hints_b b on a.id = b.id",
    ),
    Case(
        "hints/shuffle-hash",
        "select /*+ SHUFFLE_HASH(a) */ a.id, b.tag from hints_a a join hints_b b on a.id = b.id",
    ),
    Case(
        "hints/shuffle-replicate-nl",
        "select /*+ SHUFFLE_REPLICATE_NL(b) */ a.id, b.tag from hints_a a, hints_b b"
        " where a.id < b.id",
    ),
    Case(
        "hints/several",
        "select /*+ COALESCE(2), BROADCAST(b) */ a.id, b.tag"
        " from hints_a a join hints_b b on a.id = b.id",
    ),
    Case(
        "hints/subquery",
        "select id from (select /*+ REPARTITION(2) */ id, v from hints_a) t where v > 0",
    ),
    Case(
        "hints/with-aggregate",
        "select /*+ COALESCE(1) */ count(*) as n, sum(v) as total from hints_a",
    ),
    Case("hints/unknown-hint", "select /*+ NOT_A_HINT(x) */ id from hints_a"),
    Case("hints/lowercase", "select /*+ coalesce(1) */ id from hints_a order by id", True),
]
