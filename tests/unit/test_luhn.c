/* Unit tests for core/luhn. */
#include "unit.h"
#include "core/luhn.h"

static bool valid(const char *s)
{
	return luhn_valid(s, strlen(s));
}

static void test_reference_numbers(void **state)
{
	(void)state;
	/* The textbook example: 7992739871 has check digit 3. */
	assert_true(valid("79927398713"));
	for (char c = '0'; c <= '9'; c++) {
		char s[] = "7992739871X";
		s[10] = c;
		assert_int_equal(valid(s), c == '3');
	}
	assert_int_equal(luhn_check_digit("7992739871", 10), '3');
	/* The standard test card number. */
	assert_true(valid("4111111111111111"));
	assert_false(valid("4111111111111112"));
}

static void test_sa_id_numbers(void **state)
{
	(void)state;
	/* 800101 500908 + check digit: doubling every second digit from the
	 * right of 800101500908 gives a sum of 33, so the check digit is 7. */
	assert_int_equal(luhn_check_digit("800101500908", 12), '7');
	assert_true(valid("8001015009087"));
	assert_false(valid("8001015009088"));
}

static void test_easypay_codes(void **state)
{
	(void)state;
	/* 9123456789010 sums to 57 under the Luhn weights: check digit 3. */
	assert_int_equal(luhn_check_digit("9123456789010", 13), '3');
	assert_true(valid("91234567890103"));
	/* A single transposition is caught. */
	assert_false(valid("91234567890013"));
}

static void test_non_digits_and_short(void **state)
{
	(void)state;
	assert_false(valid(""));
	assert_false(valid("0"));
	assert_true(valid("00"));
	assert_false(valid("7992739871a"));
	assert_false(valid(" 79927398713"));
	assert_false(valid("79927398713 "));
	assert_int_equal(luhn_check_digit("12a4", 4), '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_numbers),
		cmocka_unit_test(test_sa_id_numbers),
		cmocka_unit_test(test_easypay_codes),
		cmocka_unit_test(test_non_digits_and_short),
	};
	return cmocka_run_group_tests_name("luhn", tests, NULL, NULL);
}
