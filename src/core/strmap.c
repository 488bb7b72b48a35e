/*
 * strmap.c — string -> uint32 map (see strmap.h).
 *
 * Keys live in an arena (their chunks never move), so a slot can point at
 * its key; each slot keeps the key's hash to skip most comparisons.
 */
#include "core/common.h"
#include "core/arena.h"
#include "core/hash.h"
#include "core/strmap.h"
#define SEED 0x6b617369u

struct slot {
	uint64_t hash;
	const char *key; /* NULL: empty */
	uint32_t len, value;
};

struct strmap {
	struct slot *slots;
	size_t nslots, count;
	struct arena *keys;
};

struct strmap *strmap_new(void)
{
	struct strmap *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->nslots = 1024;
	m->slots = calloc(m->nslots, sizeof(*m->slots));
	m->keys = arena_new();
	if (!m->slots || !m->keys) {
		strmap_free(m);
		return NULL;
	}
	return m;
}

void strmap_free(struct strmap *m)
{
	if (!m)
		return;
	arena_free(m->keys);
	free(m->slots);
	free(m);
}

static struct slot *find(const struct strmap *m, uint64_t hash, const char *key, size_t n)
{
	size_t mask = m->nslots - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct slot *s = &m->slots[i];
		if (!s->key || (s->hash == hash && s->len == n && !memcmp(s->key, key, n)))
			return s;
	}
}

static int grow(struct strmap *m)
{
	size_t nslots = m->nslots * 2;
	struct slot *old = m->slots, *ns = calloc(nslots, sizeof(*ns));
	if (!ns)
		return -1;
	size_t oldn = m->nslots;
	m->slots = ns;
	m->nslots = nslots;
	for (size_t i = 0; i < oldn; i++)
		if (old[i].key)
			*find(m, old[i].hash, old[i].key, old[i].len) = old[i];
	free(old);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, size_t n, uint32_t value)
{
	if ((m->count + 1) * 2 > m->nslots && grow(m))
		return -1;
	uint64_t hash = hash_bytes(key, n, SEED);
	struct slot *s = find(m, hash, key, n);
	if (!s->key) {
		const char *k = arena_strndup(m->keys, key, n);
		if (!k)
			return -1;
		*s = (struct slot){ hash, k, (uint32_t)n, value };
		m->count++;
	} else {
		s->value = value;
	}
	return 0;
}

bool strmap_get(const struct strmap *m, const char *key, size_t n, uint32_t *value)
{
	const struct slot *s = find(m, hash_bytes(key, n, SEED), key, n);
	if (!s->key)
		return false;
	*value = s->value;
	return true;
}

size_t strmap_count(const struct strmap *m)
{
	return m->count;
}
