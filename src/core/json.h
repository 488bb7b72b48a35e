/*
 * json.h — the small JSON writer behind `--json` output.
 *
 * Only what kasi prints needs: strings (always valid JSON, whatever the
 * bytes given), and the punctuation written by the caller.
 */
#ifndef KASI_JSON_H
#define KASI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Write s[0..n) as a quoted JSON string: '"', '\\' and control
 * characters escaped, invalid UTF-8 replaced by U+FFFD. */
void json_string(FILE *f, const char *s, size_t n);

/* json_string for a NUL-terminated string; NULL is written as null. */
void json_str(FILE *f, const char *s);

/* A JSON document written as it goes: objects and arrays nest (up to
 * JSON_DEPTH), commas and keys are the writer's to place. A key is
 * given inside an object, NULL inside an array or at the top. Money is
 * a string of rands with two decimals ("1234.50"), never a number a
 * reader could turn into a binary fraction. */
#define JSON_DEPTH 16
struct json {
	FILE *f;
	int depth;
	bool more[JSON_DEPTH]; /* a value was written at this depth already */
};

void json_begin(struct json *j, FILE *f);
/* Ends the document with a newline. */
void json_end(struct json *j);
void json_object(struct json *j, const char *key);
void json_array(struct json *j, const char *key);
void json_close(struct json *j, char bracket);			/* '}' or ']' */
void json_text(struct json *j, const char *key, const char *s); /* NULL: null */
void json_int(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_money(struct json *j, const char *key, int64_t cents);
void json_null(struct json *j, const char *key);

#endif
