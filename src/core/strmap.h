/*
 * strmap.h — a map from strings to 32-bit values, for matching in memory
 * (a policy by its reference, a transaction by its id).
 *
 * Keys are copied into the map; lookups take (s, n). Open addressing,
 * 32 bytes a slot with the key in it when it is short, load kept under
 * three quarters.
 */
#ifndef KASI_STRMAP_H
#define KASI_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strmap;

/* NULL when out of memory. Freed with strmap_free. */
struct strmap *strmap_new(void);
/* The same, with room for `expected` keys before it has to grow. */
struct strmap *strmap_new_sized(size_t expected);
void strmap_free(struct strmap *m);

/* Set key -> value (replacing any value). Returns 0, or -1 when out of memory. */
int strmap_put(struct strmap *m, const char *key, size_t n, uint32_t value);

/* The value of key into *value; false when absent. */
bool strmap_get(const struct strmap *m, const char *key, size_t n, uint32_t *value);

/* Start fetching the memory a lookup of key will read: a caller with many
 * keys at hand prefetches them all, then looks them up. */
void strmap_prefetch(const struct strmap *m, const char *key, size_t n);

size_t strmap_count(const struct strmap *m);

#endif
