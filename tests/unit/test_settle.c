/* Unit tests for stage/settle: the fee of a collection, in integer cents,
 * rounded half up at the half cent, overflow an error. */
#include "unit.h"
#include "stage/settle.h"

static int64_t fee(int64_t amount, int64_t bps, int64_t fixed)
{
	int64_t f = -1;
	assert_int_equal(settle_fee(amount, bps, fixed, &f), 0);
	return f;
}

static void test_fee_rounds_half_up(void **state)
{
	(void)state;
	assert_int_equal(fee(100, 250, 0), 3);	      /* 2.5c: half up */
	assert_int_equal(fee(99, 250, 0), 2);	      /* 2.475c */
	assert_int_equal(fee(101, 250, 0), 3);	      /* 2.525c */
	assert_int_equal(fee(200, 25, 0), 1);	      /* 0.5c exactly: 1c */
	assert_int_equal(fee(199, 25, 0), 0);	      /* 0.4975c: nothing */
	assert_int_equal(fee(72419, 350, 250), 2785); /* 25.34665 -> 25.35 + 2.50 */
	assert_int_equal(fee(0, 350, 250), 250);      /* the fixed fee alone */
	assert_int_equal(fee(12345, 0, 0), 0);
	assert_int_equal(fee(12345, 10000, 0), 12345); /* all of it */
}

static void test_fee_overflow_is_an_error(void **state)
{
	(void)state;
	int64_t f;
	/* R10 trillion, Collexia's N15.2 ceiling, at 100%: past int64 when
	 * multiplied by the basis points. */
	assert_int_equal(settle_fee(999999999999999LL, 10000, 0, &f), -1);
	assert_int_equal(settle_fee(INT64_MAX, 1, 0, &f), -1);
	assert_int_equal(settle_fee(922337203685477LL, 10000, INT64_MAX, &f), -1);
	assert_int_equal(settle_fee(-1, 100, 0, &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fee_rounds_half_up),
		cmocka_unit_test(test_fee_overflow_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
