/* Unit tests for stage/monitor's arithmetic: ratios in hundredths of a
 * percent, rounded half up, and breaches decided exactly. */
#include "unit.h"
#include "stage/monitor.h"

static void test_ratio_rounds_half_up(void **state)
{
	(void)state;
	assert_int_equal(monitor_ratio_bps(2, 4), 5000);  /* 50.00% */
	assert_int_equal(monitor_ratio_bps(1, 3), 3333);  /* 33.333..% */
	assert_int_equal(monitor_ratio_bps(2, 3), 6667);  /* 66.666..% */
	assert_int_equal(monitor_ratio_bps(1, 8), 1250);  /* 12.50% exactly */
	assert_int_equal(monitor_ratio_bps(1, 20000), 1); /* 0.005%: half a hundredth, up */
	assert_int_equal(monitor_ratio_bps(1, 20001), 0); /* just under half: down */
	assert_int_equal(monitor_ratio_bps(0, 7), 0);
	assert_int_equal(monitor_ratio_bps(7, 7), 10000);
}

static void test_over_is_exact_and_strict(void **state)
{
	(void)state;
	/* At most 10%: 10 of 100 is within, 11 of 100 over. */
	assert_false(monitor_over(10, 100, 1000));
	assert_true(monitor_over(11, 100, 1000));
	/* 0.5%: 1 of 200 is within; 1 of 199 (0.5025%) is over, though it
	 * prints as 0.50%. */
	assert_false(monitor_over(1, 200, 50));
	assert_true(monitor_over(1, 199, 50));
	assert_int_equal(monitor_ratio_bps(1, 199), 50);
	/* Nothing final: nothing over. */
	assert_false(monitor_over(0, 0, 0));
	assert_false(monitor_over(3, 0, 1000));
	/* A limit of 0: any unpaid is over. */
	assert_true(monitor_over(1, 1000000, 0));
	assert_false(monitor_over(0, 1000000, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratio_rounds_half_up),
		cmocka_unit_test(test_over_is_exact_and_strict),
	};
	return cmocka_run_group_tests_name("monitor", tests, NULL, NULL);
}
