/*
 * regex.h — schema patterns, compiled once with PCRE2 (JIT where the
 * machine has it) and matched with hard limits.
 *
 * A pattern always has to match the whole value: it is compiled anchored
 * at both ends, so "^\d+$" and "\d+" mean the same, and "$" can never
 * match before a trailing newline inside a quoted field. Patterns are
 * UTF-8 aware (PCRE2_UTF); \d and \w stay ASCII.
 *
 * Matching runs under a match limit, a depth limit, a heap limit and a
 * bounded JIT stack, so a catastrophic pattern on a hostile
 * value ends as REGEX_LIMIT, a rejected value, never a hang.
 */
#ifndef KASI_REGEX_H
#define KASI_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct regex;	      /* a compiled pattern; immutable, shareable */
struct regex_matcher; /* per-thread scratch: match data, limits, JIT stack */

enum regex_result {
	REGEX_NOMATCH = 0,
	REGEX_MATCH = 1,
	REGEX_LIMIT = -1, /* a match/depth/heap/stack limit was hit */
	REGEX_ERROR = -2, /* any other matcher failure */
};

/* Compile pattern[0..len). On a syntax error returns -KASI_ECONFIG with
 * "<message> at offset N" in e. *out is freed with regex_free. */
int regex_compile(struct regex **out, const char *pattern, size_t len, struct err *e);
void regex_free(struct regex *re);
const char *regex_source(const struct regex *re);
bool regex_is_jit(const struct regex *re);

/* Scratch for matching; one per thread. Freed with regex_matcher_free. */
struct regex_matcher *regex_matcher_new(void);
void regex_matcher_free(struct regex_matcher *m);

/* Match the whole of s[0..n). The text must already be valid UTF-8 (it is
 * not checked again here). */
enum regex_result regex_match(const struct regex *re, struct regex_matcher *m, const char *s,
			      size_t n);

/* Whether the pattern has a named group `name`. */
bool regex_has_group(const struct regex *re, const char *name);

/* After a REGEX_MATCH from regex_match with this matcher: the span of the
 * named group `name`. Returns false if the pattern has no such group or
 * it did not take part in the match. */
bool regex_group(const struct regex *re, const struct regex_matcher *m, const char *name,
		 size_t *start, size_t *len);

/* The version of PCRE2 in use ("10.42 2022-12-11"). */
const char *regex_library_version(void);

#endif
