/*
 * period_report.c — a period's outcomes and discrepancies reports (see
 * period_report.h).
 */
#include "core/common.h"
#include "core/money.h"
#include "stage/exception.h"
#include "stage/period_report.h"

struct outcome_report {
	struct report *rep;
	const char *period;
	struct err *e;
	struct outcome_totals *totals;
};

static int on_outcome(void *ctx, const struct store_outcome_row *o)
{
	struct outcome_report *t = ctx;
	char exp[MONEY_BUFSZ], col[MONEY_BUFSZ], sf[MONEY_BUFSZ], pen[MONEY_BUFSZ];
	money_format(o->expected, exp);
	money_format(o->collected, col);
	money_format(o->shortfall, sf);
	money_format(o->pending, pen);
	const char *cells[] = {
		o->policy_number, o->product_code, t->period, o->status, exp, col, sf, pen,
		o->reason
	};
	/* Reconcile refused sums past int64 cents; the totals are checked all
	 * the same, as every sum of money is. */
	if (outcome_totals_add(t->totals, outcome_status_parse(o->status), o->expected,
			       o->collected, o->shortfall, o->pending))
		return err_set(t->e, KASI_EDATA, "the period's totals pass int64 cents");
	return report_row(t->rep, cells, ARRAY_SIZE(cells), t->e);
}

int period_report_outcomes(struct store *s, const char *period, struct report *rep,
			   struct outcome_totals *t, struct err *e)
{
	static const char *const head[] = { "policy_number", "product_code", "period",
					    "status",	     "expected",     "collected",
					    "shortfall",     "pending",	     "reason" };
	memset(t, 0, sizeof(*t));
	struct outcome_report ot = { .rep = rep, .period = period, .e = e, .totals = t };
	int rc = report_row(rep, head, ARRAY_SIZE(head), e);
	return rc ? rc : store_each_outcome(s, period, on_outcome, &ot, e);
}

struct discrepancy_report {
	struct report *rep;
	int64_t file_id;
	int64_t now;
	struct discrepancy_counts *c;
	struct err *e;
};

static int on_discrepancy(void *ctx, const struct store_discrepancy_row *d)
{
	struct discrepancy_report *t = ctx;
	if (t->file_id && d->file_id != t->file_id)
		return 0;
	char row[24] = "", id[24] = "";
	if (d->row)
		snprintf(row, sizeof(row), "%" PRIu64, d->row);
	if (d->exception_id)
		snprintf(id, sizeof(id), "%" PRId64, d->exception_id);
	const char *cells[] = {
		d->code,
		d->severity,
		d->channel,
		*d->file ? d->file : NULL,
		d->row ? row : NULL,
		d->reference,
		d->transaction_id,
		d->expected,
		d->actual,
		d->detail,
		d->exception_id ? id : NULL,
		d->exception_id ? exception_status(NULL, d->resolved) : NULL,
		d->first_seen,
		d->exception_id ? exception_age_name(exception_age_of(d->first_seen, t->now)) : NULL
	};
	struct discrepancy_counts *c = t->c;
	c->rows++;
	size_t i = 0;
	while (i < c->ncodes && strcmp(c->codes[i].code, d->code))
		i++;
	if (i == c->ncodes && i < ARRAY_SIZE(c->codes)) {
		snprintf(c->codes[i].code, sizeof(c->codes[i].code), "%s", d->code);
		snprintf(c->codes[i].severity, sizeof(c->codes[i].severity), "%s", d->severity);
		c->ncodes++;
	}
	if (i < c->ncodes)
		c->codes[i].n++;
	return report_row(t->rep, cells, ARRAY_SIZE(cells), t->e);
}

int period_report_discrepancies(struct store *s, const char *const *periods, size_t nperiods,
				int64_t file_id, int64_t now, struct report *rep,
				struct discrepancy_counts *c, struct err *e)
{
	static const char *const head[] = {
		"code",	    "severity", "channel", "file", "row",    "reference",  "transaction_id",
		"expected", "actual",	"detail",  "id",   "status", "first_seen", "age"
	};
	memset(c, 0, sizeof(*c));
	struct discrepancy_report t = {
		.rep = rep, .file_id = file_id, .now = now, .c = c, .e = e
	};
	int rc = report_row(rep, head, ARRAY_SIZE(head), e);
	for (size_t i = 0; !rc && i < nperiods; i++)
		rc = store_each_discrepancy(s, periods[i], on_discrepancy, &t, e);
	return rc;
}
