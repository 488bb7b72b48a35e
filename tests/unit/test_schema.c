/* Unit tests for io/schema: the language, its errors, the shipped set. */
#include "unit.h"
#include "io/schema.h"

static const char *good = "# a comment\n"
			  "description Test kind\n"
			  "channel easypay\n"
			  "file_name ^test_(?<date>[0-9]{8})\\.csv(\\.gz)?$\n"
			  "file_date yyyymmdd\n"
			  "max_bytes 2MB\n"
			  "max_rows 10\n"
			  "\n"
			  "column id\n"
			  "\trequired\n"
			  "\tmax_length 10\n"
			  "\tpattern ^[A-Z] [0-9]+$\n"
			  "\tunique\n"
			  "column kind\n"
			  "\tvalues a|b|\n"
			  "column ref\n"
			  "  when kind=a required\n"
			  "  when kind=b|c empty\n"
			  "  mask\n"
			  "column amount\n"
			  "\tmoney decimals=0-2 min=-5.00 max=100\n"
			  "column at\n"
			  "\ttimestamp\n"
			  "\twithin_file_date\n"
			  "key kind ref\n"
			  "map transaction_id id\n"
			  "map amount amount\n";

static struct schema *load_text(const char *name, const char *text, struct err *e, int *rc)
{
	const char *path = unit_write_str(name, text);
	struct schema *s = NULL;
	*rc = schema_load(&s, path, e);
	return s;
}

static void test_parses_every_part(void **state)
{
	(void)state;
	struct err e = { 0 };
	int rc;
	struct schema *s = load_text("test.schema", good, &e, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(s->name, "test");
	assert_string_equal(s->description, "Test kind");
	assert_string_equal(s->channel, "easypay");
	assert_true(s->file_dated);
	assert_int_equal(s->file_date_format, DATE_FMT_COMPACT);
	assert_int_equal(s->max_bytes, 2000000);
	assert_int_equal(s->max_rows, 10);
	assert_false(s->extra_columns);
	assert_int_equal(s->ncolumns, 5);

	const struct schema_column *id = &s->columns[0];
	assert_string_equal(id->name, "id");
	assert_int_equal(id->nchecks, 3);
	assert_int_equal(id->checks[0].kind, CHECK_REQUIRED);
	assert_int_equal(id->checks[1].kind, CHECK_MAX_LENGTH);
	assert_int_equal(id->checks[1].u.length, 10);
	assert_int_equal(id->checks[2].kind, CHECK_PATTERN);
	/* The pattern is the rest of the line, spaces included. */
	assert_string_equal(regex_source(id->checks[2].u.pattern), "^[A-Z] [0-9]+$");
	assert_int_equal(id->checks[2].line, 12);

	const struct schema_column *kind = &s->columns[1];
	assert_int_equal(kind->checks[0].u.values.n, 3);
	assert_string_equal(kind->checks[0].u.values.items[2], "");

	const struct schema_column *ref = &s->columns[2];
	assert_true(ref->mask);
	assert_int_equal(ref->nchecks, 2);
	assert_non_null(ref->checks[0].when);
	assert_int_equal(ref->checks[0].when->column, 1);
	assert_int_equal(ref->checks[1].when->nvalues, 2);
	assert_string_equal(ref->checks[1].when->values[1], "c");

	const struct schema_check *money = &s->columns[3].checks[0];
	assert_int_equal(money->u.money.rule.min_decimals, 0);
	assert_int_equal(money->u.money.rule.max_decimals, 2);
	assert_true(money->u.money.rule.allow_negative);
	assert_int_equal(money->u.money.min, -500);
	assert_int_equal(money->u.money.max, 10000);

	assert_int_equal(s->nkeys, 2); /* `unique` on id, then `key kind ref` */
	assert_int_equal(s->keys[0].ncolumns, 1);
	assert_int_equal(s->keys[1].ncolumns, 2);
	assert_int_equal(s->keys[1].columns[1], 2);
	assert_int_equal(s->map[CANON_TRANSACTION_ID], 0);
	assert_int_equal(s->map[CANON_AMOUNT], 3);
	assert_int_equal(s->map[CANON_REFERENCE], -1);
	schema_free(s);
}

/* Replace line `line` (1-based) of the good schema with `with`, or insert
 * it before that line when `insert` is set. */
static char *edit_good(int line, const char *with, bool insert)
{
	static char buf[8192];
	size_t len = 0;
	const char *p = good;
	for (int n = 1; *p; n++) {
		const char *end = strchr(p, '\n');
		size_t l = (size_t)(end - p) + 1;
		if (n == line) {
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", with);
			if (!insert) {
				p += l;
				continue;
			}
		}
		memcpy(buf + len, p, l);
		len += l;
		p += l;
	}
	buf[len] = '\0';
	return buf;
}

static void expect_error(const char *text, const char *where, const char *what)
{
	struct err e = { 0 };
	int rc;
	struct schema *s = load_text("bad.schema", text, &e, &rc);
	assert_null(s);
	assert_int_equal(rc, -KASI_ECONFIG);
	if (!strstr(e.msg, where) || !strstr(e.msg, what))
		fail_msg("expected '%s' ... '%s', got '%s'", where, what, e.msg);
}

static void test_errors_name_the_line(void **state)
{
	(void)state;
	expect_error(edit_good(2, "descriptoin Test", false),
		     "bad.schema:2:", "unknown directive 'descriptoin'");
	expect_error(edit_good(11, "\tmax_length ten", false),
		     "bad.schema:11:", "max_length: expected a positive whole number");
	expect_error(edit_good(11, "\tmax_length 0", false), "bad.schema:11:", "max_length");
	expect_error(edit_good(12, "\tpattern ^[A-Z", false),
		     "bad.schema:12:", "missing terminating ]");
	expect_error(edit_good(12, "\tpattern", false),
		     "bad.schema:12:", "a regular expression must follow");
	expect_error(edit_good(12, "\tfrobnicate", false),
		     "bad.schema:12:", "unknown column attribute 'frobnicate'");
	expect_error(edit_good(21, "\tmoney min=1.00", false),
		     "bad.schema:21:", "decimals= is required");
	expect_error(edit_good(21, "\tmoney decimals=5", false),
		     "bad.schema:21:", "decimals must be");
	expect_error(edit_good(21, "\tmoney decimals=2 min=5.00 max=1.00", false),
		     "bad.schema:21:", "min is above max");
	expect_error(edit_good(21, "\tmoney decimals=2 min=1,00", false),
		     "bad.schema:21:", "min must be an amount");
	expect_error(edit_good(21, "\tinteger min=x", false), "bad.schema:21:", "whole number");
	expect_error(edit_good(23, "\tdate dd/mm/yyyy", false), "bad.schema:23:", "unknown format");
	expect_error(edit_good(17, "  when nosuch=a required", false),
		     "bad.schema:17:", "no column named 'nosuch'");
	expect_error(edit_good(17, "  when ref=a required", false),
		     "bad.schema:17:", "cannot depend on itself");
	expect_error(edit_good(17, "  when kind required", false),
		     "bad.schema:17:", "expected COLUMN=VALUE");
	expect_error(edit_good(17, "  when kind=a", false),
		     "bad.schema:17:", "an attribute must follow");
	expect_error(edit_good(17, "  when kind=a unique", false),
		     "bad.schema:17:", "cannot be conditional");
	expect_error(edit_good(25, "key kind nosuch", false),
		     "bad.schema:25:", "no column named 'nosuch'");
	expect_error(edit_good(26, "map txn id", false), "bad.schema:26:", "unknown field 'txn'");
	expect_error(edit_good(27, "map transaction_id kind", false),
		     "bad.schema:27:", "'transaction_id' is mapped twice");
	/* The second declaration is the one at fault. */
	expect_error(edit_good(9, "column kind", false), "bad.schema:14:", "declared twice");
	expect_error(edit_good(5, "# no file_date", false),
		     "bad.schema:4:", "file_date is required");
	expect_error(edit_good(4, "file_name ^test\\.csv$", false),
		     "bad.schema:5:", "file_date is given but file_name has no");
	expect_error(edit_good(6, "max_bytes 2 MB", false), "bad.schema:6:", "max_bytes");
	expect_error(edit_good(7, "max_rows -1", false), "bad.schema:7:", "max_rows");
	expect_error(edit_good(10, "\tvalues", false), "bad.schema:10:", "values: expected");
	expect_error(edit_good(10, "\trequired please", false),
		     "bad.schema:10:", "unexpected 'please'");
	expect_error(edit_good(2, "required", false),
		     "bad.schema:2:", "unknown directive 'required'");
	expect_error("description only\nfile_name ^x$\n", "bad.schema:", "no columns are declared");
	expect_error("column a\n", "bad.schema:", "file_name is missing");
	expect_error("file_name ^x$\ncolumn at\n\ttimestamp\n\twithin_file_date\n",
		     "bad.schema:4:", "file_name carries no date");
	expect_error("file_name ^x_(?<date>[0-9]{8})$\nfile_date yyyymmdd\ncolumn "
		     "at\n\twithin_file_date\n",
		     "bad.schema:4:", "needs a date or timestamp check before it");
}

/* The flow directives: what a channel's rows mean, checked as a whole. */
static void test_flow_directives(void **state)
{
	(void)state;
	static const char *const base =
		"channel deb\n"
		"file_name ^deb\\.csv$\n"
		"column id\ncolumn t\ncolumn ref\ncolumn d\n\tdate yyyy-mm-dd\n"
		"column amt\n\tmoney decimals=2\ncolumn cyc\n\tdate yyyy-mm-dd\n"
		"map transaction_id id\nmap type t\nmap reference ref\n"
		"map date d\nmap amount amt\nmap cycle_date cyc\n";
	char text[2048];
	struct err e = { 0 };
	int rc;
	snprintf(text, sizeof(text),
		 "%slabel Deb Bureau\nflow debits\nmatch collection_ref\n"
		 "kind collected called debit type=C|D\nkind reversal type=R\namounts negative\n"
		 "link reference cycle_date\n",
		 base);
	struct schema *s = load_text("deb.schema", text, &e, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(s->flow.type, FLOW_DEBITS);
	assert_int_equal(s->flow.match, POLICY_KEY_COLLECTION_REF);
	assert_string_equal(schema_label(s), "Deb Bureau");
	assert_string_equal(schema_kind_word(s, FACT_COLLECTED), "debit");
	assert_string_equal(schema_kind_word(s, FACT_REVERSAL), "reversal");
	assert_true(s->flow.negative_amounts);
	const char *values[CANON_COUNT] = { 0 };
	values[CANON_TYPE] = "D";
	assert_int_equal(schema_fact_kind(s, values), FACT_COLLECTED);
	values[CANON_TYPE] = "R";
	assert_int_equal(schema_fact_kind(s, values), FACT_REVERSAL);
	values[CANON_TYPE] = "Z"; /* no rule: nothing to count */
	assert_int_equal(schema_fact_kind(s, values), FACT_IGNORED);
	schema_free(s);

	static const struct {
		const char *lines, *what;
	} bad[] = {
		{ "kind collected type=C\n", "flow directives without a 'flow'" },
		{ "flow debits\n", "at least one 'kind' rule" },
		{ "flow payments\nkind reversal type=R\n", "a payments flow has no reversal rows" },
		{ "flow debits\nkind collected colour=C\n", "unknown field 'colour'" },
		{ "flow debits\nkind collected amount=1\n", "on type, status or reason" },
		{ "flow debits\nkind collected status=1\n", "field 'status' is not mapped" },
		{ "flow debits\nkind spent type=C\n", "unknown kind 'spent'" },
		{ "flow instructions\nkind collected type=C\n",
		  "'order FIELD [FIELD]' is required" },
		{ "flow debits\nkind collected type=C\nlink original_id\n",
		  "'map original_id COLUMN' is required" },
		{ "flow payments\nkind collected type=C\namounts negative\n",
		  "belong to a debits flow" },
		{ "flow debits\nmatch collection_ref\nkind collected type=C\nkind reversal type=R\n",
		  "bad.schema:21: kind reversal: a reversal finds its original only through a 'link'" },
		{ "flow debits\nkind collected type=C\nledger two_sided\n",
		  "belongs to a payments flow" },
		{ "flow debits\nmatch phone\n", "match: expected policy_number" },
		{ "flow sideways\n", "flow: expected payments, debits, instructions or payouts" },
		{ "flow debits\nkind collected type=C\nfuture_dated amount\n",
		  "future_dated: expected date" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "%s%s", base, bad[i].lines);
		expect_error(text, "bad.schema:", bad[i].what);
	}
	/* Only a channel's schema has a flow. */
	expect_error("file_name ^x$\ncolumn a\nflow debits\nkind collected type=C\n", "bad.schema",
		     "only a channel's schema");
}

/* Regression: directives that make no sense were accepted: `match` given
 * twice (the last won), a payments flow with no `match` (it matched policy
 * numbers unasked), `match` in a schema with no `flow`, `amounts
 * positive` in a payments flow (only `negative` was refused), a
 * `future_dated` rule for a kind its flow never has, and a label or a
 * kind's word with control characters, printed raw by kasi explain. Each
 * is refused, naming its line. */
static void test_flow_directives_refused(void **state)
{
	(void)state;
	static const char *const base =
		"channel pay\n"
		"file_name ^pay\\.csv$\n"
		"column id\ncolumn st\ncolumn ref\ncolumn d\n\tdate yyyy-mm-dd\n"
		"column amt\n\tmoney decimals=2\n"
		"map transaction_id id\nmap status st\nmap reference ref\n"
		"map date d\nmap amount amt\n";
	/* base is 14 lines: the directives below start on line 15. */
	static const struct {
		const char *lines, *where, *what;
	} bad[] = {
		{ "flow payments\nmatch cash_code\nmatch policy_number\nkind collected status=ok\n",
		  ":17:", "match: given twice (first on line 16)" },
		{ "flow payments\nkind collected status=ok\n", ":15:",
		  "flow payments: 'match policy_number|collection_ref|cash_code' is required" },
		{ "match cash_code\n", "bad.schema:", "flow directives without a 'flow'" },
		{ "flow payments\nmatch cash_code\nkind collected status=ok\namounts positive\n",
		  ":18:", "link and amounts belong to a debits flow" },
		{ "flow payments\nmatch cash_code\nkind collected status=ok\n"
		  "future_dated date kind=reversal\n",
		  ":18:", "future_dated: a payments flow has no reversal rows" },
		{ "label Pay\x1b[31mRed\nflow payments\nmatch cash_code\nkind collected status=ok\n",
		  ":15:", "label: control characters" },
		{ "flow payments\nmatch cash_code\nkind collected called pay\x07ment status=ok\n",
		  ":17:", "kind: what a channel calls a kind is printed as it is" },
		{ "flow payments\nmatch cash_code\nkind collected called pay\xc2\x9bment status=ok\n",
		  ":17:", "control characters" },
		{ "flow payments\nflow payments\n",
		  ":16:", "flow: given twice (first on line 15)" },
		{ "max_rows 5\nmax_rows 6\n", ":16:", "max_rows: given twice" },
		{ "link original_id\nlink original_id\n", ":16:", "link original_id: given twice" },
		{ "flow payments\nmatch cash_code\nkind collected status=a status=b status=c status=d status=e\n",
		  ":17:", "kind: at most 4 conditions" },
		{ "flow payments\nmatch cash_code\nkind collected status=a nosuch=b\n",
		  ":17:", "unknown field 'nosuch'" },
	};
	char text[4096];
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "%s%s", base, bad[i].lines);
		expect_error(text, bad[i].where, bad[i].what);
	}
	/* A description printed raw is refused too; a values list with a word
	 * after it frees what it parsed (make asan). */
	expect_error(edit_good(2, "description Test\x1b]0;owned\x07", false),
		     "bad.schema:2:", "description: control characters");
	expect_error(edit_good(15, "\tvalues a|b| extra", false),
		     "bad.schema:15:", "unexpected 'extra'");
	/* A payouts flow names kasi's own payouts: no `match`. */
	expect_error(
		"channel po\nfile_name ^po\\.csv$\ncolumn id\ncolumn d\n\tdate yyyy-mm-dd\n"
		"column st\ncolumn t\n\ttime hhmmss\ncolumn amt\n\tmoney decimals=2\n"
		"map transaction_id id\nmap reference id\nmap date d\nmap status st\n"
		"map status_time t\nmap amount amt\n"
		"flow payouts\nmatch cash_code\norder date status_time\nkind collected status=3\n",
		"bad.schema:18:", "match: a payouts flow names kasi's own payouts");
}

/* Regression: 100,000 `kind` lines were accepted, and each row of every
 * file was held against them all (ingest took 35 s). At most
 * FLOW_KIND_RULES. */
static void test_kind_rules_limited(void **state)
{
	(void)state;
	static const char *const base =
		"channel pay\nfile_name ^pay\\.csv$\n"
		"column id\ncolumn st\ncolumn d\n\tdate yyyy-mm-dd\n"
		"column amt\n\tmoney decimals=2\n"
		"map transaction_id id\nmap status st\nmap reference id\n"
		"map date d\nmap amount amt\nflow payments\nmatch cash_code\n";
	size_t size = strlen(base) + (FLOW_KIND_RULES + 1) * 40;
	char *text = malloc(size);
	assert_non_null(text);
	size_t len = (size_t)snprintf(text, size, "%s", base);
	for (int i = 0; i < FLOW_KIND_RULES; i++)
		len += (size_t)snprintf(text + len, size - len, "kind collected status=s%d\n", i);
	struct err e = { 0 };
	int rc;
	struct schema *s = load_text("many.schema", text, &e, &rc);
	if (rc)
		fail_msg("%s", e.msg);
	assert_int_equal(s->flow.nrules, FLOW_KIND_RULES);
	schema_free(s);
	snprintf(text + len, size - len, "kind collected status=one_too_many\n");
	char where[32];
	snprintf(where, sizeof(where), ":%d:", 16 + FLOW_KIND_RULES);
	expect_error(text, where, "kind: at most 64 rules");
	free(text);
}

/* Regression: a NUL byte in a schema line was silently accepted (the
 * check compared a length with itself); what followed it on the line was
 * dropped. */
static void test_nul_byte_refused(void **state)
{
	(void)state;
	char text[8192];
	size_t n = (size_t)snprintf(text, sizeof(text), "%s",
				    edit_good(12, "\tpattern ^[A-Z]X", false));
	char *x = strstr(text, "^[A-Z]X");
	assert_non_null(x);
	x[6] = '\0'; /* "pattern ^[A-Z]", a NUL, then the rest of the file */
	const char *path = unit_write("nul.schema", text, n);
	struct schema *s = NULL;
	struct err e = { 0 };
	assert_int_equal(schema_load(&s, path, &e), -KASI_ECONFIG);
	assert_null(s);
	if (!strstr(e.msg, "nul.schema:12:") || !strstr(e.msg, "a NUL byte in the line"))
		fail_msg("got '%s'", e.msg);
}

/* Regression: two schemas of one channel were caught only when a period
 * was reconciled, naming neither file nor line. The set refuses them when
 * it loads, naming both. */
static void test_one_schema_a_channel(void **state)
{
	(void)state;
	char dir[PATH_MAX + 8];
	snprintf(dir, sizeof(dir), "%s/twin", unit_tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	const char *text =
		"description twin\nchannel easypay\nfile_name ^t_[ab]\\.csv$\ncolumn id\n";
	unit_write("twin/a_one.schema", text, strlen(text));
	unit_write("twin/b_two.schema", text, strlen(text));
	struct schema_set *set = NULL;
	struct err e = { 0 };
	assert_int_equal(schema_set_load(&set, dir, &e), -KASI_ECONFIG);
	assert_null(set);
	if (!strstr(e.msg, "b_two.schema:2: channel easypay is described by ") ||
	    !strstr(e.msg, "a_one.schema:2 already"))
		fail_msg("got '%s'", e.msg);
}

static void test_schema_name_from_file(void **state)
{
	(void)state;
	struct err e = { 0 };
	int rc;
	assert_null(load_text("bad-name.schema", "file_name ^x$\ncolumn a\n", &e, &rc));
	assert_int_equal(rc, -KASI_ECONFIG);
	assert_non_null(strstr(e.msg, "NAME.schema"));
}

static void test_shipped_schemas(void **state)
{
	(void)state;
	const char *dir = getenv("KASI_SCHEMAS");
	assert_non_null(dir);
	struct schema_set *set;
	struct err e = { 0 };
	if (schema_set_load(&set, dir, &e) != 0)
		fail_msg("%s", e.msg);
	static const char *const kinds[] = { "products",
					     "policies",
					     "ledger",
					     "easypay_recon",
					     "softycomp_transactions",
					     "collexia_results",
					     "unpaid_reasons" };
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		assert_non_null(schema_set_find(set, kinds[i]));

	struct regex_matcher *m = regex_matcher_new();
	const struct schema *found[4];
	int32_t date;
	assert_int_equal(schema_set_match(set, m, "easypay_recon_20261005.csv", found, 4), 1);
	assert_string_equal(found[0]->name, "easypay_recon");
	assert_int_equal(schema_match_name(found[0], m, "easypay_recon_20261005.csv.gz", &date),
			 SCHEMA_NAME_MATCH);
	assert_int_equal(date, date_from_civil(2026, 10, 5));
	assert_int_equal(schema_match_name(found[0], m, "easypay_recon_20261305.csv", &date),
			 SCHEMA_NAME_BAD_DATE);
	assert_int_equal(schema_set_match(set, m, "easypay_recon_20261005.csv.bak", found, 4), 0);
	assert_int_equal(schema_set_match(set, m, "EASYPAY_RECON_20261005.csv", found, 4), 0);
	assert_int_equal(schema_set_match(set, m, "easypay_recon_2026105.csv", found, 4), 0);
	assert_int_equal(schema_set_match(set, m, "collexia_results_20261015.csv", found, 4), 1);
	assert_string_equal(found[0]->name, "collexia_results");
	assert_int_equal(
		schema_set_match(set, m, "softycomp_transactions_20261001.csv.gz", found, 4), 1);
	assert_int_equal(schema_set_match(set, m, "policies.csv", found, 4), 1);
	assert_int_equal(schema_set_match(set, m, "products_2026.csv", found, 4), 1);
	assert_int_equal(schema_set_match(set, m, "ledger.csv", found, 4), 1);
	assert_int_equal(schema_set_match(set, m, "bad\xC3(name.csv", found, 4), 0);
	regex_matcher_free(m);
	schema_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_every_part),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_flow_directives),
		cmocka_unit_test(test_flow_directives_refused),
		cmocka_unit_test(test_kind_rules_limited),
		cmocka_unit_test(test_nul_byte_refused),
		cmocka_unit_test(test_one_schema_a_channel),
		cmocka_unit_test(test_schema_name_from_file),
		cmocka_unit_test(test_shipped_schemas),
	};
	return cmocka_run_group_tests_name("schema", tests, unit_tmpdir_setup,
					   unit_tmpdir_teardown);
}
