/*
 * reconcile.c — outcomes and discrepancies of a period (see reconcile.h).
 *
 * Policies are held in memory, found by hash (one map: "s" or "c" plus a
 * collection_ref, "e" plus an EasyPay code), and so is the period's
 * EasyPay ledger (by transaction id); facts are streamed from the store
 * (a period's file by file, on a reader thread), every link made through
 * an index or a hash — never a nested loop over two sides:
 *
 *   1. policies with the period's expected premiums; the period's ledger
 *   2. facts dated in the period, as they arrived, in one pass:
 *        cash (EasyPay, and any channel with settled/pending/failed rows):
 *          a topup is collected (settled), pending, or a failure; a
 *          cashout is never a premium. EasyPay rows are checked against
 *          the ledger as they pass: a row our ledger lacks, an amount off
 *          by more than R0.01, a status that differs
 *        Softy Comp collections (types 1 2 3 4 5 8 11 12): collected; the
 *          amount is as on the client's account, so -724.19 collects 724.19
 *        Collexia rows (action date, messageDate, in the period): held,
 *          a few numbers each, for step 4
 *   3. Softy Comp unpaids (type 7) dated in the period or later, by date:
 *        each reverses its original (originalTransactionId when given,
 *        else the first unreversed collection with the same collectionId
 *        and cycleDate), in the original's period, by |amount|; no
 *        original, or one already reversed: ORPHAN_REVERSAL, in the period
 *        of its cycle date (else its own)
 *   4. Collexia instructions, each one's rows sorted by (statusDate,
 *      statusTime, arrival):
 *        a completion (3) collects amountPaidOut; a later 4 or 7 with a
 *        code other than 99/TR75 reverses it; with 99/TR75 it is tracking
 *        (pending; never a reversal); otherwise the latest status decides:
 *        1 2 6 pending, 4 7 failed, 5 cancelled
 *   5. the period's ledger records that no file holds, on a day whose
 *      EasyPay file was applied: MISSING_FROM_FILE
 *   6. per scheduled policy: status, shortfall, reason; OVERPAYMENT
 *
 * Money collected for a lapsed policy, or for a cancelled one after its
 * cancel date, counts like any other and raises PAYMENT_ON_INACTIVE_POLICY.
 * The latest failure (by business date, then time, then arrival) gives an
 * unpaid or partial policy its reason; NOT_RECEIVED when there is none.
 */
#include "core/common.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/grow.h"
#include "core/dates.h"
#include "core/money.h"
#include "core/log.h"
#include "core/strmap.h"
#include "stage/discrepancy.h"
#include "stage/reconcile.h"

#define NO_DAY		      INT32_MAX
#define NONE		      UINT32_MAX
#define TOLERANCE	      1 /* R0.01, in cents */
#define SOFTYCOMP_COLLECTIONS "1,2,3,4,5,8,11,12"
#define RECONCILE_CACHE_KIB   (16 * 1024)

static const char *const status_names[OUTCOME_STATUS_COUNT] = {
	[PAID_FULL] = "PAID_FULL",
	[PAID_PARTIAL] = "PAID_PARTIAL",
	[UNPAID] = "UNPAID",
	[CANCELLED] = "CANCELLED",
};

const char *outcome_status_name(enum outcome_status s)
{
	return s < OUTCOME_STATUS_COUNT ? status_names[s] : "?";
}

enum outcome_status outcome_status_parse(const char *name)
{
	int s = 0;
	while (s < OUTCOME_STATUS_COUNT && strcmp(name, status_names[s]))
		s++;
	return (enum outcome_status)s;
}

int outcome_totals_add(struct outcome_totals *t, enum outcome_status st, int64_t expected,
		       int64_t collected, int64_t shortfall, int64_t pending)
{
	t->policies++;
	if (st < OUTCOME_STATUS_COUNT)
		t->by_status[st]++;
	int rc = money_add(t->expected, expected, &t->expected);
	rc = rc ? rc : money_add(t->collected, collected, &t->collected);
	rc = rc ? rc : money_add(t->shortfall, shortfall, &t->shortfall);
	return rc ? rc : money_add(t->pending, pending, &t->pending);
}

void outcome_money_text(int64_t expected, int64_t collected, int64_t shortfall, int64_t pending,
			char out[OUTCOME_MONEY_BUFSZ])
{
	char exp[MONEY_BUFSZ], col[MONEY_BUFSZ], sf[MONEY_BUFSZ], pen[MONEY_BUFSZ];
	money_format(expected, exp);
	money_format(collected, col);
	money_format(shortfall, sf);
	money_format(pending, pen);
	snprintf(out, OUTCOME_MONEY_BUFSZ, "expected %s, collected %s, shortfall %s, pending %s",
		 exp, col, sf, pen);
}

enum policy_state { POLICY_ACTIVE, POLICY_LAPSED, POLICY_CANCELLED };

/* A policy's latest failure; few policies have one, so they are kept
 * apart from the policies. */
struct failure {
	int32_t day, time;
	int64_t seq; /* fact id: arrival order, the last tie-break */
	const char *channel, *raw;
};

/* One policy, as matching needs it: 56 bytes, a million of them fit. */
struct pol {
	int64_t id;
	int64_t expected, collected, pending;
	int64_t last_fact;  /* its latest collection, for OVERPAYMENT's file and row; 0: none */
	int32_t last_day;   /* ... and its business date */
	int32_t cancel_day; /* NO_DAY: none */
	uint32_t fail;	    /* its failure: index + 1 in run.fails; 0: none */
	uint8_t state;
	bool scheduled;
};

/* Where a row is, for a discrepancy or a trace line. */
struct where {
	const char *channel;
	int64_t file_id;
	uint64_t row;
	const char *txn;
	const char *date;
};

struct disc {
	const char *code, *channel, *reference, *txn, *expected, *actual, *detail;
	int64_t file_id, policy_id;
	uint64_t row;
};

/* One Collexia row of the period, held until the instructions are read. */
struct cx_row {
	int64_t fact_id, amount, requested;
	const char *txn, *reference, *code;   /* in run.strings */
	int32_t day, status_day, status_time; /* status_day NO_DAY, status_time -1: none */
	char status[4];
};

/* One EasyPay ledger record of the period. */
struct led {
	int64_t id, amount;
	const char *status; /* interned */
	bool matched;	    /* a counted fact of the period holds it */
};

struct run {
	struct store *store;
	const struct reasons *reasons;
	const struct reconcile_opts *opts;
	struct err *e;
	char period[PERIOD_BUFSZ], first[DATE_BUFSZ], last[DATE_BUFSZ];
	int32_t first_day, last_day;
	struct arena *strings; /* failures' reasons, discrepancies, trace lines */
	bool oom;
	bool overflow;		  /* a sum passed int64 cents: nothing is written */
	struct where overflow_at; /* the row that took it there (file_id 0: a total) */

	struct pol *pols; /* in policy_id order */
	size_t npols, pols_cap;
	struct strmap *by_ref;
	struct failure *fails;
	size_t nfails, fails_cap;
	struct strmap *reversed; /* Softy Comp collections reversed in this run */

	struct cx_row *cx; /* the period's Collexia rows */
	size_t ncx, cx_cap;

	/* EasyPay rows of the period whose ledger record is not the period's:
	 * looked up in the store once the facts' reader is done with it. */
	struct store_fact_row *deferred;
	size_t ndeferred, deferred_cap;

	struct led *ledger; /* the period's EasyPay ledger, by id */
	size_t nledger, ledger_cap;
	struct strmap *ledger_by_txn;
	const char *statuses[16]; /* the ledger's status words, interned */
	size_t nstatuses;
	bool applied[32]; /* by day of the month: an EasyPay file of that date was applied */

	struct disc *discs;
	size_t ndiscs, discs_cap;
};

/* ---- helpers ------------------------------------------------------------ */

/* Room for one more element after the n in *arr. */
static bool push(void **arr, size_t *n, size_t *cap, size_t elem)
{
	return grow_array(arr, cap, *n + 1, elem);
}

static int32_t day_of(const char *iso)
{
	int32_t d;
	return iso && date_parse(iso, strlen(iso), DATE_FMT_ISO, &d) == DATE_OK ? d : NO_DAY;
}

static const char *keep(struct run *r, const char *s)
{
	const char *c = s ? arena_strdup(r->strings, s) : NULL;
	if (s && !c)
		r->oom = true;
	return c;
}

static const char *vfmt(struct run *r, const char *f, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof(buf), f, ap);
	return keep(r, buf);
}

static const char *fmt(struct run *r, const char *f, ...) __attribute__((format(printf, 2, 3)));

static const char *fmt(struct run *r, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	const char *s = vfmt(r, f, ap);
	va_end(ap);
	return s;
}

static const char *money_text(struct run *r, int64_t cents)
{
	char buf[MONEY_BUFSZ];
	money_format(cents, buf);
	return keep(r, buf);
}

static bool in_period(const struct run *r, int32_t day)
{
	return day >= r->first_day && day <= r->last_day;
}

static bool traced(const struct run *r, uint32_t pol)
{
	return r->opts->trace && pol != NONE && r->pols[pol].id == r->opts->trace_policy_id;
}

static struct where where_fact(const struct store_fact_row *f)
{
	return (struct where){ f->channel, f->file_id, f->row, f->transaction_id,
			       f->business_date };
}

/* A line of the traced policy's story; the text is formatted only when
 * the policy is the one being traced. */
static void trace(struct run *r, uint32_t pol, enum trace_kind kind, const struct where *w,
		  bool has_amount, int64_t amount, const char *f, ...)
	__attribute__((format(printf, 7, 8)));

static void trace(struct run *r, uint32_t pol, enum trace_kind kind, const struct where *w,
		  bool has_amount, int64_t amount, const char *f, ...)
{
	if (!traced(r, pol))
		return;
	va_list ap;
	va_start(ap, f);
	const char *detail = vfmt(r, f, ap);
	va_end(ap);
	struct trace_event ev = {
		.kind = kind,
		.channel = w ? w->channel : NULL,
		.file_id = w ? w->file_id : 0,
		.row = w ? w->row : 0,
		.transaction_id = w ? w->txn : NULL,
		.date = w ? w->date : NULL,
		.amount = amount,
		.has_amount = has_amount,
		.detail = detail,
	};
	r->opts->trace(r->opts->trace_ctx, &ev);
}

/* Record a discrepancy; the strings are copied. */
static void raise(struct run *r, const char *code, const struct where *w, uint32_t pol,
		  const char *reference, const char *expected, const char *actual,
		  const char *detail)
{
	if (!push((void **)&r->discs, &r->ndiscs, &r->discs_cap, sizeof(*r->discs))) {
		r->oom = true;
		return;
	}
	r->discs[r->ndiscs++] = (struct disc){
		.code = code,
		.channel = w ? keep(r, w->channel) : NULL,
		.reference = keep(r, reference),
		.txn = w ? keep(r, w->txn) : NULL,
		.expected = keep(r, expected),
		.actual = keep(r, actual),
		.detail = keep(r, detail),
		.file_id = w ? w->file_id : 0,
		.row = w ? w->row : 0,
		.policy_id = pol != NONE ? r->pols[pol].id : 0,
	};
	trace(r, pol, TRACE_DISCREPANCY, w, false, 0, "%s: %s", code, detail);
}

/* A reference's key in by_ref: its kind ('s', 'c', 'e') then the
 * reference; 0 if it does not fit. */
static size_t ref_key(char key[64], char kind, const char *ref)
{
	size_t n = strlen(ref);
	if (n + 1 > 64)
		return 0;
	key[0] = kind;
	memcpy(key + 1, ref, n);
	return n + 1;
}

static uint32_t policy_by_ref(const struct run *r, char kind, const char *ref)
{
	char key[64];
	uint32_t idx;
	size_t n = ref && *ref ? ref_key(key, kind, ref) : 0;
	return n && strmap_get(r->by_ref, key, n, &idx) ? idx : NONE;
}

static void prefetch_ref(const struct run *r, char kind, const char *ref)
{
	char key[64];
	size_t n = ref && *ref ? ref_key(key, kind, ref) : 0;
	if (n)
		strmap_prefetch(r->by_ref, key, n);
}

/* The channel's name as a constant, so that it outlives the row. */
static const char *channel_const(struct run *r, const char *channel)
{
	static const char *const known[] = { "softycomp", "collexia", "easypay" };
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(channel, known[i]))
			return known[i];
	return keep(r, channel);
}

/* The later of two failures wins: by business date, time, then arrival. */
static void failure(struct run *r, uint32_t pol, const char *channel, int32_t day, int32_t time,
		    int64_t seq, const char *raw)
{
	struct pol *p = &r->pols[pol];
	if (!p->fail) {
		if (!push((void **)&r->fails, &r->nfails, &r->fails_cap, sizeof(*r->fails))) {
			r->oom = true;
			return;
		}
		p->fail = (uint32_t)++r->nfails;
	} else {
		const struct failure *f = &r->fails[p->fail - 1];
		if (f->day > day ||
		    (f->day == day && (f->time > time || (f->time == time && f->seq > seq))))
			return;
	}
	r->fails[p->fail - 1] =
		(struct failure){ day, time, seq, channel_const(r, channel), keep(r, raw) };
}

/* Money collected on `day` for a lapsed policy, or a cancelled one after
 * its cancel date. */
static void check_inactive(struct run *r, uint32_t pol, const struct where *w, int32_t day)
{
	const struct pol *p = &r->pols[pol];
	if (p->state != POLICY_LAPSED && (p->cancel_day == NO_DAY || day <= p->cancel_day))
		return;
	char d[DATE_BUFSZ], c[DATE_BUFSZ];
	date_format_iso(day, d);
	if (p->state == POLICY_LAPSED) {
		raise(r, D_PAYMENT_ON_INACTIVE_POLICY, w, pol, NULL, "an active policy", "lapsed",
		      fmt(r, "money collected on %s for a lapsed policy; arrange a refund", d));
	} else if (p->cancel_day != NO_DAY && day > p->cancel_day) {
		date_format_iso(p->cancel_day, c);
		raise(r, D_PAYMENT_ON_INACTIVE_POLICY, w, pol, NULL, fmt(r, "on or before %s", c),
		      d,
		      fmt(r,
			  "money collected on %s, after the policy was cancelled on %s; "
			  "arrange a refund",
			  d, c));
	}
}

/* *acc += cents, unless the sum would pass what int64_t cents hold: then
 * *acc is left as it was and the run fails (overflow_error), naming the
 * row w: an overflow is an error, never a wrap. */
static void add_cents(struct run *r, int64_t *acc, int64_t cents, const struct where *w)
{
	if (money_add(*acc, cents, acc) == MONEY_OK)
		return;
	if (r->overflow)
		return;
	r->overflow = true;
	r->overflow_at = (struct where){ .channel = keep(r, w->channel),
					 .file_id = w->file_id,
					 .row = w->row,
					 .txn = keep(r, w->txn ? w->txn : "") };
}

/* The error of a run whose sums overflowed. Called once the store is no
 * longer being read, to name the file. */
static int overflow_error(struct run *r)
{
	const struct where *w = &r->overflow_at;
	if (!w->file_id)
		return err_set(r->e, KASI_EDATA,
			       "the period's totals pass what kasi can count (int64 cents): "
			       "nothing reconciled");
	char name[512];
	struct err ignored = { 0 };
	if (store_file_name(r->store, w->file_id, name, &ignored) || !*name)
		snprintf(name, sizeof(name), "file %" PRId64, w->file_id);
	return err_set(r->e, KASI_EDATA,
		       "%s row %" PRIu64 ": the %s transaction %s takes a policy's total past "
		       "what kasi can count (int64 cents): nothing reconciled",
		       name, w->row, w->channel ? w->channel : "?", w->txn ? w->txn : "");
}

/* `amount` collected (negative: taken back) for the policy in the period;
 * what, a format, says what it was (formatted only when traced). */
static void collect(struct run *r, uint32_t pol, const struct where *w, int64_t amount,
		    const char *what, ...) __attribute__((format(printf, 5, 6)));

static void collect(struct run *r, uint32_t pol, const struct where *w, int64_t amount,
		    const char *what, ...)
{
	struct pol *p = &r->pols[pol];
	add_cents(r, &p->collected, amount, w);
	if (amount > 0) {
		/* The latest by date, then arrival, whatever the reading order. */
		int64_t id = store_fact_id(w->file_id, w->row);
		int32_t day = day_of(w->date);
		if (!p->last_fact || day > p->last_day ||
		    (day == p->last_day && id > p->last_fact)) {
			p->last_fact = id;
			p->last_day = day;
		}
	}
	if (!traced(r, pol))
		return;
	va_list ap;
	va_start(ap, what);
	const char *detail = vfmt(r, what, ap);
	va_end(ap);
	trace(r, pol, amount >= 0 ? TRACE_COLLECTION : TRACE_REVERSAL, w, true, amount, "%s",
	      detail);
}

/* ---- 1: policies and what was expected; the period's ledger ----------------- */

static int on_policy(struct run *r, const struct store_policy_row *p)
{
	if (!push((void **)&r->pols, &r->npols, &r->pols_cap, sizeof(*r->pols)))
		return err_set(r->e, KASI_EIO, "out of memory");
	uint32_t idx = (uint32_t)r->npols++;
	r->pols[idx] = (struct pol){
		.id = p->policy_id,
		.expected = p->expected,
		.scheduled = p->scheduled,
		.cancel_day = p->cancel_date ? day_of(p->cancel_date) : NO_DAY,
		.state = !strcmp(p->status, "lapsed")	   ? POLICY_LAPSED
			 : !strcmp(p->status, "cancelled") ? POLICY_CANCELLED
							   : POLICY_ACTIVE,
	};
	char key[64];
	size_t n;
	if (p->collection_ref &&
	    (!strcmp(p->channel, "softycomp") || !strcmp(p->channel, "collexia")) &&
	    (n = ref_key(key, p->channel[0], p->collection_ref)) &&
	    strmap_put(r->by_ref, key, n, idx))
		return err_set(r->e, KASI_EIO, "out of memory");
	if (p->easypay_code && (n = ref_key(key, 'e', p->easypay_code)) &&
	    strmap_put(r->by_ref, key, n, idx))
		return err_set(r->e, KASI_EIO, "out of memory");
	return 0;
}

/* A block of policies, their map slots fetched first (see on_period_facts). */
static int on_policies(void *ctx, const struct store_policy_row *rows, size_t n)
{
	struct run *r = ctx;
	for (size_t i = 0; i < n; i++) {
		const struct store_policy_row *p = &rows[i];
		if (p->collection_ref)
			prefetch_ref(r, p->channel[0], p->collection_ref);
		if (p->easypay_code)
			prefetch_ref(r, 'e', p->easypay_code);
	}
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = on_policy(r, &rows[i]);
	return rc;
}

static const char *intern_status(struct run *r, const char *status)
{
	for (size_t i = 0; i < r->nstatuses; i++)
		if (!strcmp(r->statuses[i], status))
			return r->statuses[i];
	const char *k = keep(r, status);
	if (r->nstatuses < ARRAY_SIZE(r->statuses))
		r->statuses[r->nstatuses++] = k;
	return k;
}

static int on_ledger(void *ctx, const struct store_ledger_row *l)
{
	struct run *r = ctx;
	if (!push((void **)&r->ledger, &r->nledger, &r->ledger_cap, sizeof(*r->ledger)))
		return err_set(r->e, KASI_EIO, "out of memory");
	uint32_t idx = (uint32_t)r->nledger++;
	r->ledger[idx] = (struct led){
		.id = l->ledger_id,
		.amount = l->amount,
		.status = intern_status(r, l->status),
	};
	if (strmap_put(r->ledger_by_txn, l->transaction_id, strlen(l->transaction_id), idx))
		return err_set(r->e, KASI_EIO, "out of memory");
	return r->oom ? err_set(r->e, KASI_EIO, "out of memory") : 0;
}

static int on_applied_date(void *ctx, const char *date)
{
	struct run *r = ctx;
	int32_t day = day_of(date);
	if (in_period(r, day))
		r->applied[day - r->first_day] = true;
	return 0;
}

/* ---- 2: the period's facts ---------------------------------------------------- */

static bool is_softycomp_collection(const char *kind)
{
	char padded[16];
	snprintf(padded, sizeof(padded), ",%s,", kind ? kind : "");
	return strstr("," SOFTYCOMP_COLLECTIONS ",", padded) != NULL;
}

/* An EasyPay row against our ledger's record of it (l NULL: none). */
static void check_ledger(struct run *r, const struct store_fact_row *f, const int64_t *amount,
			 const char *status)
{
	struct where w = where_fact(f);
	bool cashout = f->kind && !strcmp(f->kind, "cashout");
	uint32_t pol = cashout ? NONE : policy_by_ref(r, 'e', f->reference);
	const char *reference = cashout ? NULL : f->reference;
	if (!amount) {
		raise(r, D_MISSING_FROM_LEDGER, &w, pol, reference, NULL, money_text(r, f->amount),
		      fmt(r, "EasyPay reports %s %s %s of %s; our ledger has no record of it",
			  f->status ? f->status : "", f->kind ? f->kind : "", f->transaction_id,
			  money_text(r, f->amount)));
		return;
	}
	int64_t diff = f->amount - *amount;
	if (diff > TOLERANCE || diff < -TOLERANCE)
		raise(r, D_AMOUNT_MISMATCH, &w, pol, reference, money_text(r, *amount),
		      money_text(r, f->amount),
		      fmt(r, "the file says %s, our ledger %s; the file counts",
			  money_text(r, f->amount), money_text(r, *amount)));
	if (!f->status || strcmp(f->status, status))
		raise(r, D_STATUS_MISMATCH, &w, pol, reference, status, f->status,
		      fmt(r, "the file says %s, our ledger %s; the file counts",
			  f->status ? f->status : "nothing", status));
}

struct ledger_hit {
	bool found;
	int64_t amount;
	char status[32];
};

static int take_ledger(void *ctx, const struct store_ledger_row *l)
{
	struct ledger_hit *h = ctx;
	h->found = true;
	h->amount = l->amount;
	snprintf(h->status, sizeof(h->status), "%s", l->status);
	return 0;
}

/* The row's ledger record: the period's, in memory; else one of another
 * date, from the store. */
static int match_ledger(struct run *r, const struct store_fact_row *f)
{
	uint32_t idx;
	if (strmap_get(r->ledger_by_txn, f->transaction_id, strlen(f->transaction_id), &idx)) {
		struct led *l = &r->ledger[idx];
		l->matched = true;
		check_ledger(r, f, &l->amount, l->status);
		return 0;
	}
	/* The store is the facts' reader's now: look later. */
	if (!push((void **)&r->deferred, &r->ndeferred, &r->deferred_cap, sizeof(*r->deferred)))
		return err_set(r->e, KASI_EIO, "out of memory");
	struct store_fact_row *d = &r->deferred[r->ndeferred++];
	*d = *f;
	d->channel = keep(r, f->channel);
	d->transaction_id = keep(r, f->transaction_id);
	d->reference = keep(r, f->reference);
	d->business_date = keep(r, f->business_date);
	d->kind = keep(r, f->kind);
	d->status = keep(r, f->status);
	d->reason = keep(r, f->reason);
	d->status_date = keep(r, f->status_date);
	d->reason_text = d->original_id = d->cycle_date = NULL;
	return 0;
}

/* The deferred rows against their ledger records of other dates. */
static int match_deferred(struct run *r)
{
	for (size_t i = 0; i < r->ndeferred; i++) {
		const struct store_fact_row *f = &r->deferred[i];
		struct ledger_hit h = { 0 };
		int found = store_ledger_find(r->store, f->channel, f->transaction_id, take_ledger,
					      &h, r->e);
		if (found < 0)
			return found;
		check_ledger(r, f, h.found ? &h.amount : NULL, h.status);
	}
	return r->oom ? err_set(r->e, KASI_EIO, "out of memory") : 0;
}

static void on_cash(struct run *r, const struct store_fact_row *f, int32_t day)
{
	if (f->kind && !strcmp(f->kind, "cashout"))
		return; /* money paid out: never a premium, never UNKNOWN_REFERENCE */
	struct where w = where_fact(f);
	uint32_t pol = policy_by_ref(r, 'e', f->reference);
	if (pol == NONE) {
		raise(r, D_UNKNOWN_REFERENCE, &w, NONE, f->reference, NULL, f->reference,
		      fmt(r, "no policy has EasyPay code %s", f->reference ? f->reference : ""));
		return;
	}
	const char *status = f->status ? f->status : "";
	if (!strcmp(status, "settled")) {
		collect(r, pol, &w, f->amount, "a cash payment, settled");
		check_inactive(r, pol, &w, day);
	} else if (!strcmp(status, "pending")) {
		add_cents(r, &r->pols[pol].pending, f->amount, &w);
		trace(r, pol, TRACE_PENDING, &w, true, f->amount,
		      "a cash payment, pending: shown, not counted");
	} else {
		failure(r, pol, f->channel, day, 0, f->fact_id, status);
		trace(r, pol, TRACE_FAILURE, &w, true, f->amount,
		      "a cash payment, %s: nothing collected", status);
	}
}

static void on_softycomp(struct run *r, const struct store_fact_row *f, int32_t day)
{
	struct where w = where_fact(f);
	uint32_t pol = policy_by_ref(r, 's', f->reference);
	if (f->kind && !strcmp(f->kind, "7"))
		return; /* unpaids: step 3 */
	if (!is_softycomp_collection(f->kind)) {
		trace(r, pol, TRACE_NOT_COUNTED, &w, f->has_amount, f->amount,
		      "transaction type %s: stored, not counted", f->kind ? f->kind : "?");
		return;
	}
	if (pol == NONE) {
		raise(r, D_UNKNOWN_REFERENCE, &w, NONE, f->reference, NULL, f->reference,
		      fmt(r, "no Softy Comp policy has collection_ref %s",
			  f->reference ? f->reference : ""));
		return;
	}
	collect(r, pol, &w, -f->amount, "a debit collection (type %s)", f->kind);
	check_inactive(r, pol, &w, day);
}

/* A Collexia row, held for step 4. */
static int hold_collexia(struct run *r, const struct store_fact_row *f, int32_t day)
{
	if (!push((void **)&r->cx, &r->ncx, &r->cx_cap, sizeof(*r->cx)))
		return err_set(r->e, KASI_EIO, "out of memory");
	struct cx_row *c = &r->cx[r->ncx++];
	*c = (struct cx_row){
		.fact_id = f->fact_id,
		.amount = f->has_amount ? f->amount : 0,
		.requested = f->has_requested ? f->requested_amount : 0,
		.txn = keep(r, f->transaction_id),
		.reference = keep(r, f->reference ? f->reference : ""),
		.code = keep(r, f->reason ? f->reason : ""),
		.day = day,
		.status_day = f->status_date ? day_of(f->status_date) : NO_DAY,
		.status_time = f->status_time >= 0 ? (int32_t)f->status_time : -1,
	};
	snprintf(c->status, sizeof(c->status), "%s", f->status ? f->status : "");
	return 0;
}

static int on_period_fact(struct run *r, const struct store_fact_row *f)
{
	int32_t day = day_of(f->business_date);
	int rc = 0;
	if (!strcmp(f->channel, "softycomp")) {
		on_softycomp(r, f, day);
	} else if (!strcmp(f->channel, "collexia")) {
		rc = hold_collexia(r, f, day);
	} else {
		on_cash(r, f, day);
		if (!strcmp(f->channel, "easypay"))
			rc = match_ledger(r, f);
	}
	if (rc)
		return rc;
	return r->oom ? err_set(r->e, KASI_EIO, "out of memory") : 0;
}

/* A block of the period's facts. The policies and ledger records they
 * name are fetched from memory for the whole block first, so that their
 * cache misses overlap. */
static int on_period_facts(void *ctx, const struct store_fact_row *rows, size_t n)
{
	struct run *r = ctx;
	for (size_t i = 0; i < n; i++) {
		const struct store_fact_row *f = &rows[i];
		if (!strcmp(f->channel, "softycomp")) {
			prefetch_ref(r, 's', f->reference);
		} else if (strcmp(f->channel, "collexia")) {
			prefetch_ref(r, 'e', f->reference);
			strmap_prefetch(r->ledger_by_txn, f->transaction_id,
					strlen(f->transaction_id));
		}
	}
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = on_period_fact(r, &rows[i]);
	return rc;
}

/* ---- 3: Softy Comp unpaids ------------------------------------------------------ */

/* A candidate original, copied out of the store's row. */
struct original {
	bool found;
	int64_t fact_id, file_id;
	uint64_t row;
	int32_t day;
	char txn[64], reference[64], kind[8];
	bool skip_reversed; /* choose the first not reversed yet */
	struct run *r;
};

static bool was_reversed(const struct run *r, int64_t fact_id)
{
	uint32_t v;
	return strmap_get(r->reversed, (const char *)&fact_id, sizeof(fact_id), &v);
}

static int take_original(void *ctx, const struct store_fact_row *f)
{
	struct original *o = ctx;
	if (o->found || (o->skip_reversed && was_reversed(o->r, f->fact_id)))
		return 0;
	o->found = true;
	o->fact_id = f->fact_id;
	o->file_id = f->file_id;
	o->row = f->row;
	o->day = day_of(f->business_date);
	snprintf(o->txn, sizeof(o->txn), "%s", f->transaction_id);
	snprintf(o->reference, sizeof(o->reference), "%s", f->reference ? f->reference : "");
	snprintf(o->kind, sizeof(o->kind), "%s", f->kind ? f->kind : "");
	return 0;
}

static void orphan(struct run *r, const struct store_fact_row *u, const char *why)
{
	/* An orphan belongs to the period its cycle date names, else its own. */
	int32_t day = u->cycle_date ? day_of(u->cycle_date) : day_of(u->business_date);
	if (!in_period(r, day))
		return;
	struct where w = where_fact(u);
	int64_t back = u->amount < 0 ? -u->amount : u->amount;
	raise(r, D_ORPHAN_REVERSAL, &w, policy_by_ref(r, 's', u->reference), NULL, u->original_id,
	      money_text(r, back), why);
}

static int on_unpaid(void *ctx, const struct store_fact_row *u)
{
	struct run *r = ctx;
	struct original o = { .r = r };
	int rc = 0;
	if (u->original_id) {
		rc = store_fact_find(r->store, "softycomp", u->original_id, take_original, &o,
				     r->e);
		if (rc < 0)
			return rc;
		if (!o.found) {
			orphan(r, u,
			       fmt(r, "unpaid %s names original %s, which is not stored",
				   u->transaction_id, u->original_id));
			return 0;
		}
	} else if (u->reference && u->cycle_date) {
		o.skip_reversed = true;
		if ((rc = store_each_fact_on_cycle(r->store, "softycomp", u->reference,
						   u->cycle_date, SOFTYCOMP_COLLECTIONS,
						   take_original, &o, r->e)))
			return rc;
		if (!o.found) {
			orphan(r, u,
			       fmt(r, "unpaid %s: no unreversed collection of %s on cycle %s",
				   u->transaction_id, u->reference, u->cycle_date));
			return 0;
		}
	} else {
		orphan(r, u,
		       fmt(r, "unpaid %s names no original and no cycle date", u->transaction_id));
		return 0;
	}
	if (!is_softycomp_collection(o.kind)) {
		orphan(r, u,
		       fmt(r, "unpaid %s names %s, which is not a collection (type %s)",
			   u->transaction_id, o.txn, o.kind));
		return 0;
	}
	if (was_reversed(r, o.fact_id)) {
		orphan(r, u,
		       fmt(r, "unpaid %s: its original %s was reversed already", u->transaction_id,
			   o.txn));
		return 0;
	}
	if (strmap_put(r->reversed, (const char *)&o.fact_id, sizeof(o.fact_id), 1))
		return err_set(r->e, KASI_EIO, "out of memory");

	uint32_t pol = policy_by_ref(r, 's', o.reference);
	if (!in_period(r, o.day) || pol == NONE)
		return 0; /* another period's, or a collection nobody was credited with */
	int64_t back = u->amount < 0 ? -u->amount : u->amount;
	struct where w = where_fact(u);
	collect(r, pol, &w, -back, "unpaid: reverses %s (%s)", o.txn,
		u->reason ? u->reason : "no reason given");
	failure(r, pol, "softycomp", day_of(u->business_date), 0, u->fact_id, u->reason);
	return r->oom ? err_set(r->e, KASI_EIO, "out of memory") : 0;
}

/* ---- 4: Collexia instructions ------------------------------------------------------ */

static bool tracking(const char *code)
{
	return !strcmp(code, "99") || !strcmp(code, "TR75");
}

static bool failed_status(const char *st)
{
	return !strcmp(st, "4") || !strcmp(st, "7");
}

/* A Collexia row's place; date[] receives its business date. */
static struct where where_cx(const struct cx_row *c, char date[DATE_BUFSZ])
{
	date_format_iso(c->day, date);
	return (struct where){ "collexia", c->fact_id >> 32, (uint64_t)c->fact_id & STORE_MAX_ROW,
			       c->txn, date };
}

/* Instruction by instruction; within one, by statusDate (none first),
 * statusTime (none first), arrival. */
static int cx_order(const void *a, const void *b)
{
	const struct cx_row *x = a, *y = b;
	int c = strcmp(x->txn, y->txn);
	if (c)
		return c;
	int64_t xd = x->status_day == NO_DAY ? INT64_MIN : x->status_day;
	int64_t yd = y->status_day == NO_DAY ? INT64_MIN : y->status_day;
	if (xd != yd)
		return xd < yd ? -1 : 1;
	if (x->status_time != y->status_time)
		return x->status_time < y->status_time ? -1 : 1;
	return x->fact_id < y->fact_id ? -1 : x->fact_id > y->fact_id;
}

/* The rows of one instruction, [first, end), in cx_order. */
static void settle_instruction(struct run *r, const struct cx_row *first, const struct cx_row *end)
{
	const struct cx_row *completion = NULL, *latest = end - 1;
	for (const struct cx_row *c = first; c < end && !completion; c++)
		if (!strcmp(c->status, "3"))
			completion = c;
	const struct cx_row *decides = completion ? completion : latest;
	char date[DATE_BUFSZ];
	struct where w = where_cx(decides, date);
	uint32_t pol = policy_by_ref(r, 'c', decides->reference);
	if (pol == NONE) {
		raise(r, D_UNKNOWN_REFERENCE, &w, NONE, decides->reference, NULL,
		      decides->reference,
		      fmt(r, "no Collexia policy has collection_ref %s",
			  *decides->reference ? decides->reference : "(none)"));
		return;
	}
	if (completion) {
		int32_t paid =
			completion->status_day != NO_DAY ? completion->status_day : completion->day;
		collect(r, pol, &w, completion->amount, "an EnDO instruction, completed");
		check_inactive(r, pol, &w, paid);
		/* A later rejection or decline, not tracking, reverses it. */
		for (const struct cx_row *c = completion + 1; c < end; c++) {
			if (!failed_status(c->status) || tracking(c->code))
				continue;
			char rdate[DATE_BUFSZ];
			struct where rw = where_cx(c, rdate);
			collect(r, pol, &rw, -completion->amount,
				"status %s (%s) after the completion: reverses it", c->status,
				*c->code ? c->code : "no code");
			failure(r, pol, "collexia", c->status_day, c->status_time, c->fact_id,
				c->code);
			break;
		}
		return;
	}
	const char *st = latest->status;
	bool track = failed_status(st) && tracking(latest->code);
	if (!strcmp(st, "1") || !strcmp(st, "2") || !strcmp(st, "6") || track) {
		add_cents(r, &r->pols[pol].pending, latest->requested, &w);
		trace(r, pol, TRACE_PENDING, &w, true, latest->requested,
		      "an EnDO instruction at status %s%s: pending, not counted", st,
		      track ? " (tracking)" : "");
		if (track)
			failure(r, pol, "collexia", latest->status_day, latest->status_time,
				latest->fact_id, latest->code);
	} else if (failed_status(st)) {
		failure(r, pol, "collexia", latest->status_day, latest->status_time,
			latest->fact_id, latest->code);
		trace(r, pol, TRACE_FAILURE, &w, false, 0,
		      "an EnDO instruction %s (%s): nothing collected",
		      !strcmp(st, "4") ? "rejected" : "declined",
		      *latest->code ? latest->code : "no code");
	} else {
		trace(r, pol, TRACE_NOT_COUNTED, &w, false, 0,
		      "an EnDO instruction at status %s (cancelled): nothing collected", st);
	}
}

static void settle_instructions(struct run *r)
{
	if (r->ncx > 1) /* no rows: r->cx is NULL, which qsort may not be given */
		qsort(r->cx, r->ncx, sizeof(*r->cx), cx_order);
	for (size_t i = 0, j; i < r->ncx; i = j) {
		for (j = i + 1; j < r->ncx && !strcmp(r->cx[j].txn, r->cx[i].txn); j++)
			;
		settle_instruction(r, r->cx + i, r->cx + j);
	}
}

/* ---- 5: the ledger's records that no file holds ------------------------------ */

static int on_unmatched_ledger(void *ctx, const struct store_ledger_row *l)
{
	struct run *r = ctx;
	struct where w = { l->channel, l->file_id, l->row, l->transaction_id, l->business_date };
	raise(r, D_MISSING_FROM_FILE, &w, policy_by_ref(r, 'e', l->reference), l->reference,
	      money_text(r, l->amount), NULL,
	      fmt(r, "our ledger has %s %s of %s on %s; EasyPay's file for that day does not",
		  l->status, l->transaction_id, money_text(r, l->amount), l->business_date));
	return r->oom ? err_set(r->e, KASI_EIO, "out of memory") : 0;
}

static int take_fact(void *ctx, const struct store_fact_row *f)
{
	(void)f;
	*(bool *)ctx = true;
	return 0;
}

struct unmatched {
	struct run *r;
	bool held; /* a counted fact of another date holds it */
};

static int check_unmatched(void *ctx, const struct store_ledger_row *l)
{
	struct unmatched *u = ctx;
	struct run *r = u->r;
	int32_t day = day_of(l->business_date);
	if (!in_period(r, day) || !r->applied[day - r->first_day])
		return 0; /* no file of that day yet: nothing to say */
	int found =
		store_fact_find(r->store, l->channel, l->transaction_id, take_fact, &u->held, r->e);
	if (found < 0)
		return found;
	return found ? 0 : on_unmatched_ledger(r, l);
}

static int ledger_unmatched(struct run *r)
{
	for (size_t i = 0; i < r->nledger; i++) {
		if (r->ledger[i].matched)
			continue;
		struct unmatched u = { .r = r };
		int rc = store_ledger_get(r->store, r->ledger[i].id, check_unmatched, &u, r->e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- 6: outcomes ------------------------------------------------------------------------ */

static enum outcome_status status_of(const struct run *r, const struct pol *p)
{
	if (p->cancel_day != NO_DAY && p->cancel_day <= r->last_day)
		return CANCELLED;
	if (p->collected >= p->expected - TOLERANCE) /* expected > 0: no overflow */
		return PAID_FULL;
	return p->collected > 0 ? PAID_PARTIAL : UNPAID;
}

/* The rule that decided a policy, in words, for explain. */
static void rule_text(const struct run *r, const struct pol *p, enum outcome_status st, char *rule,
		      size_t rule_size)
{
	char exp[MONEY_BUFSZ], col[MONEY_BUFSZ], d[DATE_BUFSZ], last[DATE_BUFSZ];
	money_format(p->expected, exp);
	money_format(p->collected, col);
	switch (st) {
	case CANCELLED:
		date_format_iso(p->cancel_day, d);
		date_format_iso(r->last_day, last);
		snprintf(rule, rule_size, "cancelled on %s, on or before the period's last day %s",
			 d, last);
		break;
	case PAID_FULL:
		snprintf(rule, rule_size, "collected %s >= expected %s - 0.01", col, exp);
		break;
	case PAID_PARTIAL:
		snprintf(rule, rule_size, "0 < collected %s < expected %s - 0.01", col, exp);
		break;
	default: snprintf(rule, rule_size, "collected %s <= 0", col); break;
	}
}

/* Decide one scheduled policy. */
static enum outcome_status decide(const struct run *r, const struct pol *p, struct store_outcome *o)
{
	enum outcome_status st = status_of(r, p);
	*o = (struct store_outcome){
		.policy_id = p->id,
		.status = status_names[st],
		.expected = p->expected,
		.collected = p->collected,
		.pending = p->pending,
	};
	if (st == PAID_PARTIAL || st == UNPAID) {
		o->shortfall = p->expected - (p->collected > 0 ? p->collected : 0);
		const struct failure *f = p->fail ? &r->fails[p->fail - 1] : NULL;
		o->raw_reason = f ? f->raw : NULL;
		o->reason =
			f ? reasons_normalise(r->reasons, f->channel, f->raw) : REASON_NOT_RECEIVED;
	}
	return st;
}

/* The collection that tipped a policy over, for OVERPAYMENT's channel
 * and transaction. */
struct tipping {
	struct run *r;
	const char *channel, *txn;
};

static int take_tipping(void *ctx, const struct store_fact_row *f)
{
	struct tipping *t = ctx;
	t->channel = keep(t->r, f->channel);
	t->txn = keep(t->r, f->transaction_id);
	return 0;
}

static int overpayments(struct run *r)
{
	for (size_t i = 0; i < r->npols; i++) {
		const struct pol *p = &r->pols[i];
		if (!p->scheduled || status_of(r, p) == CANCELLED || p->collected <= p->expected ||
		    p->collected - p->expected <= TOLERANCE) /* not expected + 1: INT64_MAX + 1 */
			continue;
		struct tipping t = { .r = r };
		int64_t file_id = p->last_fact >> 32;
		uint64_t row = (uint64_t)p->last_fact & STORE_MAX_ROW;
		if (p->last_fact) {
			int rc = store_fact_at(r->store, p->last_fact, take_tipping, &t, r->e);
			if (rc < 0)
				return rc;
		}
		struct where w = { t.channel, file_id, row, t.txn, NULL };
		raise(r, D_OVERPAYMENT, p->last_fact ? &w : NULL, (uint32_t)i, NULL,
		      money_text(r, p->expected), money_text(r, p->collected),
		      fmt(r, "collected %s against %s expected; the excess is the policyholder's",
			  money_text(r, p->collected), money_text(r, p->expected)));
	}
	return 0;
}

static int write_outcomes(struct run *r, struct reconcile_summary *sum)
{
	int rc = 0;
	struct store_outcome *batch = malloc(STORE_OUTCOMES_AT_ONCE * sizeof(*batch));
	if (!batch)
		return err_set(r->e, KASI_EIO, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < r->npols && !rc; i++) {
		const struct pol *p = &r->pols[i];
		if (!p->scheduled)
			continue;
		struct store_outcome *o = &batch[n++];
		enum outcome_status st = decide(r, p, o);
		if (outcome_totals_add(&sum->outcomes, st, o->expected, o->collected, o->shortfall,
				       o->pending))
			r->overflow = true; /* at no row: overflow_at stays zero */
		if (traced(r, (uint32_t)i)) {
			char money[OUTCOME_MONEY_BUFSZ], rule[256];
			rule_text(r, p, st, rule, sizeof(rule));
			outcome_money_text(o->expected, o->collected, o->shortfall, o->pending,
					   money);
			trace(r, (uint32_t)i, TRACE_RULE, NULL, false, 0,
			      "%s, by the rule %s\n  %s%s%s%s%s%s", o->status, rule, money,
			      o->reason ? "\n  reason " : "", o->reason ? o->reason : "",
			      o->raw_reason ? " (the channel said: " : "",
			      o->raw_reason ? o->raw_reason : "", o->raw_reason ? ")" : "");
		}
		if (n == STORE_OUTCOMES_AT_ONCE) {
			if (r->opts->write)
				rc = store_outcomes_add(r->store, r->period, batch, n, r->e);
			n = 0;
		}
	}
	if (!rc && n && r->opts->write)
		rc = store_outcomes_add(r->store, r->period, batch, n, r->e);
	free(batch);
	return rc;
}

static int write_discrepancies(struct run *r)
{
	int rc = 0;
	for (size_t i = 0; i < r->ndiscs && !rc; i++) {
		const struct disc *d = &r->discs[i];
		char number[64];
		const char *reference = d->reference;
		if (d->policy_id) {
			int found = store_policy_find_number(r->store, d->policy_id, number, r->e);
			if (found < 0)
				return found;
			if (found)
				reference = number;
		}
		struct store_discrepancy sd = {
			.period = r->period,
			.code = d->code,
			.severity = discrepancy_severity(d->code),
			.channel = d->channel,
			.file_id = d->file_id,
			.row = d->row,
			.reference = reference,
			.transaction_id = d->txn,
			.expected = d->expected,
			.actual = d->actual,
			.detail = d->detail ? d->detail : "",
			.source = "reconcile",
		};
		rc = store_discrepancy_add(r->store, &sd, r->e);
	}
	return rc;
}

/* ---- the run --------------------------------------------------------------------------- */

static void run_release(struct run *r)
{
	arena_free(r->strings);
	strmap_free(r->by_ref);
	strmap_free(r->reversed);
	strmap_free(r->ledger_by_txn);
	free(r->pols);
	free(r->fails);
	free(r->cx);
	free(r->ledger);
	free(r->deferred);
	free(r->discs);
}

/* Log how long the step that ends now took (--verbose). */
static void lap(int64_t *since, const char *step)
{
	int64_t now = clock_us();
	log_debug("reconcile: %s: %" PRId64 " ms", step, (now - *since) / 1000);
	*since = now;
}

/* Steps 1 to 6, reading; the discrepancies found are in r->discs. */
static int match(struct run *r)
{
	struct store *s = r->store;
	struct err *e = r->e;
	int rc;
	int64_t max_id = 0;
	if ((rc = store_policy_max_id(s, &max_id, e)))
		return rc;
	/* Most policies have one reference; some have an EasyPay code too. */
	size_t hint = max_id > 0 && max_id < (int64_t)(SIZE_MAX / 4) ? (size_t)max_id : 0;
	if (!(r->by_ref = strmap_new_sized(hint + hint / 4)))
		return err_set(e, KASI_EIO, "out of memory");
	if (hint && !(r->pols = malloc(hint * sizeof(*r->pols))))
		return err_set(e, KASI_EIO, "out of memory");
	r->pols_cap = hint;
	int64_t t = clock_us();
	if ((rc = store_read_policies_for_period(s, r->period, on_policies, r, e)))
		return rc;
	lap(&t, "policies");
	if ((rc = store_each_ledger_between(s, "easypay", r->first, r->last, on_ledger, r, e)) ||
	    (rc = store_each_applied_date(s, "easypay", r->first, r->last, on_applied_date, r, e)))
		return rc;
	lap(&t, "the ledger");
	if ((rc = store_read_facts_between(s, r->first, r->last, on_period_facts, r, e)) ||
	    (rc = match_deferred(r)))
		return rc;
	lap(&t, "the period's facts");
	if ((rc = store_each_softycomp_unpaid_since(s, r->first, on_unpaid, r, e)))
		return rc;
	lap(&t, "Softy Comp unpaids");
	settle_instructions(r);
	lap(&t, "Collexia instructions");
	if ((rc = ledger_unmatched(r)) || (rc = overpayments(r)))
		return rc;
	lap(&t, "unmatched ledger, overpayments");
	if (r->oom)
		return err_set(e, KASI_EIO, "out of memory");
	return r->overflow ? overflow_error(r) : 0;
}

int reconcile_period(struct store *s, const struct reasons *reasons, const char *period,
		     const struct reconcile_opts *opts, struct reconcile_summary *sum,
		     struct err *e)
{
	int rc = 0;
	bool in_tx = false;
	struct run r = { .store = s, .reasons = reasons, .opts = opts, .e = e };
	memset(sum, 0, sizeof(*sum));
	int32_t p;
	if (period_parse(period, strlen(period), &p) != DATE_OK)
		return err_set(e, KASI_EUSAGE, "'%s' is not a period (YYYY-MM)", period);
	period_format(p, r.period);
	r.first_day = period_first_day(p);
	r.last_day = period_last_day(p);
	date_format_iso(r.first_day, r.first);
	date_format_iso(r.last_day, r.last);

	r.strings = arena_new();
	r.reversed = strmap_new();
	r.ledger_by_txn = strmap_new();
	if (!r.strings || !r.reversed || !r.ledger_by_txn) {
		rc = err_set(e, KASI_EIO, "out of memory");
		goto out;
	}
	/* Reading is in order, and memory goes to the policies: a small page
	 * cache does. */
	if ((rc = store_cache_kib(s, RECONCILE_CACHE_KIB, e)))
		goto out;
	/* One transaction: the results are written against what was read
	 * (explaining only reads, without taking the write lock). */
	if ((rc = opts->write ? store_begin(s, e) : store_begin_read(s, e)))
		goto out;
	in_tx = true;
	struct store_period sp;
	int scheduled = store_period_get(s, r.period, &sp, e);
	if (scheduled <= 0) {
		rc = scheduled < 0
			     ? scheduled
			     : err_set(e, KASI_EDATA,
				       "period %s is not scheduled (run 'kasi schedule --period %s')",
				       r.period, r.period);
		goto out;
	}
	if ((rc = match(&r)))
		goto out;
	sum->found = (int64_t)r.ndiscs;
	int64_t t = clock_us();
	if (opts->write &&
	    ((rc = store_reconcile_clear(s, r.period, e)) || (rc = write_discrepancies(&r))))
		goto out;
	lap(&t, "discrepancies written");
	if ((rc = write_outcomes(&r, sum)))
		goto out;
	if (r.overflow) {
		rc = overflow_error(&r);
		goto out;
	}
	lap(&t, "outcomes written");
	if (opts->write && (rc = store_period_reconciled(s, r.period, e)))
		goto out;
	if ((rc = store_discrepancy_total(s, r.period, &sum->total, e)))
		goto out;
	if (!opts->write) {
		/* Nothing replaced: count what this run found in place of what
		 * the last reconciliation stored. */
		int64_t stored = 0;
		rc = store_discrepancy_total_from(s, r.period, "reconcile", &stored, e);
		sum->total += sum->found - stored;
	}
	if (!rc && opts->write) {
		rc = store_commit(s, e);
		in_tx = rc != 0;
		lap(&t, "committed");
	}
out:
	if (in_tx)
		store_rollback(s);
	run_release(&r);
	return rc;
}
