/*
 * json.c — JSON string output (see json.h).
 */
#include "core/common.h"
#include "core/json.h"
#include "core/money.h"
#include "core/text.h"

void json_string(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	putc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			size_t len = text_utf8_len((const char *)s + i, n - i);
			if (len && text_has_invisible_control((const char *)s + i, len)) {
				/* a direction or zero-width mark: written as its escape,
				 * so that no reader's terminal turns the text around */
				fprintf(f, "\\u%04x",
					(unsigned)text_code_point((const char *)s + i, len));
				i += len;
			} else if (len) {
				fwrite(s + i, 1, len, f);
				i += len;
			} else {
				fputs("\\ufffd", f);
				i++;
			}
			continue;
		}
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20 || c == 0x7F)
				fprintf(f, "\\u%04x", c);
			else
				putc(c, f);
		}
		i++;
	}
	putc('"', f);
}

void json_str(FILE *f, const char *s)
{
	if (!s)
		fputs("null", f);
	else
		json_string(f, s, strlen(s));
}

void json_begin(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

void json_end(struct json *j)
{
	putc('\n', j->f);
}

/* The comma before a value, and its key. */
static void value_start(struct json *j, const char *key)
{
	if (j->more[j->depth])
		fputs(", ", j->f);
	j->more[j->depth] = true;
	if (key) {
		json_str(j->f, key);
		fputs(": ", j->f);
	}
}

static void open_bracket(struct json *j, const char *key, char bracket)
{
	value_start(j, key);
	putc(bracket, j->f);
	if (j->depth + 1 < JSON_DEPTH)
		j->depth++;
	j->more[j->depth] = false;
}

void json_object(struct json *j, const char *key)
{
	open_bracket(j, key, '{');
}

void json_array(struct json *j, const char *key)
{
	open_bracket(j, key, '[');
}

void json_close(struct json *j, char bracket)
{
	putc(bracket, j->f);
	if (j->depth)
		j->depth--;
}

void json_text(struct json *j, const char *key, const char *s)
{
	value_start(j, key);
	json_str(j->f, s);
}

void json_int(struct json *j, const char *key, int64_t v)
{
	value_start(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	value_start(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_money(struct json *j, const char *key, int64_t cents)
{
	char buf[MONEY_BUFSZ];
	money_format(cents, buf);
	value_start(j, key);
	fprintf(j->f, "\"%s\"", buf);
}

void json_null(struct json *j, const char *key)
{
	value_start(j, key);
	fputs("null", j->f);
}
