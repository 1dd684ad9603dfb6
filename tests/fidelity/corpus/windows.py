"""Window functions: ranking, offsets, frames (ROWS/RANGE, Spark's default frame), first/last
with IGNORE NULLS, aggregates over windows and their types, NULL ordering."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "windows_scores": Table(
        columns=(
            ("team", "string"),
            ("player", "string"),
            ("score", "long"),
            ("rating", "float"),
            ("at", "date"),
        ),
        rows=(
            ("red", "ann", 10, 1.5, "2024-01-01T10:00:00+08:00"),
            ("red", "bob", 20, None, "2024-01-02T10:00:00+08:00"),
            ("red", "cid", 20, 2.5, "2024-01-03T10:00:00+08:00"),
            ("red", "dan", None, 3.0, "2024-01-04T10:00:00+08:00"),
            ("blue", "eve", 5, None, "2024-01-01T09:00:00+08:00"),
            ("blue", "fay", 15, 4.0, "2024-01-05T09:00:00+08:00"),
            ("blue", "gus", 15, None, None),
            ("green", "hal", 7, 0.5, "2024-02-01T00:00:00+08:00"),
            (None, "ivy", 3, 1.0, "2024-03-01T00:00:00+08:00"),
        ),
    ),
}


def _case(
    slug: str, sql: str, *, ordered: bool = False, differs: str = "", api: bool = False
) -> Case:
    return Case(f"windows/{slug}", sql, ordered=ordered, differs=differs, api=api)


CASES: list[Case] = [
    _case(
        "row-number",
        "select player, row_number() over (partition by team order by player) n"
        " from windows_scores",
    ),
    _case(
        "rank-dense-rank",
        "select player, rank() over (partition by team order by score) r,"
        " dense_rank() over (partition by team order by score desc) d from windows_scores",
        api=True,
    ),
    _case(
        "percent-rank-cume-dist",
        "select player, percent_rank() over (order by score) p,"
        " cume_dist() over (order by score) c from windows_scores",
    ),
    _case(
        "ntile",
        "select player, ntile(3) over (order by player) t,"
        " ntile(2) over (partition by team order by player) u from windows_scores",
    ),
    _case(
        "ntile-more-buckets-than-rows",
        "select player, ntile(5) over (partition by team order by player) t from windows_scores",
    ),
    _case(
        "lag-lead",
        "select player, lag(score) over (order by player) a,"
        " lead(score, 2) over (order by player) b from windows_scores",
    ),
    _case(
        "lag-default",
        "select player, lag(score, 1, -1) over (partition by team"
        " order by player) a, lead(rating, 1, 0.0) over (partition by team order by player) b"
        " from windows_scores",
        api=True,
    ),
    _case(
        "lag-ignore-nulls",
        "select player, lag(rating) ignore nulls over (order by player) a from windows_scores",
    ),
    _case(
        "nth-value",
        "select player, nth_value(player, 2) over (partition by team"
        " order by player) a, nth_value(score, 2) over (partition by team order by player"
        " rows between unbounded preceding and unbounded following) b from windows_scores",
    ),
    _case(
        "first-last-value",
        "select player, first_value(score) over (partition by team"
        " order by player) f, last_value(score) over (partition by team order by player) l"
        " from windows_scores",
    ),
    _case(
        "first-last-ignore-nulls",
        "select player, first(rating, true) over (partition by team"
        " order by player) f, last(rating, true) over (partition by team order by player) l,"
        " first_value(rating) ignore nulls over (order by player) g from windows_scores",
        api=True,
    ),
    _case(
        "last-value-full-frame",
        "select player, last_value(player) over (partition by team"
        " order by player rows between unbounded preceding and unbounded following) l"
        " from windows_scores",
    ),
    _case(
        "default-frame-is-range",
        "select player, sum(score) over (order by score) s,"
        " count(*) over (order by score) n from windows_scores",
        api=True,
    ),
    _case(
        "rows-frame",
        "select player, sum(score) over (order by player rows between 1"
        " preceding and 1 following) s from windows_scores",
    ),
    _case(
        "range-frame-numeric",
        "select player, sum(score) over (order by score range between"
        " 5 preceding and current row) s from windows_scores",
    ),
    _case(
        "rows-frame-following",
        "select player, max(score) over (order by player rows between"
        " current row and unbounded following) m from windows_scores",
    ),
    _case(
        "whole-partition",
        "select player, sum(score) over (partition by team) s,"
        " avg(score) over (partition by team) a, count(score) over () n from windows_scores",
    ),
    _case(
        "window-types",
        "select player, sum(score) over (partition by team) s,"
        " avg(score) over (partition by team) a, min(rating) over (partition by team) m,"
        " count(*) over (partition by team) n from windows_scores",
    ),
    _case(
        "order-nulls-first-asc",
        "select player, row_number() over (order by rating) n"
        " from windows_scores where team = 'blue' or team = 'red'",
    ),
    _case(
        "order-nulls-last-desc",
        "select player, row_number() over (order by rating desc, player) n from windows_scores",
    ),
    _case(
        "order-explicit-nulls",
        "select player, row_number() over (order by rating asc nulls"
        " last, player) n, rank() over (order by score desc nulls first) r from windows_scores",
    ),
    _case(
        "partition-by-null",
        "select player, count(*) over (partition by team) n from windows_scores",
    ),
    _case(
        "running-total-ties",
        "select player, sum(score) over (partition by team order by score) s from windows_scores",
    ),
    _case(
        "window-over-aggregate",
        "select team, sum(score) s, rank() over (order by sum(score)"
        " desc) r from windows_scores group by team",
    ),
    _case(
        "window-in-subquery-filter",
        "select * from (select player, team, row_number() over"
        " (partition by team order by score desc, player) n from windows_scores) where n = 1",
    ),
    _case(
        "named-window",
        "select player, sum(score) over w s, max(score) over w m"
        " from windows_scores window w as (partition by team order by player)",
    ),
    _case(
        "window-order-by-timestamp",
        "select player, lag(at) over (order by at) prev from windows_scores",
    ),
    _case(
        "window-expression-arguments",
        "select player, sum(score * 2) over (partition by upper(team)) s from windows_scores",
    ),
    _case(
        "stddev-over",
        "select player, stddev(score) over (partition by team) sd,"
        " variance(score) over (partition by team) v from windows_scores",
    ),
    _case(
        "collect-set-over",
        "select player, size(collect_set(score) over (partition by team)) n from windows_scores",
    ),
    _case(
        "count-distinct-window",
        "select player, count(score) over (partition by team"
        " order by player rows between unbounded preceding and current row) c"
        " from windows_scores",
    ),
    _case(
        "ordered-query-by-window",
        "select player, rank() over (order by score desc) r from windows_scores order by r, player",
        ordered=True,
    ),
    _case(
        "cume-dist-partition",
        "select player, cume_dist() over (partition by team"
        " order by score desc) c from windows_scores",
    ),
    _case(
        "lead-negative-offset-default",
        "select player, lead(score, 1, 0) over (partition by"
        " team order by player desc) l from windows_scores",
    ),
    _case(
        "avg-over-rows-decimal",
        "select player, avg(rating) over (order by player rows"
        " between 2 preceding and current row) a from windows_scores",
    ),
    _case(
        "range-unbounded-desc",
        "select player, sum(score) over (order by score desc range"
        " between unbounded preceding and current row) s from windows_scores",
    ),
    _case(
        "qualify-like-filter",
        "select team, player from (select team, player, dense_rank()"
        " over (partition by team order by score desc) d from windows_scores) t where d <= 1",
    ),
]
CASES += [
    _case(
        "range-interval-on-timestamp",
        "select player, count(*) over (order by at range between"
        " interval 2 days preceding and current row) n from windows_scores",
    ),
    _case(
        "first-last-no-ignore",
        "select player, first(rating) over (partition by team"
        " order by player) f, last(rating) over (partition by team order by player) l"
        " from windows_scores",
    ),
    _case(
        "percent-rank-single-row",
        "select player, percent_rank() over (partition by player"
        " order by score) p, cume_dist() over (partition by player order by score) c"
        " from windows_scores",
    ),
    _case(
        "lag-zero-offset",
        "select player, lag(score, 0) over (order by player) a from windows_scores",
    ),
    _case(
        "rows-frame-between-preceding",
        "select player, avg(score) over (order by player rows"
        " between 3 preceding and 1 preceding) a from windows_scores",
    ),
    _case(
        "percentile-over-window",
        "select player, percentile(score, 0.5) over"
        " (partition by team) p, median(rating) over (partition by team) m from windows_scores",
    ),
    _case(
        "sum-over-long-type",
        "select player, sum(score) over (order by player rows between"
        " unbounded preceding and current row) s from windows_scores",
    ),
]
CASES += [
    _case(
        "nth-value-ignore-nulls",
        "select player, nth_value(rating, 2) ignore nulls over"
        " (partition by team order by player) a from windows_scores",
    ),
    _case(
        "first-value-boolean-argument",
        "select player, first_value(rating, true) over"
        " (partition by team order by player) a, last_value(rating, true) over"
        " (partition by team order by player) b from windows_scores",
    ),
    _case(
        "any-value-over",
        "select player, any_value(rating) over (partition by team"
        " order by player) a from windows_scores",
    ),
    _case(
        "lead-ignore-nulls",
        "select player, lead(rating) ignore nulls over (order by player) a from windows_scores",
    ),
]
CASES += [
    _case(
        "range-whole-partition",
        "select player, sum(score) over (order by score range between"
        " unbounded preceding and unbounded following) s from windows_scores",
    ),
    _case(
        "rank-with-nulls-desc",
        "select player, rank() over (order by rating desc) r,"
        " dense_rank() over (order by rating) d from windows_scores",
    ),
    _case(
        "window-percent-rank-types",
        "select player, percent_rank() over (partition by team"
        " order by score) p, ntile(2) over (order by score, player) t from windows_scores",
    ),
]
