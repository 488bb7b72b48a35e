/* Unit tests for io/keyset: exact duplicates, in memory and spilled. */
#include "unit.h"
#include "io/keyset.h"

struct pairs {
	uint64_t first[4096], row[4096];
	size_t n;
};

static void on_dup(void *ctx, uint64_t first, uint64_t row, const void *key, size_t n)
{
	(void)key;
	(void)n;
	struct pairs *p = ctx;
	assert_true(p->n < ARRAY_SIZE(p->first));
	p->first[p->n] = first;
	p->row[p->n] = row;
	p->n++;
}

static void test_in_memory(void **state)
{
	(void)state;
	struct keyset *ks;
	struct err e = { 0 };
	uint64_t first = 0;
	assert_int_equal(keyset_new(&ks, 0, &e), 0);
	assert_int_equal(keyset_add(ks, "EP_1", 4, 2, &first, &e), KEYSET_NEW);
	assert_int_equal(keyset_add(ks, "EP_2", 4, 3, &first, &e), KEYSET_NEW);
	assert_int_equal(keyset_add(ks, "EP_1", 4, 4, &first, &e), KEYSET_DUP);
	assert_int_equal(first, 2);
	/* The third sighting still points at the first. */
	assert_int_equal(keyset_add(ks, "EP_1", 4, 9, &first, &e), KEYSET_DUP);
	assert_int_equal(first, 2);
	/* Prefixes, empty keys and NUL bytes are keys like any other. */
	assert_int_equal(keyset_add(ks, "EP_", 3, 10, &first, &e), KEYSET_NEW);
	assert_int_equal(keyset_add(ks, "", 0, 11, &first, &e), KEYSET_NEW);
	assert_int_equal(keyset_add(ks, "", 0, 12, &first, &e), KEYSET_DUP);
	assert_int_equal(first, 11);
	assert_int_equal(keyset_add(ks, "a\0b", 3, 13, &first, &e), KEYSET_NEW);
	assert_int_equal(keyset_add(ks, "a\0c", 3, 14, &first, &e), KEYSET_NEW);
	struct pairs p = { .n = 0 };
	assert_int_equal(keyset_finish(ks, on_dup, &p, &e), 0);
	assert_int_equal(p.n, 0);
	assert_false(keyset_spilled(ks));
	keyset_free(ks);
}

static void test_growth_keeps_everything(void **state)
{
	(void)state;
	struct keyset *ks;
	struct err e = { 0 };
	uint64_t first;
	char key[32];
	assert_int_equal(keyset_new(&ks, 64u << 20, &e), 0);
	for (uint64_t i = 0; i < 100000; i++) {
		int n = snprintf(key, sizeof(key), "TXN-%08" PRIu64, i);
		assert_int_equal(keyset_add(ks, key, (size_t)n, i + 2, &first, &e), KEYSET_NEW);
	}
	for (uint64_t i = 0; i < 100000; i += 997) {
		int n = snprintf(key, sizeof(key), "TXN-%08" PRIu64, i);
		assert_int_equal(keyset_add(ks, key, (size_t)n, 200000 + i, &first, &e),
				 KEYSET_DUP);
		assert_int_equal(first, i + 2);
	}
	assert_false(keyset_spilled(ks));
	keyset_free(ks);
}

static void test_spilled_duplicates_are_exact(void **state)
{
	(void)state;
	/* A 64 KiB budget forces spilling (and nested spilling) early. 20,000
	 * keys at rows 1..20000; then every 7th of them again at rows
	 * 20001.., each of those a duplicate of exactly one earlier row. */
	struct keyset *ks;
	struct err e = { 0 };
	uint64_t first;
	char key[32];
	assert_int_equal(keyset_new(&ks, 64 * 1024, &e), 0);
	struct pairs *p = calloc(1, sizeof(*p));
	for (uint64_t i = 1; i <= 20000; i++) {
		int n = snprintf(key, sizeof(key), "K%" PRIu64, i);
		int rc = keyset_add(ks, key, (size_t)n, i, &first, &e);
		assert_true(rc == KEYSET_NEW || rc == KEYSET_DEFERRED);
	}
	assert_true(keyset_spilled(ks));
	uint64_t row = 20000;
	for (uint64_t i = 7; i <= 20000; i += 7) {
		int n = snprintf(key, sizeof(key), "K%" PRIu64, i);
		int rc = keyset_add(ks, key, (size_t)n, ++row, &first, &e);
		if (rc == KEYSET_DUP) {
			on_dup(p, first, row, key, (size_t)n);
		} else {
			assert_int_equal(rc, KEYSET_DEFERRED);
		}
	}
	assert_int_equal(keyset_finish(ks, on_dup, p, &e), 0);
	assert_int_equal(p->n, 20000 / 7);
	/* Each duplicate row is reported once, against the right first row. */
	bool *seen = calloc(row + 1, sizeof(bool));
	for (size_t k = 0; k < p->n; k++) {
		uint64_t r = p->row[k];
		assert_true(r > 20000 && r <= row);
		assert_false(seen[r]);
		seen[r] = true;
		assert_int_equal(p->first[k], (r - 20000) * 7);
	}
	/* A second finish reports nothing more. */
	size_t before = p->n;
	assert_int_equal(keyset_finish(ks, on_dup, p, &e), 0);
	assert_int_equal(p->n, before);
	free(seen);
	free(p);
	keyset_free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_memory),
		cmocka_unit_test(test_growth_keeps_everything),
		cmocka_unit_test(test_spilled_duplicates_are_exact),
	};
	return cmocka_run_group_tests_name("keyset", tests, NULL, NULL);
}
