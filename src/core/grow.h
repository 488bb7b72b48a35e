/*
 * grow.h — growing a buffer or an array by doubling.
 */
#ifndef KASI_GROW_H
#define KASI_GROW_H

#include <stdbool.h>
#include <stdlib.h>

/* Make *p (an array of *cap elements of elem bytes) hold at least need,
 * doubling from 64; false when out of memory (*p is then as it was). */
static inline bool grow_array(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	void *np = realloc(*p, ncap * elem);
	if (!np)
		return false;
	*p = np;
	*cap = ncap;
	return true;
}

#endif
