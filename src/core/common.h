/*
 * common.h — included first by every kasi source file.
 *
 * It pulls in the C and POSIX headers the project uses and then
 * core/banned.h, so that the unsafe functions listed there fail to build
 * anywhere in src/ (the same arrangement as git's git-compat-util.h: once
 * the system headers have been seen, their include guards make any later
 * #include of them a no-op, so the poisoned names cannot clash with the
 * system declarations).
 */
#ifndef KASI_COMMON_H
#define KASI_COMMON_H

#define _GNU_SOURCE 1

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The file name at the end of a path. */
static inline const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* dir/name into out[outsz]; false when it does not fit (nothing that
 * was cut is ever used as a path). */
static inline bool path_join(char *out, size_t outsz, const char *dir, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", dir, name);
	return n >= 0 && (size_t)n < outsz;
}

#include "core/banned.h"

#endif
