/* Unit tests for core/strmap and core/arena. */
#include "unit.h"
#include "core/arena.h"
#include "core/strmap.h"

static void test_put_get_replace(void **state)
{
	(void)state;
	struct strmap *m = strmap_new();
	uint32_t v = 0;
	assert_false(strmap_get(m, "s164061", 7, &v));
	assert_int_equal(strmap_put(m, "s164061", 7, 1), 0);
	assert_int_equal(strmap_put(m, "c164061", 7, 2), 0);
	assert_true(strmap_get(m, "s164061", 7, &v));
	assert_int_equal(v, 1);
	assert_true(strmap_get(m, "c164061", 7, &v));
	assert_int_equal(v, 2);
	assert_int_equal(strmap_put(m, "s164061", 7, 9), 0);
	assert_true(strmap_get(m, "s164061", 7, &v));
	assert_int_equal(v, 9);
	assert_int_equal(strmap_count(m), 2);
	/* A prefix is another key; bytes, not C strings. */
	assert_false(strmap_get(m, "s16406", 6, &v));
	assert_int_equal(strmap_put(m, "a\0b", 3, 5), 0);
	assert_false(strmap_get(m, "a\0c", 3, &v));
	assert_true(strmap_get(m, "a\0b", 3, &v));
	strmap_free(m);
}

static void test_growth(void **state)
{
	(void)state;
	struct strmap *m = strmap_new();
	char key[32];
	for (uint32_t i = 0; i < 200000; i++) {
		int n = snprintf(key, sizeof(key), "POL-%u", i);
		assert_int_equal(strmap_put(m, key, (size_t)n, i), 0);
	}
	assert_int_equal(strmap_count(m), 200000);
	for (uint32_t i = 0; i < 200000; i += 7) {
		uint32_t v;
		int n = snprintf(key, sizeof(key), "POL-%u", i);
		assert_true(strmap_get(m, key, (size_t)n, &v));
		assert_int_equal(v, i);
	}
	strmap_free(m);
}

/* Presized for fewer keys than it gets: it still grows; every key is
 * found with its own value, and keys never put are not. */
static void test_sized(void **state)
{
	(void)state;
	struct strmap *m = strmap_new_sized(5000);
	char key[32];
	for (uint32_t i = 0; i < 50000; i++) {
		int n = snprintf(key, sizeof(key), "s%u", 1000000 + i * 3);
		assert_int_equal(strmap_put(m, key, (size_t)n, i), 0);
	}
	assert_int_equal(strmap_count(m), 50000);
	for (uint32_t i = 0; i < 50000; i++) {
		uint32_t v = UINT32_MAX;
		int n = snprintf(key, sizeof(key), "s%u", 1000000 + i * 3);
		assert_true(strmap_get(m, key, (size_t)n, &v));
		assert_int_equal(v, i);
		n = snprintf(key, sizeof(key), "s%u", 1000000 + i * 3 + 1);
		assert_false(strmap_get(m, key, (size_t)n, &v));
	}
	/* Binary keys (a fact id's bytes) work as well as text. */
	int64_t id = 42LL << 32 | 7;
	assert_int_equal(strmap_put(m, (const char *)&id, sizeof(id), 9), 0);
	uint32_t v;
	assert_true(strmap_get(m, (const char *)&id, sizeof(id), &v));
	assert_int_equal(v, 9);
	strmap_free(m);
}

static void test_arena_reset(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	arena_reset(a); /* nothing yet: nothing to do */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 50000; i++)
			assert_non_null(arena_strdup(a, "a string of some length"));
		const char *x = arena_strdup(a, "kept until the next reset");
		assert_string_equal(x, "kept until the next reset");
		arena_reset(a);
	}
	assert_string_equal(arena_strdup(a, "after"), "after");
	arena_free(a);
}

static void test_arena(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	const char *x = arena_strdup(a, "hello");
	const char *y = arena_strndup(a, "world!!", 5);
	assert_string_equal(x, "hello");
	assert_string_equal(y, "world");
	assert_null(arena_strdup(a, NULL));
	/* Larger than a chunk, and many small ones: earlier strings stay put. */
	char *big = malloc(600000);
	memset(big, 'z', 599999);
	big[599999] = '\0';
	const char *b = arena_strdup(a, big);
	for (int i = 0; i < 100000; i++)
		arena_strdup(a, "filler");
	assert_string_equal(x, "hello");
	assert_int_equal(strlen(b), 599999);
	free(big);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_replace), cmocka_unit_test(test_growth),
		cmocka_unit_test(test_sized),		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_arena_reset),
	};
	return cmocka_run_group_tests_name("strmap", tests, NULL, NULL);
}
