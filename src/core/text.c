/*
 * text.c — UTF-8 scanning and value rendering (see text.h).
 *
 * text_scan runs once per field of every file, so it checks eight ASCII
 * bytes at a time and only decodes where a high bit is set.
 */
#include "core/common.h"
#include "core/text.h"

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Length of the well-formed sequence at s[0..n) (1..4), or 0 if there is
 * none (RFC 3629 table 3-7). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	unsigned lo = 0x80, hi = 0xBF;
	size_t len;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

size_t text_utf8_len(const char *s, size_t n)
{
	return utf8_seq_len((const unsigned char *)s, n);
}

/* The code point of the well-formed sequence s[0..len). */
static uint32_t utf8_decode(const unsigned char *s, size_t len)
{
	static const unsigned char lead_mask[] = { 0, 0x7F, 0x1F, 0x0F, 0x07 };
	uint32_t cp = s[0] & lead_mask[len];
	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3Fu);
	return cp;
}

/* Characters that do nothing visible but can change how a line reads: the
 * C1 controls (U+009B starts a terminal escape like ESC [), the direction
 * marks, embeddings, overrides and isolates (U+202E shows "abc.exe" as
 * "exe.cba"), the zero-width ones and the line and paragraph separators. */
static bool is_invisible_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || (cp >= 0x200B && cp <= 0x200F) ||
	       (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF;
}

uint32_t text_code_point(const char *s, size_t len)
{
	return len >= 1 && len <= 4 ? utf8_decode((const unsigned char *)s, len) : 0;
}

bool text_has_invisible_control(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq_len(s + i, n - i);
		if (len > 1 && is_invisible_control(utf8_decode(s + i, len)))
			return true;
		i += len ? len : 1;
	}
	return false;
}

enum text_status text_scan(const char *str, size_t n, uint32_t *codepoints)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cps = 0;
	bool nul = false;
	size_t i = 0;
	while (i < n) {
		if (n - i >= 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			bool ascii = (w & HIGHS) == 0;
			bool zero = ((w - ONES) & ~w & HIGHS) != 0;
			if (ascii && !zero) {
				cps += 8;
				i += 8;
				continue;
			}
		}
		if (s[i] < 0x80) {
			nul |= s[i] == 0;
			cps++;
			i++;
			continue;
		}
		size_t len = utf8_seq_len(s + i, n - i);
		if (!len) {
			*codepoints = cps;
			return TEXT_BAD_UTF8;
		}
		cps++;
		i += len;
	}
	*codepoints = cps;
	return nul ? TEXT_NUL : TEXT_OK;
}

struct out {
	char *p;
	size_t size, len;
};

static void out_bytes(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && o->len + 1 < o->size; i++)
		o->p[o->len++] = s[i];
	o->p[o->len] = '\0';
}

static void out_escape(struct out *o, unsigned char c)
{
	char buf[8];
	switch (c) {
	case '\n': out_bytes(o, "\\n", 2); return;
	case '\r': out_bytes(o, "\\r", 2); return;
	case '\t': out_bytes(o, "\\t", 2); return;
	case '\\': out_bytes(o, "\\\\", 2); return;
	}
	int k = snprintf(buf, sizeof(buf), "\\x%02X", c);
	out_bytes(o, buf, (size_t)k);
}

/* Split s into characters: each well-formed sequence, or a lone invalid
 * byte, is one. Returns the byte length of the character at s. */
static size_t char_len(const unsigned char *s, size_t n)
{
	size_t len = utf8_seq_len(s, n);
	return len ? len : 1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Whether s[i..n) starts with a date, yyyy-mm-dd, not followed by a
 * digit: its digits are nobody's number. */
static bool date_at(const char *s, size_t n, size_t i)
{
	static const char shape[] = "dddd-dd-dd";
	if (n - i < sizeof(shape) - 1)
		return false;
	for (size_t k = 0; k < sizeof(shape) - 1; k++)
		if (shape[k] == 'd' ? !is_digit(s[i + k]) : s[i + k] != '-')
			return false;
	return i + sizeof(shape) - 1 == n || !is_digit(s[i + sizeof(shape) - 1]);
}

bool text_has_digit_run(const char *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_digit(s[i])) {
			if ((i == 0 || !is_digit(s[i - 1])) && date_at(s, n, i)) {
				run = 0;
				i += 9; /* to the date's last digit */
				continue;
			}
			if (++run >= TEXT_DIGIT_RUN)
				return true;
		} else if (!((s[i] == ' ' || s[i] == '-') && i > 0 && is_digit(s[i - 1]) &&
			     i + 1 < n && is_digit(s[i + 1]))) {
			run = 0; /* a single space or dash between digits is part of the run */
		}
	}
	return false;
}

void text_mask_digit_runs(char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		if (!is_digit(s[i])) {
			i++;
			continue;
		}
		if ((i == 0 || !is_digit(s[i - 1])) && date_at(s, n, i)) {
			i += 10;
			continue;
		}
		size_t end = i, digits = 0;
		while (end < n && (is_digit(s[end]) || ((s[end] == ' ' || s[end] == '-') &&
							end + 1 < n && is_digit(s[end + 1]))))
			digits += is_digit(s[end++]);
		for (size_t k = end, kept = 0; digits >= TEXT_DIGIT_RUN && k > i; k--)
			if (is_digit(s[k - 1]) && kept++ >= 4)
				s[k - 1] = '*';
		i = end;
	}
}

/* s[0..n) into o, escaped, the characters before the first `hidden`
 * masked, cut after `max` characters. */
static void render(const unsigned char *s, size_t n, size_t hidden, size_t max, size_t total,
		   struct out *o)
{
	size_t shown = 0, idx = 0;
	for (size_t i = 0; i < n; idx++) {
		size_t len = char_len(s + i, n - i);
		if (shown == max) {
			char tail[48];
			int k = snprintf(tail, sizeof(tail), "...(%zu chars)", total);
			out_bytes(o, tail, (size_t)k);
			break;
		}
		uint32_t cp = len > 1 ? utf8_decode(s + i, len) : s[i];
		if (idx < hidden) {
			out_bytes(o, "*", 1);
		} else if (len == 1 &&
			   (s[i] < 0x20 || s[i] == 0x7F || s[i] == '\\' || s[i] >= 0x80)) {
			out_escape(o, s[i]);
		} else if (is_invisible_control(cp)) {
			char buf[16];
			int k = snprintf(buf, sizeof(buf), "\\u%04X", (unsigned)cp);
			out_bytes(o, buf, (size_t)k);
		} else {
			out_bytes(o, (const char *)s + i, len);
		}
		shown++;
		i += len;
	}
}

static size_t count_chars(const unsigned char *s, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i += char_len(s + i, n - i))
		total++;
	return total;
}

size_t text_render(const char *str, size_t n, bool mask, char *outbuf, size_t outsz)
{
	const unsigned char *s = (const unsigned char *)str;
	struct out o = { outbuf, outsz, 0 };
	if (!outsz)
		return 0;
	outbuf[0] = '\0';
	mask = mask || text_has_digit_run(str, n);
	size_t total = count_chars(s, n);
	/* With a mask, the characters before the last four become '*'. */
	size_t hidden = mask && total > 4 ? total - 4 : (mask ? total : 0);
	render(s, n, hidden, TEXT_RENDER_MAX, total, &o);
	return o.len;
}

const char *text_name(const char *s, char *out)
{
	struct out o = { out, TEXT_NAME_BUFSZ, 0 };
	size_t n = strlen(s);
	out[0] = '\0';
	render((const unsigned char *)s, n, 0, TEXT_NAME_MAX,
	       count_chars((const unsigned char *)s, n), &o);
	return out;
}

const char *text_value(const char *s, char *out)
{
	if (!s)
		s = "";
	text_render(s, strlen(s), false, out, TEXT_RENDER_BUFSZ);
	return out;
}
