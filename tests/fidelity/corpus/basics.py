"""Basics: projection, filters, ordering, limits, DISTINCT, CASE, IN, BETWEEN, LIKE, COALESCE,
arithmetic — the plain SQL every job uses, over the shared tables."""

from dataclasses import replace

from tests.fidelity.case import Case

_CASES = [
    Case("basics/select-star", "select * from t"),
    Case("basics/select-columns", "select id, s, n from t"),
    Case("basics/select-alias", "select id as k, n as value from t"),
    Case("basics/where-eq", "select id from t where n = 10"),
    Case("basics/where-and-or", "select id from t where (n > 0 and b) or g = 'c'"),
    Case("basics/where-not", "select id from t where not b"),
    Case("basics/where-is-null", "select id from t where x is null"),
    Case("basics/where-is-not-null", "select id, s from t where s is not null"),
    Case("basics/order-by-asc", "select id, n from t order by n, id", ordered=True),
    Case("basics/order-by-desc-nulls", "select id, x from t order by x desc, id", ordered=True),
    Case(
        "basics/order-nulls-last", "select id, n from t order by n asc nulls last, id", ordered=True
    ),
    Case("basics/order-by-string", "select id, s from t order by s, id", ordered=True),
    Case("basics/limit", "select id from t order by id limit 3", ordered=True),
    Case("basics/limit-zero", "select id from t limit 0"),
    Case("basics/distinct", "select distinct g from t"),
    Case("basics/distinct-two", "select distinct n, x from t"),
    Case(
        "basics/case-when",
        "select id, case when n > 100 then 'big' when n > 0 then 'small' else 'other' end as size"
        " from t",
    ),
    Case("basics/case-simple", "select id, case g when 'a' then 1 when 'b' then 2 end as k from t"),
    Case("basics/in-list", "select id from t where n in (10, 42, -3)"),
    Case("basics/not-in-list", "select id from t where g not in ('a', 'b')"),
    Case("basics/in-with-null", "select id, n in (10, null) as hit from t"),
    Case("basics/between", "select id from t where x between 0 and 100"),
    Case("basics/between-dates", "select id from t where ts between '2026-01-01' and '2026-12-31'"),
    Case("basics/like", "select id from t where s like 'h%'"),
    Case("basics/like-underscore", "select id from t where s like '_ello%'"),
    Case("basics/ilike", "select id from t where s ilike 'HELLO%'"),
    Case("basics/not-like", "select id from t where s not like '%l%'"),
    Case("basics/coalesce", "select id, coalesce(x, n, -1) as v from t"),
    Case("basics/coalesce-strings", "select id, coalesce(s, g, 'none') as v from t"),
    Case("basics/nvl-ifnull", "select id, nvl(n, 0) as a, ifnull(g, '?') as b from t"),
    Case("basics/arith-long", "select id, n + 1 as a, n - 2 as b, n * 3 as c from t"),
    Case("basics/arith-divide", "select id, n / 4 as q from t"),
    Case("basics/arith-div-int", "select id, n div 4 as q from t"),
    Case("basics/arith-mod", "select id, n % 3 as r, -7 % 3 as m from t"),
    Case("basics/arith-double", "select id, x * 2 + 0.5 as v, x / 3 as w from t"),
    Case("basics/divide-by-zero", "select id, n / 0 as a, x / 0 as b from t"),
    Case("basics/unary-minus", "select id, -n as a, -x as b from t"),
    Case("basics/boolean-logic", "select id, b and n > 0 as a, b or x > 1 as o from t"),
    Case("basics/comparison-null", "select id, n = null as a, n <=> null as b from t"),
    Case(
        "basics/literals",
        "select 1 as i, 1.5 as d, 'x' as s, true as b, null as z, 10000000000 as big",
    ),
    Case("basics/count-star", "select count(*) as c from t"),
    Case("basics/group-count", "select g, count(*) as c from t group by g"),
    Case("basics/subquery-from", "select k from (select id * 2 as k from t) where k > 10"),
    Case("basics/cte", "with big as (select id, n from t where n > 5) select id from big"),
    Case("basics/auto-names", "select n + 1, count(1) from t group by n + 1"),
    Case("basics/inner-join", "select t.id, u.name from t join u on u.t_id = t.id"),
    Case("basics/left-join", "select t.id, u.amount from t left join u on u.t_id = t.id"),
    Case(
        "basics/where-date-compare",
        "select id from t where ts >= timestamp '2026-11-30 00:00:00' order by id",
        ordered=True,
    ),
    Case("basics/select-timestamp", "select id, created from u where id > 103"),
    Case("basics/order-by-timestamp", "select id, ts from t order by ts desc, id", ordered=True),
    Case("basics/select-logs", "select text from logs where text like '%GET%'"),
    Case("basics/logs-length", "select length(text) as len from logs"),
    Case("basics/nums-long-extremes", "select id, l from nums where l is not null"),
    Case("basics/nums-compare", "select id from nums where x > 0.15"),
    Case("basics/nums-order", "select id, x from nums order by x, id", ordered=True),
    Case("basics/empty-table", "select id, s from empty"),
    Case("basics/empty-count", "select count(*) as c, max(x) as m from empty"),
    Case("basics/having", "select g, sum(n) as total from t group by g having count(*) > 2"),
    Case("basics/order-by-alias", "select id, n * 2 as dbl from t order by dbl, id", ordered=True),
    Case("basics/order-by-position", "select g, id from t order by 2 desc", ordered=True),
    Case("basics/union-all", "select id from t where id < 3 union all select id from u"),
    Case("basics/string-concat", "select id, concat(s, '!') as e, s || g as c from t"),
]

# All of them also run end to end through the API: plain SQL users read through the endpoint.
CASES = [replace(c, api=True) for c in _CASES]
