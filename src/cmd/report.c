/*
 * report.c — `kasi report outcomes|discrepancies --period YYYY-MM
 *            [--out FILE] [--gzip]`.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "core/dates.h"
#include "core/money.h"
#include "stage/reconcile.h"
#include "stage/report.h"

#include <getopt.h>

static int cmd_report_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_report = {
	.name = "report",
	.fn = cmd_report_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi report outcomes|discrepancies --period YYYY-MM [--out FILE] [--gzip]",
	.summary = "write a period's outcomes or discrepancies as CSV for finance",
	.help = "usage: kasi report outcomes|discrepancies --period YYYY-MM [--out FILE] [--gzip]\n"
		"\n"
		"Write the period's reconciled outcomes or discrepancies as CSV,\n"
		"and print a summary (counts by status or code, money totals):\n"
		"\n"
		"  outcomes:      policy_number,product_code,period,status,expected,\n"
		"                 collected,shortfall,pending,reason\n"
		"  discrepancies: code,severity,channel,file,row,reference,transaction_id,\n"
		"                 expected,actual,detail\n"
		"\n"
		"Amounts have two decimals. A cell a spreadsheet would run as a formula is\n"
		"neutralised. The file is created mode 0600 and appears whole or not at\n"
		"all (written under a temporary name, then renamed).\n"
		"\n"
		"  --out FILE  where to write (default KIND_YYYY-MM.csv here); '-' writes\n"
		"              to standard output, as the rows come, and the summary to\n"
		"              stderr\n"
		"  --gzip      compress with gzip; .gz is appended to FILE unless it ends so\n"
		"              (or FILE is '-'; not to a terminal)\n"
		"\n"
		"A period not reconciled has no outcomes: the outcomes report is refused\n"
		"(exit 65, nothing written); the discrepancies report then holds only\n"
		"what ingest recorded, and says so. A period out of date (a file that\n"
		"could change it applied since it was reconciled: see 'kasi status') is\n"
		"refused for both reports until it is reconciled again.\n"
		"\n"
		"exit: 0 written, 64 usage, 65 the period is not reconciled (outcomes)\n"
		"or out of date, 66 no store, 74 I/O error\n",
};

struct outcome_report {
	struct report *rep;
	const char *period;
	struct err *e;
	struct outcome_totals totals;
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
	if (outcome_totals_add(&t->totals, outcome_status_parse(o->status), o->expected,
			       o->collected, o->shortfall, o->pending))
		return err_set(t->e, KASI_EDATA, "the period's totals pass int64 cents");
	return report_row(t->rep, cells, ARRAY_SIZE(cells), t->e);
}

struct code_count {
	char code[40], severity[16];
	int64_t n;
};

struct discrepancy_totals {
	struct report *rep;
	struct err *e;
	int64_t rows;
	struct code_count codes[32];
	size_t ncodes;
};

static int on_discrepancy(void *ctx, const struct store_discrepancy_row *d)
{
	struct discrepancy_totals *t = ctx;
	char row[24] = "";
	if (d->row)
		snprintf(row, sizeof(row), "%" PRIu64, d->row);
	const char *cells[] = { d->code,
				d->severity,
				d->channel,
				*d->file ? d->file : NULL,
				d->row ? row : NULL,
				d->reference,
				d->transaction_id,
				d->expected,
				d->actual,
				d->detail };
	t->rows++;
	size_t i = 0;
	while (i < t->ncodes && strcmp(t->codes[i].code, d->code))
		i++;
	if (i == t->ncodes && i < ARRAY_SIZE(t->codes)) {
		snprintf(t->codes[i].code, sizeof(t->codes[i].code), "%s", d->code);
		snprintf(t->codes[i].severity, sizeof(t->codes[i].severity), "%s", d->severity);
		t->ncodes++;
	}
	if (i < t->ncodes)
		t->codes[i].n++;
	return report_row(t->rep, cells, ARRAY_SIZE(cells), t->e);
}

static int cmd_report_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "period", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "gzip", no_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *period = NULL, *out = NULL;
	bool gzip = false;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': period = optarg; break;
		case 'o': out = optarg; break;
		case 'z': gzip = true; break;
		case 'h': return cmd_print_help(&cmd_report);
		default:
			return cmd_usage_error(&cmd_report, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	const char *bare = period ? NULL : cmd_period_operand(argc, argv, optind);
	if (bare)
		return cmd_usage_error(&cmd_report, "unexpected '%s': did you mean --period %s?",
				       bare, bare);
	if (argc - optind != 1)
		return cmd_usage_error(&cmd_report, "expected one kind: outcomes or discrepancies");
	const char *kind = argv[optind];
	bool outcomes = !strcmp(kind, "outcomes");
	if (!outcomes && strcmp(kind, "discrepancies"))
		return cmd_usage_error(&cmd_report, "unknown report '%s' (outcomes, discrepancies)",
				       kind);
	int32_t p;
	if (!period || period_parse(period, strlen(period), &p) != DATE_OK)
		return cmd_usage_error(&cmd_report, "--period YYYY-MM is required");

	/* An empty outcomes report for a period not reconciled would read as
	 * "nothing expected, nothing owed": refused. */
	struct err e = { 0 };
	struct store_period sp;
	int found = store_period_get(ctx->store, period, &sp, &e);
	if (found < 0) {
		log_error("%s", e.msg);
		return -found;
	}
	if (!found || !*sp.reconciled_at) {
		if (outcomes) {
			log_error("period %s is not reconciled: no outcomes to report "
				  "(run 'kasi reconcile --period %s'); nothing written",
				  period, period);
			return KASI_EDATA;
		}
		log_warn("period %s is not reconciled: the report holds only the discrepancies "
			 "ingest recorded",
			 period);
	} else if (sp.files_since_reconciled) {
		/* Outcomes and discrepancies computed before the files that
		 * came since would be reported as if they were today's. */
		log_error("facts changed since the last reconcile of %s at %s (%" PRId64
			  " %s applied since); run 'kasi reconcile --period %s'; "
			  "nothing written",
			  period, sp.reconciled_at, sp.files_since_reconciled,
			  cmd_plural((uint64_t)sp.files_since_reconciled, "file", "files"), period);
		return KASI_EDATA;
	}

	char default_out[64], path[PATH_MAX];
	snprintf(default_out, sizeof(default_out), "%s_%s.csv", kind, period);
	/* On standard output the report is the output: the summary goes to
	 * stderr, and gzip, as gzip itself does, not to a terminal. */
	bool to_stdout = out && report_to_stdout(out);
	if (to_stdout && gzip && isatty(STDOUT_FILENO))
		return cmd_usage_error(&cmd_report, "--gzip would write compressed data to a "
						    "terminal: redirect it, or leave --gzip out");
	FILE *say = to_stdout ? stderr : stdout;
	struct report *rep;
	int rc = report_open(&rep, out ? out : default_out, gzip, path, sizeof(path), &e);
	if (rc) {
		log_error("%s", e.msg);
		return -rc;
	}
	struct outcome_report ot = { .rep = rep, .period = period, .e = &e };
	struct discrepancy_totals dt = { .rep = rep, .e = &e };
	if (outcomes) {
		static const char *const head[] = { "policy_number", "product_code", "period",
						    "status",	     "expected",     "collected",
						    "shortfall",     "pending",	     "reason" };
		rc = report_row(rep, head, ARRAY_SIZE(head), &e);
		if (!rc)
			rc = store_each_outcome(ctx->store, period, on_outcome, &ot, &e);
	} else {
		static const char *const head[] = { "code",	      "severity", "channel",
						    "file",	      "row",	  "reference",
						    "transaction_id", "expected", "actual",
						    "detail" };
		rc = report_row(rep, head, ARRAY_SIZE(head), &e);
		if (!rc)
			rc = store_each_discrepancy(ctx->store, period, on_discrepancy, &dt, &e);
	}
	if (rc) {
		report_abort(rep);
		log_error("%s", e.msg);
		return -rc;
	}
	if ((rc = report_close(rep, &e))) {
		log_error("%s", e.msg);
		return -rc;
	}
	if (outcomes) {
		const struct outcome_totals *t = &ot.totals;
		char money[OUTCOME_MONEY_BUFSZ];
		outcome_money_text(t->expected, t->collected, t->shortfall, t->pending, money);
		fprintf(say, "outcomes %s: %" PRId64 " %s", period, t->policies,
			cmd_plural((uint64_t)t->policies, "policy", "policies"));
		for (int st = 0; st < OUTCOME_STATUS_COUNT; st++)
			fprintf(say, "%s %s %" PRId64, st ? "," : ":",
				outcome_status_name((enum outcome_status)st), t->by_status[st]);
		fprintf(say, "\n  %s\n", money);
	} else {
		fprintf(say, "discrepancies %s: %" PRId64 "\n", period, dt.rows);
		for (size_t i = 0; i < dt.ncodes; i++)
			fprintf(say, "  %-28s %-8s %8" PRId64 "\n", dt.codes[i].code,
				dt.codes[i].severity, dt.codes[i].n);
	}
	fprintf(say, "  written to %s\n", to_stdout ? "standard output" : path);
	return KASI_OK;
}
