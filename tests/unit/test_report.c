/* Unit tests for stage/report: safe cells, whole files, mode 0600. */
#include "unit.h"
#include "stage/report.h"

#include <zlib.h>

static const char *cell(const char *in)
{
	static char out[256];
	size_t n = report_cell(in, out, sizeof(out));
	assert_int_equal(n, strlen(out));
	return out;
}

static void test_plain_and_quoted_cells(void **state)
{
	(void)state;
	assert_string_equal(cell(""), "");
	assert_string_equal(cell("POL-1001"), "POL-1001");
	assert_string_equal(cell("Spar, Mamelodi"), "\"Spar, Mamelodi\"");
	assert_string_equal(cell("Joe's \"Best\""), "\"Joe's \"\"Best\"\"\"");
	assert_string_equal(cell("two\nlines"), "\"two\nlines\"");
}

static void test_formulas_are_neutralised(void **state)
{
	(void)state;
	/* What a spreadsheet would run: an apostrophe makes it text. */
	assert_string_equal(cell("=1+1"), "\"'=1+1\"");
	assert_string_equal(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
	assert_string_equal(cell("+27 21 140 7030"), "\"'+27 21 140 7030\"");
	assert_string_equal(cell("-abc"), "\"'-abc\"");
	assert_string_equal(cell("@SUM(A1:A9)"), "\"'@SUM(A1:A9)\"");
	assert_string_equal(cell("\tx"), "\"'\tx\"");
	assert_string_equal(cell("\rx"), "\"'\rx\"");
	/* Numbers stay numbers. */
	assert_string_equal(cell("-724.19"), "-724.19");
	assert_string_equal(cell("+5"), "+5");
	assert_string_equal(cell("0.00"), "0.00");
	/* Not numbers, not formulas. */
	assert_string_equal(cell("-"), "\"'-\"");
	assert_string_equal(cell("1.2.3"), "1.2.3");
}

static void test_file_is_whole_and_private(void **state)
{
	(void)state;
	char path[PATH_MAX + 32], final[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/r.csv", unit_tmpdir);
	struct report *r;
	struct err e = { 0 };
	assert_int_equal(report_open(&r, path, false, final, sizeof(final), &e), 0);
	assert_string_equal(final, path);
	const char *row[] = { "a", NULL, "=b" };
	assert_int_equal(report_row(r, row, 3, &e), 0);
	/* Not there until closed: a reader never sees half a report. */
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(report_close(r, &e), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	FILE *f = fopen(path, "r");
	char line[64];
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "a,,\"'=b\"\n");
}

static void test_gzip_and_abort(void **state)
{
	(void)state;
	char path[PATH_MAX + 32], final[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/z.csv", unit_tmpdir);
	struct report *r;
	struct err e = { 0 };
	assert_int_equal(report_open(&r, path, true, final, sizeof(final), &e), 0);
	assert_non_null(strstr(final, "z.csv.gz"));
	const char *row[] = { "x", "1.00" };
	assert_int_equal(report_row(r, row, 2, &e), 0);
	assert_int_equal(report_close(r, &e), 0);
	gzFile gz = gzopen(final, "rb");
	char buf[64] = { 0 };
	assert_int_equal(gzread(gz, buf, sizeof(buf) - 1), 7);
	gzclose(gz);
	assert_string_equal(buf, "x,1.00\n");

	/* An aborted report leaves nothing behind. */
	snprintf(path, sizeof(path), "%s/gone.csv", unit_tmpdir);
	assert_int_equal(report_open(&r, path, false, final, sizeof(final), &e), 0);
	report_row(r, row, 2, &e);
	report_abort(r);
	assert_int_not_equal(access(path, F_OK), 0);
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c tmp- >/dev/null", unit_tmpdir);
	assert_int_not_equal(system(cmd), 0); /* no temporary file either */
}

/* Rows longer than the line buffer, with the break falling before, on and
 * inside a cell: the file holds exactly the cells, in order. */
static void test_long_rows(void **state)
{
	(void)state;
	char path[PATH_MAX + 32], final[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/long.csv", unit_tmpdir);
	struct report *r;
	struct err e = { 0 };
	assert_int_equal(report_open(&r, path, false, final, sizeof(final), &e), 0);
	static char a[5000], b[4094], c[3];
	memset(a, 'a', sizeof(a) - 1);
	memset(b, 'b', sizeof(b) - 1);
	memset(c, 'c', sizeof(c) - 1);
	const char *rows[][3] = { { a, "x", "y" }, { b, c, "z" }, { "x", b, "=q" } };
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(report_row(r, rows[i], 3, &e), 0);
	assert_int_equal(report_close(r, &e), 0);
	FILE *f = fopen(path, "r");
	static char line[16384];
	static char want[16384];
	for (size_t i = 0; i < 3; i++) {
		assert_non_null(fgets(line, sizeof(line), f));
		snprintf(want, sizeof(want), "%s,%s,%s\n", rows[i][0], rows[i][1],
			 i == 2 ? "\"'=q\"" : rows[i][2]);
		assert_string_equal(line, want);
	}
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_quoted_cells),
		cmocka_unit_test(test_formulas_are_neutralised),
		cmocka_unit_test(test_file_is_whole_and_private),
		cmocka_unit_test(test_gzip_and_abort),
		cmocka_unit_test(test_long_rows),
	};
	return cmocka_run_group_tests_name("report", tests, unit_tmpdir_setup,
					   unit_tmpdir_teardown);
}
