/*
 * match.h — matching a period's facts to policies, whatever the channel.
 *
 * A channel's schema names one of three flows, each written once:
 *
 *   payments      flow_payments.c      each row a payment (cash, wallets)
 *   debits        flow_debits.c        collections, and reversals linked to
 *                                      their original (debit-order bureaus)
 *   instructions  flow_instructions.c  status updates of one instruction;
 *                                      the latest decides (collection switches)
 *
 * and says which of a policy's keys its rows name and what its codes mean
 * (struct schema_flow). A flow reads facts and gives back, through the
 * matcher below, the same four things for every channel:
 *
 *   movements  money for a policy: collected, taken back, or pending;
 *              outcomes are decided from them alone (outcome.c), and
 *              settlement reads the same
 *   failures   a policy's failed collections: the latest gives its reason
 *   findings   discrepancies, written by discrepancy.c
 *   trace      one policy's story, for kasi explain
 *
 * Nothing here reads the store: what a flow must look up (an original by
 * its id, a ledger record of another day) goes through struct
 * match_lookup, which reconcile.c serves from the store and the unit tests
 * from memory.
 */
#ifndef KASI_MATCH_H
#define KASI_MATCH_H

#include "core/arena.h"
#include "core/dates.h"
#include "core/strmap.h"
#include "io/schema.h"
#include "store/store.h"

#define MATCH_NONE     UINT32_MAX
#define MATCH_NO_DAY   INT32_MAX
#define MATCH_CHANNELS 16
#define TOLERANCE      1 /* R0.01, in cents */

/* A channel as matching knows it: its schema, and its place in tables. */
struct channel {
	const struct schema *schema;
	const char *name; /* schema->channel */
	uint8_t id;	  /* index in matcher.channels */
};

enum policy_state { POLICY_ACTIVE, POLICY_LAPSED, POLICY_CANCELLED };

/* A policy, as matching needs it. */
struct match_policy {
	int64_t id;
	int64_t expected;   /* the period's expected premium (when scheduled) */
	int32_t cancel_day; /* MATCH_NO_DAY: none */
	uint32_t fail;	    /* its latest failure: index + 1 in matcher.fails; 0: none */
	int32_t product_id; /* the policy's product, for its movements */
	uint8_t state;
	bool scheduled;
};

enum movement_kind { MOVE_COLLECTED, MOVE_REVERSAL, MOVE_PENDING };

/* Money for a policy, from one row. */
struct movement {
	int64_t fact_id;  /* the row it comes from: file_id << 32 | row */
	int64_t amount;	  /* cents, > 0: collected, taken back, or pending */
	int64_t original; /* a reversal: the fact id of the collection it takes back */
	uint32_t policy;  /* index in matcher.policies */
	int32_t day;	  /* its own business date */
	uint8_t kind;	  /* enum movement_kind */
	uint8_t channel;  /* index in matcher.channels */
};

/* The order of the store's movements: by row, a collection before a
 * reversal (qsort's comparison). */
int movement_order(const void *a, const void *b);

/* The movements in that order, for writing them. Each pass of the flows
 * appends movements in the order it read its rows: a few runs already in
 * order, merged as they are read out rather than sorted (a million
 * movements, no copy). With more runs than MOVES_MERGE_RUNS, the array is
 * sorted first. */
#define MOVES_MERGE_RUNS 16
struct moves_merge {
	const struct movement *moves;
	size_t at[MOVES_MERGE_RUNS], end[MOVES_MERGE_RUNS], nruns;
};
void moves_merge_begin(struct moves_merge *g, struct movement *moves, size_t n);
/* The next movement; NULL after the last. */
const struct movement *moves_merge_next(struct moves_merge *g);

/* A failed collection; the latest of a policy's gives its reason. */
struct failure {
	int32_t day, time; /* business date; seconds in the day, 0 when unknown */
	int64_t seq;	   /* fact id: arrival order, the last tie-break */
	const char *channel, *raw;
};

/* Where a row is, for a discrepancy or a trace line. */
struct where {
	const char *channel;
	int64_t file_id;
	uint64_t row;
	const char *txn;
	const char *date;
};

/* A discrepancy found; the reference is the policy's number when a policy
 * is known (discrepancy_write_all looks it up). */
struct finding {
	const char *code, *channel, *reference, *txn, *expected, *actual, *detail;
	int64_t file_id, policy_id;
	uint64_t row;
};

/* What a flow may look up in the store, once the period's facts are read.
 * Each returns 1 (the record through fn), 0 (none) or a negative status,
 * as the store functions of the same names. */
struct match_lookup {
	void *ctx;
	int (*fact_by_key)(void *ctx, const char *channel, const char *key,
			   int (*fn)(void *, const struct store_fact_row *), void *fn_ctx,
			   struct err *e);
	/* Counted facts of the kind with this reference and cycle date, by
	 * arrival; returns 0 or a negative status. */
	int (*facts_on_cycle)(void *ctx, const char *channel, const char *reference,
			      const char *cycle_date, const char *kind,
			      int (*fn)(void *, const struct store_fact_row *), void *fn_ctx,
			      struct err *e);
	int (*fact_at)(void *ctx, int64_t fact_id, int (*fn)(void *, const struct store_fact_row *),
		       void *fn_ctx, struct err *e);
	int (*ledger_find)(void *ctx, const char *channel, const char *transaction_id,
			   int (*fn)(void *, const struct store_ledger_row *), void *fn_ctx,
			   struct err *e);
	int (*ledger_get)(void *ctx, int64_t ledger_id,
			  int (*fn)(void *, const struct store_ledger_row *), void *fn_ctx,
			  struct err *e);
};

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

/* A two-sided payments channel's ledger records of the period. */
struct ledger_record {
	int64_t id, amount;
	const char *status; /* interned */
	bool matched;	    /* a counted fact of the period holds it */
};

/* One row of an instruction, held until the period's facts are read. */
struct instruction_row {
	int64_t fact_id, amount, requested;
	const char *txn, *reference, *code; /* in matcher.strings */
	int32_t day, order_day, order_time; /* order_day MATCH_NO_DAY, order_time -1: none */
	int32_t status_day;		    /* MATCH_NO_DAY: none */
	uint8_t kind;			    /* enum fact_kind */
	uint8_t channel;
	const char *status; /* the raw status, in matcher.strings */
};

/* Debit-order health: a channel's debit instructions that reached a final
 * state in the period, for one product (so one provider), and those of
 * them that were unpaid (reversed, or failed), by raw reason ("" for the
 * instructions counted, and for an unpaid that gave none). */
struct debit_tally {
	uint8_t channel;
	int32_t product_id;
	const char *raw; /* in matcher.strings */
	int64_t instructions, unpaids;
};

struct matcher {
	char period[PERIOD_BUFSZ], first[DATE_BUFSZ], last[DATE_BUFSZ];
	int32_t first_day, last_day;
	const struct match_lookup *lookup;
	struct err *e;
	struct arena *strings; /* failures' reasons, findings, trace lines */
	bool oom;

	struct channel channels[MATCH_CHANNELS];
	size_t nchannels;

	struct match_policy *policies; /* in policy_id order */
	size_t npolicies, policies_cap;
	struct strmap *by_key; /* a key's kind and channel byte, then the key -> policy */
	bool by_number;	       /* policy numbers are keys too */

	struct movement *moves;
	size_t nmoves, moves_cap;
	struct failure *fails;
	size_t nfails, fails_cap;
	struct finding *findings;
	size_t nfindings, findings_cap;

	/* payments: two-sided channels' ledger records of the period */
	struct ledger_record *ledger;
	size_t nledger, ledger_cap;
	struct strmap *ledger_by_txn; /* channel byte + transaction id -> record */
	const char *statuses[16];     /* the ledger's status words, interned */
	size_t nstatuses;
	bool applied[MATCH_CHANNELS][32]; /* by channel, day of the month: a file was applied */
	struct store_fact_row *deferred;  /* rows whose ledger record is of another date */
	size_t ndeferred, deferred_cap;

	/* debits: collections taken back in this run, by fact id */
	struct strmap *reversed;

	/* instructions: the period's rows */
	struct instruction_row *instructions;
	size_t ninstructions, instructions_cap;

	/* debits and instructions: final instructions and unpaids */
	struct debit_tally *tallies;
	size_t ntallies, tallies_cap;
	struct strmap *tally_by_key; /* channel, product, raw reason -> index */

	/* explain: one policy's story */
	int64_t trace_policy_id; /* 0: none */
	void (*trace)(void *ctx, const struct trace_event *ev);
	void *trace_ctx;
};

/* ---- the matcher (match.c) --------------------------------------------- */

/* Set up a matcher for a period ("YYYY-MM"), over every channel schema of
 * the set that names a flow. Returns 0, or -KASI_EUSAGE (not a period),
 * -KASI_ECONFIG (too many channels), -KASI_EIO. Released with
 * matcher_release (also after a failed init). */
int matcher_init(struct matcher *m, const struct schema_set *set, const char *period,
		 const struct match_lookup *lookup, struct err *e);
void matcher_release(struct matcher *m);
/* Once every fact is matched: let go of the maps that found policies and
 * records (their memory serves what is decided next). */
void matcher_release_maps(struct matcher *m);

/* The channel named name, or NULL (no schema of the set declares it). */
const struct channel *matcher_channel(const struct matcher *m, const char *name);

/* Whether some channel's rows name policies by their number (so that
 * matcher_add_policy needs it). The caller may say, before the policies
 * are added, that no such channel has facts in the period: then numbers
 * are not kept (a million of them cost a second and 50 MB). */
bool matcher_needs_numbers(const struct matcher *m);
void matcher_skip_numbers(struct matcher *m);

/* Add a policy (in policy_id order) and its keys. */
int matcher_add_policy(struct matcher *m, const struct store_policy_row *p);
/* Fetch a policy key's map slot ahead of its lookup. */
void matcher_prefetch_policy(const struct matcher *m, const struct store_policy_row *p);

/* The policy a channel's row names by its reference, or MATCH_NONE. */
uint32_t matcher_policy(const struct matcher *m, const struct channel *c, const char *reference);
void matcher_prefetch_reference(const struct matcher *m, const struct channel *c,
				const char *reference);
/* Then, once that memory has come, ask for the policy the reference
 * names (its matcher.policies entry). */
void matcher_prefetch_named(const struct matcher *m, const struct channel *c,
			    const char *reference);

/* Movements, for policy pol at w; what (a format) says what it was, for
 * the trace (formatted only when pol is traced). Money for a policy is
 * never negative: an amount below zero (a row stored before ingest refused
 * such rows, or read under a schema whose sign rule has changed since) is
 * not counted but raises UNEXPECTED_SIGN, and collect and pending return
 * false; a negative amount is never taken back (its collection was not
 * counted). */
bool matcher_collect(struct matcher *m, uint32_t pol, const struct where *w, int32_t day,
		     int64_t amount, const char *what, ...) __attribute__((format(printf, 6, 7)));
void matcher_take_back(struct matcher *m, uint32_t pol, const struct where *w, int32_t day,
		       int64_t amount, int64_t original, const char *what, ...)
	__attribute__((format(printf, 7, 8)));
bool matcher_pending(struct matcher *m, uint32_t pol, const struct where *w, int32_t day,
		     int64_t amount, const char *what, ...) __attribute__((format(printf, 6, 7)));

/* A failed collection: the later of a policy's failures wins, by business
 * date, time, then arrival (seq). */
void matcher_failure(struct matcher *m, uint32_t pol, const char *channel, int32_t day,
		     int32_t time, int64_t seq, const char *raw);

/* Debit-order health (the debits and instructions flows): an instruction
 * of policy pol on channel c reached a final state in the period; one of
 * them was unpaid, with its raw reason (NULL or "": none given). */
void matcher_debit_instruction(struct matcher *m, uint32_t pol, const struct channel *c);
void matcher_debit_unpaid(struct matcher *m, uint32_t pol, const struct channel *c,
			  const char *raw);

/* Money collected on `day` for a lapsed policy, or a cancelled one after
 * its cancel date: PAYMENT_ON_INACTIVE_POLICY. */
void matcher_check_inactive(struct matcher *m, uint32_t pol, const struct where *w, int32_t day);

/* Record a discrepancy (strings copied); pol names its policy, if any. */
void matcher_find(struct matcher *m, const char *code, const struct where *w, uint32_t pol,
		  const char *reference, const char *expected, const char *actual,
		  const char *detail);

/* A line of the traced policy's story (formatted only when it is). */
bool matcher_traced(const struct matcher *m, uint32_t pol);
void matcher_trace(struct matcher *m, uint32_t pol, enum trace_kind kind, const struct where *w,
		   bool has_amount, int64_t amount, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* Strings that live as long as the matcher. */
const char *matcher_keep(struct matcher *m, const char *s);
const char *matcher_fmt(struct matcher *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *matcher_money(struct matcher *m, int64_t cents);
/* A row's reference as a finding shows it: as it came, or masked when its
 * schema says the column is personal (`mask`, or `mask digits` and the
 * value holds a run of digits: a phone number typed for a policy
 * number). */
const char *matcher_reference(struct matcher *m, const struct channel *c, const char *reference);

bool matcher_in_period(const struct matcher *m, int32_t day);
int32_t match_day(const char *iso); /* 'YYYY-MM-DD', else MATCH_NO_DAY */
struct where match_where(const struct store_fact_row *f);
/* The kind a stored fact was given at ingest (its schema's kind rules). */
enum fact_kind match_fact_kind(const struct store_fact_row *f);

/* ---- the flows ----------------------------------------------------------- */

/* payments (flow_payments.c). The ledger and the days a file was applied
 * are given first; then each fact dated in the period; then finish: the
 * rows whose ledger record is of another date, and the ledger records no
 * file holds (MISSING_FROM_FILE). */
int flow_payments_ledger(struct matcher *m, const struct channel *c,
			 const struct store_ledger_row *l);
void flow_payments_applied(struct matcher *m, const struct channel *c, const char *date);
int flow_payments_fact(struct matcher *m, const struct channel *c, const struct store_fact_row *f);
/* Ask for the memory the row's ledger record is found through (a row of
 * a two-sided channel), ahead of flow_payments_fact. */
void flow_payments_prefetch(const struct matcher *m, const struct channel *c,
			    const struct store_fact_row *f);
int flow_payments_finish(struct matcher *m);

/* debits (flow_debits.c): each fact dated in the period (collections;
 * reversals are skipped here), then every reversal stored, by date then
 * arrival: it takes back its original, in the original's period. */
int flow_debits_fact(struct matcher *m, const struct channel *c, const struct store_fact_row *f);
int flow_debits_reversal(struct matcher *m, const struct channel *c,
			 const struct store_fact_row *u);

/* instructions (flow_instructions.c): each fact dated in the period is
 * held; finish reads each instruction's rows in order. */
int flow_instructions_fact(struct matcher *m, const struct channel *c,
			   const struct store_fact_row *f);
void flow_instructions_finish(struct matcher *m);

#endif
