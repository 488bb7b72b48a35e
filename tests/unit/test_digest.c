/* Unit tests for io/digest and the reader's content hash. */
#include "unit.h"
#include "io/csv.h"
#include "io/digest.h"

#include <zlib.h>

static const char *hex_of(const void *data, size_t n)
{
	static char hex[SHA256_HEX];
	uint8_t d[SHA256_BYTES];
	struct sha256 *h = sha256_new();
	assert_non_null(h);
	sha256_update(h, data, n);
	sha256_final(h, d);
	sha256_free(h);
	sha256_hex(d, hex);
	return hex;
}

static void test_known_vectors(void **state)
{
	(void)state;
	/* FIPS 180-2, appendix B.1 and the empty message. */
	assert_string_equal(hex_of("abc", 3),
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(hex_of("", 0),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static int nothing(void *ctx, const struct csv_row *row)
{
	(void)ctx;
	(void)row;
	return 0;
}

static void test_reader_hashes_the_decompressed_content(void **state)
{
	(void)state;
	const char *plain = "\xEF\xBB\xBFh1,h2\r\n1,2\r\n";
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/x.csv.gz", unit_tmpdir);
	gzFile gz = gzopen(path, "wb");
	gzwrite(gz, plain, (unsigned)strlen(plain));
	gzclose(gz);

	struct csv_reader *r;
	struct err e = { 0 };
	uint8_t d[SHA256_BYTES];
	char hex[SHA256_HEX];
	assert_int_equal(csv_reader_open(&r, path, &(struct csv_limits){ .sha256 = true }, &e), 0);
	assert_int_equal(csv_reader_run(r, nothing, NULL), CSV_DONE);
	assert_true(csv_reader_sha256(r, d));
	sha256_hex(d, hex);
	/* The same as the plain bytes, BOM included: identity is content. */
	assert_string_equal(hex, hex_of(plain, strlen(plain)));
	csv_reader_free(r);

	/* Not asked for: none. */
	assert_int_equal(csv_reader_open(&r, path, &(struct csv_limits){ 0 }, &e), 0);
	assert_int_equal(csv_reader_run(r, nothing, NULL), CSV_DONE);
	assert_false(csv_reader_sha256(r, d));
	csv_reader_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vectors),
		cmocka_unit_test(test_reader_hashes_the_decompressed_content),
	};
	return cmocka_run_group_tests_name("digest", tests, unit_tmpdir_setup,
					   unit_tmpdir_teardown);
}
