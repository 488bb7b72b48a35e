/* Unit tests for io/regex: whole-value matching under limits. */
#include "unit.h"
#include "io/regex.h"

static struct regex_matcher *m;

static int setup(void **state)
{
	(void)state;
	m = regex_matcher_new();
	return m ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	regex_matcher_free(m);
	return 0;
}

static enum regex_result match(const char *pattern, const char *subject)
{
	struct regex *re;
	struct err e = { 0 };
	assert_int_equal(regex_compile(&re, pattern, strlen(pattern), &e), 0);
	enum regex_result r = regex_match(re, m, subject, strlen(subject));
	regex_free(re);
	return r;
}

static void test_whole_value(void **state)
{
	(void)state;
	assert_int_equal(match("\\d+", "123"), REGEX_MATCH);
	assert_int_equal(match("\\d+", "123a"), REGEX_NOMATCH);
	assert_int_equal(match("\\d+", "a123"), REGEX_NOMATCH);
	assert_int_equal(match("^9\\d{13}$", "91234567890103"), REGEX_MATCH);
	assert_int_equal(match("^9\\d{13}$", "9123412345678"), REGEX_NOMATCH);
	assert_int_equal(match("topup|cashout", "topupx"), REGEX_NOMATCH);
}

static void test_dollar_never_before_newline(void **state)
{
	(void)state;
	/* A quoted field can end in a newline; "$" must not let it through. */
	assert_int_equal(match("^\\d+$", "123\n"), REGEX_NOMATCH);
	assert_int_equal(match("\\d+", "123\n"), REGEX_NOMATCH);
}

static void test_utf8_aware(void **state)
{
	(void)state;
	assert_int_equal(match("^.{4}$", "Caf\xC3\xA9"), REGEX_MATCH);
	assert_int_equal(match("^[^\\x00-\\x1F\\x7F-\\x{9F}]+$", "Caf\xC3\xA9 \xE2\x80\x93 ok"),
			 REGEX_MATCH);
	assert_int_equal(match("^[^\\x00-\\x1F\\x7F-\\x{9F}]+$", "bad\ttab"), REGEX_NOMATCH);
	/* \d stays ASCII: Arabic-Indic digits are not digits here. */
	assert_int_equal(match("^\\d+$", "\xD9\xA1\xD9\xA2"), REGEX_NOMATCH);
}

static void test_catastrophic_pattern_gives_up(void **state)
{
	(void)state;
	char subject[64];
	memset(subject, 'a', 48);
	subject[48] = 'b';
	subject[49] = '\0';
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(match("^(a+)+$", subject), REGEX_LIMIT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Not a timing assertion of performance, a guard against a hang:
	 * 2^48 steps would take days. */
	assert_true(t1.tv_sec - t0.tv_sec < 30);
}

static void test_named_group(void **state)
{
	(void)state;
	struct regex *re;
	struct err e = { 0 };
	const char *p = "^easypay_recon_(?<date>[0-9]{8})\\.csv(\\.gz)?$";
	assert_int_equal(regex_compile(&re, p, strlen(p), &e), 0);
	assert_true(regex_has_group(re, "date"));
	assert_false(regex_has_group(re, "time"));
	const char *name = "easypay_recon_20261005.csv.gz";
	assert_int_equal(regex_match(re, m, name, strlen(name)), REGEX_MATCH);
	size_t start, len;
	assert_true(regex_group(re, m, "date", &start, &len));
	assert_int_equal(start, 14);
	assert_int_equal(len, 8);
	assert_false(regex_group(re, m, "time", &start, &len));
	regex_free(re);
}

static void test_compile_errors_say_where(void **state)
{
	(void)state;
	struct regex *re = (struct regex *)1;
	struct err e = { 0 };
	assert_int_equal(regex_compile(&re, "^[0-9", 5, &e), -KASI_ECONFIG);
	assert_null(re);
	assert_non_null(strstr(e.msg, "at offset 5"));
	assert_int_equal(regex_compile(&re, "a(b", 3, &e), -KASI_ECONFIG);
	assert_non_null(strstr(e.msg, "bad pattern"));
}

static void test_jit_is_used(void **state)
{
	(void)state;
	/* The validation benchmark depends on it (PCRE2 JIT on x86-64). */
	struct regex *re;
	struct err e = { 0 };
	assert_int_equal(regex_compile(&re, "^[A-Za-z0-9_-]+$", 16, &e), 0);
	assert_true(regex_is_jit(re));
	assert_string_equal(regex_source(re), "^[A-Za-z0-9_-]+$");
	regex_free(re);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_value),
		cmocka_unit_test(test_dollar_never_before_newline),
		cmocka_unit_test(test_utf8_aware),
		cmocka_unit_test(test_catastrophic_pattern_gives_up),
		cmocka_unit_test(test_named_group),
		cmocka_unit_test(test_compile_errors_say_where),
		cmocka_unit_test(test_jit_is_used),
	};
	return cmocka_run_group_tests_name("regex", tests, setup, teardown);
}
