/* Unit tests for io/input: the one way a file to read is opened. */
#include "unit.h"
#include "io/input.h"

static void test_regular_file_opens(void **state)
{
	(void)state;
	const char *path = unit_write_str("ok.csv", "h\n1\n");
	int fd;
	struct err e = { 0 };
	assert_int_equal(input_open(path, &fd, &e), 0);
	char buf[8];
	assert_int_equal(read(fd, buf, sizeof(buf)), 4); /* blocking reads, as usual */
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
}

static void test_missing_file(void **state)
{
	(void)state;
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/none.csv", unit_tmpdir);
	int fd;
	struct err e = { 0 };
	assert_int_equal(input_open(path, &fd, &e), -KASI_ENOINPUT);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(e.msg, "cannot open '"));
	assert_non_null(strstr(e.msg, "No such file"));
}

/* Regression: `kasi ingest somedir/` said "no schema's file name pattern
 * matches ''"; a directory is named as one, as it was given. */
static void test_directory_is_named(void **state)
{
	(void)state;
	char path[PATH_MAX + 32], want[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/", unit_tmpdir);
	snprintf(want, sizeof(want), "'%s' is a directory", path);
	int fd;
	struct err e = { 0 };
	assert_int_equal(input_open(path, &fd, &e), -KASI_ENOINPUT);
	assert_int_equal(fd, -1);
	assert_string_equal(e.msg, want);
}

/* Regression: a named pipe without a writer held validate and ingest in
 * open() for ever; it is refused at once. */
static void test_named_pipe_does_not_block(void **state)
{
	(void)state;
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/easypay_recon_20261005.csv", unit_tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	int fd;
	struct err e = { 0 };
	alarm(10); /* a hang fails the test instead of the suite */
	assert_int_equal(input_open(path, &fd, &e), -KASI_ENOINPUT);
	alarm(0);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(e.msg, "is a named pipe, not a regular file"));
	unlink(path);
}

static void test_device_is_refused(void **state)
{
	(void)state;
	int fd;
	struct err e = { 0 };
	assert_int_equal(input_open("/dev/null", &fd, &e), -KASI_ENOINPUT);
	assert_string_equal(e.msg, "'/dev/null' is a device, not a regular file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_file_opens),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_directory_is_named),
		cmocka_unit_test(test_named_pipe_does_not_block),
		cmocka_unit_test(test_device_is_refused),
	};
	return cmocka_run_group_tests_name("input", tests, unit_tmpdir_setup, unit_tmpdir_teardown);
}
