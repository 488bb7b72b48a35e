/*
 * grow.h — growing a buffer or an array by doubling.
 */
#ifndef KASI_GROW_H
#define KASI_GROW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define GROW_HUGE_FROM ((size_t)8 << 20)
#define GROW_HUGE_PAGE ((size_t)2 << 20)

/* Ask for huge pages under a large array: a million-row array faults in
 * 512 times fewer pages. Advice only: nothing changes when refused. */
static inline void grow_advise_huge(void *p, size_t bytes)
{
	if (!p || bytes < GROW_HUGE_FROM)
		return;
	uintptr_t first = ((uintptr_t)p + GROW_HUGE_PAGE - 1) & ~(uintptr_t)(GROW_HUGE_PAGE - 1);
	uintptr_t end = ((uintptr_t)p + bytes) & ~(uintptr_t)(GROW_HUGE_PAGE - 1);
	if (end > first)
		(void)madvise((void *)first, end - first, MADV_HUGEPAGE);
}

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
	grow_advise_huge(np, ncap * elem);
	*p = np;
	*cap = ncap;
	return true;
}

#endif
