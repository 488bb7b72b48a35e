/*
 * strmap.c — string -> uint32 map (see strmap.h).
 *
 * A slot is 16 bytes: 32 bits of the key's hash (to skip most
 * comparisons), the key's place in one growing buffer of key bytes, its
 * length and the value. Places are offsets, not pointers, so the buffer
 * may move when it grows. Linear probing, load kept under three quarters;
 * the hash is seeded per map from the kernel so that crafted references
 * cannot aim at one chain.
 */
#include <sys/random.h>

#include "core/common.h"
#include "core/hash.h"
#include "core/strmap.h"

struct slot {
	uint32_t tag;
	uint32_t at; /* the key's offset + 1 in keys; 0: empty */
	uint32_t len, value;
};

struct strmap {
	struct slot *slots;
	size_t nslots, count;
	char *keys;
	size_t keys_len, keys_cap;
	uint64_t seed;
};

static size_t slots_for(size_t expected)
{
	size_t n = 1024;
	while (n / 4 * 3 <= expected && n < SIZE_MAX / 4)
		n *= 2;
	return n;
}

struct strmap *strmap_new_sized(size_t expected)
{
	struct strmap *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->nslots = slots_for(expected);
	m->slots = calloc(m->nslots, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	m->seed = 0x6b617369u; /* "kasi", if the kernel will not say */
	if (getrandom(&m->seed, sizeof(m->seed), GRND_NONBLOCK) != sizeof(m->seed))
		m->seed ^= (uint64_t)getpid() << 32;
	return m;
}

struct strmap *strmap_new(void)
{
	return strmap_new_sized(0);
}

void strmap_free(struct strmap *m)
{
	if (!m)
		return;
	free(m->keys);
	free(m->slots);
	free(m);
}

static struct slot *find(const struct strmap *m, uint64_t hash, const char *key, size_t n)
{
	size_t mask = m->nslots - 1;
	uint32_t tag = (uint32_t)(hash >> 32);
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct slot *s = &m->slots[i];
		if (!s->at ||
		    (s->tag == tag && s->len == n && !memcmp(m->keys + s->at - 1, key, n)))
			return s;
	}
}

static int grow(struct strmap *m)
{
	size_t oldn = m->nslots, nslots = oldn * 2;
	struct slot *old = m->slots, *ns = calloc(nslots, sizeof(*ns));
	if (!ns)
		return -1;
	m->slots = ns;
	m->nslots = nslots;
	for (size_t i = 0; i < oldn; i++) {
		if (!old[i].at)
			continue;
		uint64_t hash = hash_bytes(m->keys + old[i].at - 1, old[i].len, m->seed);
		for (size_t j = hash & (nslots - 1);; j = (j + 1) & (nslots - 1)) {
			if (!ns[j].at) {
				ns[j] = old[i];
				break;
			}
		}
	}
	free(old);
	return 0;
}

/* Copy a key into the key buffer; its offset + 1, or 0 when out of room. */
static uint32_t keep_key(struct strmap *m, const char *key, size_t n)
{
	if (n > UINT32_MAX - 1 || m->keys_len + n >= UINT32_MAX)
		return 0;
	if (m->keys_len + n > m->keys_cap) {
		size_t cap = m->keys_cap ? m->keys_cap : 4096;
		while (cap < m->keys_len + n)
			cap *= 2;
		char *nk = realloc(m->keys, cap);
		if (!nk)
			return 0;
		m->keys = nk;
		m->keys_cap = cap;
	}
	memcpy(m->keys + m->keys_len, key, n);
	m->keys_len += n;
	return (uint32_t)(m->keys_len - n + 1);
}

int strmap_put(struct strmap *m, const char *key, size_t n, uint32_t value)
{
	if ((m->count + 1) * 4 > m->nslots * 3 && grow(m))
		return -1;
	uint64_t hash = hash_bytes(key, n, m->seed);
	struct slot *s = find(m, hash, key, n);
	if (s->at) {
		s->value = value;
		return 0;
	}
	uint32_t at = keep_key(m, key, n);
	if (!at)
		return -1;
	*s = (struct slot){ (uint32_t)(hash >> 32), at, (uint32_t)n, value };
	m->count++;
	return 0;
}

bool strmap_get(const struct strmap *m, const char *key, size_t n, uint32_t *value)
{
	const struct slot *s = find(m, hash_bytes(key, n, m->seed), key, n);
	if (!s->at)
		return false;
	*value = s->value;
	return true;
}

size_t strmap_count(const struct strmap *m)
{
	return m->count;
}
