/*
 * settle.h — settlement: what each provider is owed, in batches, paid by
 * EFT (`kasi settle --through YYYY-MM-DD`).
 *
 * Cash basis: a batch through day D holds every collected amount and
 * every reversal whose own business date is on or before D and that no
 * earlier batch holds — read from the money movements reconciliation
 * keeps, never from a channel's rows. A settlement knows no channel.
 *
 *   a collection's fee   round_half_up(amount x fee_bps / 10000) + fee_fixed,
 *                        by the policy's product now
 *   a reversal's fee     minus the fee its original was charged, whenever
 *   a batch's net        collected - reversed - fees + brought_forward
 *   brought_forward      the provider's last batch's net when negative, and
 *                        its rejected payouts not carried yet
 *
 * A batch with a positive net gets one payout. One transaction: all the
 * batches of a settlement or none; before it commits, every provider's
 * money must balance (settle_check_balance), or nothing is written.
 */
#ifndef KASI_SETTLE_H
#define KASI_SETTLE_H

#include "core/err.h"
#include "io/schema.h"
#include "store/store.h"

#define SETTLE_BATCHES_SHOWN 64

struct settle_batch {
	int64_t provider_id, batch_id;
	char provider[32]; /* its code */
	int64_t collections, collected, reversals, reversed, fees, brought_forward, net;
	char payout[16]; /* its payout's reference; "" when none */
};

struct settle_result {
	bool nothing;	 /* a settlement through that day or later exists already */
	char last[16];	 /* ... the latest's through date */
	int64_t batches; /* created */
	struct settle_batch
		*shown; /* the first SETTLE_BATCHES_SHOWN; freed by settle_result_release */
	size_t nshown;
	int64_t lines;
};

/* Settle through `through` ("YYYY-MM-DD"). Every period holding facts of
 * a channel dated through that day must be reconciled and current.
 * Returns 0 (res->nothing when there was nothing new to settle), or
 * -KASI_EUSAGE (not a date), -KASI_EDATA (a period not ready; an amount
 * past int64 cents; a provider's money does not balance), or a store
 * failure; e says which. */
int settle_through(struct store *s, const struct schema_set *schemas, const char *through,
		   struct settle_result *res, struct err *e);
void settle_result_release(struct settle_result *res);

/* round_half_up(amount x bps / 10000) + fixed, for amount >= 0; -1 when
 * it passes int64 cents. */
int settle_fee(int64_t amount, int64_t bps, int64_t fixed, int64_t *fee);

#endif
