/*
 * reconcile.h — a period's outcomes and discrepancies, from stored facts
 * (`kasi reconcile`), and the trace of one policy's (`kasi explain`).
 *
 * Reconciling is a pure function of the store and the schemas: run twice,
 * it writes the same outcomes and the same discrepancies (the previous
 * ones are replaced, in one transaction). Discrepancies recorded by ingest
 * stay. The channels are the schemas' (match.h); outcomes are decided
 * from the money movements matching finds (outcome.h).
 */
#ifndef KASI_RECONCILE_H
#define KASI_RECONCILE_H

#include "io/schema.h"
#include "stage/match.h"
#include "stage/outcome.h"
#include "stage/reasons.h"
#include "store/store.h"

struct reconcile_opts {
	bool write;		 /* replace the period's outcomes and discrepancies */
	int64_t trace_policy_id; /* 0: none */
	void (*trace)(void *ctx, const struct trace_event *ev);
	void *trace_ctx;
};

struct reconcile_summary {
	struct outcome_totals outcomes; /* one per policy scheduled and decided */
	int64_t found;			/* discrepancies reconciliation found */
	int64_t total;			/* the period's discrepancies, ingest's included */
	/* Collections of voided files paid over already, taken back by the
	 * next settlement (reversal movements of the period); reversals of
	 * voided files clawed back already, given back by it. */
	int64_t voided_taken_back, voided_given_back;
	/* Policies whose money passed what int64 cents hold: no outcome is
	 * recorded for them (every other policy's is); the first one, and the
	 * row that took it there. */
	int64_t overflowed;
	char overflow_policy[64];
	char overflow_file[512];
	uint64_t overflow_row;
};

/* Reconcile period "YYYY-MM", which must have been scheduled, over the
 * channels the schemas describe. Returns 0, or -KASI_EDATA (not
 * scheduled; the totals of the period pass int64 cents), -KASI_EUSAGE
 * (not a period), or a store failure, with a message in e. */
int reconcile_period(struct store *s, const struct schema_set *schemas,
		     const struct reasons *reasons, const char *period,
		     const struct reconcile_opts *opts, struct reconcile_summary *sum,
		     struct err *e);

#endif
