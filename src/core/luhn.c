/*
 * luhn.c — Luhn check digits (see luhn.h).
 */
#include "core/common.h"
#include "core/luhn.h"

/* Sum of the Luhn weights over s[0..n), where the rightmost digit is
 * doubled when `double_last` is set; -1 on a non-digit. */
static int luhn_sum(const char *s, size_t n, bool double_last)
{
	int sum = 0;
	bool dbl = double_last;
	for (size_t i = n; i-- > 0; dbl = !dbl) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		int d = s[i] - '0';
		if (dbl) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return sum;
}

bool luhn_valid(const char *s, size_t n)
{
	if (n < 2)
		return false;
	int sum = luhn_sum(s, n, false);
	return sum >= 0 && sum % 10 == 0;
}

char luhn_check_digit(const char *s, size_t n)
{
	int sum = luhn_sum(s, n, true);
	if (sum < 0)
		return '\0';
	return (char)('0' + (10 - sum % 10) % 10);
}
