/*
 * arena.c — see arena.h.
 */
#include "core/common.h"
#include "core/arena.h"

#define CHUNK (256 * 1024)

struct chunk {
	struct chunk *next;
	size_t used, size;
	char data[];
};

struct arena {
	struct chunk *chunks;
};

struct arena *arena_new(void)
{
	return calloc(1, sizeof(struct arena));
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	for (struct chunk *c = a->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void arena_reset(struct arena *a)
{
	struct chunk *keep = a->chunks;
	if (!keep)
		return;
	for (struct chunk *c = keep->next, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	keep->next = NULL;
	keep->used = 0;
}

const char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	struct chunk *c = a->chunks;
	if (!c || c->size - c->used < n + 1) {
		size_t size = n + 1 > CHUNK ? n + 1 : CHUNK;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->next = a->chunks;
		c->used = 0;
		c->size = size;
		a->chunks = c;
	}
	char *copy = c->data + c->used;
	memcpy(copy, s, n);
	copy[n] = '\0';
	c->used += n + 1;
	return copy;
}

const char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}
