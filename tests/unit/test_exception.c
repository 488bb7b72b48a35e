/* Unit tests for stage/exception: an exception's age bucket, status and
 * money at stake. */
#include "unit.h"
#include "core/money.h"
#include "stage/exception.h"

/* 2026-11-01T00:00:00Z */
#define T0  INT64_C(1793491200)
#define DAY INT64_C(86400)

static void test_age_buckets_edges(void **state)
{
	(void)state;
	const char *first = "2026-11-01T00:00:00Z";
	assert_int_equal(exception_age_of(first, T0), AGE_0_1D);
	assert_int_equal(exception_age_of(first, T0 + 2 * DAY - 1), AGE_0_1D); /* 1 day, 23:59:59 */
	assert_int_equal(exception_age_of(first, T0 + 2 * DAY), AGE_2_7D);
	assert_int_equal(exception_age_of(first, T0 + 8 * DAY - 1), AGE_2_7D);
	assert_int_equal(exception_age_of(first, T0 + 8 * DAY), AGE_8_30D);
	assert_int_equal(exception_age_of(first, T0 + 31 * DAY - 1), AGE_8_30D);
	assert_int_equal(exception_age_of(first, T0 + 31 * DAY), AGE_OVER_30D);
	assert_int_equal(exception_age_of(first, T0 + 400 * DAY), AGE_OVER_30D);
}

static void test_age_reads_offsets_and_refuses_nonsense(void **state)
{
	(void)state;
	/* 02:00 SAST on 1 Nov is T0 (00:00 UTC): two days later is 2-7d; a
	 * second after it, not yet. */
	assert_int_equal(exception_age_of("2026-11-01T02:00:00+02:00", T0 + 2 * DAY), AGE_2_7D);
	assert_int_equal(exception_age_of("2026-11-01T02:00:01+02:00", T0 + 2 * DAY), AGE_0_1D);
	/* A clock set back is no negative age. */
	assert_int_equal(exception_age_of("2026-11-05T00:00:00Z", T0), AGE_0_1D);
	assert_int_equal(exception_age_of("yesterday", T0), AGE_UNKNOWN);
	assert_int_equal(exception_age_of(NULL, T0), AGE_UNKNOWN);
	assert_string_equal(exception_age_name(AGE_OVER_30D), ">30d");
	assert_string_equal(exception_age_name(AGE_UNKNOWN), "?");
}

static void test_status(void **state)
{
	(void)state;
	assert_string_equal(exception_status(NULL, false), "open");
	assert_string_equal(exception_status(NULL, true), "resolved");
	/* Gone is gone, resolved or not. */
	assert_string_equal(exception_status("2026-11-02T00:00:00Z", true), "cleared");
	assert_string_equal(exception_status("2026-11-02T00:00:00Z", false), "cleared");
}

static int64_t stake(const char *expected, const char *actual, bool has_amount, int64_t amount)
{
	struct store_exception x = {
		.expected = expected, .actual = actual, .has_amount = has_amount, .amount = amount
	};
	int64_t cents = -1;
	assert_int_equal(exception_at_stake(&x, &cents), 0);
	return cents;
}

static void test_at_stake(void **state)
{
	(void)state;
	assert_int_equal(stake("125.00", "120.00", true, 12000),
			 500);					    /* a mismatch: the difference */
	assert_int_equal(stake("80.00", "100.00", false, 0), 2000); /* an overpayment */
	assert_int_equal(stake("40.00", NULL, false, 0), 4000);	    /* missing from the file */
	assert_int_equal(stake(NULL, "100.00", true, 10000), 10000); /* missing from the ledger */
	assert_int_equal(stake("4846999", "150.00", true, -15000), 15000); /* an id is no amount */
	assert_int_equal(stake(NULL, "91234567890707", true, 6000), 6000); /* nor is a code */
	assert_int_equal(stake("settled", "failed", true, -30000),
			 30000);			  /* the row's, as a size */
	assert_int_equal(stake(NULL, NULL, false, 0), 0); /* a whole file */
	assert_int_equal(stake("a file dated 2026-10-05", "none", false, 0), 0);
	assert_int_equal(stake("-5.00", "5.00", false, 0), 1000);
	/* Regression: what a customer typed as a reference ("999999.99") is
	 * no amount at stake: the row's amount is. */
	assert_int_equal(stake(NULL, "999999.99", true, 100), 100);
}

/* Regression: a duplicate skipped (an info) put its row's amount at stake
 * and in the worklist's total, though nothing of it was counted. */
static void test_at_stake_of_an_info_is_none(void **state)
{
	(void)state;
	struct store_exception x = { .severity = "info", .has_amount = true, .amount = 15000 };
	int64_t cents = -1;
	assert_int_equal(exception_at_stake(&x, &cents), 0);
	assert_int_equal(cents, 0);
	x.severity = "error";
	assert_int_equal(exception_at_stake(&x, &cents), 0);
	assert_int_equal(cents, 15000);
}

static void test_at_stake_overflow_is_an_error(void **state)
{
	(void)state;
	struct store_exception x = { .expected = "92233720368547758.07", .actual = "-1.00" };
	int64_t cents = 7;
	assert_int_equal(exception_at_stake(&x, &cents), MONEY_ERANGE);
	struct store_exception y = { .has_amount = true, .amount = INT64_MIN };
	assert_int_equal(exception_at_stake(&y, &cents), MONEY_ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_age_buckets_edges),
		cmocka_unit_test(test_age_reads_offsets_and_refuses_nonsense),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_at_stake),
		cmocka_unit_test(test_at_stake_of_an_info_is_none),
		cmocka_unit_test(test_at_stake_overflow_is_an_error),
	};
	return cmocka_run_group_tests_name("exception", tests, NULL, NULL);
}
