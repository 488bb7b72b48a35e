/*
 * ini.c — parsing INI text (see ini.h).
 */
#include "core/common.h"
#include "core/ini.h"

#define INI_LINE_MAX 4096

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* Cut a comment: '#' or ';' at the start, or after white space. */
static void cut_comment(char *s)
{
	for (char *c = s; *c; c++) {
		if ((*c == '#' || *c == ';') && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			return;
		}
	}
}

static int is_key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* What is wrong at line no, into msg (the line into *bad_line): -1. */
static int fail(int *bad_line, int no, char *msg, size_t msg_size, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail(int *bad_line, int no, char *msg, size_t msg_size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msg_size, fmt, ap);
	va_end(ap);
	*bad_line = no;
	return -1;
}

int ini_parse(const char *text, size_t n, ini_entry_fn fn, void *ctx, int *bad_line, char *msg,
	      size_t msg_size)
{
	char section[128] = "", line[INI_LINE_MAX + 1];
	size_t at = 0;
	for (int no = 1; at < n; no++) {
		size_t end = at;
		while (end < n && text[end] != '\n')
			end++;
		if (memchr(text + at, '\0', end - at))
			return fail(bad_line, no, msg, msg_size, "a NUL byte");
		if (end - at > INI_LINE_MAX)
			return fail(bad_line, no, msg, msg_size, "longer than %d characters",
				    INI_LINE_MAX);
		memcpy(line, text + at, end - at);
		line[end - at] = '\0';
		at = end + 1;
		cut_comment(line);
		char *s = trim(line);
		if (!*s)
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || *trim(close + 1))
				return fail(bad_line, no, msg, msg_size, "a section is [NAME]");
			*close = '\0';
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq)
			return fail(bad_line, no, msg, msg_size, "expected key = value");
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		for (const char *k = key; *k; k++)
			if (!is_key_char(*k))
				return fail(bad_line, no, msg, msg_size, "'%s' is not a key", key);
		if (!*key)
			return fail(bad_line, no, msg, msg_size, "a key is missing before '='");
		int rc = fn(ctx, section, key, value, no);
		if (rc)
			return rc;
	}
	return 0;
}
