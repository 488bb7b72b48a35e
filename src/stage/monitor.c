/*
 * monitor.c — debit-order health (see monitor.h).
 */
#include "core/common.h"
#include "core/grow.h"
#include "stage/monitor.h"

int64_t monitor_ratio_bps(int64_t n, int64_t d)
{
	/* Counts of instructions: far from overflowing int64 times 20000. */
	return (n * 20000 + d) / (2 * d);
}

const char *monitor_percent(int64_t n, int64_t d, char buf[MONITOR_PERCENT_BUFSZ])
{
	if (d <= 0)
		return NULL;
	int64_t h = monitor_ratio_bps(n, d);
	snprintf(buf, MONITOR_PERCENT_BUFSZ, "%" PRId64 ".%02" PRId64, h / 100, h % 100);
	return buf;
}

bool monitor_over(int64_t n, int64_t d, int64_t bps)
{
	return d > 0 && n * 10000 > bps * d;
}

struct build {
	struct monitor *m;
	const struct reasons *reasons;
	struct err *e;
};

static struct monitor_line *line_of(struct build *b, const struct store_debit_row *r)
{
	struct monitor *m = b->m;
	if (m->n && !strcmp(m->lines[m->n - 1].channel, r->channel) &&
	    !strcmp(m->lines[m->n - 1].provider, r->provider))
		return &m->lines[m->n - 1]; /* rows come by channel, then provider */
	if (!grow_array((void **)&m->lines, &m->cap, m->n + 1, sizeof(*m->lines)))
		return NULL;
	struct monitor_line *l = &m->lines[m->n];
	memset(l, 0, sizeof(*l));
	l->channel = strdup(r->channel);
	l->provider = strdup(r->provider);
	if (!l->channel || !l->provider) {
		free(l->channel);
		free(l->provider);
		return NULL;
	}
	m->n++;
	return l;
}

static int on_result(void *ctx, const struct store_debit_row *r)
{
	struct build *b = ctx;
	size_t p = 0;
	while (p < MONITOR_PERIODS && strcmp(b->m->periods[p], r->period))
		p++;
	if (p == MONITOR_PERIODS)
		return 0;
	struct monitor_line *l = line_of(b, r);
	if (!l)
		return err_set(b->e, KASI_EIO, "out of memory");
	struct monitor_cell *c = &l->cells[p];
	c->instructions += r->instructions;
	c->unpaids += r->unpaids;
	if (reasons_is_dispute(b->reasons, r->channel, r->raw_reason))
		c->disputes += r->unpaids;
	return 0;
}

/* Whether the period's figures can be read: reconciled, up to date, with
 * debit results. For the period asked for, anything else is an error. */
static int period_known(struct store *s, const char *period, bool asked, bool *known, struct err *e)
{
	struct store_period sp;
	int found = store_period_get(s, period, &sp, e);
	if (found < 0)
		return found;
	*known = found && *sp.reconciled_at && sp.debit_results;
	if (!asked)
		return 0;
	if (!found || !*sp.reconciled_at)
		return err_set(e, KASI_EDATA,
			       "period %s is not reconciled (run 'kasi reconcile --period %s')",
			       period, period);
	if (sp.files_since_reconciled)
		return err_set(e, KASI_EDATA,
			       "facts changed since the last reconcile of %s at %s; run 'kasi "
			       "reconcile --period %s'",
			       period, sp.reconciled_at, period);
	if (!sp.debit_results)
		return err_set(e, KASI_EDATA,
			       "period %s was reconciled by a kasi that kept no debit results; run "
			       "'kasi reconcile --period %s'",
			       period, period);
	return 0;
}

int monitor_build(struct store *s, const struct reasons *reasons, const struct debit_limits *l,
		  const char *period, struct monitor *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	out->limits = *l;
	int32_t p;
	if (period_parse(period, strlen(period), &p) != DATE_OK)
		return err_set(e, KASI_EUSAGE, "'%s' is not a period (YYYY-MM)", period);
	bool known[MONITOR_PERIODS];
	int rc = 0;
	for (int i = 0; i < MONITOR_PERIODS && !rc; i++) {
		period_format(p - (MONITOR_PERIODS - 1 - i), out->periods[i]);
		rc = period_known(s, out->periods[i], i == MONITOR_PERIODS - 1, &known[i], e);
	}
	struct build b = { .m = out, .reasons = reasons, .e = e };
	if (!rc)
		rc = store_each_debit_result(s, out->periods[0], out->periods[MONITOR_PERIODS - 1],
					     on_result, &b, e);
	for (size_t i = 0; !rc && i < out->n; i++) {
		struct monitor_line *line = &out->lines[i];
		for (int k = 0; k < MONITOR_PERIODS; k++)
			line->cells[k].known = known[k];
		const struct monitor_cell *c = &line->cells[MONITOR_PERIODS - 1];
		line->unpaids_breach = monitor_over(c->unpaids, c->instructions, l->unpaids_bps);
		line->disputes_breach = monitor_over(c->disputes, c->instructions, l->disputes_bps);
		out->breaches += line->unpaids_breach + line->disputes_breach;
	}
	return rc;
}

void monitor_release(struct monitor *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->lines[i].channel);
		free(m->lines[i].provider);
	}
	free(m->lines);
	memset(m, 0, sizeof(*m));
}
