/*
 * keyset.h — "is this key unique within the file?" in bounded memory.
 *
 * Keys are compared byte for byte (never by hash alone), and the set
 * keeps at most `budget` bytes in memory. Up to the budget, keyset_add()
 * answers at once. Past it, the set spills to temporary files and
 * answers KEYSET_DEFERRED; the duplicates among deferred keys are
 * reported by keyset_finish(), each exactly once, with the row of the
 * key's first occurrence.
 */
#ifndef KASI_KEYSET_H
#define KASI_KEYSET_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct keyset;

enum keyset_result {
	KEYSET_NEW = 0,	     /* first time this key was seen */
	KEYSET_DUP = 1,	     /* seen before, at *first_row */
	KEYSET_DEFERRED = 2, /* spilled; keyset_finish() will tell */
};

/* The in-memory budget when none is given. */
#define KEYSET_DEFAULT_BUDGET (8u * 1024 * 1024)

/* New empty set; budget 0 means KEYSET_DEFAULT_BUDGET. Temporary files go
 * to $TMPDIR (else /tmp) and are unlinked as soon as they are created.
 * Freed with keyset_free. */
int keyset_new(struct keyset **out, size_t budget, struct err *e);

/* Add key[0..n) seen at `row` (rows must be added in increasing order).
 * Returns an enum keyset_result, or -KASI_EIO / -KASI_ENOINPUT (temporary
 * file trouble) with a message in e. */
int keyset_add(struct keyset *ks, const void *key, size_t n, uint64_t row, uint64_t *first_row,
	       struct err *e);

typedef void (*keyset_dup_fn)(void *ctx, uint64_t first_row, uint64_t row, const void *key,
			      size_t n);

/* Report every duplicate that was deferred, in no particular order.
 * Returns 0 or a negative status with a message in e. */
int keyset_finish(struct keyset *ks, keyset_dup_fn fn, void *ctx, struct err *e);

/* Whether the set has spilled to disk (for tests and benchmarks). */
int keyset_spilled(const struct keyset *ks);

void keyset_free(struct keyset *ks);

#endif
