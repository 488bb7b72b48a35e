/*
 * money.h — amounts of money as int64_t cents.
 *
 * Nothing here, nor anywhere in kasi, passes money through a binary
 * fraction type: text is parsed digit by digit into cents, and every sum
 * is overflow-checked. Overflow is an error, never a wrap.
 */
#ifndef KASI_MONEY_H
#define KASI_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for "-92233720368547758.08" and its NUL. */
#define MONEY_BUFSZ 24

/* How a file writes its amounts: the digits allowed after the point, and
 * whether a leading '-' may appear. "150.00" needs min=max=2; an API that
 * prints "55", "-1200" and "-724.19" is min=0 max=2. Rands settle in
 * cents: up to 4 decimals may be written ("5.5500"), but a digit past the
 * cents that is not 0 is an error ("5.5555" is not an amount of money),
 * never rounded. */
struct money_rule {
	uint8_t min_decimals; /* 0..4 */
	uint8_t max_decimals; /* min_decimals..4 */
	bool allow_negative;
};

enum money_status {
	MONEY_OK = 0,
	MONEY_ESYNTAX = -1,   /* not [-]digits[.digits] */
	MONEY_EDECIMALS = -2, /* wrong number of digits after the point */
	MONEY_ENEGATIVE = -3, /* a '-' where the rule allows none */
	MONEY_ERANGE = -4,    /* does not fit in int64_t cents */
	MONEY_ESUBCENT = -5,  /* a fraction of a cent: a digit past the cents is not 0 */
};

/* Parse s[0..n) — no spaces, no '+', no thousands separators — into
 * *cents. Returns MONEY_OK or one of the negative statuses above, in which
 * case *cents is untouched. */
int money_parse(const char *s, size_t n, const struct money_rule *rule, int64_t *cents);

/* Write cents as "-724.19" (exactly two decimals, '.' separator) into buf,
 * NUL-terminated; returns the length. Correct for every int64_t. */
size_t money_format(int64_t cents, char buf[MONEY_BUFSZ]);

/* *out = a + b, or MONEY_ERANGE if that does not fit. */
int money_add(int64_t a, int64_t b, int64_t *out);

/* A short lowercase description of a money_status. */
const char *money_strerror(int status);

#endif
