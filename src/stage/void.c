/*
 * void.c — withdrawing an applied file (see void.h).
 */
#include "stage/void.h"

#include <string.h>

#include "core/common.h"
#include "core/text.h"
#include "stage/discrepancy.h"

/* What the request names: the applied files found, the one to void. */
struct pick {
	const struct void_request *q;
	struct err *e;
	int64_t file_id, candidates, voided;
	char name[512], channel[64], ids[256];
	char which[1024]; /* each candidate: its id, when applied, its rows */
	bool period_facts;
	/* the last void found, for "voided already" */
	char voided_at[32], voided_by[128], note[1024];
};

static int on_candidate(void *ctx, const struct store_voidable *f)
{
	struct pick *p = ctx;
	if (f->void_id) {
		p->voided++;
		snprintf(p->voided_at, sizeof(p->voided_at), "%s", f->voided_at);
		snprintf(p->voided_by, sizeof(p->voided_by), "%s", f->voided_by);
		snprintf(p->note, sizeof(p->note), "%s", f->note);
		if (!p->candidates)
			snprintf(p->name, sizeof(p->name), "%s", f->name);
		return 0;
	}
	size_t at = strlen(p->ids);
	snprintf(p->ids + at, sizeof(p->ids) - at, "%s%" PRId64, at ? ", " : "", f->file_id);
	at = strlen(p->which);
	snprintf(p->which + at, sizeof(p->which) - at, "%s%" PRId64 " applied %s, %" PRId64 " %s",
		 at ? "; " : "", f->file_id, f->applied_at, f->rows, f->rows == 1 ? "row" : "rows");
	if (p->candidates++)
		return 0;
	p->file_id = f->file_id;
	p->period_facts = f->period_facts;
	snprintf(p->name, sizeof(p->name), "%s", f->name);
	snprintf(p->channel, sizeof(p->channel), "%s", f->channel ? f->channel : "");
	return 0;
}

/* The one applied file the request names, not voided, of a channel. */
static int pick_file(struct store *s, struct pick *p)
{
	const struct void_request *q = p->q;
	char shown[TEXT_NAME_BUFSZ], who[TEXT_NAME_BUFSZ], why[TEXT_NAME_BUFSZ];
	int rc = q->name ? store_each_applied_file(s, q->name, on_candidate, p, p->e)
			 : store_file_void_of(s, q->file_id, on_candidate, p, p->e);
	if (rc < 0)
		return rc;
	if (!q->name)
		snprintf(shown, sizeof(shown), "file %" PRId64, q->file_id);
	else
		text_name(q->name, shown);
	if (!p->candidates && p->voided)
		return err_set(p->e, KASI_EDATA, "%s was voided already, at %s by %s: %s", shown,
			       p->voided_at, text_name(p->voided_by, who), text_name(p->note, why));
	if (!p->candidates)
		return err_set(p->e, KASI_ENOINPUT, "%s: no applied file of that %s (%s)", shown,
			       q->name ? "name" : "id",
			       q->name ? "a file is named as it was ingested, without its directory"
				       : "name the file instead: kasi void NAME");
	if (q->name && p->voided && p->candidates == 1)
		return err_set(p->e, KASI_EDATA,
			       "%s: a file of that name was voided already (at %s by %s), and "
			       "file %s is applied under it since: to void that one, say so with "
			       "--file-id %s",
			       shown, p->voided_at, text_name(p->voided_by, who), p->ids, p->ids);
	if (p->candidates > 1)
		return err_set(p->e, KASI_EDATA,
			       "%s: %" PRId64 " applied files have that name (ids %s: %s): say "
			       "which with --file-id",
			       shown, p->candidates, p->ids, p->which);
	if (!*p->channel)
		return err_set(p->e, KASI_EDATA,
			       "%s is a register, not a channel's file: load a corrected one "
			       "instead",
			       text_name(p->name, shown));
	if (!p->period_facts)
		return err_set(p->e, KASI_EDATA,
			       "%s holds payout confirmations: they answer for money that left, "
			       "and cannot be voided",
			       text_name(p->name, shown));
	return 0;
}

struct reach {
	struct store *s;
	int64_t file_id;
	struct err *e;
};

static int add_period(void *ctx, const char *period)
{
	struct reach *r = ctx;
	return period ? store_file_period_add(r->s, r->file_id, period, r->e) : 0;
}

/* The periods its rows can change now: those it was given when applied,
 * and those of what was stored since and names its rows (reversals that
 * name its collections, and what they compete with; ledger records it
 * holds), as ingest works them out. */
static int reach_periods(struct store *s, const struct pick *p, struct err *e)
{
	struct reach r = { s, p->file_id, e };
	int rc = store_each_period_naming(s, p->channel, p->file_id, add_period, &r, e);
	if (!rc)
		rc = store_each_period_linked(s, p->channel, p->file_id, add_period, &r, e);
	if (!rc)
		rc = store_each_period_ledger_held(s, p->channel, p->file_id, add_period, &r, e);
	return rc;
}

struct raise {
	struct store *s;
	const struct schema_set *schemas;
	struct err *e;
};

/* Record what ingest raises of the row at (d: its code and values; where
 * it is is the row's, and its reference is shown as ingest shows it: the
 * policy's number, else masked where personal; with no schema, masked). */
static int record_row_finding(struct raise *x, const struct schema *schema,
			      const struct store_decided_row *at, struct store_discrepancy *d)
{
	char policy[64], shown[TEXT_RENDER_BUFSZ];
	d->period = at->period;
	d->channel = at->channel;
	d->file_id = at->file_id;
	d->row = at->row;
	d->transaction_id = at->transaction_id;
	int rc = discrepancy_reference(x->s, schema, d->channel, at->reference, policy, shown,
				       &d->reference, x->e);
	d->severity = discrepancy_severity(d->code);
	d->source = "ingest";
	return rc ? rc : store_discrepancy_add(x->s, d, x->e);
}

static const struct schema *schema_of(const struct raise *x, const char *name)
{
	return name && x->schemas ? schema_set_find(x->schemas, name) : NULL;
}

/* A row of another file the void decided again, a repeat now of another
 * row than before: its discrepancy as ingest would have raised it, had
 * the voided file never come (the one it had is dropped by the void). */
static int raise_repeat(void *ctx, const struct store_repeat_decided *r)
{
	struct raise *x = ctx;
	char detail[1024];
	char expected[DISCREPANCY_VALUES_BUFSZ], actual[DISCREPANCY_VALUES_BUFSZ];
	const struct schema *schema = schema_of(x, r->at.schema);
	const char *code = discrepancy_repeat(schema, &r->values, &r->dup, detail, sizeof(detail),
					      expected, actual);
	struct store_discrepancy d = {
		.code = code,
		.expected = *expected ? expected : NULL,
		.actual = *actual ? actual : NULL,
		.detail = detail,
	};
	return record_row_finding(x, schema, &r->at, &d);
}

static int32_t day_of(const char *iso)
{
	int32_t day = 0;
	return iso && strlen(iso) >= 10 && date_parse(iso, 10, DATE_FMT_ISO, &day) == DATE_OK ? day
											      : 0;
}

/* A row that counts now in a withdrawn row's place: what ingest raises
 * of a counted row and did not of it, a repeat then (OUT_OF_PERIOD). */
static int raise_promoted(void *ctx, const struct store_promoted_row *r)
{
	struct raise *x = ctx;
	const struct schema *schema = schema_of(x, r->at.schema);
	enum fact_kind kind = r->kind ? fact_kind_parse(r->kind) : FACT_KIND_COUNT;
	if (!schema || !r->file_date || kind == FACT_KIND_COUNT)
		return 0;
	struct dated_row row = {
		kind,
		r->business_date,
		r->status_date,
		r->cycle_date,
		day_of(r->business_date),
		day_of(r->status_date),
		day_of(r->cycle_date),
	};
	char want[OUT_OF_PERIOD_WANT_BUFSZ], detail[OUT_OF_PERIOD_DETAIL_BUFSZ];
	const char *value;
	if (!discrepancy_out_of_period(schema, day_of(r->file_date), &row, want, detail,
				       sizeof(detail), &value))
		return 0;
	struct store_discrepancy d = {
		.code = D_OUT_OF_PERIOD,
		.expected = want,
		.actual = value,
		.detail = detail,
	};
	return record_row_finding(x, schema, &r->at, &d);
}

static int on_out_of_date(void *ctx, const char *period)
{
	struct void_summary *out = ctx;
	if (out->nperiods < VOID_PERIODS_MAX)
		snprintf(out->periods[out->nperiods], PERIOD_BUFSZ, "%s", period);
	out->nperiods++;
	return 0;
}

int void_file(struct store *s, const struct void_request *q, struct void_summary *out,
	      struct err *e)
{
	struct pick p = { .q = q, .e = e };
	memset(out, 0, sizeof(*out));
	int rc = store_begin(s, e);
	bool in_tx = rc == 0;
	if (!rc)
		rc = pick_file(s, &p);
	if (!rc)
		rc = reach_periods(s, &p, e);
	if (!rc)
		rc = store_file_void(s, p.file_id, q->by, q->note, &out->done, e);
	if (!rc) {
		/* And what the rows it decided again can change now. */
		struct reach r = { s, p.file_id, e };
		rc = store_each_period_void_changed(s, p.channel, add_period, &r, e);
	}
	struct raise x = { s, q->schemas, e };
	if (!rc)
		rc = store_each_repeat_decided(s, raise_repeat, &x, e);
	if (!rc)
		rc = store_each_promoted_row(s, raise_promoted, &x, e);
	if (!rc)
		rc = store_each_reconciled_period_of_file(s, p.file_id, on_out_of_date, out, e);
	if (!rc) {
		rc = store_commit(s, e);
		in_tx = rc != 0;
	}
	if (in_tx)
		store_rollback(s);
	out->file_id = p.file_id;
	snprintf(out->name, sizeof(out->name), "%s", p.name);
	return rc;
}
