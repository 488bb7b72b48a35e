/*
 * flow_debits.c — the debits flow: collections, and reversals that take
 * them back (see match.h).
 *
 * A row dated in the period is, by its kind:
 *   collected   money for the policy its reference names; a schema that
 *               says `amounts negative` writes it as on the client's
 *               account (-724.19 collects R724.19)
 *   reversal    read in the second pass, below
 *   failed      nothing collected; its reason is kept
 *   ignored     stored and shown, never counted
 * A collection whose reference names no policy is UNKNOWN_REFERENCE.
 *
 * Every reversal stored is read, by date then arrival, whatever its
 * period: which original it takes back depends on the reversals before it
 * (an unpaid of September took the collection an unpaid of October would
 * otherwise find), so every period's run links them all the same way.
 * Each takes back its original (by the absolute value of its own amount)
 * in the original's period, wherever it arrived:
 *   - the original is the fact whose transaction id the reversal names
 *     (`link original_id`); a name that resolves to nothing is an
 *     ORPHAN_REVERSAL, never guessed at;
 *   - else the first collection not yet taken back with the same reference
 *     and cycle date (`link reference cycle_date`);
 *   - none, one that is not a collection, or one taken back already:
 *     ORPHAN_REVERSAL. Like any reversal's discrepancy it belongs to its
 *     original's period; with no original found, to the period of its
 *     own date.
 * So every reversal is, in exactly one period, either the taking back of
 * its original or an ORPHAN_REVERSAL.
 * The reversal's reason may explain the unpaid policy.
 *
 * For debit-order health, each counted collection and each failed row of
 * the period is an instruction that reached a final state; a failed row,
 * and a reversal of one of the period's collections, an unpaid.
 */
#include "core/common.h"
#include "stage/discrepancy.h"
#include "stage/match.h"

static void trace_ignored(struct matcher *m, const struct channel *c,
			  const struct store_fact_row *f, uint32_t pol)
{
	struct where w = match_where(f);
	matcher_trace(m, pol, TRACE_NOT_COUNTED, &w, f->has_amount, f->amount,
		      "%s %s, type %s: stored, not counted", schema_label(c->schema),
		      schema_kind_word(c->schema, match_fact_kind(f)), f->kind ? f->kind : "?");
}

int flow_debits_fact(struct matcher *m, const struct channel *c, const struct store_fact_row *f)
{
	enum fact_kind kind = match_fact_kind(f);
	if (kind == FACT_REVERSAL)
		return 0; /* the second pass */
	struct where w = match_where(f);
	uint32_t pol = matcher_policy(m, c, f->reference);
	int32_t day = match_day(f->business_date);
	if (kind == FACT_FAILED && pol != MATCH_NONE) {
		matcher_failure(m, pol, c->name, day, 0, f->fact_id, f->reason);
		matcher_debit_instruction(m, pol, c);
		matcher_debit_unpaid(m, pol, c, f->reason);
		matcher_trace(m, pol, TRACE_FAILURE, &w, f->has_amount, f->amount,
			      "%s %s: nothing collected (%s)", schema_label(c->schema),
			      schema_kind_word(c->schema, kind),
			      f->reason ? f->reason : "no reason given");
	}
	if (kind != FACT_COLLECTED) {
		if (kind != FACT_FAILED)
			trace_ignored(m, c, f, pol);
		return m->oom ? err_set(m->e, KASI_EIO, "out of memory") : 0;
	}
	if (pol == MATCH_NONE) {
		const char *ref = matcher_reference(m, c, f->reference);
		matcher_find(m, D_UNKNOWN_REFERENCE, &w, MATCH_NONE, ref, NULL, ref,
			     matcher_fmt(m, "no %s policy has collection_ref %s",
					 schema_label(c->schema), ref ? ref : ""));
	} else {
		int64_t amount = c->schema->flow.negative_amounts ? -f->amount : f->amount;
		if (matcher_collect(m, pol, &w, day, amount, "%s %s (type %s)",
				    schema_label(c->schema), schema_kind_word(c->schema, kind),
				    f->kind ? f->kind : "?")) {
			matcher_check_inactive(m, pol, &w, day);
			matcher_debit_instruction(m, pol, c);
		}
	}
	return m->oom ? err_set(m->e, KASI_EIO, "out of memory") : 0;
}

/* ---- reversals ----------------------------------------------------------- */

/* A candidate original, copied out of the store's row. */
struct original {
	bool found;
	int64_t fact_id, file_id;
	uint64_t row;
	int32_t day;
	int64_t amount; /* as stored: its sign is the schema's to read */
	char txn[64], reference[64], kind[8];
	enum fact_kind fact_kind;
	bool skip_reversed; /* choose the first not taken back yet */
	struct matcher *m;
};

static bool was_reversed(const struct matcher *m, int64_t fact_id)
{
	uint32_t v;
	return strmap_get(m->reversed, (const char *)&fact_id, sizeof(fact_id), &v);
}

static int take_original(void *ctx, const struct store_fact_row *f)
{
	struct original *o = ctx;
	if (o->found || (o->skip_reversed && was_reversed(o->m, f->fact_id)))
		return 0;
	o->found = true;
	o->fact_id = f->fact_id;
	o->file_id = f->file_id;
	o->row = f->row;
	o->day = match_day(f->business_date);
	o->amount = f->amount;
	o->fact_kind = match_fact_kind(f);
	snprintf(o->txn, sizeof(o->txn), "%s", f->transaction_id);
	snprintf(o->reference, sizeof(o->reference), "%s", f->reference ? f->reference : "");
	snprintf(o->kind, sizeof(o->kind), "%s", f->kind ? f->kind : "");
	return 0;
}

static int64_t magnitude(int64_t amount)
{
	return amount < 0 ? -amount : amount; /* never INT64_MIN: under its column's ceiling */
}

/* An ORPHAN_REVERSAL of reversal u: in the period of the original it
 * names (o, found but not one it may take back), else of its own date. */
static void orphan(struct matcher *m, const struct channel *c, const struct store_fact_row *u,
		   const struct original *o, const char *why)
{
	int32_t day = o && o->found ? o->day : match_day(u->business_date);
	if (!matcher_in_period(m, day))
		return;
	struct where w = match_where(u);
	matcher_find(m, D_ORPHAN_REVERSAL, &w, matcher_policy(m, c, u->reference),
		     matcher_reference(m, c, u->reference), u->original_id,
		     matcher_money(m, magnitude(u->amount)), why);
}

/* The name the channel's schema gives a column it maps. */
static const char *column_name(const struct channel *c, enum canon_field field)
{
	const struct schema *s = c->schema;
	return s->columns[s->map[field]].name;
}

/* Why a reversal cannot be linked: what of the ways its schema links by
 * the row lacks ("names no original_id; has no cycle_date"), in the
 * schema's column names. A way the schema does not declare is not named,
 * though the row may carry its column. */
static const char *unlinkable(struct matcher *m, const struct channel *c,
			      const struct store_fact_row *u, const char *word)
{
	const struct schema_flow *flow = &c->schema->flow;
	const char *id = flow->link_original ? column_name(c, CANON_ORIGINAL_ID) : NULL;
	const char *pair = NULL;
	if (flow->link_pair)
		pair = column_name(c, !u->reference ? CANON_REFERENCE : CANON_CYCLE_DATE);
	/* Column names are as long as a schema makes them: the message is
	 * formatted whole, never into a fixed buffer. */
	if (id && pair)
		return matcher_fmt(m,
				   "%s %s names no %s and has no %s: nothing links it to its "
				   "original",
				   word, u->transaction_id, id, pair);
	return matcher_fmt(m, "%s %s %s %s: nothing links it to its original", word,
			   u->transaction_id, id ? "names no" : "has no",
			   id	  ? id
			   : pair ? pair
				  : "");
}

/* Find the reversal's original into *o; false (an orphan raised) if it
 * has none it may take back. */
static int find_original(struct matcher *m, const struct channel *c, const struct store_fact_row *u,
			 struct original *o)
{
	const struct schema_flow *flow = &c->schema->flow;
	const char *word = schema_kind_word(c->schema, FACT_REVERSAL);
	int rc;
	if (flow->link_original && u->original_id) {
		rc = m->lookup->fact_by_key(m->lookup->ctx, c->name, u->original_id, take_original,
					    o, m->e);
		if (rc < 0)
			return rc;
		if (!o->found)
			orphan(m, c, u, NULL,
			       matcher_fmt(m, "%s %s names original %s, which is not stored", word,
					   u->transaction_id, u->original_id));
	} else if (flow->link_pair && u->reference && u->cycle_date) {
		o->skip_reversed = true;
		if ((rc = m->lookup->facts_on_cycle(m->lookup->ctx, c->name, u->reference,
						    u->cycle_date, fact_kind_name(FACT_COLLECTED),
						    take_original, o, m->e)) < 0)
			return rc;
		if (!o->found)
			orphan(m, c, u, NULL,
			       matcher_fmt(m,
					   "%s %s: no collection with %s %s and %s %s is left "
					   "to take back",
					   word, u->transaction_id, column_name(c, CANON_REFERENCE),
					   matcher_reference(m, c, u->reference),
					   column_name(c, CANON_CYCLE_DATE), u->cycle_date));
	} else {
		orphan(m, c, u, NULL, unlinkable(m, c, u, word));
	}
	return 0;
}

int flow_debits_reversal(struct matcher *m, const struct channel *c, const struct store_fact_row *u)
{
	struct original o = { .m = m };
	const char *word = schema_kind_word(c->schema, FACT_REVERSAL);
	int rc = find_original(m, c, u, &o);
	if (rc < 0 || !o.found)
		return rc < 0 ? rc : (m->oom ? err_set(m->e, KASI_EIO, "out of memory") : 0);
	if (o.fact_kind != FACT_COLLECTED) {
		orphan(m, c, u, &o,
		       matcher_fmt(m, "%s %s names %s, which is not a collection (type %s)", word,
				   u->transaction_id, o.txn, o.kind));
		return 0;
	}
	/* A collection of a sign its channel never sends was not counted
	 * (UNEXPECTED_SIGN): there is nothing of it to take back. */
	if ((c->schema->flow.negative_amounts ? -o.amount : o.amount) < 0) {
		orphan(m, c, u, &o,
		       matcher_fmt(m,
				   "%s %s: its original %s was not counted (a sign %s never "
				   "sends): nothing to take back",
				   word, u->transaction_id, o.txn, schema_label(c->schema)));
		return 0;
	}
	if (was_reversed(m, o.fact_id)) {
		orphan(m, c, u, &o,
		       matcher_fmt(m, "%s %s: its original %s was reversed already", word,
				   u->transaction_id, o.txn));
		return 0;
	}
	if (strmap_put(m->reversed, (const char *)&o.fact_id, sizeof(o.fact_id), 1))
		return err_set(m->e, KASI_EIO, "out of memory");

	uint32_t pol = matcher_policy(m, c, o.reference);
	if (!matcher_in_period(m, o.day) || pol == MATCH_NONE)
		return 0; /* another period's, or a collection nobody was credited with */
	struct where w = match_where(u);
	int32_t day = match_day(u->business_date);
	matcher_take_back(m, pol, &w, day, magnitude(u->amount), o.fact_id, "%s: reverses %s (%s)",
			  word, o.txn, u->reason ? u->reason : "no reason given");
	matcher_failure(m, pol, c->name, day, 0, u->fact_id, u->reason);
	matcher_debit_unpaid(m, pol, c, u->reason);
	return m->oom ? err_set(m->e, KASI_EIO, "out of memory") : 0;
}
