/*
 * settle.c — settlement batches (see settle.h).
 *
 *   settle_through
 *     1. nothing_new        a settlement through that day or later exists:
 *                           nothing to do (the same day again creates nothing)
 *     2. check_ready        every period holding facts through the day is
 *                           reconciled and current: movements are read as
 *                           its last reconciliation left them
 *     3. read_movements     the unsettled movements through the day, each a
 *                           line with its fee (resolve_reversals: a
 *                           reversal's fee is minus its original's)
 *     4. write_batches      by provider: a batch, its lines, the rejected
 *                           payouts it carries, a payout when its net is
 *                           positive
 *     5. check_balances     every provider's money balances, or nothing is
 *                           written
 */
#include "core/common.h"
#include "core/arena.h"
#include "core/dates.h"
#include "core/grow.h"
#include "core/log.h"
#include "core/money.h"
#include "core/strmap.h"
#include "stage/settle.h"

/* A line being made, and the provider it is paid to. */
struct pending {
	struct store_settlement_line l;
	int64_t provider_id;
	bool fee_from_run; /* a reversal whose original is settled in this run */
};

struct run {
	struct store *s;
	const struct schema_set *schemas;
	struct settle_result *res;
	struct err *e;
	char through[DATE_BUFSZ], now[32];
	struct pending *lines;
	size_t nlines, cap;
	struct arena *strings;
	struct strmap *collections;	/* fact id -> index of its collection line */
	char checked[64][PERIOD_BUFSZ]; /* periods found ready */
	size_t nchecked;
};

int settle_fee(int64_t amount, int64_t bps, int64_t fixed, int64_t *fee)
{
	int64_t scaled, rounded;
	if (amount < 0 || bps < 0 || __builtin_mul_overflow(amount, bps, &scaled) ||
	    __builtin_add_overflow(scaled, 5000, &scaled))
		return -1;
	rounded = scaled / 10000; /* half up: amount x bps / 10000 + 1/2, truncated */
	return __builtin_add_overflow(rounded, fixed, fee) ? -1 : 0;
}

/* ---- 2: every period with facts through the day is ready ---------------------- */

static int check_period(struct run *r, const char *period)
{
	for (size_t i = 0; i < r->nchecked; i++)
		if (!strcmp(r->checked[i], period))
			return 0;
	struct store_period p;
	int found = store_period_get(r->s, period, &p, r->e);
	if (found < 0)
		return found;
	if (!found || !*p.reconciled_at)
		return err_set(r->e, KASI_EDATA,
			       "period %s holds facts to settle but is not reconciled: run 'kasi "
			       "schedule --period %s' and 'kasi reconcile --period %s' first",
			       period, period, period);
	if (p.files_since_reconciled)
		return err_set(r->e, KASI_EDATA,
			       "period %s is out of date (%" PRId64
			       " file%s since its reconciliation at %s): run 'kasi reconcile "
			       "--period %s' first",
			       period, p.files_since_reconciled,
			       p.files_since_reconciled == 1 ? "" : "s", p.reconciled_at, period);
	if (r->nchecked < ARRAY_SIZE(r->checked))
		snprintf(r->checked[r->nchecked++], PERIOD_BUFSZ, "%s", period);
	return 0;
}

/* A file of a channel whose rows are money: each month its facts span,
 * up to the day, must be ready. */
static int on_span(void *ctx, const char *schema, const char *first, const char *last)
{
	struct run *r = ctx;
	const struct schema *sc = schema_set_find(r->schemas, schema);
	if (sc && (sc->flow.type == FLOW_NONE || sc->flow.type == FLOW_PAYOUTS))
		return 0; /* no policy's money: nothing reconciliation must see first */
	int32_t a, b, t;
	if (!first || !last || date_parse(first, strlen(first), DATE_FMT_ISO, &a) ||
	    date_parse(last, strlen(last), DATE_FMT_ISO, &b) ||
	    date_parse(r->through, strlen(r->through), DATE_FMT_ISO, &t))
		return 0;
	if (b > t)
		b = t;
	int rc = 0;
	for (int32_t p = period_of_date(a); !rc && p <= period_of_date(b); p++) {
		char period[PERIOD_BUFSZ];
		period_format(p, period);
		rc = check_period(r, period);
	}
	return rc;
}

/* ---- 3: the lines ---------------------------------------------------------------- */

static const char *keep(struct run *r, const char *s)
{
	return s ? arena_strdup(r->strings, s) : NULL;
}

static int on_unsettled(void *ctx, const struct store_unsettled *u)
{
	struct run *r = ctx;
	if (!grow_array((void **)&r->lines, &r->cap, r->nlines + 1, sizeof(*r->lines)))
		return err_set(r->e, KASI_EIO, "out of memory");
	struct pending *p = &r->lines[r->nlines];
	bool reversal = !strcmp(u->kind, "reversal");
	*p = (struct pending){
		.l = { .fact_id = u->fact_id,
		       .policy_id = u->policy_id,
		       .amount = reversal ? -u->amount : u->amount,
		       .original = u->original,
		       .kind = reversal ? "reversal" : "collection",
		       .channel = keep(r, u->channel),
		       .business_date = keep(r, u->business_date) },
		.provider_id = u->provider_id,
	};
	if (!p->l.channel || !p->l.business_date)
		return err_set(r->e, KASI_EIO, "out of memory");
	if (!reversal) {
		if (settle_fee(u->amount, u->fee_bps, u->fee_fixed, &p->l.fee))
			return err_set(r->e, KASI_EDATA,
				       "the fee of collection %" PRId64
				       " passes int64 cents: nothing settled",
				       u->fact_id);
		if (strmap_put(r->collections, (const char *)&u->fact_id, sizeof(u->fact_id),
			       (uint32_t)r->nlines))
			return err_set(r->e, KASI_EIO, "out of memory");
	} else if (u->original_settled) {
		/* Exactly the negative of what its original was charged, even
		 * if the product's fees changed since; to whom it was paid. */
		p->l.fee = -u->original_fee;
		p->provider_id = u->original_provider_id;
	} else {
		p->fee_from_run = true; /* its original may be settled in this run */
	}
	r->nlines++;
	return 0;
}

/* A reversal whose original is settled in this same run: minus that
 * line's fee, to the same provider. One whose original was never settled
 * (it could only be dated after the reversal) was charged nothing. */
static void resolve_reversals(struct run *r)
{
	for (size_t i = 0; i < r->nlines; i++) {
		struct pending *p = &r->lines[i];
		uint32_t at;
		if (!p->fee_from_run)
			continue;
		if (strmap_get(r->collections, (const char *)&p->l.original, sizeof(p->l.original),
			       &at)) {
			p->l.fee = -r->lines[at].l.fee;
			p->provider_id = r->lines[at].provider_id;
		}
	}
}

/* By provider, then date, then row, a collection before its reversal. */
static int line_order(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	if (x->provider_id != y->provider_id)
		return x->provider_id < y->provider_id ? -1 : 1;
	int c = strcmp(x->l.business_date, y->l.business_date);
	if (c)
		return c;
	if (x->l.fact_id != y->l.fact_id)
		return x->l.fact_id < y->l.fact_id ? -1 : 1;
	return strcmp(x->l.kind, y->l.kind);
}

static int read_movements(struct run *r)
{
	int rc = store_each_unsettled_movement(r->s, r->through, on_unsettled, r, r->e);
	if (rc)
		return rc;
	resolve_reversals(r);
	for (size_t i = 0; i < r->nlines; i++) {
		struct store_settlement_line *l = &r->lines[i].l;
		if (__builtin_sub_overflow(l->amount, l->fee, &l->net))
			return err_set(
				r->e, KASI_EDATA,
				"a settlement line's net passes int64 cents: nothing settled");
	}
	if (r->nlines > 1)
		qsort(r->lines, r->nlines, sizeof(*r->lines), line_order);
	return 0;
}

/* ---- 4: batches ---------------------------------------------------------------------- */

/* The totals of lines [first, end), all of one provider. */
static int total(struct run *r, const struct pending *first, const struct pending *end,
		 struct store_batch *b)
{
	bool overflow = false;
	for (const struct pending *p = first; p < end; p++) {
		const struct store_settlement_line *l = &p->l;
		if (l->amount >= 0 && !strcmp(l->kind, "collection")) {
			b->collections++;
			overflow |= __builtin_add_overflow(b->collected, l->amount, &b->collected);
		} else {
			b->reversals++;
			overflow |= __builtin_sub_overflow(b->reversed, l->amount, &b->reversed);
		}
		overflow |= __builtin_add_overflow(b->fees, l->fee, &b->fees);
	}
	int64_t last_net, rejected;
	int rc = store_provider_carry(r->s, b->provider_id, &last_net, &rejected, r->e);
	if (rc)
		return rc;
	overflow |=
		__builtin_add_overflow(last_net < 0 ? last_net : 0, rejected, &b->brought_forward);
	overflow |= __builtin_sub_overflow(b->collected, b->reversed, &b->net) ||
		    __builtin_sub_overflow(b->net, b->fees, &b->net) ||
		    __builtin_add_overflow(b->net, b->brought_forward, &b->net);
	if (overflow)
		return err_set(r->e, KASI_EDATA,
			       "provider %" PRId64 "'s batch passes int64 cents: nothing settled",
			       b->provider_id);
	return 0;
}

static void note_batch(struct settle_result *res, const struct store_batch *b, const char *payout)
{
	res->batches++;
	if (res->nshown == SETTLE_BATCHES_SHOWN)
		return;
	if (!res->shown && !(res->shown = calloc(SETTLE_BATCHES_SHOWN, sizeof(*res->shown))))
		return;
	struct settle_batch *s = &res->shown[res->nshown++];
	*s = (struct settle_batch){
		.provider_id = b->provider_id,
		.batch_id = b->batch_id,
		.collections = b->collections,
		.collected = b->collected,
		.reversals = b->reversals,
		.reversed = b->reversed,
		.fees = b->fees,
		.brought_forward = b->brought_forward,
		.net = b->net,
	};
	snprintf(s->payout, sizeof(s->payout), "%s", payout);
}

/* One provider's batch: lines [first, end). */
static int write_batch(struct run *r, struct pending *first, struct pending *end)
{
	struct store_batch b = { .provider_id = first->provider_id };
	int rc = total(r, first, end, &b);
	if (!rc)
		rc = store_batch_add(r->s, r->through, &b, r->e);
	struct store_settlement_line *lines = NULL;
	size_t n = (size_t)(end - first);
	if (!rc && !(lines = malloc(n * sizeof(*lines))))
		rc = err_set(r->e, KASI_EIO, "out of memory");
	for (size_t i = 0; !rc && i < n; i++) {
		lines[i] = first[i].l;
		lines[i].batch_id = b.batch_id;
	}
	if (!rc)
		rc = store_lines_add(r->s, lines, n, r->e);
	free(lines);
	if (!rc && b.brought_forward)
		rc = store_payouts_carry(r->s, b.provider_id, b.batch_id, r->e);
	char payout[16] = "";
	if (!rc && b.net > 0)
		rc = store_payout_add(r->s, b.batch_id, b.net, r->now, payout, r->e);
	if (!rc) {
		note_batch(r->res, &b, payout);
		r->res->lines += (int64_t)n;
		if (r->res->nshown && r->res->shown[r->res->nshown - 1].batch_id == b.batch_id)
			rc = store_provider_code(r->s, b.provider_id,
						 r->res->shown[r->res->nshown - 1].provider, r->e);
	}
	return rc;
}

static int write_batches(struct run *r)
{
	int rc = store_settlement_add(r->s, r->through, r->now, r->e);
	for (size_t i = 0, j; !rc && i < r->nlines; i = j) {
		for (j = i + 1; j < r->nlines && r->lines[j].provider_id == r->lines[i].provider_id;
		     j++)
			;
		rc = write_batch(r, r->lines + i, r->lines + j);
	}
	return rc ? rc : store_periods_settled(r->s, r->e);
}

/* ---- 5: the balance ---------------------------------------------------------------- */

static int check_balance(void *ctx, int64_t provider_id, const char *provider)
{
	struct run *r = ctx;
	int64_t lines, paid_and_carried;
	int rc = store_settlement_balance(r->s, provider_id, &lines, &paid_and_carried, r->e);
	if (rc)
		return rc;
	if (lines == paid_and_carried)
		return 0;
	char a[MONEY_BUFSZ], b[MONEY_BUFSZ];
	money_format(lines, a);
	money_format(paid_and_carried, b);
	return err_set(r->e, KASI_EDATA,
		       "provider %s does not balance: its lines net %s (collected - reversed - "
		       "fees) but its batches paid or carry %s: nothing settled",
		       provider, a, b);
}

/* ---- the run -------------------------------------------------------------------------- */

static int nothing_new(struct run *r)
{
	int rc = store_last_settlement(r->s, r->res->last, r->e);
	if (!rc && *r->res->last && strcmp(r->res->last, r->through) >= 0)
		r->res->nothing = true;
	return rc;
}

int settle_through(struct store *s, const struct schema_set *schemas, const char *through,
		   struct settle_result *res, struct err *e)
{
	struct run r = { .s = s, .schemas = schemas, .res = res, .e = e };
	int32_t day;
	memset(res, 0, sizeof(*res));
	if (date_parse(through, strlen(through), DATE_FMT_ISO, &day) != DATE_OK)
		return err_set(e, KASI_EUSAGE, "'%s' is not a date (YYYY-MM-DD)", through);
	date_format_iso(day, r.through);
	store_now(r.now);
	int rc = 0;
	bool in_tx = false;
	if (!(r.strings = arena_new()) || !(r.collections = strmap_new()))
		rc = err_set(e, KASI_EIO, "out of memory");
	if (!rc && !(rc = store_begin(s, e)))
		in_tx = true;
	if (!rc)
		rc = nothing_new(&r);
	if (!rc && !res->nothing) {
		if (!(rc = store_each_fact_span(s, r.through, on_span, &r, e)) &&
		    !(rc = read_movements(&r)) && !(rc = write_batches(&r)) &&
		    !(rc = store_each_settled_provider(s, check_balance, &r, e)))
			rc = store_commit(s, e);
		in_tx = rc != 0;
	}
	if (in_tx)
		store_rollback(s);
	arena_free(r.strings);
	strmap_free(r.collections);
	free(r.lines);
	return rc;
}

void settle_result_release(struct settle_result *res)
{
	free(res->shown);
	res->shown = NULL;
	res->nshown = 0;
}
