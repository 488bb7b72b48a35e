/*
 * relay.h — blocks handed from one thread to another.
 *
 * A producer fills blocks and passes them on; a consumer empties them, in
 * the order they were passed, and gives them back to be filled again.
 * The caller's blocks (RELAY_MAX at most) circulate, so memory stays
 * bounded whatever the length of the stream. What a block holds, and how
 * the last one is marked, is the caller's. Either side may call
 * relay_stop(); the other sees relay_stopped() and winds down (a stopped
 * consumer still takes blocks until the producer's last, so that no one
 * waits forever).
 */
#ifndef KASI_RELAY_H
#define KASI_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#define RELAY_MAX 8

struct relay;

/* n (1..RELAY_MAX) blocks, all empty to begin with. NULL when out of
 * memory. */
struct relay *relay_new(void *const *blocks, size_t n);
void relay_free(struct relay *r);

/* Producer: an empty block (waits for one); pass a filled one on. */
void *relay_take_empty(struct relay *r);
void relay_pass(struct relay *r, void *block);

/* Consumer: the next filled block (waits for it); give it back. */
void *relay_take_full(struct relay *r);
void relay_give_back(struct relay *r, void *block);

void relay_stop(struct relay *r);
bool relay_stopped(struct relay *r);

/* Blocks of records: a caller's block type begins with this, its records'
 * fixed parts in its own arrays (at most some number a block), their
 * variable parts in `bytes`. */
struct relay_block {
	size_t n; /* records */
	char *bytes;
	size_t used, cap;
	bool last; /* the producer's final block */
};

/* Producer: an empty block to fill, emptied. */
struct relay_block *relay_begin(struct relay *r);
/* Producer: room in *cur for one more record of `need` bytes, at most
 * `max` records a block: a full block is passed on and an empty one taken
 * in its place; an empty block's bytes grow to fit one large record.
 * False when out of memory. */
bool relay_room(struct relay *r, struct relay_block **cur, size_t max, size_t need);
/* Producer: pass cur on as the last block. */
void relay_end(struct relay *r, struct relay_block *cur);

#endif
