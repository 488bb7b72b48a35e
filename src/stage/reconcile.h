/*
 * reconcile.h — a period's outcomes and discrepancies, from stored facts
 * (`kasi reconcile`), and the trace of one policy's (`kasi explain`).
 *
 * Reconciling is a pure function of the store: run twice, it writes the
 * same outcomes and the same discrepancies (the previous ones are replaced,
 * in one transaction). Discrepancies recorded by ingest stay.
 */
#ifndef KASI_RECONCILE_H
#define KASI_RECONCILE_H

#include "core/money.h"
#include "stage/reasons.h"
#include "store/store.h"

enum outcome_status { PAID_FULL, PAID_PARTIAL, UNPAID, CANCELLED, OUTCOME_STATUS_COUNT };

const char *outcome_status_name(enum outcome_status s);

/* The status named name ("PAID_FULL"), or OUTCOME_STATUS_COUNT. */
enum outcome_status outcome_status_parse(const char *name);

/* A set of outcomes counted: by status, and their money. */
struct outcome_totals {
	int64_t policies;
	int64_t by_status[OUTCOME_STATUS_COUNT];
	int64_t expected, collected, shortfall, pending;
};

/* Count one outcome. Returns 0, or MONEY_ERANGE when a sum would pass
 * int64 cents (that sum left as it was). */
int outcome_totals_add(struct outcome_totals *t, enum outcome_status st, int64_t expected,
		       int64_t collected, int64_t shortfall, int64_t pending);

/* "expected E, collected C, shortfall S, pending P", as every summary and
 * explanation prints an outcome's money. */
#define OUTCOME_MONEY_BUFSZ (4 * MONEY_BUFSZ + 48)
void outcome_money_text(int64_t expected, int64_t collected, int64_t shortfall, int64_t pending,
			char out[OUTCOME_MONEY_BUFSZ]);

/* What went into one policy's outcome, as explain shows it. */
enum trace_kind {
	TRACE_COLLECTION,  /* money collected, counted in the period */
	TRACE_REVERSAL,	   /* an earlier collection taken back */
	TRACE_PENDING,	   /* not final: shown, not counted */
	TRACE_FAILURE,	   /* a failed collection, with its reason */
	TRACE_NOT_COUNTED, /* stored, but not money for the period */
	TRACE_DISCREPANCY, /* a discrepancy the policy's rows raised */
	TRACE_RULE,	   /* the rule that decided the status */
};

struct trace_event {
	enum trace_kind kind;
	const char *channel;
	int64_t file_id; /* 0: none */
	uint64_t row;
	const char *transaction_id;
	const char *date; /* the row's business date */
	int64_t amount;	  /* signed effect on `collected`, or the pending amount */
	bool has_amount;
	const char *detail; /* one line: what and why */
};

struct reconcile_opts {
	bool write;		 /* replace the period's outcomes and discrepancies */
	int64_t trace_policy_id; /* 0: none */
	void (*trace)(void *ctx, const struct trace_event *ev);
	void *trace_ctx;
};

struct reconcile_summary {
	struct outcome_totals outcomes; /* one per policy scheduled */
	int64_t found;			/* discrepancies reconciliation found */
	int64_t total;			/* the period's discrepancies, ingest's included */
};

/* Reconcile period "YYYY-MM", which must have been scheduled. Returns 0, or
 * -KASI_EDATA (not scheduled) or a store failure, with a message in e. */
int reconcile_period(struct store *s, const struct reasons *reasons, const char *period,
		     const struct reconcile_opts *opts, struct reconcile_summary *sum,
		     struct err *e);

#endif
