/*
 * unit.h — what every cmocka unit test includes.
 *
 * Temp files live in one directory per test program, made by
 * unit_tmpdir_setup() and removed by unit_tmpdir_teardown() (group
 * setup/teardown, as libssh's tests do).
 */
#ifndef KASI_UNIT_H
#define KASI_UNIT_H

#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

static char unit_tmpdir[PATH_MAX];

static inline int unit_tmpdir_setup(void **state)
{
	(void)state;
	const char *base = getenv("TMPDIR");
	snprintf(unit_tmpdir, sizeof(unit_tmpdir), "%s/kasi-unit-XXXXXX",
		 base && *base ? base : "/tmp");
	return mkdtemp(unit_tmpdir) ? 0 : -1;
}

static inline int unit_tmpdir_teardown(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", unit_tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write n bytes to unit_tmpdir/name; returns the path (static buffer). */
static inline const char *unit_write(const char *name, const void *data, size_t n)
{
	static char path[PATH_MAX + 256];
	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return path;
}

static inline const char *unit_write_str(const char *name, const char *text)
{
	return unit_write(name, text, strlen(text));
}

#endif
