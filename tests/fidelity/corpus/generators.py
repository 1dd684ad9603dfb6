"""Generators (fault kind 7): explode, posexplode, inline, json_tuple, stack; OUTER variants."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "generators_t": Table(
        columns=(("id", "long"), ("csv", "string"), ("kv", "string"), ("doc", "string")),
        rows=(
            (1, "a,b,c", "x:1,y:2", '{"a": 1, "b": "two", "c": {"d": [1, 2]}}'),
            (2, "", "", '{"a": null}'),
            (3, None, None, "not json"),
            (4, "d", "z:9", "[1, 2]"),
        ),
    ),
}


def _c(slug: str, sql: str, ordered: bool = False) -> Case:
    return Case(f"generators/{slug}", sql, ordered)


CASES = [
    _c("explode-select", "select id, explode(split(csv, ',')) as c from generators_t"),
    _c("explode-default-name", "select explode(split(csv, ',')) from generators_t"),
    _c("explode-outer-select", "select id, explode_outer(split(kv, ',')) from generators_t"),
    _c(
        "explode-outer-null-array",
        "select id, explode_outer(if(id > 2, null, array(id, id))) as c from generators_t",
    ),
    _c("explode-empty-array", "select id, explode(array()) from generators_t"),
    _c("explode-literal", "select explode(array(3, 1, 2)) as x"),
    _c("posexplode-select", "select id, posexplode(split(csv, ',')) from generators_t"),
    _c(
        "posexplode-aliases",
        "select id, posexplode(split(csv, ',')) as (p, v) from generators_t",
    ),
    _c(
        "posexplode-outer-select",
        "select id, posexplode_outer(if(id = 3, null, array(id))) from generators_t",
    ),
    _c("explode-map", "select id, explode(str_to_map(kv, ',', ':')) from generators_t"),
    _c(
        "explode-map-aliases",
        "select id, explode(str_to_map(kv, ',', ':')) as (k, v) from generators_t",
    ),
    _c(
        "explode-outer-map",
        "select id, explode_outer(str_to_map(kv, ',', ':')) from generators_t where id > 1",
    ),
    _c("posexplode-map", "select posexplode(map('a', 1, 'b', 2))"),
    _c(
        "lateral-view",
        "select id, c from generators_t lateral view explode(split(csv, ',')) x as c",
    ),
    _c(
        "lateral-view-outer-empty",
        "select id, c from generators_t lateral view outer explode(array()) x as c order by id",
        True,
    ),
    _c(
        "lateral-view-outer-null",
        "select id, c from generators_t"
        " lateral view outer explode(if(id = 1, array(1, 2), null)) x as c",
    ),
    _c(
        "lateral-view-no-column-alias",
        "select id, x.col from generators_t lateral view explode(array(id, 10)) x",
    ),
    _c(
        "lateral-view-posexplode",
        "select id, p, c from generators_t lateral view posexplode(split(csv, ',')) t as p, c",
    ),
    _c(
        "lateral-view-outer-posexplode",
        "select id, p, c from generators_t"
        " lateral view outer posexplode(if(id > 1, array(), array('q'))) t as p, c",
    ),
    _c(
        "lateral-view-explode-outer-function",
        "select id, c from generators_t lateral view explode_outer(array()) x as c",
    ),
    _c(
        "lateral-view-two",
        "select id, a, b from generators_t lateral view explode(array(1, 2)) x as a"
        " lateral view explode(array('p', 'q')) y as b",
    ),
    _c(
        "lateral-view-chained",
        "select id, letter, ch from generators_t lateral view explode(split(csv, ',')) x as letter"
        " lateral view explode(split(concat(letter, letter), '')) y as ch where id = 1",
    ),
    _c(
        "lateral-view-map",
        "select id, k, v from generators_t"
        " lateral view explode(str_to_map(kv, ',', ':')) m as k, v",
    ),
    _c(
        "lateral-view-filter-group",
        "select c, count(*) as n from generators_t lateral view explode(split(csv, ',')) x as c"
        " where c != '' group by c order by c",
        True,
    ),
    _c(
        "json-tuple-select",
        "select id, json_tuple(doc, 'a', 'b', 'c', 'zz') from generators_t",
    ),
    _c(
        "json-tuple-aliases",
        "select id, json_tuple(doc, 'a', 'b') as (a, b) from generators_t",
    ),
    _c(
        "json-tuple-lateral",
        "select id, a, c from generators_t lateral view json_tuple(doc, 'a', 'c') j as a, c",
    ),
    _c(
        "json-tuple-lateral-default-names",
        "select id, j.c0, j.c1 from generators_t lateral view json_tuple(doc, 'b', 'a') j",
    ),
    _c("stack", "select stack(2, 1, 'a', 2, 'b')"),
    _c("stack-uneven", "select stack(2, 1, 2, 3)"),
    _c("stack-aliases", "select stack(3, 'x', 1, 'y', 2, 'z', 3) as (name, n)"),
    _c("stack-over-rows", "select id, stack(2, id, id * 10) from generators_t"),
    _c("inline", "select inline(array(struct(1, 'a'), struct(2, 'b')))"),
    _c("inline-named", "select inline(array(named_struct('p', 1, 'q', 'a')))"),
    _c(
        "inline-outer-empty",
        "select id, inline_outer(if(id = 1, array(named_struct('p', id)), array()))"
        " from generators_t",
    ),
    _c(
        "explode-aggregate",
        "select explode(sort_array(collect_list(id))) as i from generators_t",
    ),
    _c(
        "explode-in-subquery",
        "select count(*) as n from (select explode(split(csv, ',')) as c from generators_t) t",
    ),
    _c(
        "explode-sequence",
        "select id, explode(sequence(1, id)) as k from generators_t",
    ),
    _c(
        "explode-order-by",
        "select id, explode(array(id * 2, id)) as v from generators_t order by v, id",
        True,
    ),
    _c("from-explode", "select * from explode(array(10, 20))"),
    _c("from-explode-alias", "select t.v from explode(array(10, 20)) as t(v)"),
    _c("from-posexplode", "select pos, col from posexplode(array('a', 'b'))"),
    _c("from-inline", "select * from inline(array(struct(1, 'a'), struct(2, 'b')))"),
    _c("from-stack", "select * from stack(2, 'a', 1, 'b', 2)"),
    _c("star-with-explode", "select *, explode(split(csv, ',')) as part from generators_t"),
    _c(
        "lateral-view-star",
        "select * from generators_t lateral view explode(array(1, 2)) x as n where id < 3",
    ),
    _c(
        "lateral-view-where-generated",
        "select id, c from generators_t lateral view explode(split(csv, ',')) x as c where c > 'a'",
    ),
    _c(
        "lateral-view-group-by-generated",
        "select k, sum(cast(v as int)) as total from generators_t"
        " lateral view explode(str_to_map(kv, ',', ':')) m as k, v group by k",
    ),
    _c(
        "lateral-view-join",
        "select a.id, c from generators_t a join generators_t b on a.id = b.id"
        " lateral view outer explode(split(a.csv, ',')) x as c",
    ),
    _c(
        "explode-map-from-subquery",
        "select id, explode(m) from (select id, str_to_map(kv, ',', ':') as m from generators_t) u",
    ),
    _c(
        "explode-map-from-cte",
        "with c as (select id, str_to_map(kv, ',', ':') as m from generators_t)"
        " select c.id, k, v from c lateral view explode(c.m) x as k, v",
    ),
    Case(
        "generators/t-lateral-view-outer-split",
        "select id, c from t lateral view outer explode(split(s, ',')) x as c where id > 6",
        api=True,
    ),
    Case(
        "generators/t-explode-json-array",
        "select id, explode(from_json(json, 'array<int>')) as v from t",
        api=True,
    ),
    # sequence's default step is -1 when start > stop (1 day / -1 day for dates)
    _c(
        "sequence-descending",
        "select sequence(5, 1) as a, sequence(-1, -3) as b, sequence(1, 1) as c",
    ),
    _c(
        "sequence-steps",
        "select sequence(1, 9, 4) as a, sequence(9, 1, -4) as b, sequence(1, 1, 0) as c,"
        " sequence(1, 5, null) as d, sequence(1L, 5, 2) as e",
    ),
    _c(
        "sequence-columns",
        "select id, sequence(cast(id as int), 2) as s from values (4), (0), (null) as t(id)",
    ),
    _c(
        "sequence-dates",
        "select sequence(date'2020-01-05', date'2020-01-01') as a,"
        " sequence(to_date('2020-02-27'), to_date('2020-03-01')) as b",
    ),
    _c("sequence-explode-descending", "select explode(sequence(3, 1)) as v", ordered=False),
]
