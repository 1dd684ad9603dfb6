"""Subqueries: scalar (correlated or not), IN / NOT IN with NULLs, EXISTS / NOT EXISTS,
correlated filters, subqueries in FROM, SELECT and HAVING, CTEs."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "subqueries_emp": Table(
        columns=(("id", "long"), ("dept", "string"), ("salary", "float"), ("boss", "long")),
        rows=(
            (1, "eng", 100.0, None),
            (2, "eng", 80.0, 1),
            (3, "eng", 90.0, 1),
            (4, "ops", 60.0, 1),
            (5, "ops", None, 4),
            (6, None, 70.0, 4),
            (7, "hr", 50.0, None),
        ),
    ),
    "subqueries_dept": Table(
        columns=(("dept", "string"), ("floor", "long")),
        rows=(("eng", 3), ("ops", 1), ("sales", 2), (None, 9)),
    ),
    "subqueries_ids": Table(columns=(("id", "long"),), rows=((1,), (2,), (None,))),
}


def _case(
    slug: str, sql: str, *, ordered: bool = False, differs: str = "", api: bool = False
) -> Case:
    return Case(f"subqueries/{slug}", sql, ordered=ordered, differs=differs, api=api)


CASES: list[Case] = [
    _case(
        "scalar",
        "select id, salary - (select avg(salary) from subqueries_emp) d from subqueries_emp",
    ),
    _case(
        "scalar-correlated",
        "select id, (select max(salary) from subqueries_emp e2"
        " where e2.dept = e.dept) top from subqueries_emp e",
    ),
    _case(
        "scalar-correlated-count-empty",
        "select d.dept, (select count(*) from subqueries_emp e"
        " where e.dept = d.dept) n from subqueries_dept d",
    ),
    _case("scalar-empty-is-null", "select (select salary from subqueries_emp where id = 99) s"),
    _case(
        "in-list-subquery",
        "select id from subqueries_emp where boss in (select id from subqueries_ids)",
    ),
    _case(
        "not-in-with-null",
        "select id from subqueries_emp where id not in (select id from subqueries_ids)",
        api=True,
    ),
    _case(
        "not-in-without-null",
        "select id from subqueries_emp where id not in"
        " (select id from subqueries_ids where id is not null)",
    ),
    _case(
        "in-null-left",
        "select id, boss in (select id from subqueries_ids) b from subqueries_emp",
        api=True,
    ),
    _case(
        "not-in-value",
        "select id, boss not in (select id from subqueries_ids"
        " where id is not null) b from subqueries_emp",
    ),
    _case("in-literal-list-null", "select id from subqueries_emp where boss not in (1, null)"),
    _case("in-literal-list", "select id from subqueries_emp where dept in ('eng', 'hr')"),
    _case(
        "exists-correlated",
        "select d.dept from subqueries_dept d where exists"
        " (select 1 from subqueries_emp e where e.dept = d.dept)",
        api=True,
    ),
    _case(
        "not-exists-correlated",
        "select d.dept from subqueries_dept d where not exists"
        " (select 1 from subqueries_emp e where e.dept = d.dept)",
    ),
    _case(
        "exists-uncorrelated",
        "select count(*) n from subqueries_emp where exists"
        " (select 1 from subqueries_dept where floor > 5)",
    ),
    _case(
        "correlated-in",
        "select id from subqueries_emp e where salary in (select max(salary)"
        " from subqueries_emp e2 where e2.dept = e.dept)",
    ),
    _case(
        "correlated-greater-than-avg",
        "select id from subqueries_emp e where salary >"
        " (select avg(salary) from subqueries_emp e2 where e2.dept = e.dept)",
    ),
    _case(
        "from-subquery",
        "select dept, n from (select dept, count(*) n from subqueries_emp"
        " group by dept) t where n > 1",
    ),
    _case(
        "cte",
        "with top as (select dept, max(salary) m from subqueries_emp group by dept)"
        " select e.id from subqueries_emp e join top on e.dept = top.dept and e.salary = top.m",
    ),
    _case(
        "cte-twice",
        "with a as (select id from subqueries_emp where salary > 60)"
        " select count(*) n from a x join a y on x.id < y.id",
    ),
    _case(
        "nested-ctes",
        "with a as (select * from subqueries_emp), b as (select dept,"
        " sum(salary) s from a group by dept) select * from b where s > 100",
    ),
    _case(
        "having-subquery",
        "select dept, sum(salary) s from subqueries_emp group by dept"
        " having sum(salary) > (select avg(salary) from subqueries_emp)",
    ),
    _case(
        "subquery-in-case",
        "select id, case when id in (select boss from subqueries_emp)"
        " then 'boss' else 'staff' end r from subqueries_emp",
    ),
    _case(
        "in-subquery-with-null-probe",
        "select id from subqueries_emp where dept in (select dept from subqueries_dept)",
    ),
    _case(
        "not-in-strings-with-null",
        "select id from subqueries_emp where dept not in (select dept from subqueries_dept)",
    ),
    _case(
        "scalar-subquery-type",
        "select (select count(*) from subqueries_emp) n,"
        " (select sum(salary) from subqueries_emp) s, (select max(id) from subqueries_emp) m",
    ),
    _case(
        "exists-in-select",
        "select d.dept, exists (select 1 from subqueries_emp e"
        " where e.dept = d.dept and e.salary > 85) rich from subqueries_dept d",
    ),
    _case(
        "derived-table-ordered",
        "select * from (select id, salary from subqueries_emp"
        " order by salary desc limit 3) t order by id",
        ordered=True,
    ),
    _case(
        "lateral-correlated-aggregate",
        "select d.dept, (select sum(salary) from"
        " subqueries_emp e where e.dept = d.dept and e.salary > 60) s from subqueries_dept d",
    ),
    _case(
        "in-tuple-subquery",
        "select id from subqueries_emp where (dept, salary) in"
        " (select dept, max(salary) from subqueries_emp group by dept)",
    ),
    _case(
        "not-exists-anti",
        "select e.id from subqueries_emp e where not exists (select 1"
        " from subqueries_emp b where b.boss = e.id)",
    ),
]

CASES += [
    _case(
        "in-subquery-in-or-filter",
        "select id from subqueries_emp where not (boss in"
        " (select id from subqueries_ids) or salary > 95)",
    ),
    _case(
        "in-subquery-and-filter",
        "select id from subqueries_emp where boss in"
        " (select id from subqueries_ids) and salary > 60",
    ),
    _case(
        "in-list-null-projection",
        "select id, boss in (1, null) a, boss not in (1, null) b from subqueries_emp",
    ),
    _case(
        "in-subquery-case-when-null",
        "select id, case when boss not in (select id from"
        " subqueries_ids) then 'free' when boss is null then 'none' else 'managed' end c"
        " from subqueries_emp",
    ),
    _case(
        "in-subquery-count-if",
        "select count_if(boss in (select id from subqueries_ids)) n,"
        " count_if(boss not in (select id from subqueries_ids where id > 1)) m"
        " from subqueries_emp",
    ),
    _case(
        "in-subquery-count-if-grouped-having",
        "select dept from subqueries_emp group by dept"
        " having count_if(boss in (select id from subqueries_ids)) > 1",
    ),
    _case(
        "in-subquery-count-nullif",
        "select count(nullif(boss in (select id from subqueries_ids), false)) n"
        " from subqueries_emp",
    ),
    _case(
        "in-subquery-count-if-coalesce",
        "select count_if(coalesce(boss in (select id from subqueries_ids), false)) n,"
        " sum(case when boss in (select id from subqueries_ids) then 1 else 0 end) s,"
        " count(case when boss in (select id from subqueries_ids) then 1 end) c"
        " from subqueries_emp",
    ),
    _case(
        "in-subquery-count-if-window",
        "select id, count_if(boss in (select id from subqueries_ids))"
        " over (partition by dept) w from subqueries_emp",
    ),
    _case(
        "in-subquery-bool-aggregates",
        "select bool_and(boss in (select id from subqueries_ids)) a,"
        " bool_or(boss in (select id from subqueries_ids)) b,"
        " min(boss in (select id from subqueries_ids)) c from subqueries_emp",
    ),
    _case(
        "in-subquery-cast",
        "select id, cast(boss in (select id from subqueries_ids) as int) i,"
        " if(boss not in (select id from subqueries_ids where id > 1), 'y', 'n') n"
        " from subqueries_emp",
    ),
    _case(
        "in-subquery-join-condition",
        "select d.dept, e.id from subqueries_dept d join"
        " subqueries_emp e on d.dept = e.dept and e.boss in (select id from subqueries_ids)",
    ),
]
