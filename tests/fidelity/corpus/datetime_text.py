"""Text read as timestamps and dates: Spark's stringToTimestamp / stringToDate forms, zone IDs
after the time, bare times, and the text of years outside 0001..9999."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "datetime_text_rows": Table(
        columns=(("n", "long"), ("s", "string")),
        rows=(
            (1, "2020-01-01 00:00:00 America/Los_Angeles"),
            (2, "2020-01-01 01:33:33.123Asia/Shanghai"),
            (3, "2020-07-01 00:00:00 Europe/Paris"),
            (4, "2020-01-01 00:00:00 UTC+08:00:00"),
            (5, "2020-01-01 00:00:00 +8:3"),
            (6, "2020-01-01 00:00:00 america/los_angeles"),
            (7, "2020-01-01 00:00Z"),
            (8, "2020-01-01 00:00:00 PST"),
            (9, "2020-01-01 00:00:00 EST"),
            (10, " 2020-1-1 1:2:3.5 "),
            (11, "2020-01-01 00:00:00 +19:00"),
            (12, "10:11:12"),
            (13, None),
        ),
    ),
}

_T = "datetime_text_rows"


def _c(slug: str, sql: str, *, ordered: bool = False) -> Case:
    return Case(id=f"datetime_text/{slug}", sql=sql, ordered=ordered)


def _ts(text: str) -> str:
    return f"cast(cast('{text}' AS timestamp) AS string)"


CASES: list[Case] = [
    _c("zone-column", f"SELECT n, cast(s AS timestamp) AS t FROM {_T} WHERE n <> 12"),
    _c(
        "zone-column-text",
        f"SELECT n, cast(cast(s AS timestamp) AS string) AS t FROM {_T} WHERE n <> 12",
    ),
    _c("zone-column-ntz", f"SELECT n, cast(s AS timestamp_ntz) AS t FROM {_T}"),
    _c("zone-column-date", f"SELECT n, cast(s AS date) AS d FROM {_T}"),
    _c(
        "zone-region-literal",
        "SELECT timestamp '2020-01-01 01:33:33.123Asia/Shanghai' AS t, "
        "to_timestamp('2020-01-01 00:00:00 Europe/Paris') AS u",
    ),
    _c(
        "zone-date-format",
        "SELECT date_format(timestamp '2018-11-17 13:33:33 Europe/Paris', 'yyyy-MM-dd HH:mm') AS s",
    ),
    _c(
        "zone-offset-forms",
        "SELECT "
        + ", ".join(
            f"{_ts('2020-01-01 00:00:00 ' + z)} AS z{i}"
            for i, z in enumerate(
                [
                    "UTC+8",
                    "UTC+8:00",
                    "UTC+08:0",
                    "UTC+0800",
                    "UTC+080030",
                    "+08:00:30",
                    "+080030",
                    "+8:30",
                    "+08:3",
                    "+083",
                    "+18:00",
                    "GMT-5",
                    "UT-05:30",
                    "utc",
                    "z",
                    "UTC+",
                    "UTC0",
                ]
            )
        ),
    ),
    _c(
        "zone-region-forms",
        "SELECT "
        + ", ".join(
            f"{_ts('2020-01-01 00:00:00 ' + z)} AS z{i}"
            for i, z in enumerate(
                [
                    "CTT",
                    "CET",
                    "Etc/GMT+8",
                    "GMT0",
                    "Asia/Calcutta",
                    "US/Pacific",
                    "SystemV/PST8",
                    "Foo/Bar",
                    "+08 :00",
                    "UTC +08:00",
                    "Z ",
                ]
            )
        ),
    ),
    _c(
        "zone-needs-seconds",
        "SELECT "
        + ", ".join(
            f"{_ts(t)} AS z{i}"
            for i, t in enumerate(
                [
                    "2020-01-01 00:00 America/Los_Angeles",
                    "2020-01-01 00Z",
                    "2020-01-01Z",
                    "2020-01-01 00:00:00.Z",
                    "2020-01-01 00:00:00.",
                    "2020-01-01 00:00:00America/Denver",
                    "2020-01-01 00:00:00.5 America/Los_Angeles",
                    "2020-01-01 00:00:00 5",
                ]
            )
        ),
    ),
    _c(
        "zone-dst-overlap-gap",
        "SELECT "
        + ", ".join(
            f"{_ts(t)} AS z{i}"
            for i, t in enumerate(
                [
                    "2020-03-08 02:30:00 America/Los_Angeles",
                    "2020-11-01 01:30:00 America/Los_Angeles",
                    "2021-10-31 02:30:00 Europe/Paris",
                    "2021-03-28 02:30:00 Europe/Paris",
                    "1900-01-01 00:00:00 Europe/Paris",
                ]
            )
        ),
    ),
    _c(
        "bare-time-fields",
        "SELECT hour('10:11:12') AS h, minute('10:11:12') AS m, "
        "second('10:11:12') AS s, hour('10:11') AS h2, second('10:11:12.5') AS s2, "
        "hour('T10') AS h3, hour(' T10:11:12') AS h4, hour('10:11:12 ') AS h5",
    ),
    _c(
        "bare-time-zones",
        "SELECT hour('10:11:12 UTC') AS a, hour('10:11:12Z') AS b, "
        "hour('10:11:12 +01:00') AS c, hour('T10:11:12Z') AS d, hour('1:2:3') AS e, "
        "hour('10') AS f, hour('25:00:00') AS g, hour('+10:11:12') AS h, hour('T') AS i, "
        "hour(':10') AS j, hour('10:11:12:13') AS k",
    ),
    _c(
        "bare-time-not-date",
        "SELECT cast('T10:11:12' AS date) AS a, cast('10:11:12' AS date) AS b, "
        "cast('10:11:12' AS timestamp_ntz) AS c",
    ),
    _c(
        "bare-time-is-today",
        "SELECT cast('10:11:12' AS timestamp) = "
        "cast(concat(current_date(), ' 10:11:12') AS timestamp) AS same",
    ),
    _c(
        "timestamp-text-forms",
        "SELECT "
        + ", ".join(
            f"{_ts(t)} AS t{i}"
            for i, t in enumerate(
                [
                    "2020-01-01 00:00:00 ",
                    "2020-1-1 1:2:3",
                    "2020-01-01T10:11",
                    "+2020-01-01",
                    "2020-01-01T",
                    "2020-01-01 10:",
                    "2020-01-01 00:00:005",
                    "2020-01-01 24:00:00",
                    "2020-01-01 23:60:00",
                    "2020-02-30",
                    "2020-01-01T00:00:00.123456789Z",
                ]
            )
        ),
    ),
    _c(
        "date-text-forms",
        "SELECT "
        + ", ".join(
            f"cast(cast('{t}' AS date) AS string) AS d{i}"
            for i, t in enumerate(
                [
                    " 2020-01-01",
                    "2020-1-1",
                    "2020-01-01 10:11:12 garbage",
                    "2020-01-01T",
                    "2020-01 ",
                    "2020 x",
                    "+2020-01-01",
                    "2020-01-01X",
                    "2020-01-01 00:00:00 Europe/Paris",
                ]
            )
        ),
    ),
    _c(
        "year-beyond-four-digits-text",
        "SELECT "
        + ", ".join(
            [
                _ts("12345-01-01 10:11:12") + " AS a",
                _ts("-0044-03-15 10:11:12.5") + " AS b",
                _ts("0000-01-01 10:11:12.5") + " AS c",
                "cast(cast('0000-01-01' AS date) AS string) AS d",
                "cast(cast('-0001-01-01' AS date) AS string) AS e",
                "year(cast('-0044-03-15 10:00:00' AS timestamp)) AS f",
            ]
        ),
    ),
    _c(
        "non-finite-double-to-timestamp",
        "SELECT cast(double('inf') AS timestamp) AS a, cast(double('-inf') AS timestamp) AS b, "
        "cast(double('nan') AS timestamp) AS c, cast(1.5 AS timestamp) AS d",
    ),
]
