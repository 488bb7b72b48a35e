/*
 * strmap.h — a map from strings to 32-bit values, for matching in memory
 * (a policy by its reference, a transaction by its id).
 *
 * Keys are copied into the map's own arena; lookups take (s, n). Open
 * addressing, power-of-two table, load kept under a half.
 */
#ifndef KASI_STRMAP_H
#define KASI_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strmap;

/* NULL when out of memory. Freed with strmap_free. */
struct strmap *strmap_new(void);
void strmap_free(struct strmap *m);

/* Set key -> value (replacing any value). Returns 0, or -1 when out of memory. */
int strmap_put(struct strmap *m, const char *key, size_t n, uint32_t value);

/* The value of key into *value; false when absent. */
bool strmap_get(const struct strmap *m, const char *key, size_t n, uint32_t *value);

size_t strmap_count(const struct strmap *m);

#endif
