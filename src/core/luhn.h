/*
 * luhn.h — the Luhn (mod 10) check digit, used by SA ID numbers and
 * cash payment codes.
 */
#ifndef KASI_LUHN_H
#define KASI_LUHN_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is at least two ASCII digits whose last digit is the
 * Luhn check digit of the ones before it. */
bool luhn_valid(const char *s, size_t n);

/* The check digit ('0'..'9') to append to the n digits at s, or '\0' if
 * s holds anything but digits. */
char luhn_check_digit(const char *s, size_t n);

#endif
