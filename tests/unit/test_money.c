/* Unit tests for core/money: int64_t cents, parsed and printed exactly. */
#include "unit.h"
#include "core/money.h"

static const struct money_rule two = { 2, 2, true };
static const struct money_rule upto_two = { 0, 2, true };
static const struct money_rule two_positive = { 2, 2, false };

static int64_t parse_ok(const char *s, const struct money_rule *rule)
{
	int64_t cents = -1;
	assert_int_equal(money_parse(s, strlen(s), rule, &cents), MONEY_OK);
	return cents;
}

static int parse_status(const char *s, const struct money_rule *rule)
{
	int64_t cents = 12345;
	int rc = money_parse(s, strlen(s), rule, &cents);
	if (rc != MONEY_OK)
		assert_int_equal(cents, 12345); /* untouched on failure */
	return rc;
}

static void test_parse_exact_decimals(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("150.00", &two), 15000);
	assert_int_equal(parse_ok("-724.19", &two), -72419);
	assert_int_equal(parse_ok("0.00", &two), 0);
	assert_int_equal(parse_ok("0.01", &two), 1);
	assert_int_equal(parse_ok("42500.00", &two), 4250000);
	assert_int_equal(parse_ok("007.50", &two), 750);
}

static void test_parse_api_style(void **state)
{
	(void)state;
	/* Softy Comp prints 55, -1200, -724.19 and 724.1 */
	assert_int_equal(parse_ok("55", &upto_two), 5500);
	assert_int_equal(parse_ok("-1200", &upto_two), -120000);
	assert_int_equal(parse_ok("-724.19", &upto_two), -72419);
	assert_int_equal(parse_ok("724.1", &upto_two), 72410);
	assert_int_equal(parse_ok("0.5", &upto_two), 50);
}

static void test_parse_rejects_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",	    "-",       " 150.00", "150.00 ", "+150.00", "1,000.00",
		"1 000.00", "1e3",     ".50",	  "-.50",    "--1.00",	"1.2.3",
		"150,00",   "R150.00", "0x10",	  "1.0a",    "١٢٣",	"1.-5",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int rc = parse_status(bad[i], &upto_two);
		if (rc == MONEY_OK)
			fail_msg("'%s' was accepted", bad[i]);
	}
	assert_int_equal(parse_status("1.2.3", &upto_two), MONEY_ESYNTAX);
	assert_int_equal(parse_status(" 150.00", &two), MONEY_ESYNTAX);
}

static void test_parse_decimal_rule(void **state)
{
	(void)state;
	assert_int_equal(parse_status("150", &two), MONEY_EDECIMALS);
	assert_int_equal(parse_status("150.0", &two), MONEY_EDECIMALS);
	assert_int_equal(parse_status("150.000", &two), MONEY_EDECIMALS);
	assert_int_equal(parse_status("150.", &two), MONEY_EDECIMALS);
	assert_int_equal(parse_status("150.001", &upto_two), MONEY_EDECIMALS);
	const struct money_rule whole = { 0, 0, true };
	assert_int_equal(parse_status("150.00", &whole), MONEY_EDECIMALS);
	assert_int_equal(parse_ok("150", &whole), 15000);
}

static void test_parse_sign_rule(void **state)
{
	(void)state;
	assert_int_equal(parse_status("-1.00", &two_positive), MONEY_ENEGATIVE);
	assert_int_equal(parse_status("-0.00", &two_positive), MONEY_ENEGATIVE);
	assert_int_equal(parse_ok("1.00", &two_positive), 100);
}

static void test_parse_overflow_is_an_error(void **state)
{
	(void)state;
	/* INT64_MAX is 9223372036854775807 cents. */
	assert_int_equal(parse_ok("92233720368547758.07", &two), INT64_MAX);
	assert_int_equal(parse_ok("-92233720368547758.07", &two), -INT64_MAX);
	assert_int_equal(parse_status("92233720368547758.08", &two), MONEY_ERANGE);
	assert_int_equal(parse_status("92233720368547759.00", &two), MONEY_ERANGE);
	assert_int_equal(parse_status("92233720368547758", &upto_two), MONEY_OK);
	assert_int_equal(parse_status("92233720368547759", &upto_two), MONEY_ERANGE);
	assert_int_equal(parse_status("99999999999999999999999999999999.00", &two), MONEY_ERANGE);
	assert_int_equal(parse_status("-99999999999999999999999999999999.99", &two), MONEY_ERANGE);
}

static const char *fmt(int64_t cents)
{
	static char buf[MONEY_BUFSZ];
	size_t n = money_format(cents, buf);
	assert_int_equal(n, strlen(buf));
	return buf;
}

static void test_format(void **state)
{
	(void)state;
	assert_string_equal(fmt(0), "0.00");
	assert_string_equal(fmt(5), "0.05");
	assert_string_equal(fmt(-5), "-0.05");
	assert_string_equal(fmt(50), "0.50");
	assert_string_equal(fmt(15000), "150.00");
	assert_string_equal(fmt(-72419), "-724.19");
	assert_string_equal(fmt(4250000), "42500.00");
	assert_string_equal(fmt(INT64_MAX), "92233720368547758.07");
	assert_string_equal(fmt(INT64_MIN), "-92233720368547758.08");
}

static void test_round_trip(void **state)
{
	(void)state;
	const int64_t samples[] = { 0,	  1,	     -1,	 99,	    100,
				    -100, 123456789, -987654321, INT64_MAX, -INT64_MAX };
	for (size_t i = 0; i < ARRAY_SIZE(samples); i++) {
		int64_t back;
		const char *s = fmt(samples[i]);
		assert_int_equal(money_parse(s, strlen(s), &two, &back), MONEY_OK);
		assert_int_equal(back, samples[i]);
	}
}

static void test_add_overflow(void **state)
{
	(void)state;
	int64_t sum = 7;
	assert_int_equal(money_add(15000, -72419, &sum), MONEY_OK);
	assert_int_equal(sum, -57419);
	sum = 7;
	assert_int_equal(money_add(INT64_MAX, 1, &sum), MONEY_ERANGE);
	assert_int_equal(sum, 7);
	assert_int_equal(money_add(INT64_MIN, -1, &sum), MONEY_ERANGE);
	assert_int_equal(money_add(INT64_MAX, INT64_MIN, &sum), MONEY_OK);
	assert_int_equal(sum, -1);
}

/* Rands settle in cents: up to four decimals may be written, but a digit
 * past the cents that is not 0 is a fraction of a cent, refused, never
 * rounded ("5.5500" is R5.55; "5.5555" is not an amount of money). */
static void test_parse_four_decimals_whole_cents(void **state)
{
	(void)state;
	static const struct money_rule upto_four = { 0, 4, false };
	assert_int_equal(parse_ok("5", &upto_four), 500);
	assert_int_equal(parse_ok("5.0", &upto_four), 500);
	assert_int_equal(parse_ok("5.5", &upto_four), 550);
	assert_int_equal(parse_ok("5.50", &upto_four), 550);
	assert_int_equal(parse_ok("5.500", &upto_four), 550);
	assert_int_equal(parse_ok("5.5500", &upto_four), 555);
	assert_int_equal(parse_ok("0.0100", &upto_four), 1);
	assert_int_equal(parse_status("5.5555", &upto_four), MONEY_ESUBCENT);
	assert_int_equal(parse_status("5.551", &upto_four), MONEY_ESUBCENT);
	assert_int_equal(parse_status("0.0001", &upto_four), MONEY_ESUBCENT);
	assert_int_equal(parse_status("5.55555", &upto_four), MONEY_EDECIMALS);
	assert_int_equal(parse_status("5.", &upto_four), MONEY_EDECIMALS);
	/* A fraction of a cent is refused even when the rule allows no more
	 * than two decimals: the count is checked first. */
	assert_int_equal(parse_status("5.555", &upto_two), MONEY_EDECIMALS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_exact_decimals),
		cmocka_unit_test(test_parse_api_style),
		cmocka_unit_test(test_parse_four_decimals_whole_cents),
		cmocka_unit_test(test_parse_rejects_malformed),
		cmocka_unit_test(test_parse_decimal_rule),
		cmocka_unit_test(test_parse_sign_rule),
		cmocka_unit_test(test_parse_overflow_is_an_error),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_add_overflow),
	};
	return cmocka_run_group_tests_name("money", tests, NULL, NULL);
}
