/*
 * money.c — parsing and printing int64_t cents (see money.h).
 *
 * The magnitude is accumulated in uint64_t and checked against INT64_MAX
 * before every step, so no input can overflow, whatever its length.
 */
#include "core/common.h"
#include "core/money.h"

int money_parse(const char *s, size_t n, const struct money_rule *rule, int64_t *cents)
{
	size_t i = 0;
	bool negative = false;
	if (i < n && s[i] == '-') {
		negative = true;
		i++;
	}
	size_t int_start = i;
	uint64_t mag = 0;
	bool overflow = false;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (mag > ((uint64_t)INT64_MAX - d) / 10)
			overflow = true;
		else
			mag = mag * 10 + d;
	}
	if (i == int_start)
		return MONEY_ESYNTAX;

	size_t decimals = 0;
	unsigned frac = 0;
	bool subcent = false;
	if (i < n && s[i] == '.') {
		i++;
		size_t frac_start = i;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			if (i - frac_start < 2)
				frac = frac * 10 + (unsigned)(s[i] - '0');
			else if (s[i] != '0')
				subcent = true;
		}
		decimals = i - frac_start;
		if (decimals == 0)
			return i == n ? MONEY_EDECIMALS : MONEY_ESYNTAX;
	}
	if (i != n)
		return MONEY_ESYNTAX;
	if (decimals < rule->min_decimals || decimals > rule->max_decimals)
		return MONEY_EDECIMALS;
	if (negative && !rule->allow_negative)
		return MONEY_ENEGATIVE;
	if (subcent)
		return MONEY_ESUBCENT;
	if (decimals == 1)
		frac *= 10;
	if (overflow || mag > ((uint64_t)INT64_MAX - frac) / 100)
		return MONEY_ERANGE;
	int64_t v = (int64_t)(mag * 100 + frac);
	*cents = negative ? -v : v;
	return MONEY_OK;
}

size_t money_format(int64_t cents, char buf[MONEY_BUFSZ])
{
	/* Work on the magnitude in uint64_t so INT64_MIN needs no special case. */
	uint64_t mag = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	char tmp[MONEY_BUFSZ];
	size_t t = 0;
	tmp[t++] = (char)('0' + mag % 10);
	mag /= 10;
	tmp[t++] = (char)('0' + mag % 10);
	mag /= 10;
	tmp[t++] = '.';
	do {
		tmp[t++] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag);
	if (cents < 0)
		tmp[t++] = '-';
	for (size_t i = 0; i < t; i++)
		buf[i] = tmp[t - 1 - i];
	buf[t] = '\0';
	return t;
}

int money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return MONEY_ERANGE;
	*out = r;
	return MONEY_OK;
}

const char *money_strerror(int status)
{
	switch (status) {
	case MONEY_OK: return "ok";
	case MONEY_ESYNTAX: return "not an amount";
	case MONEY_EDECIMALS: return "wrong number of decimals";
	case MONEY_ENEGATIVE: return "negative amount not allowed";
	case MONEY_ERANGE: return "amount out of range";
	case MONEY_ESUBCENT: return "a fraction of a cent (a digit past the cents is not 0)";
	}
	return "invalid amount";
}
