"""Spark's casts between text, dates and timestamps, as DuckDB macros (fault kinds 3 and 12).

Spark 3.5 (ANSI off) reads text as a timestamp or date leniently (`stringToTimestamp`,
`stringToDate`: surrounding whitespace, one-digit fields, `T` or space, an optional zone) and
gives NULL for anything else; it prints a timestamp in the session zone without an offset and
with the fraction's trailing zeros cut (`2009-07-30 10:15:30.12`). The macros dispatch on the
argument's DuckDB type with `typeof`, which DuckDB folds while planning, so a column of one type
costs only its own branch. Timestamps are TIMESTAMPTZ (the `date` valtype) in the session zone.
"""

from __future__ import annotations

# Spark's text forms (DateTimeUtils.parseTimestampString, measured with pyspark 3.5.9):
# [+-]yyyy[yy][-[m]m[-[d]d[( |T)[h]h[:[m]m[:[s]s[.fraction][zone]]]]]], or a bare time
# `T[h]h[:[m]m[:[s]s...]]` / `[h]h:[m]m[:[s]s...]` read on today's date in its zone. A zone may
# only follow the seconds: everything after them (or after the fraction) is the zone text, read
# by java's ZoneId.of (see `tidemill_zone_offset`, `tidemill_zone_region`).
_TRIM = r"[\x00-\x20\x7f]*"
_CLOCK = r"(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(?:\.(\d*))?(\D.*)?)?)?"
_TS_RE = rf"^{_TRIM}([+-]?\d{{4,6}})(?:-(\d{{1,2}})(?:-(\d{{1,2}})(?:[ T]{_CLOCK})?)?)?{_TRIM}$"
# a bare time, prefixed with `J-1-1T` by `tidemill_text_parts` (J: today's date)
_CLOCK_RE = rf"^(J)-(1)-(1)T{_CLOCK}{_TRIM}$"
_BARE_TIME = rf"^{_TRIM}(T|\d{{1,2}}:)"
# Dates (stringToDate): [+-]yyyy[yyy][-[m]m[-[d]d[( |T)anything]]]
_DATE_RE = rf"^{_TRIM}([+-]?\d{{4,7}})(?:-(\d{{1,2}})(?:-(\d{{1,2}})(?:[ T].*)?)?)?{_TRIM}$"

# java's ZoneId.SHORT_IDS, which Spark's getZoneId applies (three of them are offsets)
_SHORT_OFFSETS = {"EST": -5 * 3600, "MST": -7 * 3600, "HST": -10 * 3600}
_SHORT_REGIONS = {
    "ACT": "Australia/Darwin", "AET": "Australia/Sydney", "AGT": "America/Argentina/Buenos_Aires",
    "ART": "Africa/Cairo", "AST": "America/Anchorage", "BET": "America/Sao_Paulo",
    "BST": "Asia/Dhaka", "CAT": "Africa/Harare", "CNT": "America/St_Johns",
    "CST": "America/Chicago", "CTT": "Asia/Shanghai", "EAT": "Africa/Addis_Ababa",
    "ECT": "Europe/Paris", "IET": "America/Indiana/Indianapolis", "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo", "MIT": "Pacific/Apia", "NET": "Asia/Yerevan", "NST": "Pacific/Auckland",
    "PLT": "Asia/Karachi", "PNT": "America/Phoenix", "PRT": "America/Puerto_Rico",
    "PST": "America/Los_Angeles", "SST": "Pacific/Guadalcanal", "VST": "Asia/Ho_Chi_Minh",
}  # fmt: skip
# java 17's ZoneId.getAvailableZoneIds() (as pyspark 3.5.9's JVM lists them; DuckDB's ICU
# knows every one). Region IDs are case-sensitive in java.
_JAVA_REGION_IDS = """
Africa/Abidjan Africa/Accra Africa/Addis_Ababa Africa/Algiers Africa/Asmara Africa/Asmera
Africa/Bamako Africa/Bangui Africa/Banjul Africa/Bissau Africa/Blantyre Africa/Brazzaville
Africa/Bujumbura Africa/Cairo Africa/Casablanca Africa/Ceuta Africa/Conakry Africa/Dakar
Africa/Dar_es_Salaam Africa/Djibouti Africa/Douala Africa/El_Aaiun Africa/Freetown
Africa/Gaborone Africa/Harare Africa/Johannesburg Africa/Juba Africa/Kampala Africa/Khartoum
Africa/Kigali Africa/Kinshasa Africa/Lagos Africa/Libreville Africa/Lome Africa/Luanda
Africa/Lubumbashi Africa/Lusaka Africa/Malabo Africa/Maputo Africa/Maseru Africa/Mbabane
Africa/Mogadishu Africa/Monrovia Africa/Nairobi Africa/Ndjamena Africa/Niamey Africa/Nouakchott
Africa/Ouagadougou Africa/Porto-Novo Africa/Sao_Tome Africa/Timbuktu Africa/Tripoli
Africa/Tunis Africa/Windhoek America/Adak America/Anchorage America/Anguilla America/Antigua
America/Araguaina America/Argentina/Buenos_Aires America/Argentina/Catamarca
America/Argentina/ComodRivadavia America/Argentina/Cordoba America/Argentina/Jujuy
America/Argentina/La_Rioja America/Argentina/Mendoza America/Argentina/Rio_Gallegos
America/Argentina/Salta America/Argentina/San_Juan America/Argentina/San_Luis
America/Argentina/Tucuman America/Argentina/Ushuaia America/Aruba America/Asuncion
America/Atikokan America/Atka America/Bahia America/Bahia_Banderas America/Barbados
America/Belem America/Belize America/Blanc-Sablon America/Boa_Vista America/Bogota
America/Boise America/Buenos_Aires America/Cambridge_Bay America/Campo_Grande America/Cancun
America/Caracas America/Catamarca America/Cayenne America/Cayman America/Chicago
America/Chihuahua America/Ciudad_Juarez America/Coral_Harbour America/Cordoba
America/Costa_Rica America/Creston America/Cuiaba America/Curacao America/Danmarkshavn
America/Dawson America/Dawson_Creek America/Denver America/Detroit America/Dominica
America/Edmonton America/Eirunepe America/El_Salvador America/Ensenada America/Fort_Nelson
America/Fort_Wayne America/Fortaleza America/Glace_Bay America/Godthab America/Goose_Bay
America/Grand_Turk America/Grenada America/Guadeloupe America/Guatemala America/Guayaquil
America/Guyana America/Halifax America/Havana America/Hermosillo America/Indiana/Indianapolis
America/Indiana/Knox America/Indiana/Marengo America/Indiana/Petersburg
America/Indiana/Tell_City America/Indiana/Vevay America/Indiana/Vincennes
America/Indiana/Winamac America/Indianapolis America/Inuvik America/Iqaluit America/Jamaica
America/Jujuy America/Juneau America/Kentucky/Louisville America/Kentucky/Monticello
America/Knox_IN America/Kralendijk America/La_Paz America/Lima America/Los_Angeles
America/Louisville America/Lower_Princes America/Maceio America/Managua America/Manaus
America/Marigot America/Martinique America/Matamoros America/Mazatlan America/Mendoza
America/Menominee America/Merida America/Metlakatla America/Mexico_City America/Miquelon
America/Moncton America/Monterrey America/Montevideo America/Montreal America/Montserrat
America/Nassau America/New_York America/Nipigon America/Nome America/Noronha
America/North_Dakota/Beulah America/North_Dakota/Center America/North_Dakota/New_Salem
America/Nuuk America/Ojinaga America/Panama America/Pangnirtung America/Paramaribo
America/Phoenix America/Port-au-Prince America/Port_of_Spain America/Porto_Acre
America/Porto_Velho America/Puerto_Rico America/Punta_Arenas America/Rainy_River
America/Rankin_Inlet America/Recife America/Regina America/Resolute America/Rio_Branco
America/Rosario America/Santa_Isabel America/Santarem America/Santiago America/Santo_Domingo
America/Sao_Paulo America/Scoresbysund America/Shiprock America/Sitka America/St_Barthelemy
America/St_Johns America/St_Kitts America/St_Lucia America/St_Thomas America/St_Vincent
America/Swift_Current America/Tegucigalpa America/Thule America/Thunder_Bay America/Tijuana
America/Toronto America/Tortola America/Vancouver America/Virgin America/Whitehorse
America/Winnipeg America/Yakutat America/Yellowknife Antarctica/Casey Antarctica/Davis
Antarctica/DumontDUrville Antarctica/Macquarie Antarctica/Mawson Antarctica/McMurdo
Antarctica/Palmer Antarctica/Rothera Antarctica/South_Pole Antarctica/Syowa Antarctica/Troll
Antarctica/Vostok Arctic/Longyearbyen Asia/Aden Asia/Almaty Asia/Amman Asia/Anadyr Asia/Aqtau
Asia/Aqtobe Asia/Ashgabat Asia/Ashkhabad Asia/Atyrau Asia/Baghdad Asia/Bahrain Asia/Baku
Asia/Bangkok Asia/Barnaul Asia/Beirut Asia/Bishkek Asia/Brunei Asia/Calcutta Asia/Chita
Asia/Choibalsan Asia/Chongqing Asia/Chungking Asia/Colombo Asia/Dacca Asia/Damascus Asia/Dhaka
Asia/Dili Asia/Dubai Asia/Dushanbe Asia/Famagusta Asia/Gaza Asia/Harbin Asia/Hebron
Asia/Ho_Chi_Minh Asia/Hong_Kong Asia/Hovd Asia/Irkutsk Asia/Istanbul Asia/Jakarta Asia/Jayapura
Asia/Jerusalem Asia/Kabul Asia/Kamchatka Asia/Karachi Asia/Kashgar Asia/Kathmandu Asia/Katmandu
Asia/Khandyga Asia/Kolkata Asia/Krasnoyarsk Asia/Kuala_Lumpur Asia/Kuching Asia/Kuwait
Asia/Macao Asia/Macau Asia/Magadan Asia/Makassar Asia/Manila Asia/Muscat Asia/Nicosia
Asia/Novokuznetsk Asia/Novosibirsk Asia/Omsk Asia/Oral Asia/Phnom_Penh Asia/Pontianak
Asia/Pyongyang Asia/Qatar Asia/Qostanay Asia/Qyzylorda Asia/Rangoon Asia/Riyadh Asia/Saigon
Asia/Sakhalin Asia/Samarkand Asia/Seoul Asia/Shanghai Asia/Singapore Asia/Srednekolymsk
Asia/Taipei Asia/Tashkent Asia/Tbilisi Asia/Tehran Asia/Tel_Aviv Asia/Thimbu Asia/Thimphu
Asia/Tokyo Asia/Tomsk Asia/Ujung_Pandang Asia/Ulaanbaatar Asia/Ulan_Bator Asia/Urumqi
Asia/Ust-Nera Asia/Vientiane Asia/Vladivostok Asia/Yakutsk Asia/Yangon Asia/Yekaterinburg
Asia/Yerevan Atlantic/Azores Atlantic/Bermuda Atlantic/Canary Atlantic/Cape_Verde
Atlantic/Faeroe Atlantic/Faroe Atlantic/Jan_Mayen Atlantic/Madeira Atlantic/Reykjavik
Atlantic/South_Georgia Atlantic/St_Helena Atlantic/Stanley Australia/ACT Australia/Adelaide
Australia/Brisbane Australia/Broken_Hill Australia/Canberra Australia/Currie Australia/Darwin
Australia/Eucla Australia/Hobart Australia/LHI Australia/Lindeman Australia/Lord_Howe
Australia/Melbourne Australia/NSW Australia/North Australia/Perth Australia/Queensland
Australia/South Australia/Sydney Australia/Tasmania Australia/Victoria Australia/West
Australia/Yancowinna Brazil/Acre Brazil/DeNoronha Brazil/East Brazil/West CET CST6CDT
Canada/Atlantic Canada/Central Canada/Eastern Canada/Mountain Canada/Newfoundland
Canada/Pacific Canada/Saskatchewan Canada/Yukon Chile/Continental Chile/EasterIsland Cuba EET
EST5EDT Egypt Eire Etc/GMT Etc/GMT+0 Etc/GMT+1 Etc/GMT+10 Etc/GMT+11 Etc/GMT+12 Etc/GMT+2
Etc/GMT+3 Etc/GMT+4 Etc/GMT+5 Etc/GMT+6 Etc/GMT+7 Etc/GMT+8 Etc/GMT+9 Etc/GMT-0 Etc/GMT-1
Etc/GMT-10 Etc/GMT-11 Etc/GMT-12 Etc/GMT-13 Etc/GMT-14 Etc/GMT-2 Etc/GMT-3 Etc/GMT-4 Etc/GMT-5
Etc/GMT-6 Etc/GMT-7 Etc/GMT-8 Etc/GMT-9 Etc/GMT0 Etc/Greenwich Etc/UCT Etc/UTC Etc/Universal
Etc/Zulu Europe/Amsterdam Europe/Andorra Europe/Astrakhan Europe/Athens Europe/Belfast
Europe/Belgrade Europe/Berlin Europe/Bratislava Europe/Brussels Europe/Bucharest
Europe/Budapest Europe/Busingen Europe/Chisinau Europe/Copenhagen Europe/Dublin
Europe/Gibraltar Europe/Guernsey Europe/Helsinki Europe/Isle_of_Man Europe/Istanbul
Europe/Jersey Europe/Kaliningrad Europe/Kiev Europe/Kirov Europe/Kyiv Europe/Lisbon
Europe/Ljubljana Europe/London Europe/Luxembourg Europe/Madrid Europe/Malta Europe/Mariehamn
Europe/Minsk Europe/Monaco Europe/Moscow Europe/Nicosia Europe/Oslo Europe/Paris
Europe/Podgorica Europe/Prague Europe/Riga Europe/Rome Europe/Samara Europe/San_Marino
Europe/Sarajevo Europe/Saratov Europe/Simferopol Europe/Skopje Europe/Sofia Europe/Stockholm
Europe/Tallinn Europe/Tirane Europe/Tiraspol Europe/Ulyanovsk Europe/Uzhgorod Europe/Vaduz
Europe/Vatican Europe/Vienna Europe/Vilnius Europe/Volgograd Europe/Warsaw Europe/Zagreb
Europe/Zaporozhye Europe/Zurich GB GB-Eire GMT GMT0 Greenwich Hongkong Iceland
Indian/Antananarivo Indian/Chagos Indian/Christmas Indian/Cocos Indian/Comoro Indian/Kerguelen
Indian/Mahe Indian/Maldives Indian/Mauritius Indian/Mayotte Indian/Reunion Iran Israel Jamaica
Japan Kwajalein Libya MET MST7MDT Mexico/BajaNorte Mexico/BajaSur Mexico/General NZ NZ-CHAT
Navajo PRC PST8PDT Pacific/Apia Pacific/Auckland Pacific/Bougainville Pacific/Chatham
Pacific/Chuuk Pacific/Easter Pacific/Efate Pacific/Enderbury Pacific/Fakaofo Pacific/Fiji
Pacific/Funafuti Pacific/Galapagos Pacific/Gambier Pacific/Guadalcanal Pacific/Guam
Pacific/Honolulu Pacific/Johnston Pacific/Kanton Pacific/Kiritimati Pacific/Kosrae
Pacific/Kwajalein Pacific/Majuro Pacific/Marquesas Pacific/Midway Pacific/Nauru Pacific/Niue
Pacific/Norfolk Pacific/Noumea Pacific/Pago_Pago Pacific/Palau Pacific/Pitcairn Pacific/Pohnpei
Pacific/Ponape Pacific/Port_Moresby Pacific/Rarotonga Pacific/Saipan Pacific/Samoa
Pacific/Tahiti Pacific/Tarawa Pacific/Tongatapu Pacific/Truk Pacific/Wake Pacific/Wallis
Pacific/Yap Poland Portugal ROK Singapore SystemV/AST4 SystemV/AST4ADT SystemV/CST6
SystemV/CST6CDT SystemV/EST5 SystemV/EST5EDT SystemV/HST10 SystemV/MST7 SystemV/MST7MDT
SystemV/PST8 SystemV/PST8PDT SystemV/YST9 SystemV/YST9YDT Turkey UCT US/Alaska US/Aleutian
US/Arizona US/Central US/East-Indiana US/Eastern US/Hawaii US/Indiana-Starke US/Michigan
US/Mountain US/Pacific US/Samoa UTC Universal W-SU WET Zulu
"""


_REGION_TEXT = "|" + "|".join(_JAVA_REGION_IDS.split()) + "|"

_OFFSET_RE = r"(?:UTC|GMT|UT)?[+-](?:\d{1,2}|\d\d:?\d\d|\d\d:\d\d:\d\d|\d{6})"

_NUMERIC = (
    "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'FLOAT', 'DOUBLE', "
    "'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT')"
)

TEXT_TO_TIMESTAMP = "tidemill_text_timestamp"
TEXT_TO_DATE = "tidemill_text_date"
TO_TIMESTAMP = "tidemill_timestamp"
TO_DATE = "tidemill_date"
TO_TEXT = "tidemill_text"
TO_TEXT_ONCE = "tidemill_text_once"
TEXT_TO_WALL = "tidemill_text_wall"

MACROS: tuple[str, ...] = (
    # the local time a match holds, as a TIMESTAMP (NULL for 30 February or 24 o'clock); a
    # year keeps its sign (DuckDB reads '-0044' as Spark's proleptic year -44)
    """CREATE MACRO tidemill_naive_of_parts(p) AS CASE WHEN p.h < '24' OR length(p.h) < 2
        THEN TRY_CAST(
        ltrim(p.y, '+') || '-' || coalesce(nullif(p.mo, ''), '1') || '-'
        || coalesce(nullif(p.d, ''), '1')
        || ' ' || coalesce(nullif(p.h, ''), '0') || ':' || coalesce(nullif(p.mi, ''), '0')
        || ':' || coalesce(nullif(p.se, ''), '0') || '.' || left(p.f || '000000', 6)
        AS TIMESTAMP) END""",
    # a bare time (year J) is on `today` (the date now in the text's zone, as Spark's
    # LocalDate.now(zone))
    """CREATE MACRO tidemill_naive(p, today) AS CASE WHEN p.y = 'J'
        THEN CAST(today AS TIMESTAMP) + (tidemill_naive_of_parts(struct_pack(
            y := '1970', mo := '1', d := '1', h := p.h, mi := p.mi, se := p.se, f := p.f))
            - TIMESTAMP '1970-01-01')
        ELSE tidemill_naive_of_parts(p) END""",
    # Spark's getZoneId: `(+|-)h:` becomes `(+|-)0h:`, `(+|-)hh:m` at the end `(+|-)hh:0m`,
    # then java's ZoneId.of(text, SHORT_IDS); the text is trimmed as java's String.trim
    r"""CREATE MACRO tidemill_zone_text(z) AS regexp_replace(regexp_replace(
        regexp_replace(z, '^[\x00-\x20]+|[\x00-\x20]+$', '', 'g'),
        '([+-])(\d):', '\10\2:'), '([+-]\d\d):(\d)$', '\1:0\2')""",
    # java's ZoneOffset.of: +h, +hh, +hhmm, +hh:mm, +hhmmss, +hh:mm:ss, at most 18 hours
    r"""CREATE MACRO tidemill_offset_digits(d, sign) AS CASE
        WHEN CAST(d[1:2] AS INTEGER) <= 18 AND coalesce(TRY_CAST(d[3:4] AS INTEGER), 0) <= 59
            AND coalesce(TRY_CAST(d[5:6] AS INTEGER), 0) <= 59
            AND CAST(d[1:2] AS INTEGER) * 3600 + coalesce(TRY_CAST(d[3:4] AS INTEGER), 0) * 60
                + coalesce(TRY_CAST(d[5:6] AS INTEGER), 0) <= 64800
        THEN sign * (CAST(d[1:2] AS INTEGER) * 3600
            + coalesce(TRY_CAST(d[3:4] AS INTEGER), 0) * 60
            + coalesce(TRY_CAST(d[5:6] AS INTEGER), 0)) END""",
    # seconds east of UTC of a normalised zone text that is an offset (Z, UTC, GMT, UT, each
    # of those three followed by an offset, an offset, EST/MST/HST), else NULL
    f"""CREATE MACRO tidemill_zone_offset(z) AS CASE
        WHEN z IN ('Z', 'UTC', 'GMT', 'UT') THEN 0
        {" ".join(f"WHEN z = '{k}' THEN {v}" for k, v in _SHORT_OFFSETS.items())}
        WHEN regexp_full_match(z, '{_OFFSET_RE}') THEN tidemill_offset_digits(
            replace(regexp_replace(z, '^[A-Z]*[+-]', ''), ':', ''),
            CASE WHEN contains(z, '-') THEN -1 ELSE 1 END) END""",
    # the time-zone database name of a normalised zone text that is a region java knows
    f"""CREATE MACRO tidemill_zone_region(z) AS CASE
        {" ".join(f"WHEN z = '{k}' THEN '{v}'" for k, v in _SHORT_REGIONS.items())}
        WHEN contains('{_REGION_TEXT}', '|' || z || '|') THEN z END""",
    # a local time in a region: java's ZonedDateTime.of takes the earlier offset in an overlap
    # (ICU the later one); a gap moves forward in both
    """CREATE MACRO tidemill_earlier_in_zone(naive, z, a, b) AS CASE
        WHEN b < a AND timezone(z, b) = naive THEN b ELSE a END""",
    # (`list_transform([x], lambda v: ...)[1]` names a value once: a macro's argument is
    # copied into every place it is used, and these nest)
    """CREATE MACRO tidemill_in_zone(naive, z) AS list_transform([naive], lambda tm_n:
        list_transform([timezone(z, tm_n)], lambda tm_a: tidemill_earlier_in_zone(
            tm_n, z, tm_a, timezone('UTC', tm_n - (timezone(z, tm_a - INTERVAL 1 DAY)
                                                  - timezone('UTC', tm_a - INTERVAL 1 DAY)))
        ))[1])[1]""",
    """CREATE MACRO tidemill_ts_in(p, off, region) AS list_transform(
        [struct_pack(o := off, r := region)], lambda tm_q: CASE
        WHEN tm_q.o IS NOT NULL THEN timezone('UTC', tidemill_naive(
            p, CAST(timezone('UTC', now()) + to_seconds(tm_q.o) AS DATE)) - to_seconds(tm_q.o))
        WHEN tm_q.r IS NOT NULL THEN tidemill_in_zone(
            tidemill_naive(p, CAST(timezone(tm_q.r, now()) AS DATE)), tm_q.r) END)[1]""",
    """CREATE MACRO tidemill_ts_of_parts(p) AS CASE
        WHEN p.y = '' THEN NULL
        WHEN regexp_full_match(p.z, '[\\x00-\\x20\\x7f]*') THEN CAST(
            tidemill_naive(p, CAST(CAST(now() AS TIMESTAMPTZ) AS DATE)) AS TIMESTAMPTZ)
        ELSE list_transform([tidemill_zone_text(p.z)], lambda tm_z: tidemill_ts_in(
            p, tidemill_zone_offset(tm_z), tidemill_zone_region(tm_z)))[1] END""",
    f"""CREATE MACRO tidemill_text_parts(s) AS CASE
        WHEN regexp_matches(s, '{_BARE_TIME}') THEN regexp_extract(
            'J-1-1T' || regexp_replace(s, '^[\\x00-\\x20\\x7f]*T?', ''), '{_CLOCK_RE}',
            ['y', 'mo', 'd', 'h', 'mi', 'se', 'f', 'z'])
        ELSE regexp_extract(s, '{_TS_RE}', ['y', 'mo', 'd', 'h', 'mi', 'se', 'f', 'z']) END""",
    # the common shape `yyyy-MM-dd HH:mm:ss[.ffffff]` skips the regular expression (25 times
    # slower); DuckDB's cast reads that shape as Spark does
    f"""CREATE MACRO {TEXT_TO_TIMESTAMP}(s) AS CASE
        WHEN s[5] = '-' AND s[8] = '-' AND s[11] IN (' ', 'T') AND s[14] = ':' AND s[17] = ':'
            AND s[12:13] < '24'  -- DuckDB reads 24:00:00 as the next day; Spark gives NULL
            AND (length(s) = 19 OR (length(s) BETWEEN 21 AND 26 AND s[20] = '.'
                                    AND regexp_full_match(s[21:], '[0-9]+')))
            THEN CAST(TRY_CAST(s AS TIMESTAMP) AS TIMESTAMPTZ)
        ELSE list_transform([tidemill_text_parts(s)], lambda tm_p: tidemill_ts_of_parts(tm_p))[1]
        END""",
    f"""CREATE MACRO {TEXT_TO_DATE}(s) AS CASE
        WHEN length(s) >= 10 AND s[5] = '-' AND s[8] = '-'
            AND (length(s) = 10 OR s[11] IN (' ', 'T')) THEN TRY_CAST(s[1:10] AS DATE)
        WHEN regexp_matches(s, '{_DATE_RE}')
        THEN TRY_CAST(ltrim(regexp_extract(s, '{_DATE_RE}', 1), '+') || '-'
            || coalesce(nullif(regexp_extract(s, '{_DATE_RE}', 2), ''), '1') || '-'
            || coalesce(nullif(regexp_extract(s, '{_DATE_RE}', 3), ''), '1') AS DATE) END""",
    # Spark's cast to TIMESTAMP: text as above, numbers as seconds since the epoch
    f"""CREATE MACRO {TO_TIMESTAMP}(x) AS CASE
        WHEN typeof(x) = 'VARCHAR' THEN {TEXT_TO_TIMESTAMP}(CAST(x AS VARCHAR))
        WHEN typeof(x) IN {_NUMERIC} OR typeof(x) LIKE 'DECIMAL%'
            THEN CASE WHEN isfinite(TRY_CAST(x AS DOUBLE)) THEN to_timestamp(TRY_CAST(x AS DOUBLE))
                END  -- Spark: NaN and infinities are NULL
        ELSE TRY_CAST(x AS TIMESTAMPTZ) END""",
    # Spark's cast to DATE: text as above, a timestamp's day in the session zone
    f"""CREATE MACRO {TO_DATE}(x) AS CASE
        WHEN typeof(x) = 'VARCHAR' THEN {TEXT_TO_DATE}(CAST(x AS VARCHAR))
        ELSE TRY_CAST(x AS DATE) END""",
    # Spark's year in text: four digits, a sign before a year below 0 or above 9999
    """CREATE MACRO tidemill_year_text(y) AS CASE
        WHEN y > 9999 THEN '+' || CAST(y AS VARCHAR)
        WHEN y < 0 THEN '-' || lpad(CAST(-y AS VARCHAR), 4, '0')
        ELSE lpad(CAST(y AS VARCHAR), 4, '0') END""",
    """CREATE MACRO tidemill_wall_text(t) AS CASE
        WHEN year(t) BETWEEN 1 AND 9999 THEN CAST(t AS VARCHAR)
        ELSE tidemill_year_text(year(t)) || strftime(t, '-%m-%d %H:%M:%S')
            || rtrim(rtrim('.' || strftime(t, '%f'), '0'), '.') END""",
    # Spark's text of a value: timestamps in the session zone, no offset, fraction trimmed
    """CREATE MACRO tidemill_text_of(x) AS CASE
        WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE'
            THEN tidemill_wall_text(TRY_CAST(x AS TIMESTAMP))
        WHEN typeof(x) = 'DATE' AND NOT year(TRY_CAST(x AS DATE)) BETWEEN 1 AND 9999
            THEN tidemill_year_text(year(TRY_CAST(x AS DATE)))
                || strftime(TRY_CAST(x AS DATE), '-%m-%d')
        ELSE CAST(x AS VARCHAR) END""",
    f"""CREATE MACRO {TO_TEXT}(x) AS tidemill_text_of(x)""",
    # The same naming x once (`list_transform([x], lambda v: ...)[1]`), for an x that is itself
    # one of these macros (the text parser is large: five copies of it in every cast of 17
    # took DuckDB 20 s to bind). Not for the rest: the lambda costs ~0.3 s per million rows.
    f"""CREATE MACRO {TO_TEXT_ONCE}(x) AS
        list_transform([x], lambda tm_x: tidemill_text_of(tm_x))[1]""",
    # text read as Spark's TIMESTAMP_NTZ: the wall clock, a valid zone in it ignored; a bare
    # time is NULL
    f"""CREATE MACRO {TEXT_TO_WALL}(s) AS list_transform([tidemill_text_parts(s)], lambda tm_p:
        CASE WHEN tm_p.y IN ('', 'J') THEN NULL
        WHEN regexp_full_match(tm_p.z, '[\\x00-\\x20\\x7f]*')
            OR tidemill_zone_offset(tidemill_zone_text(tm_p.z)) IS NOT NULL
            OR tidemill_zone_region(tidemill_zone_text(tm_p.z)) IS NOT NULL
            THEN tidemill_naive_of_parts(tm_p) END)[1]""",
)
