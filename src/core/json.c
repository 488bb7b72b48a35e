/*
 * json.c — JSON string output (see json.h).
 */
#include "core/common.h"
#include "core/json.h"
#include "core/text.h"

void json_string(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	putc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			size_t len = text_utf8_len((const char *)s + i, n - i);
			if (len) {
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
