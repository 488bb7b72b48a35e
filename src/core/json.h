/*
 * json.h — the small JSON writer behind `--json` output.
 *
 * Only what kasi prints needs: strings (always valid JSON, whatever the
 * bytes given), and the punctuation written by the caller.
 */
#ifndef KASI_JSON_H
#define KASI_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Write s[0..n) as a quoted JSON string: '"', '\\' and control
 * characters escaped, invalid UTF-8 replaced by U+FFFD. */
void json_string(FILE *f, const char *s, size_t n);

/* json_string for a NUL-terminated string; NULL is written as null. */
void json_str(FILE *f, const char *s);

#endif
