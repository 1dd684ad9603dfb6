"""Aggregates whose Spark definition differs from DuckDB's function of the same name (fault kind
9), respelled with DuckDB aggregates that give Spark's answer and Spark's result type.

Rules (Spark 3.5 function reference and the measured answers of Spark 3.5.9, ANSI off):

* `percentile(x, p)` / `percentile(x, array(...))` interpolate linearly and are DOUBLE:
  `quantile_cont` over x as DOUBLE (DuckDB's `quantile` picks a member). `percentile_disc` is
  a DOUBLE too.
* `percentile_approx` / `approx_percentile` give the member of the sorted group, in x's type, at
  the rank Spark's GK summary picks for the group's size, the percentage and the accuracy
  (`gk_summary.rank`, a Python function called once per group): Spark's answer for a group of
  up to 50,000 values read by one task; for larger groups Spark's own answer depends on how it
  split and ordered its input (docs/decisions.md).
* `skewness` and `kurtosis` are population moments (kurtosis in excess of 3); `corr`,
  `regr_slope`, `regr_intercept` and the moments are NULL where Spark divides by zero (one row,
  or a constant column) instead of DuckDB's NaN or sample formulas.
* `sum(NULL)` is a DOUBLE NULL.
* `max_by`/`min_by` return the value at the extreme ordering row even when that value is NULL.
* `collect_list`/`collect_set` of no values are `[]`, not NULL.
* `first`/`last ... IGNORE NULLS` outside windows skip NULLs through a FILTER.
* `any_value` is Spark's `first` (the first row's value, NULL included); `first`/`last` over
  windows are `first_value`/`last_value`.
* `first_value`/`last_value` as aggregates are `first`/`last`; `std` is `stddev_samp`;
  `every`, `some` and `any` are `bool_and`/`bool_or`; `try_sum`/`try_avg` are `sum`/`avg` (an
  integral try_sum past BIGINT's range is NULL: `coercion`/`overflow`).
* Refused by name (E18209): `approx_count_distinct` (Spark's HyperLogLog++ estimate differs
  from the exact count from 23 distinct values on, and cannot be reproduced),
  `histogram_numeric`, `count_min_sketch`, `hll_sketch_agg`/`hll_union_agg`, and DISTINCT
  inside a window (Spark refuses it).

Each rule keeps the aggregate's FILTER clause and window: a respelling with several aggregates
gives each of them the same FILTER and OVER.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from tidemill.engines.duckdb.dialect._nodes import template
from tidemill.engines.duckdb.dialect.context import Context
from tidemill.errors import InvalidInputError

MACROS: tuple[str, ...] = ()


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with Spark's aggregate definitions spelled for DuckDB."""
    return query.transform(_named_respell)


def _named_respell(node: exp.Expr) -> exp.Expr:
    """`_respell`, keeping the name of an unaliased SELECT item as the user wrote it (a result
    column's name would otherwise be DuckDB's text of the respelling)."""
    built = _respell(node)
    if built is node or not isinstance(node.parent, exp.Select) or node.arg_key != "expressions":
        return built
    return exp.alias_(built, node.sql(dialect="spark", normalize_functions="lower"))


def _respell(node: exp.Expr) -> exp.Expr:
    if isinstance(node.parent, exp.Window | exp.Filter | exp.IgnoreNulls):
        return node  # handled with its wrapper
    aggregate, wrap, ignore_nulls = _peel(node)
    if wrap.window is not None and isinstance(aggregate.this, exp.Distinct):
        raise _refused("DISTINCT in a window function")  # Spark refuses it too
    if isinstance(aggregate, exp.AnyValue):
        # Spark's any_value is first(): the first row's value, NULL included (DuckDB's skips NULLs).
        aggregate = exp.First(this=aggregate.this.copy())
        if wrap.window is None and not ignore_nulls:
            return wrap(aggregate)
    if wrap.window is not None and isinstance(aggregate, exp.First | exp.Last):
        # Spark's first/last over a window are the window functions first_value/last_value.
        window_kind = exp.FirstValue if isinstance(aggregate, exp.First) else exp.LastValue
        call: exp.Expr = window_kind(this=aggregate.this.copy())
        return wrap(exp.IgnoreNulls(this=call) if ignore_nulls else call)
    if ignore_nulls:
        if wrap.window is None and isinstance(aggregate, _FIRST_LAST):
            # Outside windows DuckDB has no IGNORE NULLS: skip the NULLs with a FILTER.
            kind = exp.First if isinstance(aggregate, exp.First | exp.FirstValue) else exp.Last
            value = aggregate.this
            return wrap.with_condition(_not_null(value))(kind(this=value.copy()))
        return node
    rule = _RULES.get(type(aggregate))
    if rule is None and isinstance(aggregate, exp.Anonymous):
        rule = _NAMED_RULES.get(aggregate.name.lower())
    built = rule(aggregate, wrap) if rule is not None else None
    return node if built is None else built


_FIRST_LAST = (exp.First, exp.Last, exp.FirstValue, exp.LastValue)


def _not_null(value: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))


class _Wrapper:
    """The FILTER and OVER around one aggregate call, to put around its replacements."""

    def __init__(self, condition: exp.Expr | None, window: exp.Window | None) -> None:
        self.condition = condition
        self.window = window

    def __call__(self, call: exp.Expr) -> exp.Expr:
        out = call
        if self.condition is not None:
            out = exp.Filter(this=out, expression=exp.Where(this=self.condition.copy()))
        if self.window is not None:
            window = self.window.copy()
            window.set("this", out)
            out = window
        return out

    def with_condition(self, extra: exp.Expr) -> _Wrapper:
        condition = extra if self.condition is None else exp.and_(self.condition.copy(), extra)
        return _Wrapper(condition, self.window)


def _peel(node: exp.Expr) -> tuple[exp.Expr, _Wrapper, bool]:
    """(the aggregate call inside `node`, its FILTER/OVER wrapper, whether IGNORE NULLS)."""
    window = node if isinstance(node, exp.Window) else None
    inner = node.this if window is not None else node
    ignore_nulls = False
    condition = None
    for _ in range(3):
        if isinstance(inner, exp.IgnoreNulls):
            ignore_nulls, inner = True, inner.this
        elif isinstance(inner, exp.Filter):
            where = inner.expression
            condition = where.this if isinstance(where, exp.Where) else where
            inner = inner.this
    return inner, _Wrapper(condition, window), ignore_nulls


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=[a.copy() for a in args])


def _double(value: exp.Expr) -> exp.Expr:
    return exp.cast(value.copy(), exp.DataType.build("DOUBLE"))


def _null_if_zero(test: exp.Expr, value: exp.Expr) -> exp.Expr:
    """`value`, or NULL where `test` is 0 (Spark's division by zero, ANSI off)."""
    return exp.Case(
        ifs=[exp.If(this=exp.EQ(this=test, expression=exp.Literal.number(0)), true=exp.Null())],
        default=value,
    )


def _percentile(node: exp.Expr, wrap: _Wrapper) -> exp.Expr:
    quantile = node.args.get("quantile")
    if quantile is None:
        return node
    return wrap(_fn("quantile_cont", _double(node.this), quantile))


def _percentile_approx(node: exp.Expr, wrap: _Wrapper) -> exp.Expr:
    """The member of the sorted group at the rank Spark's GK summary picks (`gk_summary`)."""
    quantile = node.args.get("quantile")
    if quantile is None:
        raise _refused("percentile_approx without a percentage")
    accuracy = node.args.get("accuracy") or exp.Literal.number(10000)
    ordered = template(
        "list_sort(_values, 'ASC', 'NULLS LAST')", values=wrap(_fn("list", node.this))
    )
    count = wrap(_fn("count", node.this))

    def pick(percentage: exp.Expr) -> exp.Expr:
        chosen = _fn("tidemill_gk_rank", count, percentage, accuracy)
        return template("_ordered[_rank]", ordered=ordered.copy(), rank=chosen)

    if isinstance(quantile, exp.Array):
        return exp.Array(expressions=[pick(q) for q in quantile.expressions])
    return pick(quantile)


def _within_group(node: exp.Expr, wrap: _Wrapper) -> exp.Expr | None:
    """percentile_cont / percentile_disc (q) WITHIN GROUP (ORDER BY x [DESC]), a DOUBLE over x
    as a DOUBLE, as Spark's (DuckDB's quantile of a DECIMAL keeps its scale: 3.32 for 3.325).
    DuckDB's quantile ignores a DESC order when it runs as a window (OVER): a descending order
    is taken as the ascending order of -x, and the answer negated back (0.0 - ...: no -0.0)."""
    call = node.copy()
    order = call.expression
    ordered = order.expressions[0] if isinstance(order, exp.Order) and order.expressions else None
    if not isinstance(ordered, exp.Ordered):
        return None
    descending = bool(ordered.args.get("desc"))
    value = _double(ordered.this)
    ordered.set("desc", False)
    ordered.set("this", exp.Neg(this=exp.paren(value)) if descending else value)
    answer = _double(wrap(call))
    if not descending:
        return answer
    return exp.paren(exp.Sub(this=exp.Literal.number(0.0), expression=answer))


def _skewness(node: exp.Expr, wrap: _Wrapper) -> exp.Expr:
    # Spark: sqrt(n)·m3 / m2^1.5 over the central moment sums; NULL when m2 = 0. DuckDB's
    # skewness is the adjusted sample skewness G1 = g1·sqrt(n(n-1))/(n-2), NULL for n <= 2.
    x = _double(node.this)
    n = wrap(_fn("count", x))
    sample = wrap(_fn("skewness", x))
    scale = exp.Div(
        this=exp.paren(exp.Sub(this=n.copy(), expression=exp.Literal.number(2))),
        expression=_fn("sqrt", exp.Mul(this=n.copy(), expression=exp.paren(n.copy() - 1))),
    )
    population = exp.Case(
        ifs=[exp.If(this=exp.EQ(this=n.copy(), expression=exp.Literal.number(2)),
                    true=exp.Literal.number(0.0))],
        default=exp.Mul(this=sample, expression=scale),
    )  # fmt: skip
    return _null_if_zero(wrap(_fn("var_pop", x)), population)


def _kurtosis(node: exp.Expr, wrap: _Wrapper) -> exp.Expr:
    # Spark: n·m4 / m2² - 3, NULL when m2 = 0: DuckDB's kurtosis_pop with Spark's guard.
    x = _double(node.this)
    return _null_if_zero(wrap(_fn("var_pop", x)), wrap(_fn("kurtosis_pop", x)))


def _corr(node: exp.Expr, wrap: _Wrapper) -> exp.Expr:
    y, x = node.this, node.expression
    product = exp.Mul(this=wrap(_fn("regr_sxx", y, x)), expression=wrap(_fn("regr_syy", y, x)))
    return _null_if_zero(product, wrap(_fn("corr", y, x)))


def _regr_by_sxx(name: str) -> Callable[[exp.Expr, _Wrapper], exp.Expr]:
    def rule(node: exp.Expr, wrap: _Wrapper) -> exp.Expr:
        y, x = node.this, node.expression
        return _null_if_zero(wrap(_fn("regr_sxx", y, x)), wrap(_fn(name, y, x)))

    return rule


def _renamed(name: str) -> Callable[[exp.Expr, _Wrapper], exp.Expr]:
    def rule(node: exp.Expr, wrap: _Wrapper) -> exp.Expr:
        args = [node.this] if isinstance(node.this, exp.Expr) else []
        args += [a for a in node.expressions if isinstance(a, exp.Expr)]
        if isinstance(node.args.get("expression"), exp.Expr):
            args.append(node.args["expression"])
        return wrap(_fn(name, *args))

    return rule


def _bool_or(node: exp.Expr, wrap: _Wrapper) -> exp.Expr | None:
    if isinstance(node.parent, exp.Predicate):  # `x = ANY (subquery)` is not the aggregate
        return None
    value = node.this.this if isinstance(node.this, exp.Paren) else node.this
    return wrap(_fn("bool_or", value))


def _first_last_value(node: exp.Expr, wrap: _Wrapper) -> exp.Expr | None:
    if wrap.window is not None:
        return None  # the window functions DuckDB has
    kind = exp.First if isinstance(node, exp.FirstValue) else exp.Last
    return wrap(kind(this=node.this.copy()))


def _collected(node: exp.Expr, wrap: _Wrapper) -> exp.Expr:
    # Spark skips NULLs and gives [] for no values; DuckDB's list gives NULL for none.
    value = node.this
    if isinstance(node, exp.ArrayUniqueAgg):
        call: exp.Expr = exp.Anonymous(
            this="list", expressions=[exp.Distinct(expressions=[value.copy()])]
        )
    else:
        call = _fn("list", value)
    inner = wrap.with_condition(_not_null(value))
    return exp.Coalesce(this=inner(call), expressions=[exp.Array(expressions=[])])


def _sum(node: exp.Expr, wrap: _Wrapper) -> exp.Expr | None:
    # Spark's sum of an untyped NULL is a DOUBLE (DuckDB's an integer).
    if isinstance(node.this, exp.Null):
        return wrap(exp.Sum(this=_double(node.this)))
    return None


def _refuse(construct: str, hint: str = "") -> Callable[[exp.Expr, _Wrapper], exp.Expr]:
    def rule(node: exp.Expr, wrap: _Wrapper) -> exp.Expr:
        raise _refused(construct, hint)

    return rule


_RULES: dict[type[exp.Expr], Callable[[exp.Expr, _Wrapper], exp.Expr | None]] = {
    exp.Sum: _sum,
    exp.Quantile: _percentile,
    exp.ApproxQuantile: _percentile_approx,
    exp.WithinGroup: _within_group,
    exp.Skewness: _skewness,
    exp.Kurtosis: _kurtosis,
    exp.Corr: _corr,
    exp.ArgMax: _renamed("arg_max_null"),
    exp.ArgMin: _renamed("arg_min_null"),
    exp.ArrayAgg: _collected,
    exp.ArrayUniqueAgg: _collected,
    exp.FirstValue: _first_last_value,
    exp.LastValue: _first_last_value,
    exp.Any: _bool_or,
    exp.RegrSlope: _regr_by_sxx("regr_slope"),
    exp.RegrIntercept: _regr_by_sxx("regr_intercept"),
    exp.ApproxDistinct: _refuse(
        "approx_count_distinct",
        ": Spark's HyperLogLog++ estimate cannot be reproduced; count(DISTINCT ...) gives the"
        " exact count",
    ),
}

_NAMED_RULES: dict[str, Callable[[exp.Expr, _Wrapper], exp.Expr | None]] = {
    "std": _renamed("stddev_samp"),
    # An integral try_sum was made NULL past BIGINT's range by the coercion pass (overflow).
    "try_sum": _renamed("sum"),
    "try_avg": _renamed("avg"),
    "count_min_sketch": _refuse("count_min_sketch"),
    # Spark's Apache DataSketches HLL sketches (binary values no DuckDB function reads).
    "hll_sketch_agg": _refuse("hll_sketch_agg"),
    "hll_union_agg": _refuse("hll_union_agg"),
    "every": _renamed("bool_and"),
    "some": _renamed("bool_or"),
    "histogram_numeric": _refuse("histogram_numeric"),
}


def _refused(construct: str, hint: str = "") -> InvalidInputError:
    from tidemill.engines.duckdb.dialect.translate import (
        unsupported,  # translate imports this module
    )

    refusal = unsupported(construct)
    return InvalidInputError(refusal.failure, f"{refusal.message}{hint}")
