/* Unit tests for io/content: plain bytes, or every gzip member's. */
#include "unit.h"
#include "io/content.h"

#include <zlib.h>

/* data[0..n) gzip-compressed as one member into out; returns its size. */
static size_t gzip_member(const void *data, size_t n, unsigned char *out, size_t cap)
{
	z_stream zs = { 0 };
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)data;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	size_t len = cap - zs.avail_out;
	deflateEnd(&zs);
	return len;
}

/* Read all of path's content into out (cap bytes); returns its length or
 * -1, with the problem in *problem and its message in msg. */
static ssize_t read_all(const char *path, char *out, size_t cap, enum content_problem *problem,
			char *msg, size_t msgsz, bool *compressed)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct content *c;
	struct err e = { 0 };
	assert_int_equal(content_open(&c, fd, &e), 0);
	size_t len = 0;
	ssize_t k;
	/* Small reads, so members and buffers end mid-read. */
	while ((k = content_read(c, out + len, cap - len < 1000 ? cap - len : 1000)) > 0)
		len += (size_t)k;
	const char *m;
	*problem = content_problem(c, &m);
	snprintf(msg, msgsz, "%s", m);
	*compressed = content_compressed(c);
	content_free(c);
	return k < 0 ? -1 : (ssize_t)len;
}

static void test_plain_is_passed_through(void **state)
{
	(void)state;
	const char *path = unit_write_str("plain.csv", "h1,h2\n1,2\n");
	char out[64], msg[256];
	enum content_problem p;
	bool gz;
	assert_int_equal(read_all(path, out, sizeof(out), &p, msg, sizeof(msg), &gz), 10);
	assert_memory_equal(out, "h1,h2\n1,2\n", 10);
	assert_false(gz);
	assert_int_equal(p, CONTENT_OK);
	path = unit_write("empty.csv", "", 0);
	assert_int_equal(read_all(path, out, sizeof(out), &p, msg, sizeof(msg), &gz), 0);
}

/* Several members one after the other (`cat a.gz b.gz`) are one content,
 * empty members and members that cross the read buffer among them. */
static void test_members_are_all_read(void **state)
{
	(void)state;
	size_t big = 300 * 1024;
	char *text = malloc(big);
	for (size_t i = 0; i < big; i++)
		text[i] = (char)('a' + (i * 7919) % 26); /* compresses poorly enough */
	size_t cap = 2 * big + 4096, len = 0;
	unsigned char *gz = malloc(cap);
	len += gzip_member("first,", 6, gz + len, cap - len);
	len += gzip_member("", 0, gz + len, cap - len);
	len += gzip_member(text, big, gz + len, cap - len);
	len += gzip_member(",last", 5, gz + len, cap - len);
	const char *path = unit_write("members.csv.gz", gz, len);

	size_t want = 6 + big + 5;
	char *out = malloc(want + 16), msg[256];
	enum content_problem p;
	bool compressed;
	assert_int_equal(read_all(path, out, want + 16, &p, msg, sizeof(msg), &compressed),
			 (ssize_t)want);
	assert_true(compressed);
	assert_int_equal(p, CONTENT_OK);
	assert_memory_equal(out, "first,", 6);
	assert_memory_equal(out + 6, text, big);
	assert_memory_equal(out + 6 + big, ",last", 5);
	free(out);
	free(gz);
	free(text);
}

/* Regression: plain bytes after a member were dropped without a word. */
static void test_anything_after_a_member_is_an_error(void **state)
{
	(void)state;
	static const struct {
		const char *tail;
		size_t n;
	} tails[] = {
		{ "more,rows\n", 10 }, { "x", 1 }, { "\0\0\0\0", 4 }, /* padding */
		{ "\x1F", 1 },					      /* half a magic */
		{ "\x1F\x8C", 2 },				      /* not quite a magic */
	};
	for (size_t i = 0; i < ARRAY_SIZE(tails); i++) {
		unsigned char gz[256];
		size_t len = gzip_member("h\n1\n", 4, gz, sizeof(gz));
		size_t member = len;
		memcpy(gz + len, tails[i].tail, tails[i].n);
		len += tails[i].n;
		const char *path = unit_write("tail.csv.gz", gz, len);
		char out[64], msg[256], want[128];
		enum content_problem p;
		bool compressed;
		read_all(path, out, sizeof(out), &p, msg, sizeof(msg), &compressed);
		assert_int_equal(p, CONTENT_EGZIP);
		snprintf(want, sizeof(want), "bytes after the end of the gzip data (from byte %zu)",
			 member);
		assert_non_null(strstr(msg, want));
	}
}

static void test_cut_or_corrupt_member_is_an_error(void **state)
{
	(void)state;
	unsigned char gz[256];
	size_t len = gzip_member("h1,h2\n1,2\n3,4\n", 14, gz, sizeof(gz));
	char out[64], msg[256];
	enum content_problem p;
	bool compressed;
	const char *path = unit_write("cut.csv.gz", gz, len - 5);
	assert_int_equal(read_all(path, out, sizeof(out), &p, msg, sizeof(msg), &compressed), -1);
	assert_int_equal(p, CONTENT_EGZIP);
	assert_non_null(strstr(msg, "truncated"));

	gz[len - 3] ^= 0xFF; /* the length in the trailer */
	path = unit_write("bad.csv.gz", gz, len);
	assert_int_equal(read_all(path, out, sizeof(out), &p, msg, sizeof(msg), &compressed), -1);
	assert_int_equal(p, CONTENT_EGZIP);
	assert_non_null(strstr(msg, "corrupt"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_is_passed_through),
		cmocka_unit_test(test_members_are_all_read),
		cmocka_unit_test(test_anything_after_a_member_is_an_error),
		cmocka_unit_test(test_cut_or_corrupt_member_is_an_error),
	};
	return cmocka_run_group_tests_name("content", tests, unit_tmpdir_setup,
					   unit_tmpdir_teardown);
}
