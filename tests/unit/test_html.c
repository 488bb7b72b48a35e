/* Unit tests for io/html: whatever text it is given, what it writes is
 * inert in an element and in a quoted attribute. */
#include "unit.h"
#include "io/html.h"

static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	assert_non_null(f);
	html_text(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void check(const char *in, const char *want)
{
	char *got = escaped(in);
	assert_string_equal(got, want);
	free(got);
}

static void test_markup_is_inert(void **state)
{
	(void)state;
	check("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
	check("\" onmouseover=\"x", "&quot; onmouseover=&quot;x");
	check("' onload='x", "&#39; onload=&#39;x");
	check("A&B &amp; C", "A&amp;B &amp;amp; C");
	check("]]><!--", "]]&gt;&lt;!--");
	check("", "");
}

static void test_text_kept(void **state)
{
	(void)state;
	check("Joe's \"Best\"", "Joe&#39;s &quot;Best&quot;");
	check("Spar, Mamelodi East", "Spar, Mamelodi East");
	check("Tshwane \xE2\x82\xAC 5", "Tshwane \xE2\x82\xAC 5"); /* U+20AC kept */
	check("line\nbreak\ttab", "line\nbreak\ttab");
}

static void test_controls_and_bad_bytes_replaced(void **state)
{
	(void)state;
	const char *fffd = "\xEF\xBF\xBD";
	char want[64];
	snprintf(want, sizeof(want), "a%sb", fffd);
	check("a\x01"
	      "b",
	      want);
	check("a\x7f"
	      "b",
	      want);
	check("a\xC2\x85"
	      "b",
	      want); /* C1: NEL */
	check("a\xE2\x80\xAE"
	      "b",
	      want); /* U+202E RIGHT-TO-LEFT OVERRIDE */
	check("a\xE2\x81\xA6"
	      "b",
	      want); /* U+2066 LEFT-TO-RIGHT ISOLATE */
	check("a\xE2\x80\x8F"
	      "b",
	      want); /* U+200F RIGHT-TO-LEFT MARK */
	check("a\xFF"
	      "b",
	      want); /* not UTF-8 */
	check("a\xC0\xBC"
	      "b",
	      "a\xEF\xBF\xBD\xEF\xBF\xBD"
	      "b"); /* overlong '<': never '<' */
	check("a\xED\xA0\x80"
	      "b",
	      "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
	      "b"); /* surrogate */
}

static void test_null_writes_nothing(void **state)
{
	(void)state;
	char *got = escaped(NULL);
	assert_string_equal(got, "");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markup_is_inert),
		cmocka_unit_test(test_text_kept),
		cmocka_unit_test(test_controls_and_bad_bytes_replaced),
		cmocka_unit_test(test_null_writes_nothing),
	};
	return cmocka_run_group_tests_name("html", tests, NULL, NULL);
}
