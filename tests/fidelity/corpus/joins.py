"""Joins: inner, outer, cross, LEFT SEMI / LEFT ANTI, USING, NATURAL, NULL keys, joins on
expressions and ranges, self joins."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "joins_users": Table(
        columns=(("id", "long"), ("name", "string"), ("city", "string"), ("score", "float")),
        rows=(
            (1, "ann", "paris", 1.5),
            (2, "bob", "rome", None),
            (3, "cid", None, 2.5),
            (4, "dan", "oslo", 3.0),
            (None, "eve", "paris", 0.5),
        ),
    ),
    "joins_orders": Table(
        columns=(("oid", "long"), ("id", "long"), ("amount", "float"), ("city", "string")),
        rows=(
            (10, 1, 9.5, "paris"),
            (11, 1, 3.0, "rome"),
            (12, 2, 7.25, "rome"),
            (13, 5, 1.0, None),
            (14, None, 2.0, "oslo"),
            (15, 3, None, None),
        ),
    ),
    "joins_cities": Table(
        columns=(("city", "string"), ("country", "string")),
        rows=(("paris", "fr"), ("rome", "it"), ("oslo", "no"), ("lima", "pe")),
    ),
}


def _case(
    slug: str, sql: str, *, ordered: bool = False, differs: str = "", api: bool = False
) -> Case:
    return Case(f"joins/{slug}", sql, ordered=ordered, differs=differs, api=api)


CASES: list[Case] = [
    _case("inner", "select u.name, o.oid from joins_users u join joins_orders o on u.id = o.id"),
    _case(
        "left",
        "select u.name, o.oid, o.amount from joins_users u left join joins_orders o on u.id = o.id",
    ),
    _case(
        "left-outer",
        "select u.name, o.oid from joins_users u left outer join joins_orders o"
        " on u.id = o.id and o.amount > 5",
    ),
    _case(
        "right", "select u.name, o.oid from joins_users u right join joins_orders o on u.id = o.id"
    ),
    _case(
        "full",
        "select u.name, o.oid from joins_users u full outer join joins_orders o on u.id = o.id",
        api=True,
    ),
    _case(
        "cross",
        "select u.name, c.country from joins_users u cross join joins_cities c where u.id <= 2",
    ),
    _case(
        "comma-join",
        "select u.name, c.country from joins_users u, joins_cities c where u.city = c.city",
    ),
    _case(
        "left-semi",
        "select * from joins_users u left semi join joins_orders o on u.id = o.id",
        api=True,
    ),
    _case(
        "left-anti",
        "select * from joins_users u left anti join joins_orders o on u.id = o.id",
        api=True,
    ),
    _case(
        "semi-keyword", "select u.name from joins_users u semi join joins_orders o on u.id = o.id"
    ),
    _case(
        "anti-keyword", "select u.name from joins_users u anti join joins_orders o on u.id = o.id"
    ),
    _case(
        "anti-with-null-keys",
        "select u.name from joins_users u left anti join joins_orders o"
        " on u.id = o.id or (u.id is null and o.id is null)",
    ),
    _case(
        "semi-extra-condition",
        "select u.name from joins_users u left semi join joins_orders o"
        " on u.id = o.id and o.amount > 5",
    ),
    _case("using", "select * from joins_users join joins_orders using (id)"),
    _case(
        "using-two-columns",
        "select id, city, name, oid from joins_users join joins_orders using (id, city)",
    ),
    _case("left-using", "select id, name, oid from joins_users left join joins_orders using (id)"),
    _case("full-using", "select id, name, oid from joins_users full join joins_orders using (id)"),
    _case("natural", "select * from joins_users natural join joins_cities"),
    _case(
        "natural-left", "select name, city, country from joins_users natural left join joins_cities"
    ),
    _case(
        "null-safe-equal",
        "select u.name, o.oid from joins_users u join joins_orders o on u.id <=> o.id",
    ),
    _case(
        "join-on-expression",
        "select u.name, o.oid from joins_users u join joins_orders o on u.id + 9 = o.oid",
    ),
    _case(
        "range-join",
        "select u.name, o.oid from joins_users u join joins_orders o"
        " on o.amount between u.score and u.score * 3",
    ),
    _case(
        "self-join",
        "select a.name, b.name from joins_users a join joins_users b"
        " on a.city = b.city and a.name < b.name",
    ),
    _case(
        "three-way",
        "select u.name, o.oid, c.country from joins_users u"
        " join joins_orders o on u.id = o.id left join joins_cities c on o.city = c.city",
    ),
    _case(
        "join-then-aggregate",
        "select u.name, count(o.oid) n, sum(o.amount) s"
        " from joins_users u left join joins_orders o on u.id = o.id group by u.name",
    ),
    _case(
        "join-subquery",
        "select u.name, t.total from joins_users u join (select id,"
        " sum(amount) total from joins_orders group by id) t on u.id = t.id",
    ),
    _case(
        "join-string-to-long",
        "select u.name, o.oid from joins_users u join joins_orders o"
        " on cast(u.id as string) = cast(o.id as string)",
    ),
    _case(
        "right-outer-where",
        "select u.name, o.oid from joins_users u right outer join"
        " joins_orders o on u.id = o.id where u.name is null",
    ),
    _case(
        "full-coalesce-key",
        "select coalesce(u.id, o.id) k, u.name, o.oid from joins_users u"
        " full join joins_orders o on u.id = o.id",
    ),
    _case("star-from-both", "select * from joins_users u join joins_cities c on u.city = c.city"),
    _case(
        "cross-join-lateral-values",
        "select u.name, v.k from joins_users u"
        " cross join (select 1 k union all select 2 k) v where u.id = 1",
    ),
    _case(
        "join-ordered-limit",
        "select u.name, o.oid from joins_users u join joins_orders o"
        " on u.id = o.id order by o.oid desc limit 2",
        ordered=True,
    ),
    _case(
        "inner-join-keyword",
        "select u.name, c.country from joins_users u inner join joins_cities c on u.city = c.city",
    ),
]

CASES += [
    _case(
        "using-star-key-not-first",
        "select * from joins_users join joins_orders using (city)",
        api=True,
    ),
    _case("left-using-star", "select * from joins_users u left join joins_cities c using (city)"),
    _case("right-using-star", "select * from joins_users u right join joins_cities c using (city)"),
    _case("full-using-star", "select * from joins_users u full join joins_cities c using (city)"),
    _case(
        "using-star-and-more", "select *, 1 one from joins_users u join joins_cities c using (city)"
    ),
    _case(
        "using-qualified-star",
        "select u.*, c.country from joins_users u join joins_cities c using (city)",
    ),
    _case(
        "natural-star-subquery",
        "select * from (select city, name from joins_users) x natural join joins_cities",
    ),
    _case(
        "using-star-where",
        "select * from joins_users join joins_cities using (city) where country <> 'it'",
    ),
]

CASES += [
    _case(
        "qualified-stars-both-sides",
        "select o.*, u.* from joins_users u join joins_orders o using (city)",
    ),
    _case(
        "qualified-stars-two-keys",
        "select u.*, o.* from joins_users u join joins_orders o using (city, id)",
    ),
    _case(
        "right-using-right-star",
        "select o.* from joins_users u right join joins_orders o using (city)",
    ),
    _case(
        "cte-using-star",
        "with c as (select city, country from joins_cities where"
        " country <> 'no') select * from joins_users join c using (city)",
    ),
]
CASES += [
    _case(
        "left-semi-using-star",
        "select * from joins_users u left semi join joins_orders o using (city)",
    ),
    _case(
        "left-anti-using-star",
        "select * from joins_users u left anti join joins_orders o using (id)",
    ),
    _case(
        "cross-join-using-star",
        "select * from joins_cities c1 join joins_cities c2 using (country) where c1.city < 'p'",
    ),
]
