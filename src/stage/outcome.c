/*
 * outcome.c — deciding outcomes from money movements (see outcome.h).
 */
#include "core/common.h"
#include "core/grow.h"
#include "stage/discrepancy.h"
#include "stage/outcome.h"

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

/* ---- tallying movements ---------------------------------------------------- */

static void add(struct policy_money *p, int64_t *sum, int64_t cents, int64_t fact_id)
{
	if (p->overflow || money_add(*sum, cents, sum) == MONEY_OK)
		return;
	p->overflow = true;
	p->overflow_at = fact_id;
}

int outcome_tally(const struct matcher *m, struct policy_money **out, struct err *e)
{
	struct policy_money *money = calloc(m->npolicies ? m->npolicies : 1, sizeof(*money));
	grow_advise_huge(money, m->npolicies * sizeof(*money));
	*out = money;
	if (!money)
		return err_set(e, KASI_EIO, "out of memory");
	for (size_t i = 0; i < m->nmoves; i++) {
		const struct movement *mv = &m->moves[i];
		struct policy_money *p = &money[mv->policy];
		switch ((enum movement_kind)mv->kind) {
		case MOVE_COLLECTED:
			add(p, &p->collected, mv->amount, mv->fact_id);
			/* The latest by date, then arrival, whatever the reading order. */
			if (mv->amount > 0 &&
			    (!p->last_fact || mv->day > p->last_day ||
			     (mv->day == p->last_day && mv->fact_id > p->last_fact))) {
				p->last_fact = mv->fact_id;
				p->last_day = mv->day;
			}
			break;
		case MOVE_REVERSAL: add(p, &p->collected, -mv->amount, mv->fact_id); break;
		case MOVE_PENDING: add(p, &p->pending, mv->amount, mv->fact_id); break;
		}
	}
	return 0;
}

/* ---- deciding --------------------------------------------------------------- */

static enum outcome_status status_of(const struct matcher *m, const struct match_policy *p,
				     const struct policy_money *money)
{
	if (p->cancel_day != MATCH_NO_DAY && p->cancel_day <= m->last_day)
		return CANCELLED;
	if (money->collected >= p->expected - TOLERANCE) /* expected > 0: no overflow */
		return PAID_FULL;
	return money->collected > 0 ? PAID_PARTIAL : UNPAID;
}

enum outcome_status outcome_decide(const struct matcher *m, const struct reasons *reasons,
				   uint32_t pol, const struct policy_money *money,
				   struct store_outcome *o)
{
	const struct match_policy *p = &m->policies[pol];
	enum outcome_status st = status_of(m, p, money);
	*o = (struct store_outcome){
		.policy_id = p->id,
		.status = status_names[st],
		.expected = p->expected,
		.collected = money->collected,
		.pending = money->pending,
	};
	if (st == PAID_PARTIAL || st == UNPAID) {
		o->shortfall = p->expected - (money->collected > 0 ? money->collected : 0);
		const struct failure *f = p->fail ? &m->fails[p->fail - 1] : NULL;
		o->raw_reason = f ? f->raw : NULL;
		o->reason =
			f ? reasons_normalise(reasons, f->channel, f->raw) : REASON_NOT_RECEIVED;
	}
	return st;
}

void outcome_rule_text(const struct matcher *m, const struct match_policy *p,
		       const struct policy_money *money, enum outcome_status st, char *rule,
		       size_t rule_size)
{
	char exp[MONEY_BUFSZ], col[MONEY_BUFSZ], d[DATE_BUFSZ];
	money_format(p->expected, exp);
	money_format(money->collected, col);
	switch (st) {
	case CANCELLED:
		date_format_iso(p->cancel_day, d);
		snprintf(rule, rule_size, "cancelled on %s, on or before the period's last day %s",
			 d, m->last);
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

/* ---- overpayments ------------------------------------------------------------- */

/* The collection that tipped a policy over, for OVERPAYMENT's channel
 * and transaction. */
struct tipping {
	struct matcher *m;
	const char *channel, *txn;
};

static int take_tipping(void *ctx, const struct store_fact_row *f)
{
	struct tipping *t = ctx;
	t->channel = matcher_keep(t->m, f->channel);
	t->txn = matcher_keep(t->m, f->transaction_id);
	return 0;
}

int outcome_overpayments(struct matcher *m, const struct policy_money *money)
{
	for (size_t i = 0; i < m->npolicies; i++) {
		const struct match_policy *p = &m->policies[i];
		const struct policy_money *pm = &money[i];
		if (!p->scheduled || pm->overflow || status_of(m, p, pm) == CANCELLED ||
		    pm->collected <= p->expected ||
		    pm->collected - p->expected <= TOLERANCE) /* not expected + 1: INT64_MAX + 1 */
			continue;
		struct tipping t = { .m = m };
		if (pm->last_fact) {
			int rc = m->lookup->fact_at(m->lookup->ctx, pm->last_fact, take_tipping, &t,
						    m->e);
			if (rc < 0)
				return rc;
		}
		struct where w = { t.channel, pm->last_fact >> 32,
				   (uint64_t)pm->last_fact & STORE_MAX_ROW, t.txn, NULL };
		const char *col = matcher_money(m, pm->collected);
		const char *exp = matcher_money(m, p->expected);
		matcher_find(m, D_OVERPAYMENT, pm->last_fact ? &w : NULL, (uint32_t)i, NULL, exp,
			     col,
			     matcher_fmt(m,
					 "collected %s against %s expected; the excess is the "
					 "policyholder's",
					 col, exp));
	}
	return m->oom ? err_set(m->e, KASI_EIO, "out of memory") : 0;
}
