/*
 * dates.h — calendar dates, periods, times and timestamps.
 *
 * A date is an int32_t count of days since 1970-01-01 in the proleptic
 * Gregorian calendar; a period (YYYY-MM) is an int32_t month index
 * (year * 12 + month - 1). Business time is SAST, UTC+02:00 with no
 * daylight saving, so a timestamp's business date is computed by
 * arithmetic on its UTC instant, never with the machine's time zone.
 *
 * Parsers take (s, n) without a NUL, accept exactly the documented shape
 * (no surrounding spaces) and return DATE_OK or a negative date_status.
 */
#ifndef KASI_DATES_H
#define KASI_DATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAST_OFFSET_SECONDS (2 * 3600)
#define DATE_BUFSZ	    11 /* "YYYY-MM-DD" + NUL */
#define PERIOD_BUFSZ	    8  /* "YYYY-MM" + NUL */

enum date_status {
	DATE_OK = 0,
	DATE_ESYNTAX = -1, /* not the expected shape */
	DATE_ERANGE = -2,  /* right shape, impossible value (2026-02-30) */
};

/* The written forms a schema can name for a date column. */
enum date_format {
	DATE_FMT_ISO,	  /* YYYY-MM-DD */
	DATE_FMT_COMPACT, /* yyyymmdd (some channels' dates, file names) */
	DATE_FMT_API,	  /* YYYY-MM-DDThh:mm:ss[.f] (Softy Comp API, local) */
	DATE_FMT_PERIOD,  /* YYYY-MM */
};

bool date_is_valid(int year, int month, int day);
int32_t date_from_civil(int year, int month, int day);
void date_to_civil(int32_t days, int *year, int *month, int *day);

/* Parse a date in the given format. For DATE_FMT_PERIOD, *days is the
 * first day of the month. */
int date_parse(const char *s, size_t n, enum date_format fmt, int32_t *days);

/* "YYYY-MM" -> month index. */
int period_parse(const char *s, size_t n, int32_t *period);
int32_t period_of_date(int32_t days);
int32_t period_first_day(int32_t period);
int32_t period_last_day(int32_t period);

/* "hhmmss" -> seconds since midnight (00:00:00..23:59:59). */
int time_parse_hhmmss(const char *s, size_t n, int32_t *seconds);

/* ISO 8601 with a mandatory offset: YYYY-MM-DDThh:mm:ss[.fraction] then
 * Z, +hh:mm, +hhmm or +hh (or '-'). Returns the UTC instant in seconds
 * since the epoch (the fraction is dropped; it never changes the date). */
int timestamp_parse(const char *s, size_t n, int64_t *utc_seconds);

/* The SAST calendar date of a UTC instant. */
int32_t date_business_of(int64_t utc_seconds);

/* The years kasi runs in. A clock, or a nightly run's day, outside them
 * is a mistake (a clock reset to 1970 or year 1, a mistyped year), never
 * a night to run for. */
#define DATE_SERVICE_FIRST_YEAR 2000
#define DATE_SERVICE_LAST_YEAR	2999
bool date_in_service(int32_t days);

/* Format as "YYYY-MM-DD" / "YYYY-MM"; return the length. */
size_t date_format_iso(int32_t days, char buf[DATE_BUFSZ]);
size_t period_format(int32_t period, char buf[PERIOD_BUFSZ]);

/* Name of a format as written in schemas ("yyyy-mm-dd", ...), and back. */
const char *date_format_name(enum date_format fmt);
int date_format_from_name(const char *name, enum date_format *fmt);

const char *date_strerror(int status);

#endif
