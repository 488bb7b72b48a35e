/* Unit tests for stage/validate: rules applied, errors counted and kept. */
#include "unit.h"
#include "stage/validate.h"

static struct schema *schema;

static const char *schema_text =
	"file_name ^t_(?<date>[0-9]{8})\\.csv$\n"
	"file_date yyyymmdd\n"
	"column id\n\trequired\n\tunique\n"
	"column kind\n\trequired\n\tvalues card|cash\n"
	"column card\n\twhen kind=card required\n\twhen kind=cash empty\n\tluhn\n\tmask\n"
	"column amount\n\tmoney decimals=2 min=0.01\n"
	"column at\n\ttimestamp\n\twithin_file_date\n";

static int setup(void **state)
{
	if (unit_tmpdir_setup(state))
		return -1;
	struct err e = { 0 };
	const char *path = unit_write_str("t.schema", schema_text);
	return schema_load(&schema, path, &e);
}

static int teardown(void **state)
{
	schema_free(schema);
	return unit_tmpdir_teardown(state);
}

static int run(const char *name, const char *content, const struct validate_opts *o,
	       struct validation *v)
{
	const char *path = unit_write_str(name, content);
	struct err e = { 0 };
	return validate_file(schema, path, o, v, &e);
}

static const struct verror *find(const struct validation *v, uint64_t row, enum rule r)
{
	for (size_t i = 0; i < v->nshown; i++)
		if (v->shown[i].row == row && v->shown[i].rule == r)
			return &v->shown[i];
	return NULL;
}

#define RULE(kind) ((enum rule)(RULE_CHECK_BASE + (kind)))

static void test_valid_file(void **state)
{
	(void)state;
	struct validation v;
	assert_int_equal(run("t_20261005.csv",
			     "at,amount,card,kind,id\n"
			     "2026-10-05T10:00:00+02:00,1.00,79927398713,card,A\n"
			     "2026-10-04T22:00:00Z,2.50,,cash,B\n",
			     NULL, &v),
			 0);
	assert_int_equal(v.nerrors, 0);
	assert_int_equal(v.rows, 2);
	assert_true(v.dated);
	assert_int_equal(v.file_date, date_from_civil(2026, 10, 5));
	validation_release(&v);
}

static void test_conditional_rules(void **state)
{
	(void)state;
	struct validation v;
	assert_int_equal(run("t_20261005.csv",
			     "id,kind,card,amount,at\n"
			     "A,card,,1.00,2026-10-05T10:00:00+02:00\n"
			     "B,cash,79927398713,1.00,2026-10-05T10:00:00+02:00\n"
			     "C,card,79927398710,0.00,2026-10-05T10:00:00+02:00\n",
			     NULL, &v),
			 0);
	assert_int_equal(v.nerrors, 4);
	assert_non_null(find(&v, 2, RULE(CHECK_REQUIRED)));
	const struct verror *e = find(&v, 3, RULE(CHECK_EMPTY));
	assert_non_null(e);
	assert_string_equal(e->column, "card");
	assert_string_equal(e->received, "*******8713"); /* masked */
	assert_non_null(find(&v, 4, RULE(CHECK_LUHN)));
	e = find(&v, 4, RULE(CHECK_MONEY));
	assert_non_null(e);
	assert_string_equal(e->expected, "at least 0.01");
	validation_release(&v);
}

static void test_within_file_date_and_name(void **state)
{
	(void)state;
	struct validation v;
	const char *body = "id,kind,card,amount,at\nA,cash,,1.00,2026-10-05T22:00:00Z\n";
	assert_int_equal(run("t_20261005.csv", body, NULL, &v), 0);
	assert_int_equal(v.nerrors, 1);
	assert_non_null(find(&v, 2, RULE(CHECK_WITHIN_FILE_DATE)));
	validation_release(&v);
	/* A name without a date is one file_name error; the dates are then not
	 * compared (there is nothing to compare with). */
	assert_int_equal(run("undated.csv", body, NULL, &v), 0);
	assert_int_equal(v.nerrors, 1);
	assert_int_equal(v.by_rule[RULE_FILE_NAME], 1);
	assert_false(v.dated);
	validation_release(&v);
}

static void test_late_duplicates_are_shown_in_order(void **state)
{
	(void)state;
	/* 3,000 rows cycling through ids 1..1000: the 2,000 rows after the
	 * first thousand are duplicates, and every row from 2001 on also has
	 * a bad kind. A 32 KiB budget spills the key set, so duplicates are
	 * found only at the end; the first 100 errors by row must still be the
	 * duplicates at records 1002..1101 (data row i is record i + 1). */
	size_t cap = 3000 * 64 + 64, len = 0;
	char *body = malloc(cap);
	len += (size_t)snprintf(body, cap, "id,kind,card,amount,at\n");
	for (int i = 1; i <= 3000; i++) {
		int id = (i - 1) % 1000 + 1;
		len += (size_t)snprintf(body + len, cap - len,
					"ID%d,%s,,1.00,2026-10-05T10:00:00Z\n", id,
					i > 2000 ? "bogus" : "cash");
	}
	struct validation v;
	struct validate_opts o = { .keyset_budget = 32 * 1024 };
	assert_int_equal(run("t_20261005.csv", body, &o, &v), 0);
	free(body);
	assert_int_equal(v.nerrors, 2000 + 1000);
	assert_int_equal(v.by_rule[RULE_UNIQUE], 2000);
	assert_int_equal(v.by_rule[RULE(CHECK_VALUES)], 1000);
	assert_int_equal(v.nshown, VALIDATE_SHOWN);
	for (size_t i = 0; i < v.nshown; i++) {
		assert_int_equal(v.shown[i].rule, RULE_UNIQUE);
		assert_int_equal(v.shown[i].row, 1002 + i);
	}
	assert_string_equal(v.shown[0].message, "duplicate of row 2");
	validation_release(&v);
}

static void test_stopped_read_keeps_what_it_found(void **state)
{
	(void)state;
	struct validation v;
	assert_int_equal(run("t_20261005.csv",
			     "id,kind,card,amount,at\n"
			     "A,nope,,1.00,2026-10-05T10:00:00+02:00\n"
			     "B,cash,,1.00,\"2026-10-05T10:00:00+02:00\n",
			     NULL, &v),
			 0);
	assert_true(v.stopped);
	assert_int_equal(v.nerrors, 2);
	assert_non_null(find(&v, 2, RULE(CHECK_VALUES)));
	assert_non_null(find(&v, 3, RULE_UNTERMINATED_QUOTE));
	validation_release(&v);
}

static void test_unreadable_is_not_a_verdict(void **state)
{
	(void)state;
	struct validation v;
	struct err e = { 0 };
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/t_20261005_missing.csv", unit_tmpdir);
	assert_int_equal(validate_file(schema, path, NULL, &v, &e), -KASI_ENOINPUT);
	validation_release(&v);
}

static int count_rows(void *ctx, const struct vrow *row)
{
	(void)row;
	(*(int *)ctx)++;
	return 0;
}

/* Regression: `kasi load products policies.csv` crashed, because the row
 * handler ran on rows whose header lacked the columns it reads. A header
 * that fails (missing, unknown or repeated column) keeps every row from
 * the handler, on either thread, while the rows are still checked. */
static void test_bad_header_never_reaches_the_row_handler(void **state)
{
	(void)state;
	static const char *const bodies[] = {
		"id,kind,card,amount\nA,nope,,1.00\n",		     /* missing */
		"id,kind,card,amount,at,extra\nA,nope,,1.00,,x\n",   /* unknown */
		"id,kind,card,amount,at,kind\nA,nope,,1.00,,cash\n", /* repeated */
		"id,kind,card,amount,When\nA,nope,,1.00,\n",	     /* renamed */
	};
	static const enum rule rules[] = { RULE_MISSING_COLUMN, RULE_UNKNOWN_COLUMN,
					   RULE_DUPLICATE_COLUMN, RULE_MISSING_COLUMN };
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		for (int threaded = 0; threaded < 2; threaded++) {
			int calls = 0;
			struct validate_opts o = { .on_row = count_rows,
						   .ctx = &calls,
						   .row_thread = threaded,
						   .row_sha256 = true };
			struct validation v;
			assert_int_equal(run("t_20261005.csv", bodies[i], &o, &v), 0);
			assert_int_equal(calls, 0);
			assert_true(v.by_rule[rules[i]] >= 1);
			assert_non_null(find(&v, 2, RULE(CHECK_VALUES))); /* rows still checked */
			assert_int_equal(v.rows, 1);
			validation_release(&v);
		}
	}
	/* The same rows under a good header do reach it. */
	int calls = 0;
	struct validate_opts o = { .on_row = count_rows, .ctx = &calls };
	struct validation v;
	assert_int_equal(run("t_20261005.csv", "id,kind,card,amount,at\nA,nope,,1.00,\n", &o, &v),
			 0);
	assert_int_equal(calls, 1);
	validation_release(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_file),
		cmocka_unit_test(test_conditional_rules),
		cmocka_unit_test(test_within_file_date_and_name),
		cmocka_unit_test(test_late_duplicates_are_shown_in_order),
		cmocka_unit_test(test_stopped_read_keeps_what_it_found),
		cmocka_unit_test(test_unreadable_is_not_a_verdict),
		cmocka_unit_test(test_bad_header_never_reaches_the_row_handler),
	};
	return cmocka_run_group_tests_name("validate", tests, setup, teardown);
}
