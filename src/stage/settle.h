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
 *                        by the policy's product now; none for a zero
 *                        amount, which is no money and gets no line
 *   a reversal's fee     minus the fee its original was charged, whichever
 *                        is settled first (a collection clawed back before
 *                        it is paid is charged minus its reversal's fee)
 *   a batch's net        collected - reversed - fees + brought_forward
 *   brought_forward      the provider's last batch's net when negative, and
 *                        what its payouts left owed (a rejected payout's
 *                        amount, a mismatched one's difference) not
 *                        brought forward yet
 *
 * A collection is clawed back once, ever: a reversal whose original a
 * line claws back already (reconciliation linked another row to it since)
 * is settled. A reversal whose own row was settled reversing another
 * collection cannot be settled again: it is held back and named.
 *
 * A provider with lines gets a batch; one without, only when what it is
 * owed (net of a negative balance) is positive — a rejected payout is paid
 * again — else its balance waits for its next batch with lines. A batch
 * with a positive net gets one payout. One transaction: all the batches
 * of a settlement or none; before it commits, every provider's money must
 * balance and no collection be clawed back twice, or nothing is written.
 * A provider whose money passes int64 cents (an absurd fee) is held back:
 * no batch, nothing of it settled; every other one is.
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

#define SETTLE_NOTES 8

struct settle_result {
	bool nothing;	  /* a settlement through that day or later exists already */
	char last[16];	  /* ... the latest's through date */
	int64_t late;	  /* ... and movements dated through the day it does not hold */
	int64_t late_net; /* ... their money, collections less reversals */
	int64_t batches;  /* created */
	struct settle_batch
		*shown; /* the first SETTLE_BATCHES_SHOWN; freed by settle_result_release */
	size_t nshown;
	int64_t lines;
	int64_t relinked;	/* reversals of collections clawed back already */
	int64_t held;		/* reversals held back (their row settled reversing another) */
	int64_t held_providers; /* providers held back: their money passes int64 cents */
	/* what was held back, in words (the first SETTLE_NOTES) */
	char notes[SETTLE_NOTES][512];
	size_t nnotes;
};

/* Settle through `through`, on or before `today` (SAST). Every period
 * holding facts of a channel dated through that day must be reconciled
 * and current. Returns 0 (res->nothing when there was nothing new to
 * settle; res->held_providers when some were held back, every other one
 * settled), or -KASI_EUSAGE (not a real date; after today), -KASI_EDATA
 * (a period not ready; a provider's money does not balance; a collection
 * clawed back twice), or a store failure; e says which. */
int settle_through(struct store *s, const struct schema_set *schemas, const char *through,
		   int32_t today, struct settle_result *res, struct err *e);
void settle_result_release(struct settle_result *res);

/* round_half_up(amount x bps / 10000) + fixed, for amount >= 0; -1 when
 * it passes int64 cents. */
int settle_fee(int64_t amount, int64_t bps, int64_t fixed, int64_t *fee);

#endif
