"""Higher-order functions: transform (with the 0-based index), filter, aggregate, exists, forall,
zip_with, map_filter, transform_keys, transform_values."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "higher_order_t": Table(
        columns=(("id", "long"), ("csv", "string")),
        rows=((1, "1,2,3"), (2, "10"), (3, ""), (4, None), (5, "5,-5")),
    ),
}


def _c(slug: str, select: str) -> Case:
    return Case(
        f"higher_order/{slug}", f"select id, {select} from higher_order_t order by id", True
    )


_NUMS = "transform(filter(split(csv, ','), s -> s != ''), s -> cast(s as int))"

CASES = [
    _c("transform", "transform(split(csv, ','), s -> concat(s, '!')) as r"),
    _c("transform-index", "transform(split(csv, ','), (s, i) -> i) as r"),
    _c("transform-index-value", "transform(split(csv, ','), (s, i) -> concat(s, '@', i)) as r"),
    _c("filter", f"filter({_NUMS}, x -> x > 1) as r"),
    _c("filter-index", "filter(split(csv, ','), (s, i) -> i % 2 = 0) as r"),
    _c("aggregate", f"aggregate({_NUMS}, 0, (acc, x) -> acc + x) as r"),
    _c("aggregate-finish", f"aggregate({_NUMS}, 0, (acc, x) -> acc + x, acc -> acc * 10) as r"),
    _c("aggregate-bigint", f"aggregate({_NUMS}, cast(0 as bigint), (a, x) -> a + x) as r"),
    _c("reduce", f"reduce({_NUMS}, 0, (acc, x) -> acc + x) as r"),
    _c("exists", f"exists({_NUMS}, x -> x < 0) as r"),
    _c("exists-null", "exists(array(1, null), x -> x > 1) as r"),
    _c("forall", f"forall({_NUMS}, x -> x > 0) as r"),
    _c("forall-null", "forall(array(1, null), x -> x > 0) as r"),
    _c("zip-with", f"zip_with({_NUMS}, array(100, 200), (a, b) -> a + b) as r"),
    _c("map-filter", "map_filter(map('a', id, 'b', 2), (k, v) -> v > 1) as r"),
    _c("transform-values", "transform_values(map('a', id), (k, v) -> v * 2) as r"),
    _c("transform-keys", "transform_keys(map('a', id), (k, v) -> upper(k)) as r"),
    _c("map-zip-with", "map_zip_with(map('a', id), map('a', 1), (k, x, y) -> x + y) as r"),
    _c("array-sort-comparator", f"array_sort({_NUMS}, (a, b) -> b - a) as r"),
    _c("transform-nested", "transform(array(array(1, 2), array(id)), a -> size(a)) as r"),
    # struct field names: a lambda variable or column names its field, other values col<n>
    _c("zip-with-tuple-names", "zip_with(array(1, id), array('a', 'b'), (x, y) -> (y, x)) as r"),
    _c("zip-with-struct-names", "zip_with(array(id), array('a'), (x, y) -> struct(x, y)) as r"),
    _c("zip-with-tuple-literals", "zip_with(array(id), array('a'), (x, y) -> (1, 'a')) as r"),
    _c(
        "zip-with-named-struct",
        "zip_with(array(id), array('a'), (x, y) -> named_struct('x', y, 'y', x)) as r",
    ),
    _c("transform-tuple-names", "transform(array(1, id), (x, i) -> (x, i, x + 1)) as r"),
    _c("tuple-of-columns", "(id, csv, id + 1) as r"),
    _c("tuple-literals", "(1, 'a') as r"),
    _c("array-of-tuples", "array((1, 2), (3, id + 1)) as r"),
]
