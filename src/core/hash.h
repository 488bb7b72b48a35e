/*
 * hash.h — a fast 64-bit hash for in-memory tables.
 *
 * Eight bytes at a time, each word and the result passed through the
 * splitmix64 finaliser, so every output bit depends on every input bit
 * (the high bits choose spill partitions, the low bits table slots).
 * Callers seed it per process so crafted input cannot aim at collisions.
 */
#ifndef KASI_HASH_H
#define KASI_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t hash_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = hash_mix(h ^ w);
		s += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, s, n);
		h = hash_mix(h ^ w ^ 0xff);
	}
	return hash_mix(h);
}

#endif
