/*
 * relay.c — see relay.h. Two queues of block pointers under one mutex;
 * a condition variable wakes whichever side waits.
 */
#include "core/common.h"
#include "core/relay.h"

#include <pthread.h>
#include <stdatomic.h>

struct queue {
	void *items[RELAY_MAX];
	size_t head, count;
};

struct relay {
	struct queue empty, full;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	atomic_bool stop;
};

static void push(struct queue *q, void *b)
{
	q->items[(q->head + q->count) % RELAY_MAX] = b;
	q->count++;
}

static void *pop(struct queue *q)
{
	void *b = q->items[q->head];
	q->head = (q->head + 1) % RELAY_MAX;
	q->count--;
	return b;
}

struct relay *relay_new(void *const *blocks, size_t n)
{
	if (!n || n > RELAY_MAX)
		return NULL;
	struct relay *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (pthread_mutex_init(&r->lock, NULL)) {
		free(r);
		return NULL;
	}
	if (pthread_cond_init(&r->changed, NULL)) {
		pthread_mutex_destroy(&r->lock);
		free(r);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		push(&r->empty, blocks[i]);
	return r;
}

void relay_free(struct relay *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->changed);
	free(r);
}

static void *take(struct relay *r, struct queue *q)
{
	pthread_mutex_lock(&r->lock);
	while (!q->count)
		pthread_cond_wait(&r->changed, &r->lock);
	void *b = pop(q);
	pthread_mutex_unlock(&r->lock);
	return b;
}

static void give(struct relay *r, struct queue *q, void *b)
{
	pthread_mutex_lock(&r->lock);
	push(q, b);
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
}

void *relay_take_empty(struct relay *r)
{
	return take(r, &r->empty);
}

void relay_pass(struct relay *r, void *block)
{
	give(r, &r->full, block);
}

void *relay_take_full(struct relay *r)
{
	return take(r, &r->full);
}

void relay_give_back(struct relay *r, void *block)
{
	give(r, &r->empty, block);
}

struct relay_block *relay_begin(struct relay *r)
{
	struct relay_block *b = relay_take_empty(r);
	b->n = b->used = 0;
	b->last = false;
	return b;
}

bool relay_room(struct relay *r, struct relay_block **cur, size_t max, size_t need)
{
	struct relay_block *b = *cur;
	if (b->n < max && b->used + need <= b->cap)
		return true;
	if (b->n) {
		relay_pass(r, b);
		b = *cur = relay_begin(r);
	}
	if (need > b->cap) {
		char *nb = realloc(b->bytes, need);
		if (!nb)
			return false;
		b->bytes = nb;
		b->cap = need;
	}
	return true;
}

void relay_end(struct relay *r, struct relay_block *cur)
{
	cur->last = true;
	relay_pass(r, cur);
}

void relay_stop(struct relay *r)
{
	atomic_store(&r->stop, true);
}

bool relay_stopped(struct relay *r)
{
	return atomic_load(&r->stop);
}
