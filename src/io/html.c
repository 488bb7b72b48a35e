/*
 * html.c — escaping for HTML and SVG (see html.h).
 */
#include "core/common.h"
#include "core/text.h"
#include "io/html.h"

/* Characters that are no one's honest text: C0 controls (but tab and
 * newline), DEL, and what text_has_invisible_control finds (C1 controls,
 * the characters that reorder or hide the text around them). */
static bool refused(const unsigned char *c, size_t len)
{
	if (len == 1)
		return (c[0] < 0x20 && c[0] != '\t' && c[0] != '\n') || c[0] == 0x7F;
	return text_has_invisible_control((const char *)c, len);
}

void html_text(FILE *f, const char *str)
{
	if (!str)
		return;
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);
	for (size_t i = 0; i < n;) {
		size_t len = text_utf8_len((const char *)s + i, n - i);
		unsigned char c = s[i];
		if (!len || refused(s + i, len))
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
