/*
 * monitor.c — `kasi monitor --period YYYY-MM [--json]`: debit-order health.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/json.h"
#include "core/log.h"
#include "stage/monitor.h"

static int cmd_monitor_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_monitor = {
	.name = "monitor",
	.fn = cmd_monitor_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi monitor --period YYYY-MM [--json]",
	.summary = "debit-order health: unpaid and dispute ratios per bureau and provider",
	.help = "usage: kasi monitor --period YYYY-MM [--json]\n"
		"\n"
		"The payments association holds a debit-order user to at most 10% unpaids\n"
		"and 0.5% disputes of the debit instructions it submits; a bureau that\n"
		"exceeds them for a provider risks losing the facility. For each debit\n"
		"channel (a schema of the debits or instructions flow) and provider, the\n"
		"period's debit instructions that reached a final state (collected or\n"
		"failed), the unpaids among them (reversed or failed), and the disputes\n"
		"(unpaids whose reason unpaid_reasons.csv marks `dispute`), each ratio\n"
		"beside its limit (debit_limits.csv, beside the schemas), and both ratios\n"
		"over the period and the five before it. Each ratio over its limit in the\n"
		"period is a RATIO_BREACH line.\n"
		"\n"
		"The figures are those the period's last reconcile recorded: the period\n"
		"must be reconciled, and up to date.\n"
		"\n"
		"  --json   one JSON document (docs/monitor.md has its shape)\n"
		"\n"
		"exit: 0 every ratio within its limit, 1 a RATIO_BREACH, 64 usage, 65 the\n"
		"period not reconciled (or out of date), 66 no store, 74 I/O error, 78 the\n"
		"limits or the reasons mapping missing or invalid\n",
};

/* n of d as "12.34%"; "-" with nothing to divide by. */
static const char *percent(int64_t n, int64_t d, char buf[MONITOR_PERCENT_BUFSZ])
{
	if (!monitor_percent(n, d, buf))
		return "-";
	size_t k = strlen(buf); /* at most 23 digits, a point and 2: room for '%' */
	buf[k] = '%';
	buf[k + 1] = '\0';
	return buf;
}

static void print_breaches(const struct monitor *m, const char *period)
{
	char r[32], lim[32];
	for (size_t i = 0; i < m->n; i++) {
		const struct monitor_line *l = &m->lines[i];
		const struct monitor_cell *c = &l->cells[MONITOR_PERIODS - 1];
		if (l->unpaids_breach)
			printf("RATIO_BREACH %s %s %s unpaids %s (%" PRId64 " of %" PRId64
			       " instructions) over the limit %s\n",
			       l->channel, l->provider, period,
			       percent(c->unpaids, c->instructions, r), c->unpaids, c->instructions,
			       percent(m->limits.unpaids_bps, 10000, lim));
		if (l->disputes_breach)
			printf("RATIO_BREACH %s %s %s disputes %s (%" PRId64 " of %" PRId64
			       " instructions) over the limit %s\n",
			       l->channel, l->provider, period,
			       percent(c->disputes, c->instructions, r), c->disputes,
			       c->instructions, percent(m->limits.disputes_bps, 10000, lim));
	}
}

static void print_trend(const struct monitor *m)
{
	char u[32], d[32];
	printf("\nunpaids / disputes, %s to %s (- not reconciled, or no instruction):\n  %-12s "
	       "%-12s",
	       m->periods[0], m->periods[MONITOR_PERIODS - 1], "channel", "provider");
	for (int k = 0; k < MONITOR_PERIODS; k++)
		printf(" %15s", m->periods[k]);
	printf("\n");
	for (size_t i = 0; i < m->n; i++) {
		const struct monitor_line *l = &m->lines[i];
		printf("  %-12s %-12s", l->channel, l->provider);
		for (int k = 0; k < MONITOR_PERIODS; k++) {
			const struct monitor_cell *c = &l->cells[k];
			char cell[72];
			int64_t n = c->known ? c->instructions : 0;
			snprintf(cell, sizeof(cell), "%s/%s", percent(c->unpaids, n, u),
				 percent(c->disputes, n, d));
			printf(" %15s", n ? cell : "-");
		}
		printf("\n");
	}
}

static void print_monitor(const struct monitor *m, const char *period)
{
	char u[32], d[32];
	printf("debit-order health %s: limits unpaids %s, disputes %s of the final "
	       "instructions\n",
	       period, percent(m->limits.unpaids_bps, 10000, u),
	       percent(m->limits.disputes_bps, 10000, d));
	if (!m->n) {
		printf("  no debit instruction reached a final state\n");
		return;
	}
	printf("  %-12s %-12s %12s %8s %8s %9s %8s\n", "channel", "provider", "instructions",
	       "unpaids", "ratio", "disputes", "ratio");
	for (size_t i = 0; i < m->n; i++) {
		const struct monitor_line *l = &m->lines[i];
		const struct monitor_cell *c = &l->cells[MONITOR_PERIODS - 1];
		printf("  %-12s %-12s %12" PRId64 " %8" PRId64 " %8s %9" PRId64 " %8s%s%s%s\n",
		       l->channel, l->provider, c->instructions, c->unpaids,
		       percent(c->unpaids, c->instructions, u), c->disputes,
		       percent(c->disputes, c->instructions, d),
		       l->unpaids_breach || l->disputes_breach ? "  BREACH" : "",
		       l->unpaids_breach ? " unpaids" : "", l->disputes_breach ? " disputes" : "");
	}
	print_trend(m);
	printf("\n");
	print_breaches(m, period);
	printf("%d %s\n", m->breaches, cmd_plural((uint64_t)m->breaches, "breach", "breaches"));
}

/* A ratio as JSON: a string of percent with two decimals ("12.34"), or
 * null with nothing to divide by. */
static void json_ratio(struct json *j, const char *key, int64_t n, int64_t d)
{
	char buf[MONITOR_PERCENT_BUFSZ];
	json_text(j, key, monitor_percent(n, d, buf)); /* NULL: null */
}

static void json_cell(struct json *j, const struct monitor_cell *c)
{
	json_int(j, "instructions", c->instructions);
	json_int(j, "unpaids", c->unpaids);
	json_int(j, "disputes", c->disputes);
	json_ratio(j, "unpaid_ratio", c->unpaids, c->instructions);
	json_ratio(j, "dispute_ratio", c->disputes, c->instructions);
}

static void json_line(struct json *j, const struct monitor *m, const struct monitor_line *l)
{
	json_object(j, NULL);
	json_text(j, "channel", l->channel);
	json_text(j, "provider", l->provider);
	json_cell(j, &l->cells[MONITOR_PERIODS - 1]);
	json_bool(j, "unpaids_breach", l->unpaids_breach);
	json_bool(j, "disputes_breach", l->disputes_breach);
	json_array(j, "trend");
	for (int k = 0; k < MONITOR_PERIODS; k++) {
		json_object(j, NULL);
		json_text(j, "period", m->periods[k]);
		json_bool(j, "reconciled", l->cells[k].known);
		if (l->cells[k].known)
			json_cell(j, &l->cells[k]);
		json_close(j, '}');
	}
	json_close(j, ']');
	json_close(j, '}');
}

static void print_json(const struct monitor *m, const char *period)
{
	struct json j;
	json_begin(&j, stdout);
	json_object(&j, NULL);
	json_text(&j, "period", period);
	json_object(&j, "limits");
	json_int(&j, "unpaids_bps", m->limits.unpaids_bps);
	json_int(&j, "disputes_bps", m->limits.disputes_bps);
	json_close(&j, '}');
	json_int(&j, "breaches", m->breaches);
	json_array(&j, "lines");
	for (size_t i = 0; i < m->n; i++)
		json_line(&j, m, &m->lines[i]);
	json_close(&j, ']');
	json_close(&j, '}');
	json_end(&j);
}

static int cmd_monitor_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	const char *period;
	bool json = false;
	int status;
	if (!cmd_period_args(&cmd_monitor, argc, argv, 0, "no operand", &period, &json, &status))
		return status;
	if ((status = cmd_begin(ctx, json)))
		return status;
	struct err e = { 0 };
	struct reasons *reasons = NULL;
	struct debit_limits limits;
	struct monitor m = { 0 };
	int rc = cmd_load_schemas(ctx, &e);
	if (!rc)
		rc = reasons_load(&reasons, ctx->schemas, &e);
	if (!rc)
		rc = reasons_limits_load(ctx->schemas, &limits, &e);
	if (!rc)
		rc = monitor_build(ctx->store, reasons, &limits, period, &m, &e);
	if (!rc && json)
		print_json(&m, period);
	else if (!rc)
		print_monitor(&m, period);
	status = rc ? cmd_finish(rc, json, &e) : m.breaches ? KASI_FINDINGS : KASI_OK;
	monitor_release(&m);
	reasons_free(reasons);
	return status;
}
