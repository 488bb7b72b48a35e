/*
 * strmap.c — string -> uint32 map (see strmap.h).
 *
 * A slot is 32 bytes, half a cache line: 32 bits of the key's hash (to
 * skip most comparisons), the value, and the key itself when it fits
 * (22 bytes: every reference and transaction id kasi matches on), so that
 * a lookup touches one line of memory. A longer key lives in one growing
 * buffer, the slot holding its offset and length. Linear probing over any
 * number of slots (a hash is scaled to the table, not masked), load kept
 * under three quarters; the hash is seeded per map from the kernel so
 * that crafted references cannot aim at one chain.
 */
#include "core/common.h"

#include <sys/random.h>

#include "core/grow.h"
#include "core/hash.h"
#include "core/strmap.h"

#define INLINE_MAX 22
#define EMPTY	   0xff /* slot.len of an unused slot */
#define OUTLINE	   0xfe /* slot.len of a key kept in the buffer */

struct slot {
	uint32_t tag, value;
	uint8_t len; /* the key's length when inline; EMPTY; OUTLINE */
	uint8_t pad;
	char key[INLINE_MAX]; /* inline key; or OUTLINE: offset, length (uint32 each) */
};

struct strmap {
	struct slot *slots;
	size_t nslots, count;
	char *keys; /* keys longer than INLINE_MAX */
	size_t keys_len, keys_cap;
	uint64_t seed;
};

static struct slot *slots_new(size_t n)
{
	struct slot *s = malloc(n * sizeof(*s));
	grow_advise_huge(s, n * sizeof(*s));
	if (s)
		for (size_t i = 0; i < n; i++)
			s[i].len = EMPTY;
	return s;
}

static size_t slots_for(size_t expected)
{
	size_t n = expected / 3 * 4 + 4;
	return n < 1024 ? 1024 : n;
}

struct strmap *strmap_new_sized(size_t expected)
{
	struct strmap *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->nslots = slots_for(expected);
	m->slots = slots_new(m->nslots);
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

/* The slot a hash starts from: its low half scaled to the table. */
static size_t home(const struct strmap *m, uint64_t hash)
{
	return (size_t)(((hash & 0xffffffffu) * (uint64_t)m->nslots) >> 32);
}

static bool same_key(const struct strmap *m, const struct slot *s, const char *key, size_t n)
{
	if (s->len != OUTLINE)
		return s->len == n && !memcmp(s->key, key, n);
	uint32_t at, len;
	memcpy(&at, s->key, sizeof(at));
	memcpy(&len, s->key + sizeof(at), sizeof(len));
	return len == n && !memcmp(m->keys + at, key, n);
}

static struct slot *find(const struct strmap *m, uint64_t hash, const char *key, size_t n)
{
	uint32_t tag = (uint32_t)(hash >> 32);
	for (size_t i = home(m, hash);;) {
		struct slot *s = &m->slots[i];
		if (s->len == EMPTY || (s->tag == tag && same_key(m, s, key, n)))
			return s;
		if (++i == m->nslots)
			i = 0;
	}
}

/* A slot's key, wherever it is kept. */
static const char *key_of(const struct strmap *m, const struct slot *s, size_t *n)
{
	if (s->len != OUTLINE) {
		*n = s->len;
		return s->key;
	}
	uint32_t at, len;
	memcpy(&at, s->key, sizeof(at));
	memcpy(&len, s->key + sizeof(at), sizeof(len));
	*n = len;
	return m->keys + at;
}

static int grow(struct strmap *m)
{
	size_t oldn = m->nslots;
	struct slot *old = m->slots, *ns = slots_new(oldn * 2);
	if (!ns)
		return -1;
	m->slots = ns;
	m->nslots = oldn * 2;
	for (size_t i = 0; i < oldn; i++) {
		if (old[i].len == EMPTY)
			continue;
		size_t n;
		const char *k = key_of(m, &old[i], &n);
		*find(m, ((uint64_t)old[i].tag << 32) | (hash_bytes(k, n, m->seed) & 0xffffffffu),
		      k, n) = old[i];
	}
	free(old);
	return 0;
}

/* Put a long key in the buffer; false when out of room. */
static bool keep_outline(struct strmap *m, struct slot *s, const char *key, size_t n)
{
	if (n > UINT32_MAX || m->keys_len + n > UINT32_MAX)
		return false;
	if (m->keys_len + n > m->keys_cap) {
		size_t cap = m->keys_cap ? m->keys_cap : 4096;
		while (cap < m->keys_len + n)
			cap *= 2;
		char *nk = realloc(m->keys, cap);
		if (!nk)
			return false;
		m->keys = nk;
		m->keys_cap = cap;
	}
	uint32_t at = (uint32_t)m->keys_len, len = (uint32_t)n;
	memcpy(m->keys + at, key, n);
	m->keys_len += n;
	memcpy(s->key, &at, sizeof(at));
	memcpy(s->key + sizeof(at), &len, sizeof(len));
	s->len = OUTLINE;
	return true;
}

int strmap_put(struct strmap *m, const char *key, size_t n, uint32_t value)
{
	if ((m->count + 1) * 4 > m->nslots * 3 && grow(m))
		return -1;
	uint64_t hash = hash_bytes(key, n, m->seed);
	struct slot *s = find(m, hash, key, n);
	if (s->len != EMPTY) {
		s->value = value;
		return 0;
	}
	struct slot fresh = { .tag = (uint32_t)(hash >> 32), .value = value };
	if (n <= INLINE_MAX) {
		fresh.len = (uint8_t)n;
		memcpy(fresh.key, key, n);
	} else if (!keep_outline(m, &fresh, key, n)) {
		return -1;
	}
	*s = fresh;
	m->count++;
	return 0;
}

bool strmap_get(const struct strmap *m, const char *key, size_t n, uint32_t *value)
{
	const struct slot *s = find(m, hash_bytes(key, n, m->seed), key, n);
	if (s->len == EMPTY)
		return false;
	*value = s->value;
	return true;
}

void strmap_prefetch(const struct strmap *m, const char *key, size_t n)
{
	__builtin_prefetch(&m->slots[home(m, hash_bytes(key, n, m->seed))]);
}

size_t strmap_count(const struct strmap *m)
{
	return m->count;
}
