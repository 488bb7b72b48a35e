/* Unit tests for core/text (UTF-8 checks, rendering) and core/json. */
#include "unit.h"
#include "core/json.h"
#include "core/text.h"

static enum text_status scan(const char *s, size_t n, uint32_t *cps)
{
	return text_scan(s, n, cps);
}

static void test_scan_counts_code_points(void **state)
{
	(void)state;
	uint32_t cps;
	assert_int_equal(scan("topup", 5, &cps), TEXT_OK);
	assert_int_equal(cps, 5);
	assert_int_equal(scan("Caf\xC3\xA9", 5, &cps), TEXT_OK); /* é: 2 bytes */
	assert_int_equal(cps, 4);
	assert_int_equal(scan("\xE2\x80\x93", 3, &cps), TEXT_OK); /* –: 3 bytes */
	assert_int_equal(cps, 1);
	assert_int_equal(scan("\xF0\x9F\x92\xB0", 4, &cps), TEXT_OK); /* 💰: 4 bytes */
	assert_int_equal(cps, 1);
	assert_int_equal(scan("", 0, &cps), TEXT_OK);
	assert_int_equal(cps, 0);
	/* Past the 8-byte fast path, with multi-byte text at its edges. */
	const char *mixed = "abcdefgh\xC3\xA9ijklmnopq\xE2\x80\x93rstuvwx";
	assert_int_equal(scan(mixed, strlen(mixed), &cps), TEXT_OK);
	assert_int_equal(cps, 8 + 1 + 9 + 1 + 7);
}

static void test_scan_rejects_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
		{ "\xC0\x80", 2 },	   /* overlong NUL */
		{ "\xC1\xBF", 2 },	   /* overlong */
		{ "\xE0\x80\xAF", 3 },	   /* overlong */
		{ "\xED\xA0\x80", 3 },	   /* surrogate */
		{ "\xF4\x90\x80\x80", 4 }, /* above U+10FFFF */
		{ "\xF5\x80\x80\x80", 4 },
		{ "\xFF", 1 },
		{ "\x80", 1 },	   /* lone continuation */
		{ "\xE2\x82", 2 }, /* truncated */
		{ "Caf\xC3(", 5 },
		{ "abcdefghij\xC3", 11 }, /* truncated after the fast path */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint32_t cps;
		if (scan(bad[i].s, bad[i].n, &cps) != TEXT_BAD_UTF8)
			fail_msg("case %zu was accepted", i);
	}
}

static void test_scan_finds_nul(void **state)
{
	(void)state;
	uint32_t cps;
	assert_int_equal(scan("a\0b", 3, &cps), TEXT_NUL);
	assert_int_equal(scan("abcdefghijk\0", 12, &cps), TEXT_NUL);
	assert_int_equal(scan("abcdefg\0ijklmnop", 16, &cps), TEXT_NUL);
	assert_int_equal(cps, 16);
}

static const char *render(const char *s, size_t n, bool mask)
{
	static char buf[TEXT_RENDER_BUFSZ];
	size_t len = text_render(s, n, mask, buf, sizeof(buf));
	assert_int_equal(len, strlen(buf));
	return buf;
}

static void test_render_masks_personal_values(void **state)
{
	(void)state;
	assert_string_equal(render("8001015009087", 13, true), "*********9087");
	assert_string_equal(render("62001234567", 11, true), "*******4567");
	assert_string_equal(render("12345", 5, true), "*2345");
	assert_string_equal(render("1234", 4, true), "****");
	assert_string_equal(render("12", 2, true), "**");
	assert_string_equal(render("", 0, true), "");
	/* Characters, not bytes: the last four of "José Ñkosi". */
	assert_string_equal(render("Jos\xC3\xA9 \xC3\x91kosi", 12, true), "******kosi");
}

/* Regression: an ID number in the premium column was printed whole
 * ("got '8001015009087'"): only the personal columns were masked. A run
 * of nine digits or more masks any value, whatever its column. */
static void test_render_masks_long_digit_runs(void **state)
{
	(void)state;
	assert_string_equal(render("8001015009087", 13, false), "*********9087");
	assert_string_equal(render("123456789", 9, false), "*****6789");
	assert_string_equal(render("id 800101500908 x", 17, false), "*************08 x");
	assert_string_equal(render("12345678", 8, false), "12345678"); /* eight: shown */
	assert_string_equal(render("150.00", 6, false), "150.00");
	assert_true(text_has_digit_run("x123456789", 10));
	assert_false(text_has_digit_run("12345678a1", 10));
}

/* Regression: phone numbers written as people write them ("082 999 8877",
 * "+27-82-999-8877") were shown whole: only unbroken runs of digits
 * counted. A single space or dash between digits is part of a run; a
 * date is not, nor are digits broken by anything else. */
static void test_digit_runs_across_separators(void **state)
{
	(void)state;
	assert_string_equal(render("082 999 8877", 12, false), "********8877");
	assert_string_equal(render("+27-82-999-8877", 15, false), "***********8877");
	assert_string_equal(render("1234-5678-9012", 14, false), "**********9012");
	assert_true(text_has_digit_run("call 27 82 999 8877 now", 23));
	assert_false(text_has_digit_run("082  999  8877", 14)); /* two spaces: three runs */
	assert_false(text_has_digit_run("082 -999 8877", 13));
	assert_false(text_has_digit_run("12345678 ", 9));
	assert_false(text_has_digit_run("-12345678", 9));
	/* Dates, times and amounts are shown. */
	assert_false(text_has_digit_run("2026-10-01", 10));
	assert_false(text_has_digit_run("2026-10-22 09:15:00+02:00", 25));
	assert_false(text_has_digit_run("2026-10-01 2026-10-31", 21));
	assert_false(text_has_digit_run("2026-10-01T00:00:00", 19));
	assert_false(text_has_digit_run("1 000 000.00", 12));
	assert_false(text_has_digit_run("0b5e8c3a-6f1d-4c2e-9a7b-1d2e3f4a5b60", 36));
	/* A date's shape inside a longer number is still a number. */
	assert_true(text_has_digit_run("12026-10-0199", 13));
}

/* Regression: a note an operator typed ("ID 800101 5009 087") kept its
 * number whole: only unbroken runs were masked there. Each run is masked
 * where it stands, as a message masks a value, but for its last four
 * digits; the text around it, dates and short numbers stay. */
static char *masked(const char *s)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s", s);
	text_mask_digit_runs(buf);
	return buf;
}

static void test_mask_digit_runs_in_text(void **state)
{
	(void)state;
	assert_string_equal(masked("id 8001015009087 ok"), "id *********9087 ok");
	assert_string_equal(masked("ID 800101 5009 087"), "ID ****** ***9 087");
	assert_string_equal(masked("call 082-999-8877 or 011 555 1234"),
			    "call ***-***-8877 or *** *** 1234");
	assert_string_equal(masked("ticket 12345678 on 2026-10-05"),
			    "ticket 12345678 on 2026-10-05");
	assert_string_equal(masked("123456789"), "*****6789");
	assert_string_equal(masked("a 12 34 b"), "a 12 34 b");
	assert_string_equal(masked(""), "");
}

static void test_text_value(void **state)
{
	(void)state;
	char buf[TEXT_RENDER_BUFSZ];
	assert_string_equal(text_value("62001234567", buf), "*******4567");
	assert_string_equal(text_value("FUNERAL_01", buf), "FUNERAL_01");
	assert_string_equal(text_value(NULL, buf), "");
}

static void test_render_escapes_and_cuts(void **state)
{
	(void)state;
	assert_string_equal(render("a\nb\tc\rd", 7, false), "a\\nb\\tc\\rd");
	assert_string_equal(render("Caf\xC3(", 5, false), "Caf\\xC3(");
	assert_string_equal(render("x\x01y\x7F", 4, false), "x\\x01y\\x7F");
	assert_string_equal(render("a\\b", 3, false), "a\\\\b");
	assert_string_equal(render("a\0b", 3, false), "a\\x00b");
	assert_string_equal(render("Caf\xC3\xA9", 5, false), "Caf\xC3\xA9");

	char longval[200];
	memset(longval, 'A', sizeof(longval));
	const char *r = render(longval, sizeof(longval), false);
	assert_int_equal(strspn(r, "A"), TEXT_RENDER_MAX);
	assert_string_equal(r + TEXT_RENDER_MAX, "...(200 chars)");
}

/* Regression: a name or value holding U+202E (RIGHT-TO-LEFT OVERRIDE)
 * was quoted as is, and turned the rest of the message around on a
 * terminal ("invoice_\u202Egpj.exe" shows as "invoice_exe.jpg"). */
static void test_render_escapes_invisible_controls(void **state)
{
	(void)state;
	assert_string_equal(render("a\xE2\x80\xAEgpj.csv", 11, false), "a\\u202Egpj.csv");
	assert_string_equal(render("x\xE2\x81\xA6y\xE2\x81\xA9", 8, false), "x\\u2066y\\u2069");
	assert_string_equal(render("\xE2\x80\x8F", 3, false), "\\u200F");
	assert_string_equal(render("c1\xC2\x85", 4, false), "c1\\u0085");      /* NEL */
	assert_string_equal(render("\xE2\x80\x94", 3, false), "\xE2\x80\x94"); /* a dash */
	assert_true(text_has_invisible_control("a\xE2\x80\xAE", 4));
	assert_true(text_has_invisible_control("\xD8\x9C", 2)); /* U+061C */
	assert_false(text_has_invisible_control("Caf\xC3\xA9", 5));
	assert_false(text_has_invisible_control("a\x85", 2)); /* a lone byte: not UTF-8 */

	/* The buffer holds the longest rendering: every character escaped. */
	char many[64 * 3 + 3];
	for (size_t i = 0; i < sizeof(many); i += 3)
		memcpy(many + i, "\xE2\x80\xAE", 3);
	const char *r = render(many, sizeof(many), false);
	assert_int_equal(strlen(r), TEXT_RENDER_MAX * 6 + strlen("...(65 chars)"));
}

/* Regression: a direction override (U+202E) or a C1 control in a value
 * or a name went into messages raw, reversing or escaping the line. */
static void test_render_escapes_zero_width_and_separators(void **state)
{
	(void)state;
	assert_string_equal(render("ab\xE2\x80\xAE"
				   "cd",
				   7, false),
			    "ab\\u202Ecd");
	assert_string_equal(render("x\xC2\x9B"
				   "2J",
				   5, false),
			    "x\\u009B2J");
	assert_string_equal(render("\xE2\x80\x8B\xEF\xBB\xBF\xE2\x81\xA6", 9, false),
			    "\\u200B\\uFEFF\\u2066");
	assert_string_equal(render("\xE2\x80\xA8", 3, false), "\\u2028");
	/* Other characters beyond ASCII stay as they are. */
	assert_string_equal(render("\xE2\x82\xAC \xF0\x9F\x98\x80", 8, false),
			    "\xE2\x82\xAC \xF0\x9F\x98\x80");
	/* 64 overrides fit the buffer escaped. */
	char many[64 * 3 + 1];
	for (int i = 0; i < 64; i++)
		memcpy(many + i * 3, "\xE2\x80\xAE", 3);
	const char *r = render(many, 64 * 3, false);
	assert_int_equal(strlen(r), 64 * 6);
}

static void test_name(void **state)
{
	(void)state;
	char buf[TEXT_NAME_BUFSZ];
	/* Never masked: a name's digits are a date or a sequence, shown whole. */
	assert_string_equal(text_name("collexia_results_202610201530.csv", buf),
			    "collexia_results_202610201530.csv");
	assert_string_equal(text_name("a\nb\x1B[31m\xFF\xE2\x80\xAE.csv", buf),
			    "a\\nb\\x1B[31m\\xFF\\u202E.csv");
	char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	text_name(longname, buf);
	assert_int_equal(strspn(buf, "n"), TEXT_NAME_MAX);
	assert_string_equal(buf + TEXT_NAME_MAX, "...(299 chars)");
	/* The worst case fits: every character an escape. */
	char worst[TEXT_NAME_MAX * 3 + 1];
	for (int i = 0; i < TEXT_NAME_MAX; i++)
		memcpy(worst + i * 3, "\xE2\x80\xAE", 3);
	worst[sizeof(worst) - 1] = '\0';
	assert_int_equal(strlen(text_name(worst, buf)), TEXT_NAME_MAX * 6);
}

static const char *json(const char *s, size_t n)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	json_string(f, s, n);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_json_strings(void **state)
{
	(void)state;
	assert_string_equal(json("plain", 5), "\"plain\"");
	assert_string_equal(json("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	assert_string_equal(json("l1\nl2\tx\r", 8), "\"l1\\nl2\\tx\\r\"");
	assert_string_equal(json("\x01\x1F\x7F", 3), "\"\\u0001\\u001f\\u007f\"");
	assert_string_equal(json("Caf\xC3\xA9", 5), "\"Caf\xC3\xA9\"");
	assert_string_equal(json("bad\xC3(", 5), "\"bad\\ufffd(\"");
	assert_string_equal(json("\xFF", 1), "\"\\ufffd\"");
	/* Regression: a direction override went out raw (a $USER holding
	 * one turned a reader's terminal line around): marks that do nothing
	 * visible are written as their escapes. */
	assert_string_equal(json("a\xE2\x80\xAE"
				 "b",
				 5),
			    "\"a\\u202eb\"");
	assert_string_equal(json("\xE2\x80\x8B\xC2\x9B", 5), "\"\\u200b\\u009b\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_counts_code_points),
		cmocka_unit_test(test_scan_rejects_malformed),
		cmocka_unit_test(test_scan_finds_nul),
		cmocka_unit_test(test_render_masks_personal_values),
		cmocka_unit_test(test_render_masks_long_digit_runs),
		cmocka_unit_test(test_digit_runs_across_separators),
		cmocka_unit_test(test_mask_digit_runs_in_text),
		cmocka_unit_test(test_text_value),
		cmocka_unit_test(test_render_escapes_and_cuts),
		cmocka_unit_test(test_render_escapes_invisible_controls),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_render_escapes_zero_width_and_separators),
		cmocka_unit_test(test_json_strings),
	};
	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
