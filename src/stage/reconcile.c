/*
 * reconcile.c — a period's outcomes and discrepancies (see reconcile.h).
 *
 * The run, step by step, each behind the function named:
 *
 *   1. read_policies     every policy, with what the period expected of it,
 *                        into the matcher's map of keys (read on a second
 *                        thread, a block at a time)
 *   2. read_ledgers      the period's ledger records of every two-sided
 *                        payments channel, and the days a file of it came
 *   3. read_facts        the period's facts, as they arrived, each handed
 *                        to its channel's flow (flow_payments_fact,
 *                        flow_debits_fact, flow_instructions_fact)
 *   4. read_reversals    every reversal stored, by date, whatever its
 *                        period (flow_debits_reversal): which original a
 *                        reversal takes back depends on those before it
 *                        (an unpaid of September took the collection an
 *                        unpaid of October would otherwise find)
 *   5. finish_flows      what the flows could only do once every fact was
 *                        read (flow_payments_finish, flow_instructions_finish)
 *   6. outcome_tally     each policy's money, from its movements;
 *      outcome_overpayments
 *   7. write_findings    the discrepancies (discrepancy_write_all), then
 *      write_outcomes    one outcome per scheduled policy (outcome_decide)
 *
 * Every link is a hash or an index lookup, never a nested loop. Nothing
 * here knows a channel: the flows do, from the schemas.
 */
#include "core/common.h"
#include "core/clock.h"
#include "core/grow.h"
#include "core/log.h"
#include "stage/discrepancy.h"
#include "stage/reconcile.h"

#define RECONCILE_CACHE_KIB (16 * 1024)

struct run {
	struct store *store;
	const struct reasons *reasons;
	const struct reconcile_opts *opts;
	struct reconcile_summary *sum;
	struct err *e;
	struct matcher m;
	struct policy_money *money;
};

/* Log how long the step that ends now took (--verbose). */
static void lap(int64_t *since, const char *step)
{
	int64_t now = clock_us();
	log_debug("reconcile: %s: %" PRId64 " ms", step, (now - *since) / 1000);
	*since = now;
}

/* ---- what the flows look up, from the store --------------------------------- */

static int lookup_fact_by_key(void *ctx, const char *channel, const char *key,
			      int (*fn)(void *, const struct store_fact_row *), void *fn_ctx,
			      struct err *e)
{
	return store_fact_find(ctx, channel, key, fn, fn_ctx, e);
}

static int lookup_facts_on_cycle(void *ctx, const char *channel, const char *reference,
				 const char *cycle_date, const char *kind,
				 int (*fn)(void *, const struct store_fact_row *), void *fn_ctx,
				 struct err *e)
{
	return store_each_fact_on_cycle(ctx, channel, reference, cycle_date, kind, fn, fn_ctx, e);
}

static int lookup_fact_at(void *ctx, int64_t fact_id,
			  int (*fn)(void *, const struct store_fact_row *), void *fn_ctx,
			  struct err *e)
{
	return store_fact_at(ctx, fact_id, fn, fn_ctx, e);
}

static int lookup_ledger_find(void *ctx, const char *channel, const char *transaction_id,
			      int (*fn)(void *, const struct store_ledger_row *), void *fn_ctx,
			      struct err *e)
{
	return store_ledger_find(ctx, channel, transaction_id, fn, fn_ctx, e);
}

static int lookup_ledger_get(void *ctx, int64_t ledger_id,
			     int (*fn)(void *, const struct store_ledger_row *), void *fn_ctx,
			     struct err *e)
{
	return store_ledger_get(ctx, ledger_id, fn, fn_ctx, e);
}

/* ---- 1, 2: policies; ledgers ------------------------------------------------ */

/* A block of policies, their map slots fetched first, so that the cache
 * misses of a block overlap. */
static int on_policies(void *ctx, const struct store_policy_row *rows, size_t n)
{
	struct run *r = ctx;
	for (size_t i = 0; i < n; i++)
		matcher_prefetch_policy(&r->m, &rows[i]);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = matcher_add_policy(&r->m, &rows[i]);
	return rc;
}

/* Policy numbers are keys only when a channel whose rows name them has
 * facts in the period. */
static int numbers_needed(struct run *r)
{
	bool any = false;
	for (size_t i = 0; i < r->m.nchannels && !any; i++) {
		const struct channel *c = &r->m.channels[i];
		if (c->schema->flow.match != POLICY_KEY_NUMBER ||
		    c->schema->flow.type == FLOW_PAYOUTS)
			continue;
		int rc = store_channel_has_facts(r->store, c->name, r->m.first, r->m.last, &any,
						 r->e);
		if (rc)
			return rc;
	}
	if (!any)
		matcher_skip_numbers(&r->m);
	return 0;
}

static int read_policies(struct run *r)
{
	int64_t max_id = 0;
	int rc = store_policy_max_id(r->store, &max_id, r->e);
	if (!rc && matcher_needs_numbers(&r->m))
		rc = numbers_needed(r);
	if (rc)
		return rc;
	/* Most policies have one key; some have a cash code too. */
	size_t hint = max_id > 0 && max_id < (int64_t)(SIZE_MAX / 64) ? (size_t)max_id : 0;
	if (hint && !(r->m.policies = malloc(hint * sizeof(*r->m.policies))))
		return err_set(r->e, KASI_EIO, "out of memory");
	grow_advise_huge(r->m.policies, hint * sizeof(*r->m.policies));
	r->m.policies_cap = hint;
	return store_read_policies_for_period(r->store, r->m.period, matcher_needs_numbers(&r->m),
					      on_policies, r, r->e);
}

struct ledger_ctx {
	struct matcher *m;
	const struct channel *c;
};

static int on_ledger(void *ctx, const struct store_ledger_row *l)
{
	struct ledger_ctx *lc = ctx;
	return flow_payments_ledger(lc->m, lc->c, l);
}

static int on_applied_date(void *ctx, const char *date)
{
	struct ledger_ctx *lc = ctx;
	flow_payments_applied(lc->m, lc->c, date);
	return 0;
}

static int read_ledgers(struct run *r)
{
	int rc = 0;
	for (size_t i = 0; i < r->m.nchannels && !rc; i++) {
		struct ledger_ctx lc = { &r->m, &r->m.channels[i] };
		if (!lc.c->schema->flow.two_sided)
			continue;
		rc = store_each_ledger_between(r->store, lc.c->name, r->m.first, r->m.last,
					       on_ledger, &lc, r->e);
		if (!rc)
			rc = store_each_applied_date(r->store, lc.c->name, r->m.first, r->m.last,
						     on_applied_date, &lc, r->e);
	}
	return rc;
}

/* ---- 3, 4: facts; reversals ---------------------------------------------------- */

/* A fact of the period, handed to its channel's flow (c: none when no
 * schema describes its channel any more: nothing to match). */
static int on_period_fact(struct run *r, const struct channel *c, const struct store_fact_row *f)
{
	switch (c ? c->schema->flow.type : FLOW_NONE) {
	case FLOW_PAYMENTS: return flow_payments_fact(&r->m, c, f);
	case FLOW_DEBITS: return flow_debits_fact(&r->m, c, f);
	case FLOW_INSTRUCTIONS: return flow_instructions_fact(&r->m, c, f);
	case FLOW_PAYOUTS: /* kasi's own payouts: no policy's money (settlement's) */
	case FLOW_NONE: break;
	}
	return 0;
}

/* Whether a channel's rows name their policy by a reference. */
static bool names_policy(const struct channel *c)
{
	return c && (c->schema->flow.type == FLOW_PAYMENTS || c->schema->flow.type == FLOW_DEBITS);
}

/* Facts matched at a time: their channels looked up once. */
enum { FACTS_AHEAD = 512 };

/* Up to FACTS_AHEAD facts. What they name is fetched from memory for all
 * of them first, so that the cache misses overlap: their policies' map
 * slots (and their ledger records'), then, those come, the policies. */
static int match_facts(struct run *r, const struct store_fact_row *rows, size_t n)
{
	const struct channel *channels[FACTS_AHEAD];
	for (size_t i = 0; i < n; i++) {
		const struct channel *c = channels[i] = matcher_channel(&r->m, rows[i].channel);
		if (names_policy(c))
			matcher_prefetch_reference(&r->m, c, rows[i].reference);
		if (c && c->schema->flow.type == FLOW_PAYMENTS)
			flow_payments_prefetch(&r->m, c, &rows[i]);
	}
	for (size_t i = 0; i < n; i++)
		if (names_policy(channels[i]))
			matcher_prefetch_named(&r->m, channels[i], rows[i].reference);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = on_period_fact(r, channels[i], &rows[i]);
	return rc;
}

/* A block of the period's facts, as the store's reader hands them over. */
static int on_period_facts(void *ctx, const struct store_fact_row *rows, size_t n)
{
	int rc = 0;
	for (size_t at = 0; at < n && !rc; at += FACTS_AHEAD)
		rc = match_facts(ctx, rows + at, n - at < FACTS_AHEAD ? n - at : FACTS_AHEAD);
	return rc;
}

static int read_facts(struct run *r)
{
	/* About a movement a policy: room made once, not doubled into a
	 * copy at a time. */
	if (!grow_array((void **)&r->m.moves, &r->m.moves_cap, r->m.npolicies, sizeof(*r->m.moves)))
		return err_set(r->e, KASI_EIO, "out of memory");
	return store_read_facts_between(r->store, r->m.first, r->m.last, on_period_facts, r, r->e);
}

static int on_reversal(void *ctx, const struct store_fact_row *u)
{
	struct run *r = ctx;
	const struct channel *c = matcher_channel(&r->m, u->channel);
	if (!c || c->schema->flow.type != FLOW_DEBITS)
		return 0;
	return flow_debits_reversal(&r->m, c, u);
}

static int read_reversals(struct run *r)
{
	return store_each_reversal(r->store, on_reversal, r, r->e);
}

static int finish_flows(struct run *r)
{
	int rc = flow_payments_finish(&r->m);
	if (!rc)
		flow_instructions_finish(&r->m);
	if (!rc && r->m.oom)
		rc = err_set(r->e, KASI_EIO, "out of memory");
	return rc;
}

/* Steps 1 to 6, reading; what they found is in r->m and r->money. */
static int match(struct run *r)
{
	int64_t t = clock_us();
	int rc = read_policies(r);
	if (!rc)
		lap(&t, "policies");
	if (!rc && !(rc = read_ledgers(r)))
		lap(&t, "ledgers");
	if (!rc && !(rc = read_facts(r)))
		lap(&t, "the period's facts");
	if (!rc && !(rc = read_reversals(r)))
		lap(&t, "reversals");
	if (!rc && !(rc = finish_flows(r))) {
		lap(&t, "the ledgers' other days, instructions");
		matcher_release_maps(&r->m);
	}
	if (!rc)
		rc = outcome_tally(&r->m, &r->money, r->e);
	if (!rc && !(rc = outcome_overpayments(&r->m, r->money)))
		lap(&t, "outcomes tallied, overpayments");
	return rc;
}

/* ---- 7: writing -------------------------------------------------------------------- */

static void note_overflow(struct run *r, uint32_t pol)
{
	struct reconcile_summary *sum = r->sum;
	if (sum->overflowed++)
		return;
	struct err ignored = { 0 };
	int64_t at = r->money[pol].overflow_at;
	if (store_policy_find_number(r->store, r->m.policies[pol].id, sum->overflow_policy,
				     &ignored) <= 0)
		snprintf(sum->overflow_policy, sizeof(sum->overflow_policy), "policy %" PRId64,
			 r->m.policies[pol].id);
	store_file_name(r->store, at >> 32, sum->overflow_file, &ignored);
	sum->overflow_row = (uint64_t)at & STORE_MAX_ROW;
}

static void trace_rule(struct run *r, uint32_t pol, enum outcome_status st,
		       const struct store_outcome *o)
{
	char money[OUTCOME_MONEY_BUFSZ], rule[256];
	outcome_rule_text(&r->m, &r->m.policies[pol], &r->money[pol], st, rule, sizeof(rule));
	outcome_money_text(o->expected, o->collected, o->shortfall, o->pending, money);
	matcher_trace(&r->m, pol, TRACE_RULE, NULL, false, 0, "%s, by the rule %s\n  %s%s%s%s%s%s",
		      o->status, rule, money, o->reason ? "\n  reason " : "",
		      o->reason ? o->reason : "", o->raw_reason ? " (the channel said: " : "",
		      o->raw_reason ? o->raw_reason : "", o->raw_reason ? ")" : "");
}

static int flush(struct run *r, struct store_rewrite *w, struct store_outcome *batch, size_t n)
{
	return r->opts->write ? store_rewrite_put(r->store, w, batch, n, r->e) : 0;
}

static int write_outcomes(struct run *r)
{
	int rc = 0;
	bool totals_overflow = false;
	struct store_outcome *batch = malloc(STORE_OUTCOMES_AT_ONCE * sizeof(*batch));
	if (!batch)
		return err_set(r->e, KASI_EIO, "out of memory");
	struct store_rewrite w;
	store_rewrite_begin(&w, STORE_REWRITE_OUTCOMES, r->m.period);
	size_t n = 0;
	for (size_t i = 0; i < r->m.npolicies && !rc; i++) {
		if (!r->m.policies[i].scheduled)
			continue;
		if (r->money[i].overflow) {
			note_overflow(r, (uint32_t)i);
			continue;
		}
		struct store_outcome *o = &batch[n++];
		enum outcome_status st =
			outcome_decide(&r->m, r->reasons, (uint32_t)i, &r->money[i], o);
		if (outcome_totals_add(&r->sum->outcomes, st, o->expected, o->collected,
				       o->shortfall, o->pending))
			totals_overflow = true;
		if (matcher_traced(&r->m, (uint32_t)i))
			trace_rule(r, (uint32_t)i, st, o);
		if (n == STORE_OUTCOMES_AT_ONCE) {
			rc = flush(r, &w, batch, n);
			n = 0;
		}
	}
	if (!rc)
		rc = flush(r, &w, batch, n);
	if (!rc && r->opts->write)
		rc = store_rewrite_end(r->store, &w, r->e);
	store_rewrite_release(&w);
	free(batch);
	if (!rc && totals_overflow)
		rc = err_set(r->e, KASI_EDATA,
			     "the period's totals pass what kasi can count (int64 cents): "
			     "nothing reconciled");
	return rc;
}

/* What settlements made of voided files is undone by the next one: a
 * collection paid over is taken back, a reversal clawed back is given
 * back (movements of the period). */
static int take_back_voided(struct run *r)
{
	char first[DATE_BUFSZ], last[DATE_BUFSZ];
	date_format_iso(r->m.first_day, first);
	date_format_iso(r->m.last_day, last);
	return store_void_movements_add(r->store, r->m.period, first, last,
					&r->sum->voided_taken_back, &r->sum->voided_given_back,
					r->e);
}

/* A batch of movements as the store keeps them. Their policies, which
 * the rows name in no order, are fetched from memory for the whole batch
 * first, so that the cache misses overlap; a day's date is written once
 * for the run of movements that share it. */
static void movements_for_store(const struct run *r, const struct movement *const *mvs, size_t n,
				struct store_movement *batch, char (*dates)[DATE_BUFSZ])
{
	for (size_t i = 0; i < n; i++)
		__builtin_prefetch(&r->m.policies[mvs[i]->policy]);
	for (size_t i = 0; i < n; i++) {
		const struct movement *mv = mvs[i];
		const struct match_policy *policy = &r->m.policies[mv->policy];
		if (i && mv->day == mvs[i - 1]->day)
			memcpy(dates[i], dates[i - 1], DATE_BUFSZ);
		else
			date_format_iso(mv->day, dates[i]);
		batch[i] = (struct store_movement){
			.fact_id = mv->fact_id,
			.policy_id = policy->id,
			.product_id = policy->product_id,
			.amount = mv->amount,
			.original = mv->original,
			.kind = mv->kind == MOVE_REVERSAL ? "reversal" : "collection",
			.channel = r->m.channels[mv->channel].name,
			.business_date = dates[i],
		};
	}
}

/* The movements settlement reads: collections and reversals (pending
 * money is not settled), a few thousand to a statement, in the store's
 * order. */
static int write_movements(struct run *r)
{
	struct moves_merge g;
	moves_merge_begin(&g, r->m.moves, r->m.nmoves);
	enum { AT_ONCE = 4096 };
	const struct movement **mvs = malloc(AT_ONCE * sizeof(*mvs));
	struct store_movement *batch = malloc(AT_ONCE * sizeof(*batch));
	char(*dates)[DATE_BUFSZ] = malloc(AT_ONCE * sizeof(*dates));
	int rc = mvs && batch && dates ? 0 : err_set(r->e, KASI_EIO, "out of memory");
	struct store_rewrite w;
	store_rewrite_begin(&w, STORE_REWRITE_MOVEMENTS, r->m.period);
	for (size_t n = AT_ONCE; !rc && n == AT_ONCE;) {
		const struct movement *mv;
		for (n = 0; n < AT_ONCE && (mv = moves_merge_next(&g));)
			if (mv->kind != MOVE_PENDING)
				mvs[n++] = mv;
		movements_for_store(r, mvs, n, batch, dates);
		rc = store_rewrite_put(r->store, &w, batch, n, r->e);
	}
	if (!rc)
		rc = store_rewrite_end(r->store, &w, r->e);
	/* Movements to settle, perhaps: settlement reads the period again. */
	if (!rc && w.rows)
		rc = store_period_unsettled(r->store, r->m.period, r->e);
	store_rewrite_release(&w);
	free(mvs);
	free(batch);
	free(dates);
	return rc ? rc : take_back_voided(r);
}

/* What the period's debit instructions came to, for debit-order health. */
static int write_debit_results(struct run *r)
{
	struct store_debit_result *rows = calloc(r->m.ntallies ? r->m.ntallies : 1, sizeof(*rows));
	if (!rows)
		return err_set(r->e, KASI_EIO, "out of memory");
	for (size_t i = 0; i < r->m.ntallies; i++) {
		const struct debit_tally *t = &r->m.tallies[i];
		rows[i] =
			(struct store_debit_result){ r->m.channels[t->channel].name, t->product_id,
						     t->raw, t->instructions, t->unpaids };
	}
	int rc = store_debit_results_write(r->store, r->m.period, rows, r->m.ntallies, r->e);
	free(rows);
	return rc;
}

static int write_results(struct run *r)
{
	struct store *s = r->store;
	int64_t t = clock_us();
	int rc = 0;
	if (r->opts->write &&
	    ((rc = store_reconcile_clear(s, r->m.period, r->e)) ||
	     (rc = discrepancy_write_all(s, r->m.period, r->m.findings, r->m.nfindings, r->e))))
		return rc;
	lap(&t, "discrepancies written");
	if ((rc = write_outcomes(r)))
		return rc;
	lap(&t, "outcomes written");
	if (r->opts->write && (rc = write_movements(r)))
		return rc;
	lap(&t, "movements written");
	if (r->opts->write && (rc = write_debit_results(r)))
		return rc;
	if (r->opts->write && (rc = store_period_reconciled(s, r->m.period, r->e)))
		return rc;
	if ((rc = store_discrepancy_total(s, r->m.period, &r->sum->total, r->e)))
		return rc;
	if (!r->opts->write) {
		/* Nothing replaced: count what this run found in place of what
		 * the last reconciliation stored. */
		int64_t stored = 0;
		rc = store_discrepancy_total_from(s, r->m.period, "reconcile", &stored, r->e);
		r->sum->total += r->sum->found - stored;
	}
	return rc;
}

/* ---- the run --------------------------------------------------------------------------- */

static int begin(struct run *r)
{
	int rc = store_cache_kib(r->store, RECONCILE_CACHE_KIB, r->e);
	/* One transaction: the results are written against what was read
	 * (explaining only reads, without taking the write lock). */
	if (!rc)
		rc = r->opts->write ? store_begin(r->store, r->e)
				    : store_begin_read(r->store, r->e);
	return rc;
}

static int check_scheduled(struct run *r)
{
	struct store_period sp;
	int scheduled = store_period_get(r->store, r->m.period, &sp, r->e);
	if (scheduled > 0)
		return 0;
	return scheduled < 0
		       ? scheduled
		       : err_set(r->e, KASI_EDATA,
				 "period %s is not scheduled (run 'kasi schedule --period %s')",
				 r->m.period, r->m.period);
}

int reconcile_period(struct store *s, const struct schema_set *schemas,
		     const struct reasons *reasons, const char *period,
		     const struct reconcile_opts *opts, struct reconcile_summary *sum,
		     struct err *e)
{
	static const struct match_lookup from_store = {
		.fact_by_key = lookup_fact_by_key,
		.facts_on_cycle = lookup_facts_on_cycle,
		.fact_at = lookup_fact_at,
		.ledger_find = lookup_ledger_find,
		.ledger_get = lookup_ledger_get,
	};
	struct match_lookup lookup = from_store;
	lookup.ctx = s;
	struct run r = { .store = s, .reasons = reasons, .opts = opts, .sum = sum, .e = e };
	bool in_tx = false;
	memset(sum, 0, sizeof(*sum));
	int rc = matcher_init(&r.m, schemas, period, &lookup, e);
	r.m.trace_policy_id = opts->trace_policy_id;
	r.m.trace = opts->trace_policy_id ? opts->trace : NULL;
	r.m.trace_ctx = opts->trace_ctx;
	if (!rc && !(rc = begin(&r)))
		in_tx = true;
	if (!rc)
		rc = check_scheduled(&r);
	if (!rc)
		rc = match(&r);
	if (!rc) {
		sum->found = (int64_t)r.m.nfindings;
		rc = write_results(&r);
	}
	if (!rc && opts->write) {
		int64_t t = clock_us();
		rc = store_commit(s, e);
		in_tx = rc != 0;
		lap(&t, "committed");
	}
	if (in_tx)
		store_rollback(s);
	matcher_release(&r.m);
	free(r.money);
	return rc;
}
