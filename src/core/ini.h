/*
 * ini.h — the INI files kasi reads (a payout configuration; job files):
 * `[section]` lines, `key = value` lines, comments from `#` or `;` at
 * the start of a line or after white space, blank lines. Values are
 * trimmed; nothing is unquoted. Pure: the caller reads the file.
 */
#ifndef KASI_INI_H
#define KASI_INI_H

#include <stddef.h>

/* Called for each `key = value`, with its section ("" before any) and
 * line; a non-zero return stops the parse and is returned. */
typedef int (*ini_entry_fn)(void *ctx, const char *section, const char *key, const char *value,
			    int line);

/* Parse text[0..n). Returns 0, fn's non-zero return, or -1 with what is
 * wrong in msg and its line in *bad_line (a line that is neither, a NUL
 * byte), for the caller's "FILE:LINE: what" like every other message. */
int ini_parse(const char *text, size_t n, ini_entry_fn fn, void *ctx, int *bad_line, char *msg,
	      size_t msg_size);

#endif
