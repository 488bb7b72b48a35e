/*
 * flow_payments.c — the payments flow: each row a payment (see match.h).
 *
 * A row of the period is, by its kind:
 *   collected   money for the policy its reference names
 *   pending     shown, never counted
 *   failed      nothing collected; its reason (the row's reason, else its
 *               status) may explain an unpaid policy
 *   ignored     not a premium (a cashout: money paid out); never names a
 *               policy, so never UNKNOWN_REFERENCE
 * A reference that names no policy is UNKNOWN_REFERENCE.
 *
 * A channel whose schema says `ledger two_sided` is checked against our
 * own ledger of its real-time callbacks, every row (ignored ones too) by
 * transaction id: a row the ledger lacks is MISSING_FROM_LEDGER, amounts
 * apart by more than R0.01 AMOUNT_MISMATCH, statuses that differ
 * STATUS_MISMATCH; the file counts. A ledger record of the period that no
 * file holds, on a day whose file came, is MISSING_FROM_FILE.
 */
#include "core/common.h"
#include "core/grow.h"
#include "stage/discrepancy.h"
#include "stage/match.h"

/* The ledger map's key: the channel's byte, then the transaction id. */
static size_t ledger_key(char key[128], uint8_t channel, const char *txn)
{
	size_t n = strlen(txn);
	if (n + 1 > 128)
		return 0;
	key[0] = (char)channel;
	memcpy(key + 1, txn, n);
	return n + 1;
}

static const char *intern_status(struct matcher *m, const char *status)
{
	for (size_t i = 0; i < m->nstatuses; i++)
		if (!strcmp(m->statuses[i], status))
			return m->statuses[i];
	const char *k = matcher_keep(m, status);
	if (m->nstatuses < ARRAY_SIZE(m->statuses))
		m->statuses[m->nstatuses++] = k;
	return k;
}

int flow_payments_ledger(struct matcher *m, const struct channel *c,
			 const struct store_ledger_row *l)
{
	if (!grow_array((void **)&m->ledger, &m->ledger_cap, m->nledger + 1, sizeof(*m->ledger)))
		return err_set(m->e, KASI_EIO, "out of memory");
	uint32_t idx = (uint32_t)m->nledger++;
	m->ledger[idx] = (struct ledger_record){
		.id = l->ledger_id,
		.amount = l->amount,
		.status = intern_status(m, l->status),
	};
	char key[128];
	size_t n = ledger_key(key, c->id, l->transaction_id);
	if (n && strmap_put(m->ledger_by_txn, key, n, idx))
		return err_set(m->e, KASI_EIO, "out of memory");
	return m->oom ? err_set(m->e, KASI_EIO, "out of memory") : 0;
}

void flow_payments_applied(struct matcher *m, const struct channel *c, const char *date)
{
	int32_t day = match_day(date);
	if (matcher_in_period(m, day))
		m->applied[c->id][day - m->first_day] = true;
}

/* A row against our ledger's record of it (amount NULL: none). Its
 * discrepancies name the policy its reference names when there is one,
 * even for a row that is not a premium (a cashout of a customer's code);
 * else the reference as the row gives it. */
static void check_ledger(struct matcher *m, const struct channel *c, const struct store_fact_row *f,
			 const int64_t *amount, const char *status)
{
	struct where w = match_where(f);
	uint32_t pol = matcher_policy(m, c, f->reference);
	const char *reference = matcher_reference(m, c, f->reference);
	if (!amount) {
		matcher_find(
			m, D_MISSING_FROM_LEDGER, &w, pol, reference, NULL,
			matcher_money(m, f->amount),
			matcher_fmt(m, "%s reports %s %s %s of %s; our ledger has no record of it",
				    schema_label(c->schema), f->status ? f->status : "",
				    f->kind ? f->kind : "", f->transaction_id,
				    matcher_money(m, f->amount)));
		return;
	}
	int64_t diff = f->amount - *amount;
	if (diff > TOLERANCE || diff < -TOLERANCE)
		matcher_find(m, D_AMOUNT_MISMATCH, &w, pol, reference, matcher_money(m, *amount),
			     matcher_money(m, f->amount),
			     matcher_fmt(m, "the file says %s, our ledger %s; the file counts",
					 matcher_money(m, f->amount), matcher_money(m, *amount)));
	if (!f->status || strcmp(f->status, status))
		matcher_find(m, D_STATUS_MISMATCH, &w, pol, reference, status, f->status,
			     matcher_fmt(m, "the file says %s, our ledger %s; the file counts",
					 f->status ? f->status : "nothing", status));
}

void flow_payments_prefetch(const struct matcher *m, const struct channel *c,
			    const struct store_fact_row *f)
{
	char key[128];
	size_t n;
	if (c->schema->flow.two_sided && (n = ledger_key(key, c->id, f->transaction_id)))
		strmap_prefetch(m->ledger_by_txn, key, n);
}

/* The row's ledger record: the period's, in memory; else (the store is the
 * facts' reader's now) looked up when the facts are read. */
static int match_ledger(struct matcher *m, const struct channel *c, const struct store_fact_row *f)
{
	char key[128];
	uint32_t idx;
	size_t n = ledger_key(key, c->id, f->transaction_id);
	if (n && strmap_get(m->ledger_by_txn, key, n, &idx)) {
		struct ledger_record *l = &m->ledger[idx];
		l->matched = true;
		check_ledger(m, c, f, &l->amount, l->status);
		return 0;
	}
	if (!grow_array((void **)&m->deferred, &m->deferred_cap, m->ndeferred + 1,
			sizeof(*m->deferred)))
		return err_set(m->e, KASI_EIO, "out of memory");
	struct store_fact_row *d = &m->deferred[m->ndeferred++];
	*d = *f;
	d->channel = matcher_keep(m, f->channel);
	d->transaction_id = matcher_keep(m, f->transaction_id);
	d->reference = matcher_keep(m, f->reference);
	d->business_date = matcher_keep(m, f->business_date);
	d->kind = matcher_keep(m, f->kind);
	d->status = matcher_keep(m, f->status);
	d->reason = matcher_keep(m, f->reason);
	d->status_date = matcher_keep(m, f->status_date);
	d->canonical_kind = matcher_keep(m, f->canonical_kind);
	d->reason_text = d->original_id = d->cycle_date = NULL;
	return 0;
}

/* What the channel calls the row, for a trace line: "cashout", "topup". */
static const char *called(const struct channel *c, const struct store_fact_row *f)
{
	return f->kind && *f->kind ? f->kind : schema_kind_word(c->schema, match_fact_kind(f));
}

static void count_payment(struct matcher *m, const struct channel *c,
			  const struct store_fact_row *f, uint32_t pol)
{
	struct where w = match_where(f);
	int32_t day = match_day(f->business_date);
	const char *status = f->status ? f->status : "";
	const char *label = schema_label(c->schema);
	switch (match_fact_kind(f)) {
	case FACT_COLLECTED:
		if (matcher_collect(m, pol, &w, day, f->amount, "%s %s, %s", label, called(c, f),
				    status))
			matcher_check_inactive(m, pol, &w, day);
		break;
	case FACT_PENDING:
	case FACT_TRACKING:
		matcher_pending(m, pol, &w, day, f->amount, "%s %s, %s: shown, not counted", label,
				called(c, f), status);
		break;
	case FACT_FAILED: {
		const char *raw = f->reason && *f->reason ? f->reason : status;
		matcher_failure(m, pol, c->name, day, 0, f->fact_id, raw);
		matcher_trace(m, pol, TRACE_FAILURE, &w, true, f->amount,
			      "%s %s, %s: nothing collected", label, called(c, f), raw);
		break;
	}
	default:
		matcher_trace(m, pol, TRACE_NOT_COUNTED, &w, true, f->amount,
			      "%s %s, %s: nothing collected", label, called(c, f), status);
		break;
	}
}

int flow_payments_fact(struct matcher *m, const struct channel *c, const struct store_fact_row *f)
{
	if (match_fact_kind(f) != FACT_IGNORED) {
		uint32_t pol = matcher_policy(m, c, f->reference);
		if (pol == MATCH_NONE) {
			struct where w = match_where(f);
			const char *shown = matcher_reference(m, c, f->reference);
			const char *ref = shown ? shown : "";
			matcher_find(m, D_UNKNOWN_REFERENCE, &w, MATCH_NONE, shown, NULL, shown,
				     c->schema->flow.match == POLICY_KEY_NUMBER
					     ? matcher_fmt(m, "no policy is numbered %s", ref)
				     : c->schema->flow.match == POLICY_KEY_CASH_CODE
					     ? matcher_fmt(m, "no policy has %s code %s",
							   schema_label(c->schema), ref)
					     : matcher_fmt(m, "no %s policy has collection_ref %s",
							   schema_label(c->schema), ref));
		} else {
			count_payment(m, c, f, pol);
		}
	}
	int rc = c->schema->flow.two_sided ? match_ledger(m, c, f) : 0;
	if (!rc && m->oom)
		rc = err_set(m->e, KASI_EIO, "out of memory");
	return rc;
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

/* The deferred rows against their ledger records of other dates. */
static int match_deferred(struct matcher *m)
{
	for (size_t i = 0; i < m->ndeferred; i++) {
		const struct store_fact_row *f = &m->deferred[i];
		const struct channel *c = matcher_channel(m, f->channel);
		struct ledger_hit h = { 0 };
		int found = m->lookup->ledger_find(m->lookup->ctx, f->channel, f->transaction_id,
						   take_ledger, &h, m->e);
		if (found < 0)
			return found;
		if (c)
			check_ledger(m, c, f, h.found ? &h.amount : NULL, h.status);
	}
	return m->oom ? err_set(m->e, KASI_EIO, "out of memory") : 0;
}

static int take_fact(void *ctx, const struct store_fact_row *f)
{
	(void)f;
	*(bool *)ctx = true;
	return 0;
}

struct unmatched {
	struct matcher *m;
	bool held; /* a counted fact of another date holds it */
};

static int check_unmatched(void *ctx, const struct store_ledger_row *l)
{
	struct unmatched *u = ctx;
	struct matcher *m = u->m;
	const struct channel *c = matcher_channel(m, l->channel);
	int32_t day = match_day(l->business_date);
	if (!c || !matcher_in_period(m, day) || !m->applied[c->id][day - m->first_day])
		return 0; /* no file of that day yet: nothing to say */
	int found = m->lookup->fact_by_key(m->lookup->ctx, l->channel, l->transaction_id, take_fact,
					   &u->held, m->e);
	if (found)
		return found < 0 ? found : 0;
	struct where w = { l->channel, l->file_id, l->row, l->transaction_id, l->business_date };
	matcher_find(
		m, D_MISSING_FROM_FILE, &w, matcher_policy(m, c, l->reference), l->reference,
		matcher_money(m, l->amount), NULL,
		matcher_fmt(m, "our ledger has %s %s of %s on %s; %s's file for that day does not",
			    l->status, l->transaction_id, matcher_money(m, l->amount),
			    l->business_date, schema_label(c->schema)));
	return m->oom ? err_set(m->e, KASI_EIO, "out of memory") : 0;
}

int flow_payments_finish(struct matcher *m)
{
	int rc = match_deferred(m);
	for (size_t i = 0; i < m->nledger && !rc; i++) {
		if (m->ledger[i].matched)
			continue;
		struct unmatched u = { .m = m };
		rc = m->lookup->ledger_get(m->lookup->ctx, m->ledger[i].id, check_unmatched, &u,
					   m->e);
		rc = rc < 0 ? rc : 0;
	}
	return rc;
}
