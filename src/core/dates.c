/*
 * dates.c — calendar arithmetic and strict date/time parsers (see dates.h).
 *
 * The day-count conversions are Howard Hinnant's days_from_civil and
 * civil_from_days algorithms, exact for every year kasi accepts
 * (0001..9999) and free of any table or time-zone state.
 */
#include "core/common.h"
#include "core/dates.h"

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t d = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		d--;
	return d;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

bool date_is_valid(int year, int month, int day)
{
	return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
	       day <= days_in_month(year, month);
}

int32_t date_from_civil(int year, int month, int day)
{
	int y = year - (month <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

void date_to_civil(int32_t days, int *year, int *month, int *day)
{
	int64_t z = (int64_t)days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = m;
	*year = (int)(yoe + era * 400 + (m <= 2));
}

/* Read exactly `width` ASCII digits at s; -1 if any is not a digit. */
static int digits(const char *s, int width)
{
	int v = 0;
	for (int i = 0; i < width; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The date y-m-d (each -1 if its digits were not digits), whatever the
 * shape it was written in. */
static int civil_checked(int y, int m, int d, int32_t *days)
{
	if (y < 0 || m < 0 || d < 0)
		return DATE_ESYNTAX;
	if (!date_is_valid(y, m, d))
		return DATE_ERANGE;
	*days = date_from_civil(y, m, d);
	return DATE_OK;
}

/* The time of day h:m:s (each -1 if not digits). */
static int clock_checked(int h, int m, int sec, int32_t *seconds)
{
	if (h < 0 || m < 0 || sec < 0)
		return DATE_ESYNTAX;
	if (h > 23 || m > 59 || sec > 59)
		return DATE_ERANGE;
	*seconds = h * 3600 + m * 60 + sec;
	return DATE_OK;
}

/* YYYY-MM-DD at s (10 bytes, caller checked the length). */
static int parse_ymd_dashed(const char *s, int32_t *days)
{
	if (s[4] != '-' || s[7] != '-')
		return DATE_ESYNTAX;
	return civil_checked(digits(s, 4), digits(s + 5, 2), digits(s + 8, 2), days);
}

/* hh:mm:ss at s (8 bytes). */
static int parse_hms_colon(const char *s, int32_t *seconds)
{
	if (s[2] != ':' || s[5] != ':')
		return DATE_ESYNTAX;
	return clock_checked(digits(s, 2), digits(s + 3, 2), digits(s + 6, 2), seconds);
}

/* Skip an optional ".digits" fraction at s[*i]; DATE_ESYNTAX for a '.'
 * with no digit after it. */
static int skip_fraction(const char *s, size_t n, size_t *i)
{
	if (*i < n && s[*i] == '.') {
		size_t start = ++*i;
		while (*i < n && s[*i] >= '0' && s[*i] <= '9')
			++*i;
		if (*i == start)
			return DATE_ESYNTAX;
	}
	return DATE_OK;
}

int date_parse(const char *s, size_t n, enum date_format fmt, int32_t *days)
{
	switch (fmt) {
	case DATE_FMT_ISO:
		if (n != 10)
			return DATE_ESYNTAX;
		return parse_ymd_dashed(s, days);
	case DATE_FMT_COMPACT:
		if (n != 8)
			return DATE_ESYNTAX;
		return civil_checked(digits(s, 4), digits(s + 4, 2), digits(s + 6, 2), days);
	case DATE_FMT_API: {
		if (n < 19 || s[10] != 'T')
			return DATE_ESYNTAX;
		int32_t d, secs;
		int rc = parse_ymd_dashed(s, &d);
		int rc2 = parse_hms_colon(s + 11, &secs);
		size_t i = 19;
		int rc3 = skip_fraction(s, n, &i);
		if (rc == DATE_ESYNTAX || rc2 == DATE_ESYNTAX || rc3 || i != n)
			return DATE_ESYNTAX;
		if (rc || rc2)
			return DATE_ERANGE;
		*days = d;
		return DATE_OK;
	}
	case DATE_FMT_PERIOD: {
		int32_t p;
		int rc = period_parse(s, n, &p);
		if (rc)
			return rc;
		*days = period_first_day(p);
		return DATE_OK;
	}
	}
	return DATE_ESYNTAX;
}

int period_parse(const char *s, size_t n, int32_t *period)
{
	if (n != 7 || s[4] != '-')
		return DATE_ESYNTAX;
	int y = digits(s, 4), m = digits(s + 5, 2);
	if (y < 0 || m < 0)
		return DATE_ESYNTAX;
	if (y < 1 || m < 1 || m > 12)
		return DATE_ERANGE;
	*period = (int32_t)(y * 12 + m - 1);
	return DATE_OK;
}

int32_t period_of_date(int32_t days)
{
	int y, m, d;
	date_to_civil(days, &y, &m, &d);
	return (int32_t)(y * 12 + m - 1);
}

int32_t period_first_day(int32_t period)
{
	return date_from_civil(period / 12, period % 12 + 1, 1);
}

int32_t period_last_day(int32_t period)
{
	return period_first_day(period + 1) - 1;
}

int time_parse_hhmmss(const char *s, size_t n, int32_t *seconds)
{
	if (n != 6)
		return DATE_ESYNTAX;
	return clock_checked(digits(s, 2), digits(s + 2, 2), digits(s + 4, 2), seconds);
}

int timestamp_parse(const char *s, size_t n, int64_t *utc_seconds)
{
	if (n < 20 || s[10] != 'T')
		return DATE_ESYNTAX;
	int32_t days, secs;
	int rc_date = parse_ymd_dashed(s, &days);
	int rc_time = parse_hms_colon(s + 11, &secs);
	if (rc_date == DATE_ESYNTAX || rc_time == DATE_ESYNTAX)
		return DATE_ESYNTAX;
	size_t i = 19;
	if (skip_fraction(s, n, &i))
		return DATE_ESYNTAX;

	/* The offset: Z, or a sign and hh, hhmm or hh:mm. */
	int offset = 0;
	bool offset_range_ok = true;
	if (i < n && s[i] == 'Z') {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i] == '-' ? -1 : 1;
		i++;
		size_t rest = n - i;
		int oh, om = 0;
		if (rest == 2) {
			oh = digits(s + i, 2);
		} else if (rest == 4) {
			oh = digits(s + i, 2);
			om = digits(s + i + 2, 2);
		} else if (rest == 5 && s[i + 2] == ':') {
			oh = digits(s + i, 2);
			om = digits(s + i + 3, 2);
		} else {
			return DATE_ESYNTAX;
		}
		if (oh < 0 || om < 0)
			return DATE_ESYNTAX;
		offset_range_ok = oh <= 18 && om <= 59 && oh * 60 + om <= 18 * 60;
		offset = sign * (oh * 3600 + om * 60);
		i = n;
	} else {
		return DATE_ESYNTAX; /* an offset is mandatory */
	}
	if (i != n)
		return DATE_ESYNTAX;
	if (rc_date || rc_time || !offset_range_ok)
		return DATE_ERANGE;
	*utc_seconds = (int64_t)days * 86400 + secs - offset;
	return DATE_OK;
}

int32_t date_business_of(int64_t utc_seconds)
{
	return (int32_t)floor_div(utc_seconds + SAST_OFFSET_SECONDS, 86400);
}

bool date_in_service(int32_t days)
{
	return days >= date_from_civil(DATE_SERVICE_FIRST_YEAR, 1, 1) &&
	       days <= date_from_civil(DATE_SERVICE_LAST_YEAR, 12, 31);
}

/* "YYYY-MM" into buf (years 0..9999), digits by hand: this runs once a
 * row of every file. */
static void put_year_month(char *buf, int y, int m)
{
	buf[0] = (char)('0' + y / 1000);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
}

size_t date_format_iso(int32_t days, char buf[DATE_BUFSZ])
{
	int y, m, d;
	date_to_civil(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		int n = snprintf(buf, DATE_BUFSZ, "%04d-%02d-%02d", y, m, d);
		return n < 0 ? 0 : (size_t)n;
	}
	put_year_month(buf, y, m);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	buf[10] = '\0';
	return 10;
}

size_t period_format(int32_t period, char buf[PERIOD_BUFSZ])
{
	int y = (int)(period / 12), m = (int)(period % 12 + 1);
	if (y < 0 || y > 9999 || m < 1) {
		int n = snprintf(buf, PERIOD_BUFSZ, "%04d-%02d", y, m);
		return n < 0 ? 0 : (size_t)n;
	}
	put_year_month(buf, y, m);
	buf[7] = '\0';
	return 7;
}

static const struct {
	const char *name;
	enum date_format fmt;
} format_names[] = {
	{ "yyyy-mm-dd", DATE_FMT_ISO },
	{ "yyyymmdd", DATE_FMT_COMPACT },
	{ "yyyy-mm-ddThh:mm:ss", DATE_FMT_API },
	{ "yyyy-mm", DATE_FMT_PERIOD },
};

const char *date_format_name(enum date_format fmt)
{
	for (size_t i = 0; i < ARRAY_SIZE(format_names); i++)
		if (format_names[i].fmt == fmt)
			return format_names[i].name;
	return "?";
}

int date_format_from_name(const char *name, enum date_format *fmt)
{
	for (size_t i = 0; i < ARRAY_SIZE(format_names); i++) {
		if (!strcmp(format_names[i].name, name)) {
			*fmt = format_names[i].fmt;
			return 0;
		}
	}
	return -1;
}

const char *date_strerror(int status)
{
	switch (status) {
	case DATE_OK: return "ok";
	case DATE_ESYNTAX: return "not in the expected format";
	case DATE_ERANGE: return "not a real date or time";
	}
	return "invalid date";
}
