"""Aggregates with Spark's definitions (fault kind 9): exact and approximate percentiles,
moments, regression, first/last, collections, booleans, FILTER."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

_SALES_COLUMNS = (
    ("region", "string"),
    ("product", "string"),
    ("qty", "long"),
    ("price", "float"),
    ("ok", "boolean"),
    ("at", "date"),
)

TABLES = {
    "aggregates_sales": Table(
        columns=_SALES_COLUMNS,
        rows=(
            ("east", "apple", 3, 1.5, True, "2024-01-01T10:00:00+08:00"),
            ("east", "pear", 5, 2.25, False, "2024-01-02T11:30:00+08:00"),
            ("east", "apple", 2, 1.25, True, "2024-01-03T09:15:00+08:00"),
            ("west", "apple", 7, 1.75, True, "2024-01-01T23:59:59+08:00"),
            ("west", "plum", None, 3.0, None, "2024-02-29T00:00:00+08:00"),
            ("west", "pear", 1, None, False, None),
            ("north", "plum", 4, 2.5, True, "2023-12-31T16:00:00+00:00"),
            (None, "apple", 6, 1.0, True, "2024-01-05T08:00:00+08:00"),
            ("north", None, None, None, None, None),
            ("south", "pear", 10, 0.5, False, "2024-03-10T12:00:00+08:00"),
        ),
    ),
    "aggregates_one": Table(
        columns=(("g", "string"), ("x", "long"), ("y", "float")),
        rows=(("a", 1, 1.5), ("b", 2, None), ("b", 4, 2.0), ("c", None, None)),
    ),
    "aggregates_empty": Table(columns=(("x", "long"), ("y", "float")), rows=()),
    "aggregates_series": Table(
        columns=(("x", "long"), ("y", "float"), ("s", "string")),
        rows=tuple((i, (i * 37 % 101) ** 2 / 16, f"s{i % 7}") for i in range(1, 101)),
    ),
}

CASES: list[Case] = []


def _case(
    slug: str, sql: str, *, ordered: bool = False, differs: str = "", api: bool = False
) -> Case:
    return Case(f"aggregates/{slug}", sql, ordered=ordered, differs=differs, api=api)


CASES += [
    # Basic definitions and output types.
    _case(
        "count-forms",
        "select count(*) n, count(1) one, count(qty) q, count(region) r,"
        " count(distinct region) dr from aggregates_sales",
    ),
    _case("count-distinct-pair", "select count(distinct region, product) n from aggregates_sales"),
    _case(
        "count-distinct-pair-grouped",
        "select region, count(distinct product, ok) n from aggregates_sales group by region",
    ),
    _case(
        "sum-long-is-long",
        "select sum(qty) s, sum(price) p, sum(distinct qty) d from aggregates_sales",
    ),
    _case(
        "avg-long-is-double",
        "select region, avg(qty) a, mean(price) m from aggregates_sales group by region",
    ),
    _case(
        "min-max-types",
        "select min(qty) a, max(qty) b, min(product) c, max(product) d,"
        " min(at) e, max(at) f, min(ok) g, max(ok) h from aggregates_sales",
    ),
    _case("sum-of-empty", "select sum(x) s, avg(x) a, count(x) c, max(y) m from aggregates_empty"),
    _case("grouped-empty", "select x, sum(y) from aggregates_empty group by x"),
    _case("having-without-group-by", "select count(*) n from aggregates_sales having count(*) > 3"),
    _case(
        "having-false-without-group-by",
        "select sum(qty) s from aggregates_sales having sum(qty) > 1000",
    ),
    _case("group-by-ordinal", "select region, sum(qty) from aggregates_sales group by 1"),
    _case(
        "group-by-alias",
        "select upper(region) as r, count(*) as n from aggregates_sales group by r",
    ),
    _case(
        "group-by-expression",
        "select qty % 2 as parity, count(*) n from aggregates_sales group by qty % 2",
    ),
    _case(
        "aggregate-of-expression", "select sum(qty * price) v, avg(qty + 1) a from aggregates_sales"
    ),
    # Exact percentiles: linear interpolation, always a double.
    _case("percentile-exact", "select percentile(qty, 0.3) p from aggregates_sales", api=True),
    _case(
        "percentile-array",
        "select percentile(qty, array(0.25, 0.5, 0.99)) ps from aggregates_sales",
        api=True,
    ),
    _case(
        "percentile-double",
        "select percentile(price, 0.5) p, percentile(price, 0) lo,"
        " percentile(price, 1) hi from aggregates_sales",
    ),
    _case(
        "percentile-grouped",
        "select g, percentile(x, 0.5) p, percentile(y, 0.25) q from aggregates_one group by g",
    ),
    _case(
        "percentile-series",
        "select percentile(x, 0.37) a, percentile(y, 0.9) b,"
        " percentile(x, array(0.1, 0.333)) c from aggregates_series",
    ),
    _case("median", "select median(qty) m, median(price) p from aggregates_sales"),
    _case("median-grouped", "select g, median(x) m from aggregates_one group by g"),
    _case(
        "percentile-cont",
        "select percentile_cont(0.3) within group (order by qty) p from aggregates_sales",
    ),
    _case(
        "percentile-cont-desc",
        "select percentile_cont(0.3) within group (order by qty desc) p from aggregates_sales",
    ),
    _case(
        "percentile-disc",
        "select percentile_disc(0.3) within group (order by qty) p,"
        " percentile_disc(0.5) within group (order by price) q from aggregates_sales",
    ),
    _case(
        "percentile-disc-desc",
        "select percentile_disc(0.3) within group (order by qty desc) p from aggregates_sales",
        api=True,
    ),
    _case(
        "percentile-disc-series",
        "select percentile_disc(0.37) within group (order by y) p,"
        " percentile_disc(0.9) within group (order by x desc) q from aggregates_series",
    ),
    _case(
        "percentile-cont-grouped",
        "select g, percentile_cont(0.5) within group (order by x) p from aggregates_one group by g",
    ),
    _case("percentile-empty", "select percentile(x, 0.5) p, median(y) m from aggregates_empty"),
    # Approximate aggregates.
    _case(
        "percentile-approx-small",
        "select percentile_approx(qty, 0.5) p,"
        " approx_percentile(qty, 0.25) q from aggregates_sales",
    ),
    _case(
        "percentile-approx-array",
        "select percentile_approx(qty, array(0.1, 0.5, 0.9)) p from aggregates_sales",
    ),
    _case(
        "percentile-approx-accuracy",
        "select percentile_approx(x, 0.5, 1000) p,"
        " percentile_approx(y, 0.75, 10000) q from aggregates_series",
    ),
    _case(
        "percentile-approx-grouped",
        "select region, percentile_approx(price, 0.5) p from aggregates_sales group by region",
    ),
    _case(
        "approx-count-distinct-small",
        "select approx_count_distinct(product) n,"
        " approx_count_distinct(qty) q from aggregates_sales",
    ),
    _case(
        "approx-count-distinct-series",
        "select approx_count_distinct(x) n, approx_count_distinct(s) s from aggregates_series",
    ),
    # Moments: Spark's population skewness and excess kurtosis; sample n=1 is NULL.
    _case(
        "skewness-kurtosis",
        "select skewness(qty) s, kurtosis(qty) k from aggregates_sales",
        api=True,
    ),
    _case(
        "skewness-kurtosis-series",
        "select skewness(y) s, kurtosis(y) k, skewness(x) sx from aggregates_series",
    ),
    _case(
        "skewness-small-groups",
        "select g, skewness(x) s, kurtosis(x) k from aggregates_one group by g",
    ),
    _case(
        "stddev-family",
        "select stddev(qty) a, stddev_samp(qty) b, stddev_pop(qty) c,"
        " std(qty) d, variance(qty) e, var_samp(qty) f, var_pop(qty) g from aggregates_sales",
    ),
    _case(
        "stddev-single-value",
        "select g, stddev(x) a, stddev_pop(x) b, variance(x) c,"
        " var_pop(x) d from aggregates_one group by g",
    ),
    _case("stddev-series", "select stddev(y) a, var_pop(y) b from aggregates_series"),
    _case(
        "corr-covar",
        "select corr(qty, price) c, covar_pop(qty, price) p,"
        " covar_samp(qty, price) s from aggregates_sales",
    ),
    _case(
        "corr-single-and-constant",
        "select g, corr(x, y) c, covar_samp(x, y) s,"
        " covar_pop(x, y) p from aggregates_one group by g",
    ),
    _case(
        "regr-family",
        "select regr_count(price, qty) n, regr_slope(price, qty) s,"
        " regr_intercept(price, qty) i, regr_r2(price, qty) r, regr_avgx(price, qty) ax,"
        " regr_avgy(price, qty) ay, regr_sxx(price, qty) sxx, regr_syy(price, qty) syy,"
        " regr_sxy(price, qty) sxy from aggregates_sales",
    ),
    _case(
        "regr-series", "select regr_slope(y, x) s, regr_intercept(y, x) i from aggregates_series"
    ),
    # first/last, any_value, max_by/min_by: deterministic data only.
    _case(
        "first-last-single-row-groups",
        "select product, first(qty) f, last(qty) l,"
        " first(price, true) fi, last(price, true) li from aggregates_sales"
        " where region = 'east' and product = 'pear' group by product",
    ),
    _case(
        "first-ignore-nulls",
        "select first(y, true) f, last(y, true) l from aggregates_one where g = 'b'",
    ),
    _case(
        "first-value-agg",
        "select first_value(x) f, last_value(x) l from aggregates_one where g = 'a'",
    ),
    _case("any-value", "select g, any_value(x) v from aggregates_one where g <> 'b' group by g"),
    _case(
        "max-by-min-by",
        "select max_by(product, qty) mx, min_by(region, price) mn,"
        " max_by(qty, at) latest from aggregates_sales",
    ),
    _case(
        "max-by-grouped",
        "select region, max_by(product, price) p from aggregates_sales"
        " where region is not null group by region",
    ),
    # Collections: order-independent views of the result.
    _case(
        "collect-list-sorted",
        "select region, sort_array(collect_list(qty)) l from aggregates_sales group by region",
    ),
    _case(
        "collect-set-sorted",
        "select sort_array(collect_set(product)) s,"
        " size(collect_set(region)) n from aggregates_sales",
    ),
    _case(
        "collect-list-skips-nulls",
        "select size(collect_list(qty)) n, size(collect_list(ok)) b from aggregates_sales",
    ),
    _case("collect-empty", "select collect_list(x) l, collect_set(y) s from aggregates_empty"),
    _case("array-agg", "select sort_array(array_agg(qty)) l from aggregates_sales"),
    # Booleans and counting.
    _case(
        "bool-and-or",
        "select region, bool_and(ok) a, bool_or(ok) o, every(ok) e, some(ok) s,"
        " any(ok) y from aggregates_sales group by region",
    ),
    _case("count-if", "select count_if(qty > 3) n, count_if(ok) o from aggregates_sales"),
    _case("mode", "select mode(product) m from aggregates_sales where region = 'east'"),
    _case("mode-numbers", "select mode(x) m from aggregates_one where g = 'a'"),
    _case(
        "filter-clause",
        "select region, sum(qty) filter (where ok) s,"
        " count(*) filter (where price > 1.4) n, avg(price) filter (where qty > 2) a"
        " from aggregates_sales group by region",
        api=True,
    ),
    _case(
        "filter-distinct",
        "select count(distinct product) filter (where qty > 2) n from aggregates_sales",
    ),
    _case(
        "bit-aggregates",
        "select bit_and(qty) a, bit_or(qty) o, bit_xor(qty) x from aggregates_sales",
    ),
    _case(
        "string-agg-free-max-min",
        "select max(region) mx, min(region) mn, count(distinct at) d from aggregates_sales",
    ),
    _case("histogram-numeric", "select histogram_numeric(x, 3) h from aggregates_series"),
    _case(
        "aggregate-in-order-by",
        "select region from aggregates_sales group by region order by sum(qty) desc, region",
        ordered=True,
    ),
    _case(
        "nested-aggregate-subquery",
        "select max(s) from (select region, sum(qty) s from aggregates_sales group by region)",
    ),
    _case(
        "sum-overflow-wraps",
        "select sum(x) s from (select 9223372036854775807 x union all select 1)",
    ),
    _case(
        "sum-overflow-wraps-back",
        "select sum(x) s from (select 9223372036854775807 x union all select 1"
        " union all select -5)",
    ),
    _case(
        "sum-overflow-grouped-filtered",
        "select g, sum(x) s, sum(x) filter (where x > 1) f, sum(distinct x) d from (select 1 g,"
        " 9223372036854775807 x union all select 1, 7 union all select 1, 7 union all"
        " select 2, -9223372036854775807 union all select 2, -9) group by g",
    ),
    _case(
        "sum-overflow-window",
        "select x, sum(x) over (order by x rows between unbounded preceding and current row) s"
        " from (select 9223372036854775807 x union all select 1 union all select 5)",
    ),
    _case(
        "try-sum-overflow",
        "select try_sum(x) s, try_avg(x) a from (select 9223372036854775807 x union all select 1)",
    ),
    _case(
        "sum-int-no-int-overflow",
        "select sum(x) s from (select 2147483647 x union all select 1)",
    ),
    _case(
        "avg-decimal",
        "select avg(cast(price as decimal(10, 2))) a,"
        " sum(cast(price as decimal(10, 2))) s from aggregates_sales",
    ),
    _case(
        "count-distinct-null-only", "select count(distinct x) n from aggregates_one where g = 'c'"
    ),
]

CASES += [
    _case(
        "max-by-null-value",
        "select g, max_by(y, x) mx, min_by(y, x) mn from aggregates_one group by g",
        api=True,
    ),
    _case(
        "regr-constant-x",
        "select regr_slope(y, x) s, regr_intercept(y, x) i,"
        " regr_r2(y, x) r, corr(x, y) c from aggregates_one where g = 'a'",
    ),
    _case(
        "first-last-ignore-nulls-filter",
        "select first(qty, true) filter (where ok) f,"
        " last(price, true) filter (where region = 'west') l from aggregates_sales"
        " where region = 'west'",
    ),
    _case(
        "percentile-approx-types",
        "select percentile_approx(at, 0.5) t,"
        " percentile_approx(price, array(0.5)) p from aggregates_sales",
    ),
    _case(
        "percentile-approx-large-group",
        "select percentile_approx(y, 0.5, 10) p from aggregates_series",
    ),
    _case(
        "percentile-approx-gk-percentages",
        "select percentile_approx(y, array(0.05, 0.1, 0.25, 0.3, 0.5, 0.75, 0.9, 0.95), 10) a,"
        " percentile_approx(x, array(0.01, 0.2, 0.5, 0.8, 0.99), 20) b,"
        " percentile_approx(y, 0.42, 3) c, percentile_approx(x, 0.5, 1) d,"
        " percentile_approx(y, 0.37, 150) e from aggregates_series",
    ),
    _case(
        "percentile-approx-gk-grouped",
        "select s, percentile_approx(y, 0.5, 4) p, percentile_approx(x, 0.25, 8) q,"
        " count(*) n from aggregates_series group by s",
    ),
    _case(
        "percentile-approx-gk-filter",
        "select percentile_approx(y, 0.6, 12) filter (where x > 30) p from aggregates_series",
    ),
    _case(
        "percentile-approx-window",
        "select region, qty, percentile_approx(qty, 0.5)"
        " over (partition by region) p from aggregates_sales",
    ),
    _case(
        "kurtosis-window",
        "select g, x, kurtosis(x) over (partition by g) k,"
        " skewness(x) over (partition by g) s from aggregates_one",
    ),
    _case(
        "collect-list-window",
        "select region, qty, sort_array(collect_list(qty)"
        " over (partition by region)) l from aggregates_sales",
    ),
    _case(
        "percentile-filter",
        "select percentile(qty, 0.5) filter (where ok) p,"
        " percentile(qty, 0.5) q from aggregates_sales",
    ),
    _case(
        "median-of-doubles-even",
        "select median(price) m from aggregates_sales where price is not null",
    ),
]

CASES += [
    _case(
        "any-value-first-row",
        "select g, any_value(y) a, any_value(y, true) b from aggregates_one group by g",
    ),
    _case("try-sum-try-avg", "select try_sum(x) s, try_avg(x) a, try_sum(y) d from aggregates_one"),
    _case("regr-count", "select regr_count(y, x) n from aggregates_one"),
    _case(
        "percentile-cont-window",
        "select g, x, percentile_cont(0.5) within group"
        " (order by x) over (partition by g) p from aggregates_one",
    ),
    _case(
        "count-with-rollup-nulls",
        "select region, count(region) c, count(*) n from aggregates_sales group by rollup(region)",
    ),
    _case(
        "count-min-sketch", "select count_min_sketch(qty, 0.5d, 0.5d, 1) c from aggregates_sales"
    ),
]
CASES += [
    _case("mode-with-nulls", "select mode(y) m from aggregates_one"),
    _case(
        "collect-all-null-group",
        "select g, collect_list(x) l, collect_set(y) s from aggregates_one group by g",
    ),
    _case(
        "first-last-keep-nulls",
        "select first(y) f, last(y) l, first(x) fx from aggregates_one where g = 'b'",
    ),
    _case(
        "count-null-literal",
        "select count(null) a, count(1) b, count(*) c, count(x) d from aggregates_one",
    ),
    _case(
        "sum-avg-null-literal", "select sum(null) s, avg(null) a, max(null) m from aggregates_one"
    ),
    _case(
        "var-of-nulls",
        "select var_samp(y) v, stddev(y) s, corr(x, y) c from aggregates_one where g = 'c'",
    ),
    _case(
        "covar-grouped",
        "select region, covar_samp(qty, price) s, covar_pop(qty, price) p"
        " from aggregates_sales group by region",
    ),
    _case(
        "approx-percentile-grouped-array",
        "select region,"
        " approx_percentile(qty, array(0.5, 1.0)) p from aggregates_sales group by region",
    ),
    _case(
        "percentile-of-negative-and-zero",
        "select percentile(v, 0.5) p, median(v) m from (select explode(array(-3, 0, 0, 5)) v)",
    ),
    _case(
        "bool-and-empty", "select bool_and(b) a, bool_or(b) o from (select true b) t where false"
    ),
    # sum/try_sum of an untyped NULL is a DOUBLE; over a VALUES bigint column sum wraps and
    # try_sum is NULL past BIGINT's range
    _case(
        "sum-of-void",
        "select sum(c) s, try_sum(c) t, sum(null) n, try_sum(null) m"
        " from values (null), (null) as tab(c)",
    ),
    _case(
        "sum-values-overflow",
        "select sum(c) s, try_sum(c) t from values (9223372036854775807L), (1L) as tab(c)",
    ),
    _case(
        "sum-values-int-literal-overflow",
        "select sum(c) s from values (9223372036854775807), (1) as tab(c)",
    ),
    # WITHIN GROUP (ORDER BY x DESC) as a window: DuckDB's quantile ignored the DESC there
    _case(
        "percentile-desc-over-window",
        "select v, k, percentile_cont(0.25) within group (order by v desc) over () as c,"
        " percentile_disc(0.25) within group (order by v desc) over (partition by k) as d,"
        " percentile_cont(0.3) within group (order by v desc) over (partition by k) as e"
        " from values (1, 1), (2, 1), (3, 2), (4, 2), (9, 2), (null, 1) as t(v, k)",
    ),
    _case(
        "percentile-desc-aggregate",
        "select percentile_cont(0.0) within group (order by v desc) as a,"
        " percentile_disc(0.5) within group (order by v desc) as b,"
        " percentile_cont(0.3) within group (order by v desc) as c"
        " from values (0.0), (1.5), (3.25), (4.0) as t(v)",
    ),
]
