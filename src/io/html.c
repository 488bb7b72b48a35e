/*
 * html.c — escaping for HTML and SVG (see html.h).
 */
#include "core/common.h"
#include "core/text.h"
#include "io/html.h"

/* The code point of the well-formed UTF-8 character s[0..len). */
static uint32_t code_point(const unsigned char *s, size_t len)
{
	if (len == 1)
		return s[0];
	uint32_t c = s[0] & (0xFFu >> (len + 1));
	for (size_t i = 1; i < len; i++)
		c = (c << 6) | (s[i] & 0x3Fu);
	return c;
}

/* Characters that are no one's honest text: C0 and C1 controls (but tab
 * and newline), DEL, and those that reorder the text shown around them. */
static bool refused(uint32_t c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || (c >= 0x7F && c <= 0x9F) || c == 0x061C ||
	       c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2066 && c <= 0x2069);
}

void html_text(FILE *f, const char *str)
{
	if (!str)
		return;
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);
	for (size_t i = 0; i < n;) {
		size_t len = text_utf8_len((const char *)s + i, n - i);
		uint32_t c = len ? code_point(s + i, len) : 0xFFFD;
		if (!len || refused(c))
			fputs("\xEF\xBF\xBD", f); /* U+FFFD */
		else if (c == '&')
			fputs("&amp;", f);
		else if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c == '"')
			fputs("&quot;", f);
		else if (c == '\'')
			fputs("&#39;", f);
		else
			fwrite(s + i, 1, len, f);
		i += len ? len : 1;
	}
}
