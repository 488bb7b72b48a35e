/* Unit tests for io/csv: records as RFC 4180 and the file rules define them. */
#include "unit.h"
#include "core/text.h"
#include "io/csv.h"

#include <zlib.h>

/* Each record flattened to "record:field|field|..." (empty line: "3:"). */
struct collected {
	char rows[64][512];
	size_t nrows;
	size_t stop_after;    /* ask to stop after this many rows; 0: never */
	uint8_t text[64][16]; /* text status of the first 16 fields */
	size_t nfields[64];
};

static int collect(void *ctx, const struct csv_row *row)
{
	struct collected *c = ctx;
	if (c->nrows < ARRAY_SIZE(c->rows)) {
		char *out = c->rows[c->nrows];
		size_t len = (size_t)snprintf(out, 512, "%" PRIu64 ":", row->record);
		for (size_t i = 0; i < row->nstored && len < 500; i++) {
			size_t n = row->fields[i].len;
			if (len + n + 2 > 510)
				n = 510 - len - 2;
			if (i)
				out[len++] = '|';
			memcpy(out + len, row->fields[i].data, n);
			len += n;
			if (i < 16)
				c->text[c->nrows][i] = row->fields[i].text;
		}
		out[len] = '\0';
		c->nfields[c->nrows] = row->nfields;
	}
	c->nrows++;
	return c->stop_after && c->nrows >= c->stop_after;
}

static enum csv_result read_bytes(const void *data, size_t n, struct csv_limits lim,
				  struct collected *c, struct csv_reader **keep)
{
	const char *path = unit_write("in.csv", data, n);
	struct csv_reader *r;
	struct err e = { 0 };
	assert_int_equal(csv_reader_open(&r, path, &lim, &e), 0);
	enum csv_result res = csv_reader_run(r, collect, c);
	if (keep)
		*keep = r;
	else
		csv_reader_free(r);
	return res;
}

static enum csv_result read_str(const char *s, struct collected *c)
{
	return read_bytes(s, strlen(s), (struct csv_limits){ 0 }, c, NULL);
}

static void test_plain_records(void **state)
{
	(void)state;
	struct collected c = { 0 };
	assert_int_equal(read_str("a,b,c\n1,2,3\n4,,6\n", &c), CSV_DONE);
	assert_int_equal(c.nrows, 3);
	assert_string_equal(c.rows[0], "1:a|b|c");
	assert_string_equal(c.rows[1], "2:1|2|3");
	assert_string_equal(c.rows[2], "3:4||6");
	assert_int_equal(c.nfields[2], 3);
}

static void test_quoting(void **state)
{
	(void)state;
	struct collected c = { 0 };
	assert_int_equal(read_str("h1,h2\n\"Spar, Mamelodi\",\"Joe's \"\"Best\"\"\"\n"
				  "\"two\nlines\",\"\"\n",
				  &c),
			 CSV_DONE);
	assert_int_equal(c.nrows, 3);
	assert_string_equal(c.rows[1], "2:Spar, Mamelodi|Joe's \"Best\"");
	/* A quoted line break stays in the field; the record is still one. */
	assert_string_equal(c.rows[2], "3:two\nlines|");
}

static void test_spaces_are_data(void **state)
{
	(void)state;
	struct collected c = { 0 };
	assert_int_equal(read_str("a,b\n 150.00 ,\t x\t\n", &c), CSV_DONE);
	assert_string_equal(c.rows[1], "2: 150.00 |\t x\t");
	assert_int_equal(read_str("a\n   \n", &c), CSV_DONE);
}

static void test_line_ends_and_bom(void **state)
{
	(void)state;
	struct collected c = { 0 };
	assert_int_equal(read_str("\xEF\xBB\xBFh1,h2\r\n1,2\n3,4\r\n5,6", &c), CSV_DONE);
	assert_int_equal(c.nrows, 4);
	assert_string_equal(c.rows[0], "1:h1|h2"); /* BOM gone */
	assert_string_equal(c.rows[1], "2:1|2");
	assert_string_equal(c.rows[3], "4:5|6"); /* no final newline */
	struct csv_reader *r;
	memset(&c, 0, sizeof(c));
	const char *s = "\xEF\xBB\xBFh\n";
	read_bytes(s, strlen(s), (struct csv_limits){ 0 }, &c, &r);
	assert_true(csv_reader_had_bom(r));
	assert_int_equal(csv_reader_bytes(r), strlen(s));
	csv_reader_free(r);
}

/* Regression: a bare CR was taken for a line end. Lines end with LF or
 * CRLF; a CR outside quotes that no LF follows stops the read at the
 * record it ended, while a CR inside quotes stays data. */
static void test_bare_cr_stops_the_read(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint64_t record;
		size_t rows; /* handed over before the stop */
	} bad[] = {
		{ "h1,h2\r1,2\n", 1, 1 },	     /* Mac line ends */
		{ "h1,h2\n1,2\r3,4\n", 2, 2 },	     /* one among LFs */
		{ "h1,h2\r\n1,2\r\r\n", 2, 2 },	     /* CR CR LF */
		{ "h1,h2\n1,2\r", 2, 2 },	     /* the last byte */
		{ "h1,h2\nab\rcd,2\n", 2, 2 },	     /* inside an unquoted field */
		{ "h1,h2\n\r\n1,2\n\r3,4\n", 4, 3 }, /* a blank line's CR */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct collected c = { 0 };
		struct csv_reader *r;
		assert_int_equal(read_bytes(bad[i].text, strlen(bad[i].text),
					    (struct csv_limits){ 0 }, &c, &r),
				 CSV_EBARECR);
		assert_int_equal(csv_reader_problem_record(r), bad[i].record);
		assert_int_equal(c.nrows, bad[i].rows);
		assert_non_null(strstr(csv_reader_problem(r), "carriage return"));
		csv_reader_free(r);
	}
	struct collected c = { 0 };
	assert_int_equal(read_str("h1,h2\r\n\"a\rb\",\"c\r\"\n\"\r\",x\r\n", &c), CSV_DONE);
	assert_int_equal(c.nrows, 3);
	assert_string_equal(c.rows[1], "2:a\rb|c\r");
	assert_string_equal(c.rows[2], "3:\r|x");
}

static void test_blank_lines(void **state)
{
	(void)state;
	struct collected c = { 0 };
	/* Interior empty lines are handed over (no fields) at their row;
	 * trailing ones, LF or CRLF, are dropped. */
	assert_int_equal(read_str("h\r\n1\r\n\r\n2\n\n\n3\r\n\r\n\n", &c), CSV_DONE);
	assert_int_equal(c.nrows, 7);
	assert_string_equal(c.rows[2], "3:");
	assert_int_equal(c.nfields[2], 0);
	assert_string_equal(c.rows[3], "4:2");
	assert_string_equal(c.rows[4], "5:");
	assert_string_equal(c.rows[5], "6:");
	assert_string_equal(c.rows[6], "7:3");
	memset(&c, 0, sizeof(c));
	assert_int_equal(read_str("", &c), CSV_DONE);
	assert_int_equal(c.nrows, 0);
	assert_int_equal(read_str("\n\n", &c), CSV_DONE);
	assert_int_equal(c.nrows, 0);
}

static void test_text_checks(void **state)
{
	(void)state;
	struct collected c = { 0 };
	const char data[] = "a,b,c\nok,Caf\xC3(,x\0y\n";
	assert_int_equal(read_bytes(data, sizeof(data) - 1, (struct csv_limits){ 0 }, &c, NULL),
			 CSV_DONE);
	assert_int_equal(c.text[1][0], TEXT_OK);
	assert_int_equal(c.text[1][1], TEXT_BAD_UTF8);
	assert_int_equal(c.text[1][2], TEXT_NUL);
}

static void test_malformed_quoting_stops(void **state)
{
	(void)state;
	struct collected c = { 0 };
	struct csv_reader *r;
	const char *s = "h1,h2\n1,2\n3,ab\"c\n5,6\n";
	assert_int_equal(read_bytes(s, strlen(s), (struct csv_limits){ 0 }, &c, &r), CSV_EQUOTE);
	assert_int_equal(csv_reader_problem_record(r), 3);
	assert_non_null(strstr(csv_reader_problem(r), "field 2"));
	csv_reader_free(r);

	memset(&c, 0, sizeof(c));
	s = "h\n\"closed\"then-text\n";
	assert_int_equal(read_bytes(s, strlen(s), (struct csv_limits){ 0 }, &c, &r), CSV_EQUOTE);
	assert_int_equal(csv_reader_problem_record(r), 2);
	csv_reader_free(r);
	/* No space allowed after a closing quote either. */
	assert_int_equal(read_str("h\n\"a\" \n", &c), CSV_EQUOTE);
}

static void test_unterminated_quote(void **state)
{
	(void)state;
	struct collected c = { 0 };
	struct csv_reader *r;
	const char *s = "h1,h2\n1,2\n3,\"open\n4,5\n";
	assert_int_equal(read_bytes(s, strlen(s), (struct csv_limits){ 0 }, &c, &r),
			 CSV_EUNTERMINATED);
	assert_int_equal(c.nrows, 2);
	assert_int_equal(csv_reader_problem_record(r), 3);
	csv_reader_free(r);
}

static void test_byte_limit(void **state)
{
	(void)state;
	struct collected c = { 0 };
	char big[4096];
	memset(big, 'x', sizeof(big));
	for (size_t i = 99; i < sizeof(big); i += 100)
		big[i] = '\n';
	assert_int_equal(
		read_bytes(big, sizeof(big), (struct csv_limits){ .max_bytes = 4096 }, &c, NULL),
		CSV_DONE);
	assert_int_equal(
		read_bytes(big, sizeof(big), (struct csv_limits){ .max_bytes = 4095 }, &c, NULL),
		CSV_EBYTES);
}

static void test_field_limits(void **state)
{
	(void)state;
	struct collected c = { 0 };
	struct csv_reader *r;
	size_t n = 3000;
	char *s = malloc(n + 16);
	memcpy(s, "h\n", 2);
	memset(s + 2, 'y', n);
	memcpy(s + 2 + n, "\nz\n", 3);
	struct csv_limits lim = { .max_field_bytes = 2048 };
	assert_int_equal(read_bytes(s, n + 5, lim, &c, &r), CSV_EFIELD);
	assert_int_equal(csv_reader_problem_record(r), 2);
	csv_reader_free(r);
	free(s);

	/* More fields than max_fields: counted, the first ones kept. */
	char row[4096] = "h\n";
	size_t len = 2;
	for (int i = 0; i < 1500; i++)
		row[len++] = ',';
	row[len++] = '\n';
	memset(&c, 0, sizeof(c));
	assert_int_equal(read_bytes(row, len, (struct csv_limits){ .max_fields = 100 }, &c, NULL),
			 CSV_DONE);
	assert_int_equal(c.nfields[1], 1501);
}

static void test_callback_can_stop(void **state)
{
	(void)state;
	struct collected c = { .stop_after = 2 };
	assert_int_equal(read_str("a\nb\nc\nd\n", &c), CSV_STOPPED);
	assert_int_equal(c.nrows, 2);
}

static void test_gzip_by_magic(void **state)
{
	(void)state;
	const char *plain = "h1,h2\n1,2\n3,4\n";
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/data.csv", unit_tmpdir); /* no .gz name */
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, plain, (unsigned)strlen(plain)), (int)strlen(plain));
	assert_int_equal(gzclose(gz), Z_OK);

	struct csv_reader *r;
	struct err e = { 0 };
	struct collected c = { 0 };
	assert_int_equal(csv_reader_open(&r, path, &(struct csv_limits){ 0 }, &e), 0);
	assert_int_equal(csv_reader_run(r, collect, &c), CSV_DONE);
	assert_true(csv_reader_compressed(r));
	assert_int_equal(csv_reader_bytes(r), strlen(plain));
	assert_int_equal(c.nrows, 3);
	assert_string_equal(c.rows[2], "3:3|4");
	csv_reader_free(r);

	/* The same stream cut short is an error, not a shorter file. */
	FILE *f = fopen(path, "rb");
	char buf[256];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	memset(&c, 0, sizeof(c));
	assert_int_equal(read_bytes(buf, n - 6, (struct csv_limits){ 0 }, &c, NULL), CSV_EGZIP);
}

static void test_large_input_streams(void **state)
{
	(void)state;
	/* 200,000 records in many batches; the numbering never slips. */
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/big.csv", unit_tmpdir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 200000; i++)
		fprintf(f, "%d,\"quoted, %d\",tail\r\n", i, i);
	fclose(f);
	struct csv_reader *r;
	struct err e = { 0 };
	struct collected c = { 0 };
	assert_int_equal(csv_reader_open(&r, path, &(struct csv_limits){ 0 }, &e), 0);
	assert_int_equal(csv_reader_run(r, collect, &c), CSV_DONE);
	assert_int_equal(c.nrows, 200000);
	assert_int_equal(csv_reader_records(r), 200000);
	csv_reader_free(r);
}

/* Regression: a UTF-16 file gave 25 header errors full of \x00. Text in
 * UTF-16 or UTF-32, with a byte order mark or without (then told by the
 * NUL bytes beside its ASCII letters), stops the read before any record,
 * naming the encoding. */
static void test_wide_encodings_stop_the_read(void **state)
{
	(void)state;
	static const struct {
		const char *bytes;
		size_t len;
		const char *name;
	} cases[] = {
		{ "\xFF\xFEh\0,\0i\0\n\0", 10, "UTF-16 (little-endian)" },
		{ "\xFE\xFF\0h\0,\0i\0\n", 10, "UTF-16 (big-endian)" },
		{ "\xFF\xFE\0\0h\0\0\0\n\0\0\0", 12, "UTF-32 (little-endian)" },
		{ "\0\0\xFE\xFF\0\0\0h\0\0\0\n", 12, "UTF-32 (big-endian)" },
		{ "h\0,\0i\0\n\0", 8, "UTF-16 (little-endian)" },
		{ "\0h\0,\0i\0\n", 8, "UTF-16 (big-endian)" },
		{ "h\0\0\0\n\0\0\0", 8, "UTF-32 (little-endian)" },
		{ "\0\0\0h\0\0\0\n", 8, "UTF-32 (big-endian)" },
		{ "\xFF\xFE", 2, "UTF-16 (little-endian)" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct collected c = { 0 };
		struct csv_reader *r;
		assert_int_equal(
			read_bytes(cases[i].bytes, cases[i].len, (struct csv_limits){ 0 }, &c, &r),
			CSV_EENCODING);
		assert_int_equal(c.nrows, 0);
		assert_non_null(strstr(csv_reader_problem(r), cases[i].name));
		assert_non_null(strstr(csv_reader_problem(r), "not UTF-8"));
		csv_reader_free(r);
	}
	/* UTF-8 (with its BOM) is read; a NUL further on is the field's
	 * problem, not the file's encoding. */
	struct collected c = { 0 };
	assert_int_equal(
		read_bytes("\xEF\xBB\xBFh,i\nab\0,c\n", 13, (struct csv_limits){ 0 }, &c, NULL),
		CSV_DONE);
	assert_int_equal(c.nrows, 2);
	assert_int_equal(c.text[1][0], TEXT_NUL);
}

static void test_open_failures(void **state)
{
	(void)state;
	struct csv_reader *r;
	struct err e = { 0 };
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/none.csv", unit_tmpdir);
	assert_int_equal(csv_reader_open(&r, path, &(struct csv_limits){ 0 }, &e), -KASI_ENOINPUT);
	assert_null(r);
	assert_non_null(strstr(e.msg, "cannot open"));
	assert_int_equal(csv_reader_open(&r, unit_tmpdir, &(struct csv_limits){ 0 }, &e),
			 -KASI_ENOINPUT);
	assert_non_null(strstr(e.msg, "is a directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_records),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_spaces_are_data),
		cmocka_unit_test(test_line_ends_and_bom),
		cmocka_unit_test(test_bare_cr_stops_the_read),
		cmocka_unit_test(test_blank_lines),
		cmocka_unit_test(test_text_checks),
		cmocka_unit_test(test_malformed_quoting_stops),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_byte_limit),
		cmocka_unit_test(test_field_limits),
		cmocka_unit_test(test_callback_can_stop),
		cmocka_unit_test(test_gzip_by_magic),
		cmocka_unit_test(test_large_input_streams),
		cmocka_unit_test(test_wide_encodings_stop_the_read),
		cmocka_unit_test(test_open_failures),
	};
	return cmocka_run_group_tests_name("csv", tests, unit_tmpdir_setup, unit_tmpdir_teardown);
}
