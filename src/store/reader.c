/*
 * reader.c — a store query run on a second thread (see store.h,
 * store_read_*).
 *
 *   reader thread                        caller's thread
 *   step the query; copy each row,       take a full block; fn(rows, n)
 *   its strings into the block's own       (while the next block fills)
 *   bytes; pass full blocks on           give the block back
 *
 * NBLOCK blocks of BLOCK_ROWS rows circulate (core/relay.h). A row's
 * strings live in its block's byte area, which grows (only while the
 * block is empty) to fit one large row. The caller's fn must not use the
 * store: the connection is the reader's until the query ends. A non-zero
 * fn stops the reader at its next row; its status is returned.
 */
#include "core/common.h"
#include "core/relay.h"
#include "store/db.h"

#include <pthread.h>

#define NBLOCK	    4
#define BLOCK_ROWS  512
#define BLOCK_BYTES (48 * 1024)

struct block {
	struct relay_block b; /* b.n rows; their strings in b.bytes */
	void *rows;
};

/* A row type: its size, and where its string fields are. */
struct row_shape {
	size_t size;
	const size_t *strings;
	size_t nstrings;
};

struct reader {
	struct store *s;
	const struct row_shape *shape;
	struct relay *relay;
	struct block blocks[NBLOCK];
	struct relay_block *cur;
	/* the query, run on the reader thread */
	int (*query)(struct reader *rd);
	const char *a, *b; /* its arguments */
	bool flag;	   /* and a switch of its own */
	int rc;
	struct err e;
};

static const char **field(void *row, size_t offset)
{
	return (const char **)(void *)((char *)row + offset);
}

/* Copy a row into the current block, passing it on when full. 0, or 1
 * when the consumer stopped, or -KASI_EIO. */
static int pack(struct reader *rd, const void *row)
{
	if (relay_stopped(rd->relay))
		return 1;
	const struct row_shape *sh = rd->shape;
	size_t need = 0;
	for (size_t i = 0; i < sh->nstrings; i++) {
		const char *v = *field((void *)(uintptr_t)row, sh->strings[i]);
		need += v ? strlen(v) + 1 : 0;
	}
	if (!relay_room(rd->relay, &rd->cur, BLOCK_ROWS, need))
		return err_set(&rd->e, KASI_EIO, "out of memory");
	struct relay_block *rb = rd->cur;
	struct block *b = (struct block *)rb;
	void *dst = (char *)b->rows + rb->n * sh->size;
	memcpy(dst, row, sh->size);
	for (size_t i = 0; i < sh->nstrings; i++) {
		const char **f = field(dst, sh->strings[i]);
		if (!*f)
			continue;
		size_t n = strlen(*f) + 1;
		memcpy(rb->bytes + rb->used, *f, n);
		*f = rb->bytes + rb->used;
		rb->used += n;
	}
	rb->n++;
	return 0;
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	rd->cur = relay_begin(rd->relay);
	int rc = rd->query(rd);
	rd->rc = rc > 0 ? 0 : rc; /* 1: the consumer stopped it */
	relay_end(rd->relay, rd->cur);
	return NULL;
}

static int run(struct reader *rd, int (*fn)(void *ctx, const void *rows, size_t n), void *ctx,
	       struct err *e)
{
	int rc = 0;
	void *blocks[NBLOCK];
	for (size_t i = 0; i < NBLOCK; i++) {
		struct block *b = &rd->blocks[i];
		b->rows = malloc(BLOCK_ROWS * rd->shape->size);
		b->b.bytes = malloc(BLOCK_BYTES);
		b->b.cap = BLOCK_BYTES;
		blocks[i] = &b->b;
		if (!b->rows || !b->b.bytes)
			rc = err_set(e, KASI_EIO, "out of memory");
	}
	pthread_t thread;
	if (!rc && !(rd->relay = relay_new(blocks, NBLOCK)))
		rc = err_set(e, KASI_EIO, "out of memory");
	if (!rc && pthread_create(&thread, NULL, reader_main, rd) != 0) {
		relay_free(rd->relay);
		rd->relay = NULL;
		rc = err_set(e, KASI_EIO, "cannot start the store's reader thread");
	}
	if (rd->relay) {
		for (;;) {
			struct block *b = relay_take_full(rd->relay);
			if (!rc && b->b.n && (rc = fn(ctx, b->rows, b->b.n)))
				relay_stop(rd->relay);
			bool last = b->b.last;
			relay_give_back(rd->relay, b);
			if (last)
				break;
		}
		pthread_join(thread, NULL);
		relay_free(rd->relay);
		if (!rc && rd->rc) {
			*e = rd->e;
			rc = rd->rc;
		}
	}
	for (size_t i = 0; i < NBLOCK; i++) {
		free(rd->blocks[i].rows);
		free(rd->blocks[i].b.bytes);
	}
	return rc;
}

/* ---- facts ---------------------------------------------------------------- */

static const size_t fact_strings[] = {
	offsetof(struct store_fact_row, channel),
	offsetof(struct store_fact_row, transaction_id),
	offsetof(struct store_fact_row, reference),
	offsetof(struct store_fact_row, business_date),
	offsetof(struct store_fact_row, kind),
	offsetof(struct store_fact_row, status),
	offsetof(struct store_fact_row, reason),
	offsetof(struct store_fact_row, reason_text),
	offsetof(struct store_fact_row, original_id),
	offsetof(struct store_fact_row, cycle_date),
	offsetof(struct store_fact_row, status_date),
	offsetof(struct store_fact_row, canonical_kind),
};
static const struct row_shape fact_shape = { sizeof(struct store_fact_row), fact_strings,
					     ARRAY_SIZE(fact_strings) };

static int pack_fact(void *ctx, const struct store_fact_row *f)
{
	return pack(ctx, f);
}

static int query_facts(struct reader *rd)
{
	return store_each_fact_between(rd->s, rd->a, rd->b, pack_fact, rd, &rd->e);
}

struct facts_fn {
	int (*fn)(void *ctx, const struct store_fact_row *rows, size_t n);
	void *ctx;
};

static int give_facts(void *ctx, const void *rows, size_t n)
{
	const struct facts_fn *f = ctx;
	return f->fn(f->ctx, rows, n);
}

int store_read_facts_between(struct store *s, const char *first_day, const char *last_day,
			     int (*fn)(void *ctx, const struct store_fact_row *rows, size_t n),
			     void *ctx, struct err *e)
{
	struct reader rd = {
		.s = s, .shape = &fact_shape, .query = query_facts, .a = first_day, .b = last_day
	};
	struct facts_fn f = { fn, ctx };
	return run(&rd, give_facts, &f, e);
}

/* ---- policies --------------------------------------------------------------- */

static const size_t policy_strings[] = {
	offsetof(struct store_policy_row, policy_number),
	offsetof(struct store_policy_row, product_code),
	offsetof(struct store_policy_row, channel),
	offsetof(struct store_policy_row, collection_ref),
	offsetof(struct store_policy_row, cash_code),
	offsetof(struct store_policy_row, status),
	offsetof(struct store_policy_row, start_date),
	offsetof(struct store_policy_row, cancel_date),
};
static const struct row_shape policy_shape = { sizeof(struct store_policy_row), policy_strings,
					       ARRAY_SIZE(policy_strings) };

static int pack_policy(void *ctx, const struct store_policy_row *p)
{
	return pack(ctx, p);
}

static int query_policies(struct reader *rd)
{
	return store_each_policy_for_period(rd->s, rd->a, rd->flag, pack_policy, rd, &rd->e);
}

struct policies_fn {
	int (*fn)(void *ctx, const struct store_policy_row *rows, size_t n);
	void *ctx;
};

static int give_policies(void *ctx, const void *rows, size_t n)
{
	const struct policies_fn *f = ctx;
	return f->fn(f->ctx, rows, n);
}

int store_read_policies_for_period(struct store *s, const char *period, bool with_numbers,
				   int (*fn)(void *ctx, const struct store_policy_row *rows,
					     size_t n),
				   void *ctx, struct err *e)
{
	struct reader rd = { .s = s,
			     .shape = &policy_shape,
			     .query = query_policies,
			     .a = period,
			     .flag = with_numbers };
	struct policies_fn f = { fn, ctx };
	return run(&rd, give_policies, &f, e);
}
