"""Java datetime patterns (fault kind 1): every pattern letter Spark 3.5 accepts, printing with
date_format/from_unixtime and reading with to_timestamp/to_date/unix_timestamp."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "datetime_patterns_events": Table(
        columns=(("ts", "date"), ("txt", "string"), ("secs", "long")),
        rows=(
            ("2009-07-30T10:15:30.123456+08:00", "2009-07-30 10:15:30", 1248920130),
            ("2009-01-04T00:05:03.1+08:00", "2009-01-04 00:05:03", 1231000000),
            ("1988-07-01T23:59:59+09:00", "1988-07-01 23:59:59", 583689599),
            ("2024-12-31T12:00:00+08:00", "2024-12-31 12:00:00", 1735617600),
            (None, None, None),
        ),
    ),
}

_T = "datetime_patterns_events"

# (slug, pattern) printed by date_format over every row
_FORMATS = [
    ("iso-t-millis", "yyyy-MM-dd'T'HH:mm:ss.SSS"),
    ("era", "G GG GGG GGGG"),
    ("years", "y yy yyy yyyy yyyyy yyyyyy"),
    ("day-of-year", "D DD DDD"),
    ("months", "M MM MMM MMMM"),
    ("standalone-months", "L LL LLL LLLL"),
    ("day-of-month", "d dd"),
    ("quarters", "Q QQ QQQ QQQQ"),
    ("standalone-quarters", "q qq qqq qqqq"),
    ("day-names", "E EE EEE EEEE"),
    ("aligned-day", "F"),
    ("am-pm", "h:mm a"),
    ("hours", "h hh K KK k kk H HH"),
    ("minutes-seconds", "m mm s ss"),
    ("fractions", "S SS SSS SSSS SSSSS SSSSSS"),
    ("fraction-seven", "SSSSSSS"),
    ("zone-id", "VV"),
    ("zone-names", "z zz zzz zzzz"),
    ("localized-offset", "O OOOO"),
    ("offset-x-upper", "X XX XXX XXXX XXXXX"),
    ("offset-x-lower", "x xx xxx xxxx xxxxx"),
    ("offset-z", "Z ZZ ZZZ ZZZZ ZZZZZ"),
    ("quoted-escape", "yyyy''MM 'o''clock'"),
    ("quoted-words", "'Day' D 'of' yyyy"),
    ("optional-section", "yyyy[-MM[-dd]]"),
    ("percent-literal", "100% yyyy"),
    ("compact", "yyyyMMddHHmmss"),
    ("log-apache", "dd/MMM/yyyy:HH:mm:ss Z"),
    ("log-iso-offset", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
    ("rfc-1123", "EEE, dd MMM yyyy HH:mm:ss z"),
    ("twelve-hour", "hh:mm:ss a"),
    ("week-day-month", "EEEE, MMMM d, yyyy"),
    ("empty", ""),
]

# (slug, text, pattern) read by to_timestamp
_PARSES = [
    ("iso", "2009-07-30 10:15:30", "yyyy-MM-dd HH:mm:ss"),
    ("t-literal", "2009-07-30T10:15:30", "yyyy-MM-dd'T'HH:mm:ss"),
    ("millis", "2009-07-30 10:15:30.123", "yyyy-MM-dd HH:mm:ss.SSS"),
    ("micros", "2009-07-30 10:15:30.123456", "yyyy-MM-dd HH:mm:ss.SSSSSS"),
    ("offset-xxx", "2009-07-30T10:15:30+05:30", "yyyy-MM-dd'T'HH:mm:ssXXX"),
    ("offset-z", "30/Jul/2009:10:15:30 +0000", "dd/MMM/yyyy:HH:mm:ss Z"),
    ("month-name", "July 30 2009", "MMMM dd yyyy"),
    ("am-pm", "2009-07-30 10:15 PM", "yyyy-MM-dd hh:mm a"),
    ("compact", "20090730101530", "yyyyMMddHHmmss"),
    ("slashes", "2009/07/30", "yyyy/MM/dd"),
    ("day-of-year", "2009 211", "yyyy DDD"),
    ("two-digit-year", "09-07-30", "yy-MM-dd"),
    ("two-digit-year-high", "69-07-30", "yy-MM-dd"),
    ("default-year", "07-30 10:15", "MM-dd HH:mm"),
    ("optional-present", "2009-07-30 10:15:30", "yyyy-MM-dd[ HH:mm:ss]"),
    ("optional-absent", "2009-07-30", "yyyy-MM-dd[ HH:mm:ss]"),
    ("quoted-escape", "2009'07", "yyyy''MM"),
    ("no-match", "not a date", "yyyy-MM-dd"),
    ("invalid-day", "2009-02-30", "yyyy-MM-dd"),
    ("zone-id", "2009-07-30 10:15:30 Asia/Tokyo", "yyyy-MM-dd HH:mm:ss VV"),
]

CASES: list[Case] = [
    *(
        Case(
            id=f"datetime_patterns/format-{slug}",
            sql=f'SELECT secs, date_format(ts, "{pattern}") AS f FROM {_T}',
        )
        for slug, pattern in _FORMATS
    ),
    *(
        Case(
            id=f"datetime_patterns/to-timestamp-{slug}",
            sql=f'SELECT to_timestamp("{text}", "{pattern}") AS t',
        )
        for slug, text, pattern in _PARSES
    ),
    *(
        Case(
            id=f"datetime_patterns/unix-timestamp-{slug}",
            sql=f'SELECT unix_timestamp("{text}", "{pattern}") AS u',
        )
        for slug, text, pattern in _PARSES[:8]
    ),
    Case(
        id="datetime_patterns/issue-instance",
        sql="""SELECT date_format(ts, "yyyy-MM-dd'T'HH:mm:ss.SSS") AS f FROM """ + _T,
    ),
    Case(
        id="datetime_patterns/from-unixtime-default",
        sql=f"SELECT from_unixtime(secs) AS f FROM {_T}",
    ),
    Case(
        id="datetime_patterns/from-unixtime-pattern",
        sql=f"SELECT from_unixtime(secs, 'yyyy/MM/dd HH:mm EEE') AS f FROM {_T}",
    ),
    Case(
        id="datetime_patterns/from-unixtime-double",
        sql="SELECT from_unixtime(1248920130.9) AS f, from_unixtime(-1.5) AS g",
    ),
    Case(
        id="datetime_patterns/to-date-pattern",
        sql="SELECT to_date('30/07/2009', 'dd/MM/yyyy') AS d",
    ),
    Case(
        id="datetime_patterns/to-date-pattern-column",
        sql=f"SELECT secs, to_date(txt, 'yyyy-MM-dd HH:mm:ss') AS d FROM {_T}",
    ),
    Case(
        id="datetime_patterns/to-timestamp-column",
        sql=f"SELECT secs, to_timestamp(txt, 'yyyy-MM-dd HH:mm:ss') AS t FROM {_T}",
    ),
    Case(
        id="datetime_patterns/unix-timestamp-column",
        sql=f"SELECT secs, unix_timestamp(txt) AS u, unix_timestamp(ts) AS v FROM {_T}",
    ),
    Case(
        id="datetime_patterns/to-unix-timestamp",
        sql=f"SELECT secs, to_unix_timestamp(txt, 'yyyy-MM-dd HH:mm:ss') AS u FROM {_T}",
    ),
    Case(
        id="datetime_patterns/date-format-of-text",
        sql="SELECT date_format('2009-07-30 10:15:30', 'yyyy/MM/dd HH') AS f",
    ),
    Case(
        id="datetime_patterns/date-format-of-date",
        sql="SELECT date_format(DATE'2009-07-30', 'yyyy-MM-dd HH:mm XXX EEEE') AS f",
    ),
    Case(
        id="datetime_patterns/to-timestamp-ntz-pattern",
        sql="SELECT to_timestamp_ntz('2009-07-30 10:15', 'yyyy-MM-dd HH:mm') AS t",
    ),
    Case(
        id="datetime_patterns/group-by-hour",
        sql=f"SELECT date_format(ts, 'yyyy-MM-dd HH:00') AS h, count(*) AS n FROM {_T} GROUP BY 1",
    ),
]
