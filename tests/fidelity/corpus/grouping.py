"""GROUP BY forms: WITH ROLLUP / WITH CUBE, GROUPING SETS, ROLLUP(...), CUBE(...), mixed
forms, grouping() and grouping_id() (Spark's bit order), ordinals and aliases."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "grouping_sales": Table(
        columns=(
            ("region", "string"),
            ("product", "string"),
            ("channel", "string"),
            ("qty", "long"),
            ("price", "float"),
        ),
        rows=(
            ("east", "apple", "web", 3, 1.5),
            ("east", "pear", "shop", 5, 2.25),
            ("east", "apple", "shop", 2, 1.25),
            ("west", "apple", "web", 7, 1.75),
            ("west", "plum", "web", None, 3.0),
            ("west", "pear", None, 1, None),
            ("north", "plum", "shop", 4, 2.5),
            (None, "apple", "web", 6, 1.0),
            ("north", None, "web", None, None),
            ("south", "pear", "shop", 10, 0.5),
        ),
    ),
}


def _case(
    slug: str, sql: str, *, ordered: bool = False, differs: str = "", api: bool = False
) -> Case:
    return Case(f"grouping/{slug}", sql, ordered=ordered, differs=differs, api=api)


CASES: list[Case] = [
    _case(
        "with-rollup",
        "select region, product, sum(qty) s, count(*) n from grouping_sales"
        " group by region, product with rollup",
        api=True,
    ),
    _case(
        "with-cube",
        "select region, product, sum(qty) s from grouping_sales group by region, product with cube",
        api=True,
    ),
    _case(
        "with-rollup-one-column",
        "select region, sum(qty) s from grouping_sales group by region with rollup",
    ),
    _case(
        "with-rollup-ordinal",
        "select region, product, count(*) n from grouping_sales group by 1, 2 with rollup",
    ),
    _case(
        "with-rollup-grouping",
        "select region, product, grouping(region) gr,"
        " grouping(product) gp, grouping_id() gid, sum(qty) s from grouping_sales"
        " group by region, product with rollup",
    ),
    _case(
        "with-cube-grouping-id",
        "select region, channel, grouping_id() g,"
        " grouping_id(region, channel) g2, count(*) n from grouping_sales"
        " group by region, channel with cube",
    ),
    _case(
        "rollup-function",
        "select region, product, sum(qty) s from grouping_sales group by rollup(region, product)",
    ),
    _case(
        "cube-function",
        "select region, product, sum(qty) s from grouping_sales group by cube(region, product)",
    ),
    _case(
        "rollup-three",
        "select region, product, channel, count(*) n from grouping_sales"
        " group by rollup(region, product, channel)",
    ),
    _case(
        "cube-three-grouping-id",
        "select region, product, channel, grouping_id() g,"
        " count(*) n from grouping_sales group by cube(region, product, channel)",
        api=True,
    ),
    _case(
        "grouping-sets",
        "select region, product, sum(qty) s from grouping_sales"
        " group by grouping sets ((region, product), (region), ())",
        api=True,
    ),
    _case(
        "grouping-sets-single",
        "select region, product, count(*) n from grouping_sales"
        " group by grouping sets (region, product)",
    ),
    _case(
        "grouping-sets-grouping-id",
        "select region, product, grouping_id() g,"
        " grouping(region) r, count(*) n from grouping_sales"
        " group by grouping sets ((region, product), (product), ())",
    ),
    _case(
        "grouping-sets-with-column-list",
        "select region, product, count(*) n"
        " from grouping_sales group by region, product grouping sets ((region), (product))",
    ),
    _case(
        "grouping-sets-duplicate-set",
        "select region, count(*) n from grouping_sales"
        " group by grouping sets ((region), (region), ())",
    ),
    _case(
        "mixed-column-and-rollup",
        "select region, product, channel, count(*) n"
        " from grouping_sales group by region, rollup(product, channel)",
        api=True,
    ),
    _case(
        "mixed-column-and-cube",
        "select region, product, channel, grouping_id() g,"
        " count(*) n from grouping_sales group by region, cube(product, channel)",
    ),
    _case(
        "rollup-with-composite",
        "select region, product, channel, count(*) n"
        " from grouping_sales group by rollup(region, (product, channel))",
    ),
    _case(
        "grouping-id-arguments",
        "select region, product, grouping_id(region, product) a,"
        " grouping(product) b from grouping_sales"
        " group by cube(region, product)",
    ),
    _case(
        "grouping-in-having",
        "select region, sum(qty) s from grouping_sales"
        " group by rollup(region) having grouping(region) = 1",
    ),
    _case(
        "grouping-id-in-order-by",
        "select region, product, sum(qty) s from grouping_sales"
        " group by rollup(region, product)"
        " order by grouping_id(), region, product",
        ordered=True,
    ),
    _case(
        "rollup-label-with-grouping",
        "select case when grouping(region) = 1 then 'ALL'"
        " else region end r, sum(qty) s from grouping_sales group by rollup(region)",
    ),
    _case(
        "rollup-expression-key",
        "select upper(region) r, count(*) n from grouping_sales group by rollup(upper(region))",
    ),
    _case(
        "rollup-with-aggregate-types",
        "select region, avg(qty) a, sum(price) p,"
        " max(product) m from grouping_sales group by region with rollup",
    ),
    _case(
        "rollup-of-nulls-vs-subtotal",
        "select channel, grouping(channel) g, count(*) n"
        " from grouping_sales group by rollup(channel)",
    ),
    _case(
        "cube-ordered",
        "select region, product, count(*) n from grouping_sales"
        " group by cube(region, product) order by region, product, n",
        ordered=True,
    ),
    _case(
        "grouping-sets-expressions",
        "select qty % 2 as parity, region, count(*) n"
        " from grouping_sales group by grouping sets ((qty % 2), (region))",
    ),
    _case(
        "group-by-alias-rollup",
        "select upper(region) as r, count(*) n from grouping_sales group by rollup(r)",
    ),
    _case(
        "grouping-sets-empty-only",
        "select count(*) n, sum(qty) s from grouping_sales group by grouping sets (())",
    ),
    _case(
        "grouping-sets-filter",
        "select region, count(*) filter (where qty > 2) n"
        " from grouping_sales group by grouping sets ((region), ())",
    ),
    _case(
        "grouping-distinct-aggregate",
        "select region, count(distinct product) d from grouping_sales group by region with rollup",
    ),
    _case(
        "grouping-id-virtual-column",
        "select region, grouping__id g, count(*) n from grouping_sales group by region with rollup",
    ),
    _case("group-by-all", "select region, count(*) n from grouping_sales group by all"),
    _case(
        "rollup-in-subquery",
        "select max(s) from (select region, sum(qty) s"
        " from grouping_sales group by region with rollup) t",
    ),
]
CASES += [
    _case(
        "grouping-id-mixed-order",
        "select region, product, channel, grouping_id() g, count(*) n"
        " from grouping_sales group by channel, rollup(product, region)",
    ),
    _case(
        "grouping-sets-first-appearance",
        "select region, product, grouping_id() g, count(*) n"
        " from grouping_sales group by grouping sets ((product), (region, product), ())",
    ),
    _case(
        "hive-grouping-sets-column-order",
        "select region, product, grouping_id() g,"
        " grouping__id h, count(*) n from grouping_sales"
        " group by product, region grouping sets ((region), (product), ())",
        api=True,
    ),
    _case(
        "with-rollup-having-order",
        "select region, product, sum(qty) s from grouping_sales"
        " group by region, product with rollup having sum(qty) > 5"
        " order by region, product, s",
        ordered=True,
    ),
]
CASES += [
    _case(
        "two-rollups",
        "select region, product, count(*) n from grouping_sales"
        " group by rollup(region), rollup(product)",
    ),
    _case(
        "rollup-inside-grouping-sets",
        "select region, product, count(*) n"
        " from grouping_sales group by grouping sets (rollup(region, product))",
    ),
    _case(
        "cube-having-grouping-id",
        "select region, count(*) n from grouping_sales"
        " group by cube(region) having grouping_id() = 0",
    ),
    _case(
        "grouping-sets-repeated-column",
        "select region, product, grouping_id() g"
        " from grouping_sales group by grouping sets ((region, product), (region, region))",
    ),
    _case(
        "with-rollup-order-limit",
        "select region, product, count(*) n from grouping_sales"
        " group by region, product with rollup order by n desc, region, product limit 4",
        ordered=True,
    ),
]
CASES += [
    _case(
        "group-by-name-shadowed-by-alias",
        "select upper(region) as region, count(*) n from grouping_sales group by region",
    ),
    _case(
        "group-by-column-not-alias",
        "select qty % 3 as qty, count(*) n from grouping_sales group by qty",
    ),
    _case(
        "order-by-aggregate-alias",
        "select product, count(*) as qty from grouping_sales"
        " group by product order by qty desc, product",
        ordered=True,
    ),
    _case(
        "with-rollup-alias",
        "select region as r, sum(qty) s from grouping_sales group by r with rollup",
    ),
]
CASES += [
    _case(
        "grouping-id-with-ordinals",
        "select region, grouping_id() g, count(*) n from grouping_sales group by 1 with rollup",
    ),
    _case(
        "grouping-id-ordinal-expressions",
        "select upper(region) u, product, grouping_id() g,"
        " count(*) n from grouping_sales group by 1, 2 with cube",
    ),
]

CASES += [
    _case(
        "grouping-id-column-name",
        "SELECT k, grouping__id FROM VALUES (1), (2) AS t(k) GROUP BY GROUPING SETS ((k), ())",
    ),
    _case(
        "grouping-id-column-two",
        "select region, channel, grouping__id, grouping_id(), grouping(region)"
        " from grouping_sales group by cube(region, channel)",
    ),
    _case(
        "grouping-id-star-names",
        "select * from (select region, grouping__id, grouping_id(), grouping(region), count(*) n"
        " from grouping_sales group by rollup(region))",
    ),
    _case(
        "commutative-sets",
        "SELECT a + b AS s, b, sum(c) AS t FROM VALUES (1,1,1),(2,2,2) AS t(a,b,c)"
        " GROUP BY GROUPING SETS ((a + b), (b + a), (b))",
    ),
    _case(
        "commutative-select",
        "SELECT b * a AS p, sum(c) AS t FROM VALUES (1,2,1),(2,2,2) AS t(a,b,c)"
        " GROUP BY ROLLUP (a * b)",
    ),
    _case(
        "commutative-chain",
        "SELECT a + b + c AS s, count(*) AS n FROM VALUES (1,2,3),(3,2,1),(1,1,1) AS t(a,b,c)"
        " GROUP BY GROUPING SETS ((c + (b + a)), ())",
    ),
    _case(
        "empty-sets-empty-input",
        "SELECT count(*) AS c FROM VALUES (1) AS t(k) WHERE k > 100 GROUP BY GROUPING SETS (())",
    ),
    _case(
        "rollup-empty-input",
        "SELECT k, count(*) AS c, sum(k) AS s FROM VALUES (1) AS t(k) WHERE k > 100"
        " GROUP BY ROLLUP (k)",
    ),
    _case(
        "cube-empty-input-having",
        "SELECT k, count(*) AS c FROM VALUES (1) AS t(k) WHERE k > 100"
        " GROUP BY CUBE (k) HAVING count(*) >= 0",
    ),
    _case(
        "global-aggregate-empty-input",
        "SELECT count(*) AS c, sum(k) AS s FROM VALUES (1) AS t(k) WHERE k > 100",
    ),
    _case(
        "having-grouping",
        "select region, product, sum(qty) s from grouping_sales group by rollup(region, product)"
        " having grouping(product) = 1",
    ),
    _case(
        "sets-with-aliases",
        "select upper(region) r, product p, sum(qty) s from grouping_sales"
        " group by grouping sets ((r), (p), (r, p))",
    ),
    _case(
        "sets-with-ordinals",
        "select region, product, sum(qty) s from grouping_sales"
        " group by grouping sets ((1), (1, 2))",
    ),
    _case(
        "cube-expressions",
        "select qty % 2 odd, upper(channel) ch, count(*) n, grouping_id() g from grouping_sales"
        " group by cube(qty % 2, upper(channel))",
    ),
    _case(
        "rollup-expression-reordered",
        "select 1 + qty q, count(*) n from grouping_sales group by rollup(qty + 1)",
    ),
]
