/*
 * syncfail.c — an LD_PRELOAD shim that makes fsync(2) and fdatasync(2)
 * fail with EIO, for tests/e2e/t2004-io-faults.sh: what kasi does when
 * the disk refuses to make its writes durable (a failing disk, a full
 * thin-provisioned volume, a network file system gone away).
 *
 * Environment:
 *   SYNCFAIL_PATH   only files whose path contains this text are touched
 *                   (default: every regular file)
 *   SYNCFAIL_AFTER  how many syncs of such files succeed before every
 *                   later one fails (default 0: the first fails)
 *   SYNCFAIL_COUNT  a file to which the shim writes, at exit, how many
 *                   syncs of such files it saw (to pick failure points)
 *
 * Directory syncs (after a rename) are syncs like any other: a test that
 * wants only the database's names SYNCFAIL_PATH=.db.
 *
 * Not part of kasi: built by `make test` for the test only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_long seen;

/* Whether fd names a file the test wants to fail. */
static int wanted(int fd)
{
	const char *want = getenv("SYNCFAIL_PATH");
	if (!want || !*want)
		return 1;
	char link[64], path[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return 0;
	path[n] = '\0';
	return strstr(path, want) != NULL;
}

/* Whether this sync of fd is to fail. */
static int fail_now(int fd)
{
	if (!wanted(fd))
		return 0;
	const char *after = getenv("SYNCFAIL_AFTER");
	long n = atomic_fetch_add(&seen, 1);
	return after && *after && n >= strtol(after, NULL, 10);
}

int fsync(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (fail_now(fd)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

int fdatasync(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	if (fail_now(fd)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

__attribute__((destructor)) static void report_count(void)
{
	const char *to = getenv("SYNCFAIL_COUNT");
	if (!to || !*to)
		return;
	FILE *f = fopen(to, "w");
	if (f) {
		fprintf(f, "%ld\n", atomic_load(&seen));
		fclose(f);
	}
}
