/* Unit tests for core/dates: strict parsers and the SAST business date. */
#include "unit.h"
#include "core/dates.h"

static int32_t day(const char *iso)
{
	int32_t d;
	assert_int_equal(date_parse(iso, strlen(iso), DATE_FMT_ISO, &d), DATE_OK);
	return d;
}

static const char *iso(int32_t d)
{
	static char buf[DATE_BUFSZ];
	date_format_iso(d, buf);
	return buf;
}

static void test_epoch_and_known_days(void **state)
{
	(void)state;
	assert_int_equal(date_from_civil(1970, 1, 1), 0);
	assert_int_equal(date_from_civil(1970, 1, 2), 1);
	assert_int_equal(date_from_civil(1969, 12, 31), -1);
	/* 2000-03-01 is day 11017 (30 years, 7 leap days, Jan+Feb 2000). */
	assert_int_equal(date_from_civil(2000, 3, 1), 30 * 365 + 7 + 31 + 29);
	assert_string_equal(iso(0), "1970-01-01");
	assert_string_equal(iso(-1), "1969-12-31");
	/* The ends of four digits; past them, cut to the buffer, never over. */
	assert_string_equal(iso(date_from_civil(9999, 12, 31)), "9999-12-31");
	assert_string_equal(iso(date_from_civil(0, 1, 1)), "0000-01-01");
	assert_int_equal(strlen(iso(date_from_civil(10000, 1, 1))), DATE_BUFSZ - 1);
}

static void test_round_trip_every_day(void **state)
{
	(void)state;
	/* Every day from 1900-01-01 to 2100-12-31 converts there and back. */
	int32_t first = date_from_civil(1900, 1, 1), last = date_from_civil(2100, 12, 31);
	int py = 1899, pm = 12, pd = 31;
	for (int32_t d = first; d <= last; d++) {
		int y, m, dd;
		date_to_civil(d, &y, &m, &dd);
		assert_true(date_is_valid(y, m, dd));
		assert_int_equal(date_from_civil(y, m, dd), d);
		/* and its text reads back as the same day */
		char want[32];
		snprintf(want, sizeof(want), "%04d-%02d-%02d", y, m, dd);
		assert_string_equal(iso(d), want);
		assert_int_equal(day(iso(d)), d);
		/* consecutive */
		bool next = (y == py && m == pm && dd == pd + 1) ||
			    (y == py && m == pm + 1 && dd == 1) ||
			    (y == py + 1 && m == 1 && dd == 1);
		assert_true(next);
		py = y, pm = m, pd = dd;
	}
}

static void test_leap_years(void **state)
{
	(void)state;
	assert_true(date_is_valid(2024, 2, 29));
	assert_true(date_is_valid(2000, 2, 29));
	assert_false(date_is_valid(1900, 2, 29));
	assert_false(date_is_valid(2026, 2, 29));
	assert_false(date_is_valid(2026, 4, 31));
	assert_false(date_is_valid(2026, 13, 1));
	assert_false(date_is_valid(2026, 0, 1));
	assert_false(date_is_valid(0, 1, 1));
}

static int parse(const char *s, enum date_format f)
{
	int32_t d;
	return date_parse(s, strlen(s), f, &d);
}

static void test_date_formats(void **state)
{
	(void)state;
	int32_t d;
	assert_int_equal(date_parse("20261005", 8, DATE_FMT_COMPACT, &d), DATE_OK);
	assert_int_equal(d, day("2026-10-05"));
	assert_int_equal(date_parse("2015-02-06T00:00:00", 19, DATE_FMT_API, &d), DATE_OK);
	assert_int_equal(d, day("2015-02-06"));
	assert_int_equal(date_parse("2018-10-31T08:11:50.69", 22, DATE_FMT_API, &d), DATE_OK);
	assert_int_equal(d, day("2018-10-31"));
	assert_int_equal(date_parse("2026-02", 7, DATE_FMT_PERIOD, &d), DATE_OK);
	assert_int_equal(d, day("2026-02-01"));

	assert_int_equal(parse("2026-02-30", DATE_FMT_ISO), DATE_ERANGE);
	assert_int_equal(parse("2026-2-03", DATE_FMT_ISO), DATE_ESYNTAX);
	assert_int_equal(parse("2026/02/03", DATE_FMT_ISO), DATE_ESYNTAX);
	assert_int_equal(parse(" 2026-02-03", DATE_FMT_ISO), DATE_ESYNTAX);
	assert_int_equal(parse("2026-02-03 ", DATE_FMT_ISO), DATE_ESYNTAX);
	assert_int_equal(parse("2026-02-03", DATE_FMT_COMPACT), DATE_ESYNTAX);
	assert_int_equal(parse("20261305", DATE_FMT_COMPACT), DATE_ERANGE);
	assert_int_equal(parse("2026100", DATE_FMT_COMPACT), DATE_ESYNTAX);
	assert_int_equal(parse("2015-02-06", DATE_FMT_API), DATE_ESYNTAX);
	assert_int_equal(parse("2015-02-06T00:00", DATE_FMT_API), DATE_ESYNTAX);
	assert_int_equal(parse("2015-02-06T24:00:00", DATE_FMT_API), DATE_ERANGE);
	assert_int_equal(parse("2015-02-06T00:00:00Z", DATE_FMT_API), DATE_ESYNTAX);
	assert_int_equal(parse("2015-02-06T00:00:00.", DATE_FMT_API), DATE_ESYNTAX);
	assert_int_equal(parse("2015-02-30T00:00:00", DATE_FMT_API), DATE_ERANGE);
}

static void test_periods(void **state)
{
	(void)state;
	int32_t p;
	assert_int_equal(period_parse("2026-10", 7, &p), DATE_OK);
	assert_string_equal(iso(period_first_day(p)), "2026-10-01");
	assert_string_equal(iso(period_last_day(p)), "2026-10-31");
	assert_int_equal(period_parse("2024-02", 7, &p), DATE_OK);
	assert_string_equal(iso(period_last_day(p)), "2024-02-29");
	assert_int_equal(period_parse("2026-12", 7, &p), DATE_OK);
	assert_string_equal(iso(period_last_day(p)), "2026-12-31");
	assert_int_equal(period_of_date(day("2026-12-31")), p);
	assert_int_equal(period_of_date(day("2027-01-01")), p + 1);
	char buf[PERIOD_BUFSZ];
	period_format(p, buf);
	assert_string_equal(buf, "2026-12");
	period_format(period_of_date(day("0999-01-31")), buf);
	assert_string_equal(buf, "0999-01");
	assert_int_equal(period_parse("2026-13", 7, &p), DATE_ERANGE);
	assert_int_equal(period_parse("2026/12", 7, &p), DATE_ESYNTAX);
	assert_int_equal(period_parse("202612", 6, &p), DATE_ESYNTAX);
}

static void test_hhmmss(void **state)
{
	(void)state;
	int32_t s;
	assert_int_equal(time_parse_hhmmss("144230", 6, &s), DATE_OK);
	assert_int_equal(s, 14 * 3600 + 42 * 60 + 30);
	assert_int_equal(time_parse_hhmmss("000000", 6, &s), DATE_OK);
	assert_int_equal(s, 0);
	assert_int_equal(time_parse_hhmmss("235959", 6, &s), DATE_OK);
	assert_int_equal(time_parse_hhmmss("240000", 6, &s), DATE_ERANGE);
	assert_int_equal(time_parse_hhmmss("126000", 6, &s), DATE_ERANGE);
	assert_int_equal(time_parse_hhmmss("12:00:00", 8, &s), DATE_ESYNTAX);
	assert_int_equal(time_parse_hhmmss("12000", 5, &s), DATE_ESYNTAX);
}

/* The SAST calendar date of an ISO 8601 timestamp. */
static const char *business(const char *ts)
{
	int64_t utc;
	int rc = timestamp_parse(ts, strlen(ts), &utc);
	if (rc != DATE_OK)
		fail_msg("'%s' did not parse (%d)", ts, rc);
	return iso(date_business_of(utc));
}

static void test_timestamps_to_sast(void **state)
{
	(void)state;
	assert_string_equal(business("2026-01-16T13:40:33+02:00"), "2026-01-16");
	assert_string_equal(business("2026-01-16T23:59:59+02:00"), "2026-01-16");
	assert_string_equal(business("2026-01-17T00:00:00+02:00"), "2026-01-17");
	/* 22:00 UTC is midnight in SAST. */
	assert_string_equal(business("2026-01-16T21:59:59Z"), "2026-01-16");
	assert_string_equal(business("2026-01-16T22:00:00Z"), "2026-01-17");
	assert_string_equal(business("2026-01-16T22:00:00+00:00"), "2026-01-17");
	assert_string_equal(business("2026-01-16T20:00:00-02:00"), "2026-01-17");
	assert_string_equal(business("2026-01-17T03:00:00+05:30"), "2026-01-16");
	assert_string_equal(business("2026-01-16T12:00:00+0200"), "2026-01-16");
	assert_string_equal(business("2026-01-16T12:00:00+02"), "2026-01-16");
	assert_string_equal(business("2026-01-16T23:59:59.999999+02:00"), "2026-01-16");
	/* Year and month ends, and before the epoch (floor, not truncation). */
	assert_string_equal(business("2025-12-31T22:30:00Z"), "2026-01-01");
	assert_string_equal(business("1969-12-31T23:00:00Z"), "1970-01-01");
	assert_string_equal(business("1969-12-31T21:59:59Z"), "1969-12-31");
	assert_string_equal(business("2024-02-28T22:00:00Z"), "2024-02-29");
}

static void test_timestamp_rejects(void **state)
{
	(void)state;
	int64_t u;
#define REJECT(s, want) assert_int_equal(timestamp_parse(s, strlen(s), &u), want)
	REJECT("2026-01-16T13:40:33", DATE_ESYNTAX);	   /* no offset */
	REJECT("2026-01-16 13:40:33+02:00", DATE_ESYNTAX); /* no T */
	REJECT("2026-01-16t13:40:33+02:00", DATE_ESYNTAX);
	REJECT("2026-01-16T13:40:33z", DATE_ESYNTAX);
	REJECT("2026-01-16T13:40+02:00", DATE_ESYNTAX);
	REJECT("2026-01-16T13:40:33+2:00", DATE_ESYNTAX);
	REJECT("2026-01-16T13:40:33+02:0", DATE_ESYNTAX);
	REJECT("2026-01-16T13:40:33.+02:00", DATE_ESYNTAX);
	REJECT("2026-01-16T13:40:33+02:00 ", DATE_ESYNTAX);
	REJECT("2026-01-16T24:00:00Z", DATE_ERANGE);
	REJECT("2026-01-16T23:60:00Z", DATE_ERANGE);
	REJECT("2026-01-16T23:59:60Z", DATE_ERANGE);
	REJECT("2026-02-30T10:00:00Z", DATE_ERANGE);
	REJECT("2026-01-16T10:00:00+19:00", DATE_ERANGE);
	REJECT("2026-01-16T10:00:00+02:60", DATE_ERANGE);
#undef REJECT
}

static void test_format_names(void **state)
{
	(void)state;
	enum date_format f;
	assert_int_equal(date_format_from_name("yyyymmdd", &f), 0);
	assert_int_equal(f, DATE_FMT_COMPACT);
	assert_string_equal(date_format_name(DATE_FMT_API), "yyyy-mm-ddThh:mm:ss");
	assert_int_equal(date_format_from_name("dd/mm/yyyy", &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epoch_and_known_days),
		cmocka_unit_test(test_round_trip_every_day),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_date_formats),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_hhmmss),
		cmocka_unit_test(test_timestamps_to_sast),
		cmocka_unit_test(test_timestamp_rejects),
		cmocka_unit_test(test_format_names),
	};
	return cmocka_run_group_tests_name("dates", tests, NULL, NULL);
}
