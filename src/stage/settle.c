/*
 * settle.c — settlement batches (see settle.h).
 *
 *   settle_through
 *     1. nothing_new        a settlement through that day or later exists:
 *                           nothing to do (the same day again creates
 *                           nothing), but money dated through it that came
 *                           late is counted, to be said
 *     2. check_ready        every period holding facts through the day is
 *                           reconciled and current: movements are read as
 *                           its last reconciliation left them
 *     3. read_movements     the unsettled movements through the day, each a
 *                           line with its fee (resolve_reversals: a
 *                           reversal's fee is minus its original's); then
 *                           the providers owed money by their payouts
 *     4. write_batches      by provider: a batch, the payouts it brings
 *                           forward, a payout when its net is positive;
 *                           then every line, in the store's order
 *     5. check_balance      every provider's money balances and no
 *                           collection is clawed back twice, or nothing is
 *                           written (each batch's totals are its lines':
 *                           the store took every line given)
 *
 * A million lines are held as 48 bytes each: their channel and date are
 * kept once (names), their provider as an index into the run's few.
 */
#include "core/common.h"
#include "core/arena.h"
#include "core/dates.h"
#include "core/grow.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/money.h"
#include "core/strmap.h"
#include "stage/settle.h"

/* A line being made (its strings are names[]; its provider providers[]). */
struct pending {
	int64_t fact_id, policy_id, amount, fee, original;
	uint16_t provider, channel, date;
	uint8_t reversal;
	uint8_t fee_from_run; /* its original may be settled in this run */
};

/* A provider with lines in this run, or owed money by its payouts, and
 * its batch. */
struct payee {
	struct store_batch b;
	char payout[16];
	bool held; /* its money passes int64 cents: no batch, none of its lines */
	bool made; /* its batch was made */
};

#define SETTLE_PROVIDERS 4096
#define SETTLE_NAMES	 60000

struct run {
	struct store *s;
	const struct schema_set *schemas;
	struct settle_result *res;
	struct err *e;
	char through[DATE_BUFSZ], now[32];
	struct pending *lines;
	size_t nlines, cap;
	struct payee *payees;
	size_t npayees, payees_cap;
	size_t last_payee;
	/* a line's channel and date, kept once */
	struct strmap *name_map;
	struct arena *strings;
	const char **names;
	size_t nnames, names_cap;
	uint16_t last_name[2];
	char checked[64][PERIOD_BUFSZ]; /* periods found ready */
	size_t nchecked;
	char today[DATE_BUFSZ];
	int64_t first_batch; /* the first batch id this run gives */
	/* money held back: the periods it is in stay unsettled, to be read
	 * again (all of those read, when a provider is held back) */
	bool hold_all;
	char held_periods[16][PERIOD_BUFSZ];
	size_t nheld_periods;
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
		return err_set(
			r->e, KASI_EDATA,
			"period %s is out of date (%" PRId64
			" file%s applied or voided since its reconciliation at %s): run 'kasi reconcile "
			"--period %s' first",
			period, p.files_since_reconciled, p.files_since_reconciled == 1 ? "" : "s",
			p.reconciled_at, period);
	if (r->nchecked < ARRAY_SIZE(r->checked))
		snprintf(r->checked[r->nchecked++], PERIOD_BUFSZ, "%s", period);
	return 0;
}

static int check_file_period(void *ctx, const char *period)
{
	return check_period(ctx, period);
}

/* A file of a channel whose rows are money: each month it holds facts
 * dated in, up to the day, must be ready. (Not every month between its
 * first and last fact: a month it has no fact in needs nothing.) */
static int on_span(void *ctx, const char *schema, const char *first, const char *last,
		   int64_t file_id)
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
	if (period_of_date(a) == period_of_date(b)) {
		char period[PERIOD_BUFSZ];
		period_format(period_of_date(a), period);
		return check_period(r, period);
	}
	return store_each_file_period(r->s, file_id, r->through, check_file_period, r, r->e);
}

/* ---- 3: the lines ---------------------------------------------------------------- */

/* The index of a name (a channel, a date) kept once; which says which of
 * the last two looked up to try first (rows come in runs). */
static int name_of(struct run *r, const char *s, int which, uint16_t *out)
{
	uint16_t last = r->last_name[which];
	if (last < r->nnames && !strcmp(r->names[last], s)) {
		*out = last;
		return 0;
	}
	uint32_t idx;
	size_t n = strlen(s);
	if (!strmap_get(r->name_map, s, n, &idx)) {
		if (r->nnames == SETTLE_NAMES)
			return err_set(r->e, KASI_EDATA,
				       "more than %d channels and dates to settle", SETTLE_NAMES);
		const char *copy = arena_strdup(r->strings, s);
		if (!copy ||
		    !grow_array((void **)&r->names, &r->names_cap, r->nnames + 1,
				sizeof(*r->names)) ||
		    strmap_put(r->name_map, s, n, (uint32_t)r->nnames))
			return err_set(r->e, KASI_EIO, "out of memory");
		r->names[r->nnames] = copy;
		idx = (uint32_t)r->nnames++;
	}
	*out = r->last_name[which] = (uint16_t)idx;
	return 0;
}

/* The index of a provider in the run's payees, added when new. */
static int payee_of(struct run *r, int64_t provider_id, uint16_t *out)
{
	size_t i = r->last_payee;
	if (i >= r->npayees || r->payees[i].b.provider_id != provider_id)
		for (i = 0; i < r->npayees && r->payees[i].b.provider_id != provider_id; i++)
			;
	if (i == r->npayees) {
		if (r->npayees == SETTLE_PROVIDERS)
			return err_set(r->e, KASI_EDATA, "more than %d providers to settle",
				       SETTLE_PROVIDERS);
		if (!grow_array((void **)&r->payees, &r->payees_cap, r->npayees + 1,
				sizeof(*r->payees)))
			return err_set(r->e, KASI_EIO, "out of memory");
		r->payees[r->npayees++] = (struct payee){ .b.provider_id = provider_id };
	}
	*out = (uint16_t)(r->last_payee = i);
	return 0;
}

/* ---- what is held back, in words ------------------------------------------------- */

static void note(struct settle_result *res, const char *f, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct settle_result *res, const char *f, ...)
{
	if (res->nnotes == SETTLE_NOTES)
		return;
	va_list ap;
	va_start(ap, f);
	vsnprintf(res->notes[res->nnotes++], sizeof(res->notes[0]), f, ap);
	va_end(ap);
}

/* A fact as an auditor finds it: "file.csv row 3". */
static void fact_words(struct run *r, int64_t fact_id, char *out, size_t size)
{
	char file[512];
	struct err ignored = { 0 };
	if (store_file_name(r->s, fact_id >> 32, file, &ignored) || !*file)
		snprintf(file, sizeof(file), "file %" PRId64, fact_id >> 32);
	snprintf(out, size, "%s row %" PRIu64, file, (uint64_t)fact_id & STORE_MAX_ROW);
}

static void policy_words(struct run *r, int64_t policy_id, char out[64])
{
	struct err ignored = { 0 };
	if (store_policy_find_number(r->s, policy_id, out, &ignored) <= 0)
		snprintf(out, 64, "policy %" PRId64, policy_id);
}

/* A provider whose money passes int64 cents: no batch this time, none of
 * its lines; its periods stay unsettled, for a later settlement. */
static void hold_payee(struct run *r, struct payee *p, const char *why)
{
	char code[32];
	struct err ignored = { 0 };
	if (p->held)
		return;
	p->held = true;
	r->hold_all = true;
	r->res->held_providers++;
	if (store_provider_code(r->s, p->b.provider_id, code, &ignored) || !*code)
		snprintf(code, sizeof(code), "%" PRId64, p->b.provider_id);
	note(r->res,
	     "%s: provider %s is held back, nothing of it settled (every other provider is); "
	     "its money waits for a settlement after the cause is put right",
	     why, code);
}

/* A collection whose fee passes int64 cents. */
static void hold_fee(struct run *r, struct payee *p, const struct store_unsettled *u)
{
	char where[600], policy[64], amount[MONEY_BUFSZ], fixed[MONEY_BUFSZ], why[900];
	bool reversal = !strcmp(u->kind, "reversal");
	fact_words(r, reversal ? u->original : u->fact_id, where, sizeof(where));
	policy_words(r, u->policy_id, policy);
	money_format(reversal ? u->original_amount : u->amount, amount);
	money_format(u->fee_fixed, fixed);
	snprintf(why, sizeof(why),
		 "%s (policy %s): the fee of a collection of %s at %" PRId64
		 " bps + %s passes int64 cents",
		 where, policy, amount, u->fee_bps, fixed);
	hold_payee(r, p, why);
}

/* A reversal whose own row was settled reversing another collection:
 * its line cannot be written twice, nor the money clawed back twice. */
static int hold_reversal(struct run *r, const struct store_unsettled *u)
{
	char row[600], now[600], was[600], policy[64], amount[MONEY_BUFSZ], code[32];
	struct err ignored = { 0 };
	fact_words(r, u->fact_id, row, sizeof(row));
	fact_words(r, u->original, now, sizeof(now));
	fact_words(r, u->settled_as, was, sizeof(was));
	policy_words(r, u->policy_id, policy);
	money_format(u->amount, amount);
	if (store_provider_code(r->s, u->provider_id, code, &ignored) || !*code)
		snprintf(code, sizeof(code), "%" PRId64, u->provider_id);
	size_t i = 0;
	while (i < r->nheld_periods && strcmp(r->held_periods[i], u->period))
		i++;
	if (i == ARRAY_SIZE(r->held_periods))
		r->hold_all = true;
	else if (i == r->nheld_periods)
		snprintf(r->held_periods[r->nheld_periods++], PERIOD_BUFSZ, "%s", u->period);
	r->res->held++;
	note(r->res,
	     "the reversal %s (policy %s, %s) now reverses the collection %s, but it was "
	     "settled as the reversal of %s, which another row now reverses: held back, "
	     "not clawed back twice; %s keeps %s it is not owed until finance corrects it",
	     row, policy, amount, now, was, code, amount);
	return 0;
}

/* ---- 3: the lines, continued ------------------------------------------------------- */

static int on_unsettled(void *ctx, const struct store_unsettled *u)
{
	struct run *r = ctx;
	bool reversal = !strcmp(u->kind, "reversal");
	if (!u->amount)
		return 0; /* no money: no line, no fee */
	if (u->relink == STORE_RELINK_SETTLED) {
		r->res->relinked++; /* its original is clawed back already */
		return 0;
	}
	if (u->relink == STORE_RELINK_HELD)
		return hold_reversal(r, u);
	if (!grow_array((void **)&r->lines, &r->cap, r->nlines + 1, sizeof(*r->lines)))
		return err_set(r->e, KASI_EIO, "out of memory");
	struct pending *p = &r->lines[r->nlines];
	*p = (struct pending){
		.fact_id = u->fact_id,
		.policy_id = u->policy_id,
		.amount = reversal ? -u->amount : u->amount,
		.original = u->original,
		.reversal = reversal,
	};
	int64_t provider = u->provider_id, fee = 0;
	bool overflow = false;
	if (!reversal && u->original) {
		/* A reversal of a voided file given back: exactly what its line
		 * took off, to the provider it was taken from. */
		if (!u->original_settled)
			return err_set(r->e, KASI_EIO,
				       "store: a reversal to give back (fact %" PRId64
				       ") has no line",
				       u->fact_id);
		p->fee = -u->original_fee;
		provider = u->original_provider_id;
	} else if (!reversal && u->reversed_first) {
		/* Clawed back before it was paid: exactly what its reversal's
		 * line took off, whatever the product's fee is now. */
		p->fee = -u->reversal_fee;
	} else if (!reversal) {
		overflow = settle_fee(u->amount, u->fee_bps, u->fee_fixed, &p->fee) != 0;
	} else if (u->original_settled) {
		/* Exactly the negative of what its original was charged, even
		 * if the product's fees changed since; to whom it was paid. */
		p->fee = -u->original_fee;
		provider = u->original_provider_id;
	} else {
		/* Its original is settled in this run (resolve_reversals), or
		 * later (dated after the day): minus the fee it will be
		 * charged, which is then this line's. */
		p->fee_from_run = true;
		if (u->original_amount > 0)
			overflow =
				settle_fee(u->original_amount, u->fee_bps, u->fee_fixed, &fee) != 0;
		p->fee = -fee;
	}
	int rc;
	if ((rc = payee_of(r, provider, &p->provider)) ||
	    (rc = name_of(r, u->channel, 0, &p->channel)) ||
	    (rc = name_of(r, u->business_date, 1, &p->date)))
		return rc;
	if (overflow)
		hold_fee(r, &r->payees[p->provider], u);
	r->nlines++;
	return 0;
}

/* In the store's order: by row, a collection before its reversal. */
static int line_order(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	if (x->fact_id != y->fact_id)
		return x->fact_id < y->fact_id ? -1 : 1;
	return (x->reversal > y->reversal) - (x->reversal < y->reversal);
}

/* The collection line of fact_id in this run, or NULL. */
static const struct pending *collection_line(const struct run *r, int64_t fact_id)
{
	size_t lo = 0, hi = r->nlines;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pending *p = &r->lines[mid];
		if (p->fact_id < fact_id || (p->fact_id == fact_id && p->reversal))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->nlines && r->lines[lo].fact_id == fact_id && !r->lines[lo].reversal
		       ? &r->lines[lo]
		       : NULL;
}

/* A reversal whose original is settled in this same run: minus that
 * line's fee, to the same provider. One whose original was never settled
 * (it could only be dated after the reversal) was charged nothing. */
static void resolve_reversals(struct run *r)
{
	for (size_t i = 0; i < r->nlines; i++) {
		struct pending *p = &r->lines[i];
		const struct pending *o = p->fee_from_run ? collection_line(r, p->original) : NULL;
		if (o) {
			p->fee = -o->fee;
			p->provider = o->provider;
		}
	}
}

static int read_movements(struct run *r)
{
	int rc = store_each_unsettled_movement(r->s, r->through, on_unsettled, r, r->e);
	if (rc)
		return rc;
	/* Read period by period, each in this order: one sort at most. */
	bool sorted = true;
	for (size_t i = 1; i < r->nlines && sorted; i++)
		sorted = line_order(&r->lines[i - 1], &r->lines[i]) < 0;
	if (!sorted)
		qsort(r->lines, r->nlines, sizeof(*r->lines), line_order);
	resolve_reversals(r);
	return 0;
}

/* ---- 4: batches ---------------------------------------------------------------------- */

/* Each payee's totals, from its lines; one whose sums pass int64 cents is
 * held back. */
static void total(struct run *r)
{
	for (size_t i = 0; i < r->nlines; i++) {
		const struct pending *p = &r->lines[i];
		struct payee *payee = &r->payees[p->provider];
		struct store_batch *b = &payee->b;
		int64_t net;
		bool overflow = __builtin_sub_overflow(p->amount, p->fee, &net);
		if (!p->reversal) {
			b->collections++;
			overflow |= __builtin_add_overflow(b->collected, p->amount, &b->collected);
		} else {
			b->reversals++;
			overflow |= __builtin_sub_overflow(b->reversed, p->amount, &b->reversed);
		}
		overflow |= __builtin_add_overflow(b->fees, p->fee, &b->fees);
		if (overflow)
			hold_payee(r, payee, "its batch's sums pass int64 cents");
	}
}

/* One provider's batch: what it brings forward, its net, its payout. A
 * payee is made by its lines only: a provider with no line gets no
 * batch, and what it carries (a negative net; what a rejected or short
 * payout left owed) waits for its next batch that has lines, and is
 * brought forward there (note_waiting says so). */
static int write_batch(struct run *r, struct payee *p)
{
	struct store_batch *b = &p->b;
	int64_t last_net, owed;
	int rc = store_provider_carry(r->s, b->provider_id, &last_net, &owed, r->e);
	if (rc || p->held)
		return rc;
	if (__builtin_add_overflow(last_net < 0 ? last_net : 0, owed, &b->brought_forward) ||
	    __builtin_sub_overflow(b->collected, b->reversed, &b->net) ||
	    __builtin_sub_overflow(b->net, b->fees, &b->net) ||
	    __builtin_add_overflow(b->net, b->brought_forward, &b->net)) {
		hold_payee(r, p, "its batch passes int64 cents");
		return 0;
	}
	if ((rc = store_batch_add(r->s, r->through, b, r->e)))
		return rc;
	p->made = true;
	if (owed && (rc = store_payouts_carry(r->s, b->provider_id, b->batch_id, r->e)))
		return rc;
	if (b->net > 0)
		rc = store_payout_add(r->s, b->batch_id, b->net, r->now, p->payout, r->e);
	return rc;
}

/* Every line of a batch made, in the store's order, a few thousand to a
 * statement. */
static int write_lines(struct run *r)
{
	enum { AT_ONCE = 4096 };
	struct store_settlement_line *batch = malloc(AT_ONCE * sizeof(*batch));
	if (!batch)
		return err_set(r->e, KASI_EIO, "out of memory");
	int rc = 0;
	size_t n = 0;
	for (size_t i = 0; i < r->nlines && !rc; i++) {
		const struct pending *p = &r->lines[i];
		const struct payee *payee = &r->payees[p->provider];
		if (payee->made) {
			batch[n++] = (struct store_settlement_line){
				.fact_id = p->fact_id,
				.batch_id = payee->b.batch_id,
				.policy_id = p->policy_id,
				.amount = p->amount,
				.fee = p->fee,
				.net = p->amount - p->fee, /* checked in total() */
				.original = p->original,
				.kind = p->reversal ? "reversal" : "collection",
				.channel = r->names[p->channel],
				.business_date = r->names[p->date],
			};
			r->res->lines++;
		}
		if (n && (n == AT_ONCE || i + 1 == r->nlines)) {
			rc = store_lines_add(r->s, batch, n, r->e);
			n = 0;
		}
	}
	free(batch);
	return rc;
}

static void note_batch(struct run *r, const struct payee *p)
{
	struct settle_result *res = r->res;
	res->batches++;
	if (res->nshown == SETTLE_BATCHES_SHOWN)
		return;
	if (!res->shown && !(res->shown = calloc(SETTLE_BATCHES_SHOWN, sizeof(*res->shown))))
		return;
	const struct store_batch *b = &p->b;
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
	snprintf(s->payout, sizeof(s->payout), "%s", p->payout);
	struct err ignored = { 0 };
	store_provider_code(r->s, b->provider_id, s->provider, &ignored);
}

static int payee_order(const void *a, const void *b)
{
	const struct payee *x = a, *y = b;
	return (x->b.provider_id > y->b.provider_id) - (x->b.provider_id < y->b.provider_id);
}

/* The periods settled through the day are marked so; one whose money was
 * held back stays unsettled, to be read again. */
static int periods_settled(struct run *r)
{
	if (r->hold_all)
		return 0;
	int rc = store_periods_settled(r->s, r->through, r->e);
	for (size_t i = 0; i < r->nheld_periods && !rc; i++)
		rc = store_period_unsettled(r->s, r->held_periods[i], r->e);
	return rc;
}

/* A provider its payouts left owed money (or paid too much) that got no
 * batch now: what its next batch that has lines brings forward, said
 * (else finance sees it only in kasi status). */
static int note_waiting(void *ctx, int64_t provider_id)
{
	struct run *r = ctx;
	for (size_t i = 0; i < r->npayees; i++)
		if (r->payees[i].b.provider_id == provider_id && r->payees[i].made)
			return 0;
	int64_t last_net = 0, owed = 0;
	char code[32], money[MONEY_BUFSZ];
	int rc = store_provider_carry(r->s, provider_id, &last_net, &owed, r->e);
	if (!rc)
		rc = store_provider_code(r->s, provider_id, code, r->e);
	if (rc || !owed)
		return rc;
	money_format(owed < 0 ? -owed : owed, money);
	if (owed > 0)
		note(r->res,
		     "%s is owed %s that its payouts did not pay (rejected, or paid short); "
		     "nothing of its is settled this time, so no batch is made for it and the "
		     "money is carried into its next batch",
		     code, money);
	else
		note(r->res,
		     "%s was paid %s more than its payouts were for; nothing of its is settled "
		     "this time, so no batch is made for it and the difference is taken off its "
		     "next batch",
		     code, money);
	return 0;
}

static int write_batches(struct run *r)
{
	int rc = store_settlement_add(r->s, r->through, r->now, r->e);
	if (!rc)
		total(r);
	/* Batches by provider id (the lines keep their payee's index: the
	 * batches are made from a sorted copy, then copied back). */
	struct payee *sorted = rc || !r->npayees ? NULL : malloc(r->npayees * sizeof(*sorted));
	if (!rc && r->npayees && !sorted)
		rc = err_set(r->e, KASI_EIO, "out of memory");
	if (!rc && r->npayees) {
		memcpy(sorted, r->payees, r->npayees * sizeof(*sorted));
		qsort(sorted, r->npayees, sizeof(*sorted), payee_order);
	}
	for (size_t i = 0; !rc && i < r->npayees; i++) {
		rc = write_batch(r, &sorted[i]);
		for (size_t j = 0; !rc && j < r->npayees; j++)
			if (r->payees[j].b.provider_id == sorted[i].b.provider_id)
				r->payees[j] = sorted[i];
		if (!rc && sorted[i].made)
			note_batch(r, &sorted[i]);
	}
	free(sorted);
	if (!rc)
		rc = write_lines(r);
	if (!rc)
		rc = store_each_provider_owed(r->s, note_waiting, r, r->e);
	return rc ? rc : periods_settled(r);
}

/* ---- 5: the balance ---------------------------------------------------------------- */

/* Over all of a provider's batches, what its lines net (collected -
 * reversed - fees) is what left, or is leaving (what its payouts paid
 * out), and what it carries open (its last batch's net when negative,
 * what its payouts left owed not brought forward yet). */
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
		       "provider %s does not balance: its batches net %s (collected - reversed - "
		       "fees) but paid or carry %s: nothing settled",
		       provider, a, b);
}

/* No collection is clawed back twice: of the lines written now, no
 * reversal claws back what another line claws back. */
static int check_clawed_once(struct run *r)
{
	int64_t found[3];
	int twice = store_settlement_clawed_twice(r->s, r->first_batch, found, r->e);
	if (twice <= 0)
		return twice;
	char original[600], a[600], b[600];
	fact_words(r, found[0], original, sizeof(original));
	fact_words(r, found[1], a, sizeof(a));
	fact_words(r, found[2], b, sizeof(b));
	return err_set(r->e, KASI_EDATA,
		       "the collection %s would be clawed back twice, by %s and by %s: nothing "
		       "settled",
		       original, a, b);
}

/* ---- the run -------------------------------------------------------------------------- */

/* Log how long the step that ends now took (--verbose). */
static void lap(int64_t *since, const char *step)
{
	int64_t now = clock_us();
	log_debug("settle: %s: %" PRId64 " ms", step, (now - *since) / 1000);
	*since = now;
}

/* Money dated through the day that no settlement holds (it came after
 * the settlement through it was made). */
static int count_late(void *ctx, const struct store_unsettled *u)
{
	struct settle_result *res = ctx;
	int64_t amount = strcmp(u->kind, "reversal") ? u->amount : -u->amount;
	if (!u->amount || u->relink != STORE_RELINK_NONE)
		return 0;
	res->late++;
	if (__builtin_add_overflow(res->late_net, amount, &res->late_net))
		res->late_net = amount < 0 ? INT64_MIN : INT64_MAX;
	return 0;
}

static int nothing_new(struct run *r)
{
	int rc = store_last_settlement(r->s, r->today, r->res->last, r->e);
	if (!rc && *r->res->last && strcmp(r->res->last, r->through) >= 0) {
		r->res->nothing = true;
		rc = store_each_unsettled_movement(r->s, r->through, count_late, r->res, r->e);
	}
	return rc;
}

/* The day asked, as a date no later than today. */
static int check_through(struct run *r, const char *through, int32_t today)
{
	int32_t day;
	int st = date_parse(through, strlen(through), DATE_FMT_ISO, &day);
	if (st == DATE_ERANGE)
		return err_set(r->e, KASI_EUSAGE, "'%s' is not a real date", through);
	if (st != DATE_OK)
		return err_set(r->e, KASI_EUSAGE, "'%s' is not a date (YYYY-MM-DD)", through);
	date_format_iso(day, r->through);
	date_format_iso(today, r->today);
	if (day > today)
		return err_set(r->e, KASI_EUSAGE,
			       "%s is after today (%s, SAST): a settlement closes its days for "
			       "good, and money dated after today has not come yet",
			       r->through, r->today);
	return 0;
}

static int settle_run(struct run *r)
{
	int64_t t = clock_us();
	int rc = store_each_fact_span(r->s, r->through, on_span, r, r->e);
	if (!rc)
		lap(&t, "periods checked");
	if (!rc && !(rc = read_movements(r)))
		lap(&t, "movements read");
	if (!rc && !(rc = store_last_batch(r->s, &r->first_batch, r->e)))
		r->first_batch++;
	if (!rc && !(rc = write_batches(r)))
		lap(&t, "batches written");
	if (!rc && !(rc = store_each_settled_provider(r->s, check_balance, r, r->e)) &&
	    !(rc = check_clawed_once(r)))
		lap(&t, "balances checked");
	return rc;
}

int settle_through(struct store *s, const struct schema_set *schemas, const char *through,
		   int32_t today, struct settle_result *res, struct err *e)
{
	struct run r = { .s = s, .schemas = schemas, .res = res, .e = e };
	memset(res, 0, sizeof(*res));
	int rc = check_through(&r, through, today);
	if (rc)
		return rc;
	store_now(r.now);
	bool in_tx = false;
	if (!(r.strings = arena_new()) || !(r.name_map = strmap_new()))
		rc = err_set(e, KASI_EIO, "out of memory");
	if (!rc && !(rc = store_begin(s, e)))
		in_tx = true;
	if (!rc)
		rc = nothing_new(&r);
	if (!rc && !res->nothing && !(rc = settle_run(&r))) {
		int64_t t = clock_us();
		if (!(rc = store_commit(s, e))) {
			in_tx = false;
			lap(&t, "committed");
		}
	}
	if (in_tx)
		store_rollback(s);
	arena_free(r.strings);
	strmap_free(r.name_map);
	free(r.names);
	free(r.payees);
	free(r.lines);
	return rc;
}

void settle_result_release(struct settle_result *res)
{
	free(res->shown);
	res->shown = NULL;
	res->nshown = 0;
}
