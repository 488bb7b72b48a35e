/*
 * test_relay.c — blocks pass between threads in order, bounded, and a
 * stop reaches the other side.
 */
#include "unit.h"
#include "core/relay.h"

#include <pthread.h>

struct blk {
	int seq;
	bool last;
};

struct run {
	struct relay *relay;
	int n;	    /* blocks to pass */
	int passed; /* blocks passed before the end */
	bool saw_stop;
};

static void *producer(void *arg)
{
	struct run *r = arg;
	int i = 0;
	for (;; i++) {
		struct blk *b = relay_take_empty(r->relay);
		b->seq = i;
		b->last = i == r->n - 1 || relay_stopped(r->relay);
		if (relay_stopped(r->relay))
			r->saw_stop = true;
		relay_pass(r->relay, b);
		if (b->last)
			break;
	}
	r->passed = i + 1;
	return NULL;
}

static void test_order(void **state)
{
	(void)state;
	struct blk blocks[3];
	void *ptrs[3] = { &blocks[0], &blocks[1], &blocks[2] };
	struct run r = { .n = 10000 };
	assert_non_null(r.relay = relay_new(ptrs, 3));
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
	int expect = 0;
	for (;;) {
		struct blk *b = relay_take_full(r.relay);
		assert_int_equal(b->seq, expect);
		expect++;
		bool last = b->last;
		relay_give_back(r.relay, b);
		if (last)
			break;
	}
	pthread_join(t, NULL);
	assert_int_equal(expect, 10000);
	assert_false(r.saw_stop);
	relay_free(r.relay);
}

static void test_stop(void **state)
{
	(void)state;
	struct blk blocks[2];
	void *ptrs[2] = { &blocks[0], &blocks[1] };
	struct run r = { .n = 1000000 };
	assert_non_null(r.relay = relay_new(ptrs, 2));
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
	int taken = 0;
	for (;;) {
		struct blk *b = relay_take_full(r.relay);
		if (++taken == 5)
			relay_stop(r.relay);
		bool last = b->last;
		relay_give_back(r.relay, b);
		if (last)
			break;
	}
	pthread_join(t, NULL);
	assert_true(r.saw_stop);
	assert_true(r.passed < 1000000);
	assert_int_equal(taken, r.passed);
	relay_free(r.relay);
}

static void test_bounds(void **state)
{
	(void)state;
	void *ptrs[RELAY_MAX + 1] = { 0 };
	assert_null(relay_new(ptrs, 0));
	assert_null(relay_new(ptrs, RELAY_MAX + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests_name("relay", tests, NULL, NULL);
}
