/*
 * regex.c — PCRE2 behind the schema patterns (see regex.h).
 *
 * Invariants: every pattern is compiled with PCRE2_ANCHORED |
 * PCRE2_ENDANCHORED (whole-value matches) and PCRE2_DOLLAR_ENDONLY; every
 * match goes through a match context carrying the limits below. With JIT
 * the fast path pcre2_jit_match() is used, which skips the per-call
 * option checks (the subject was UTF-8 checked by the CSV reader).
 */
#include "core/common.h"
#include "io/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Generous for any sane pattern over a field of a few hundred
 * characters; a backtracking explosion stops within milliseconds. */
#define MATCH_LIMIT	1000000u
#define DEPTH_LIMIT	10000u
#define HEAP_LIMIT_KIB	1024u
#define JIT_STACK_START (32 * 1024)
#define JIT_STACK_MAX	(512 * 1024)
#define OVECTOR_PAIRS	32

struct regex {
	pcre2_code *code;
	bool jit;
	char *source;
};

struct regex_matcher {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *stack;
};

int regex_compile(struct regex **out, const char *pattern, size_t len, struct err *e)
{
	int rc = 0, errcode;
	PCRE2_SIZE erroffset;
	struct regex *re = calloc(1, sizeof(*re));
	if (!re)
		return err_set(e, KASI_EIO, "out of memory");
	re->source = strndup(pattern, len);
	if (!re->source) {
		rc = err_set(e, KASI_EIO, "out of memory");
		goto out;
	}
	re->code = pcre2_compile((PCRE2_SPTR)pattern, len,
				 PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED |
					 PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C,
				 &errcode, &erroffset, NULL);
	if (!re->code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		rc = err_set(e, KASI_ECONFIG, "bad pattern: %s at offset %zu", (const char *)msg,
			     (size_t)erroffset);
		goto out;
	}
	re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
out:
	if (rc) {
		regex_free(re);
		re = NULL;
	}
	*out = re;
	return rc;
}

void regex_free(struct regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	free(re->source);
	free(re);
}

const char *regex_source(const struct regex *re)
{
	return re->source;
}

bool regex_is_jit(const struct regex *re)
{
	return re->jit;
}

struct regex_matcher *regex_matcher_new(void)
{
	struct regex_matcher *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->md = pcre2_match_data_create(OVECTOR_PAIRS, NULL);
	m->mc = pcre2_match_context_create(NULL);
	m->stack = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, NULL);
	if (!m->md || !m->mc || !m->stack) {
		regex_matcher_free(m);
		return NULL;
	}
	pcre2_set_match_limit(m->mc, MATCH_LIMIT);
	pcre2_set_depth_limit(m->mc, DEPTH_LIMIT);
	pcre2_set_heap_limit(m->mc, HEAP_LIMIT_KIB);
	pcre2_jit_stack_assign(m->mc, NULL, m->stack);
	return m;
}

void regex_matcher_free(struct regex_matcher *m)
{
	if (!m)
		return;
	pcre2_jit_stack_free(m->stack);
	pcre2_match_context_free(m->mc);
	pcre2_match_data_free(m->md);
	free(m);
}

enum regex_result regex_match(const struct regex *re, struct regex_matcher *m, const char *s,
			      size_t n)
{
	int rc;
	if (re->jit)
		rc = pcre2_jit_match(re->code, (PCRE2_SPTR)s, n, 0, 0, m->md, m->mc);
	else
		rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, PCRE2_NO_UTF_CHECK, m->md, m->mc);
	if (rc >= 0)
		return REGEX_MATCH;
	switch (rc) {
	case PCRE2_ERROR_NOMATCH: return REGEX_NOMATCH;
	case PCRE2_ERROR_MATCHLIMIT:
	case PCRE2_ERROR_DEPTHLIMIT:
	case PCRE2_ERROR_HEAPLIMIT:
	case PCRE2_ERROR_JIT_STACKLIMIT:
	case PCRE2_ERROR_NOMEMORY: return REGEX_LIMIT;
	}
	return REGEX_ERROR;
}

bool regex_has_group(const struct regex *re, const char *name)
{
	return pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name) >= 0;
}

bool regex_group(const struct regex *re, const struct regex_matcher *m, const char *name,
		 size_t *start, size_t *len)
{
	int num = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);
	if (num < 0 || (uint32_t)num >= pcre2_get_ovector_count(m->md))
		return false;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
	if (ov[2 * num] == PCRE2_UNSET)
		return false;
	*start = ov[2 * num];
	*len = ov[2 * num + 1] - ov[2 * num];
	return true;
}

const char *regex_library_version(void)
{
	/* PCRE2 writes its version into a buffer; it is the same every call. */
	static char version[64];
	if (!version[0] && pcre2_config(PCRE2_CONFIG_VERSION, version) < 0)
		snprintf(version, sizeof(version), "?");
	return version;
}
