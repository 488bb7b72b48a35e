/*
 * arena.h — strings that live as long as a computation: copied into
 * chunks that never move, freed all at once.
 */
#ifndef KASI_ARENA_H
#define KASI_ARENA_H

#include <stddef.h>

struct arena;

/* NULL when out of memory. Freed, with every string in it, by arena_free. */
struct arena *arena_new(void);
void arena_free(struct arena *a);

/* Forget every string, keeping one chunk's memory for the next ones. */
void arena_reset(struct arena *a);

/* A NUL-terminated copy of s[0..n); NULL when out of memory. */
const char *arena_strndup(struct arena *a, const char *s, size_t n);
/* The same for a NUL-terminated s; NULL in, NULL out. */
const char *arena_strdup(struct arena *a, const char *s);

#endif
