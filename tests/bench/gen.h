/*
 * gen.h — what the benchmark's data generators share: a seeded
 * generator (splitmix64: the same seed, the same bytes), and Luhn check
 * digits.
 */
#ifndef KASI_BENCH_GEN_H
#define KASI_BENCH_GEN_H

#include <stdint.h>

static uint64_t rng_state;

static inline uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* 0 .. n-1 */
static inline unsigned rng_below(unsigned n)
{
	return (unsigned)(rng_next() % n);
}

/* digits[0..n-1] followed by their Luhn check digit, then NUL. */
static inline void luhn_complete(char *digits, int n)
{
	int sum = 0;
	for (int i = n - 1, dbl = 1; i >= 0; i--, dbl = !dbl) {
		int d = digits[i] - '0';
		if (dbl && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	digits[n] = (char)('0' + (10 - sum % 10) % 10);
	digits[n + 1] = '\0';
}

#endif
