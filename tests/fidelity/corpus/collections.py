"""Arrays, maps and structs: positions (fault kind 4), NULLs (12), set functions, sorting."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "collections_t": Table(
        columns=(("id", "long"), ("csv", "string"), ("i", "long"), ("kv", "string")),
        rows=(
            (1, "c,a,b,a", 0, "a:1,b:2"),
            (2, "x", -1, "k:v"),
            (3, "", 5, ""),
            (4, None, 1, None),
            (5, "3,1,2", 2, "a:1,a2"),
        ),
    ),
}


def _c(slug: str, select: str) -> Case:
    return Case(f"collections/{slug}", f"select id, {select} from collections_t order by id", True)


CASES = [
    _c("size", "size(split(csv, ',')) as r"),
    _c("size-null", "size(if(id = 4, null, array(1))) as r"),
    _c("cardinality", "cardinality(split(csv, ',')) as r"),
    _c("size-map", "size(str_to_map(kv)) as r"),
    _c("subscript-literal", "split(csv, ',')[1] as r"),
    _c("subscript-column", "split(csv, ',')[i] as r"),
    _c("subscript-negative", "split(csv, ',')[-1] as r"),
    _c("element-at", "element_at(split(csv, ','), 2) as r"),
    _c("element-at-negative", "element_at(split(csv, ','), -1) as r"),
    _c("element-at-beyond", "element_at(split(csv, ','), 10) as r"),
    _c("element-at-column", "element_at(split(csv, ','), cast(abs(i) + 1 as int)) as r"),
    _c("element-at-map", "element_at(str_to_map(kv), 'a') as r"),
    _c("map-subscript", "str_to_map(kv)['b'] as r"),
    _c("str-to-map", "str_to_map(kv) as r"),
    _c("str-to-map-delims", "str_to_map(replace(kv, ':', '='), ',', '=') as r"),
    _c("map-keys", "map_keys(str_to_map(kv)) as r"),
    _c("map-values", "map_values(str_to_map(kv)) as r"),
    _c("map-literal", "map('k', id, 'j', i) as r"),
    _c("map-from-arrays", "map_from_arrays(array('a', 'b'), array(id, i)) as r"),
    _c("map-concat", "map_concat(map('a', id), map('b', i)) as r"),
    _c("map-contains-key", "map_contains_key(str_to_map(kv), 'a') as r"),
    _c("array-contains", "array_contains(split(csv, ','), 'a') as r"),
    _c("array-contains-null-element", "array_contains(array(1, null), 2) as r"),
    _c("array-position", "array_position(split(csv, ','), 'a') as r"),
    _c("array-distinct", "array_distinct(split(csv, ',')) as r"),
    _c("array-union", "array_union(split(csv, ','), array('z', 'a')) as r"),
    _c("array-intersect", "array_intersect(split(csv, ','), array('a', 'b', 'q')) as r"),
    _c("array-except", "array_except(split(csv, ','), array('a')) as r"),
    _c("array-join", "array_join(split(csv, ','), '|') as r"),
    _c("array-join-null-replacement", "array_join(array('a', null, csv), '-', 'N') as r"),
    _c("array-join-nulls-skipped", "array_join(array('a', null, csv), '-') as r"),
    _c("array-sort", "array_sort(split(csv, ',')) as r"),
    _c("sort-array-desc", "sort_array(split(csv, ','), false) as r"),
    _c("sort-array-nulls", "sort_array(array(i, null, id)) as r"),
    _c("sort-array-nulls-desc", "sort_array(array(i, null, id), false) as r"),
    _c("array-sort-nulls", "array_sort(array(i, null, id)) as r"),
    _c("flatten", "flatten(array(split(csv, ','), array('end'))) as r"),
    _c("arrays-zip", "arrays_zip(split(csv, ','), array(1, 2)) as r"),
    _c("array-max", "array_max(split(csv, ',')) as r"),
    _c("array-min-numbers", "array_min(array(i, id, null)) as r"),
    _c("slice", "slice(split(csv, ','), 2, 2) as r"),
    _c("slice-negative", "slice(split(csv, ','), -2, 5) as r"),
    _c("sequence", "sequence(1, id) as r"),
    _c("sequence-step", "sequence(id, 1, -1) as r"),
    _c("array-repeat", "array_repeat(csv, 2) as r"),
    _c("array-remove", "array_remove(split(csv, ','), 'a') as r"),
    _c("reverse-array", "reverse(split(csv, ',')) as r"),
    _c("concat-arrays", "concat(split(csv, ','), array('z')) as r"),
    _c("arrays-overlap", "arrays_overlap(split(csv, ','), array('a')) as r"),
    _c("array-compact", "array_compact(array(csv, null)) as r"),
    _c("named-struct-field", "named_struct('a', id, 'b', csv).b as r"),
    _c("struct-field", "struct(id, csv).csv as r"),
    _c("struct-whole", "named_struct('a', id, 'b', csv) as r"),
    _c("array-of-structs-field", "array(named_struct('x', id))[0].x as r"),
    _c("array-literal", "array(id, i) as r"),
    _c("concat-ws-split", "concat_ws('+', split(csv, ',')) as r"),
    _c("explode-count", "size(array_distinct(split(csv, ','))) as r"),
    Case(
        "collections/size-map-from-subquery",
        "select id, size(m) as r from (select id, str_to_map(kv) as m from collections_t) t"
        " order by id",
        True,
    ),
    # array_remove keeps NULL elements (DuckDB's `<>` filter dropped them); NULL when x is NULL
    _c("array-remove-keeps-nulls", "array_remove(array(1, null, i, 3, null), 3) as r"),
    _c("array-remove-null-value", "array_remove(array(1, null), cast(null as int)) as r"),
    _c("array-remove-strings", "array_remove(split(concat(csv, ',,z'), ','), 'a') as r"),
    Case(
        "collections/array-remove-values-column",
        "select array_remove(a, 1) as r from values (array(1, null, 3)), (null) as t(a)",
    ),
]
