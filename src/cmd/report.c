/*
 * report.c — `kasi report outcomes|discrepancies --period YYYY-MM
 *            [--out FILE] [--gzip]` and `kasi report settlement --through
 *            YYYY-MM-DD [--lines] [--out FILE] [--gzip]`.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "core/dates.h"
#include "core/money.h"
#include "stage/payout.h"
#include "stage/period_report.h"
#include "stage/reconcile.h"
#include "stage/report.h"
#include "stage/summary.h"

#ifndef KASI_VERSION
#define KASI_VERSION "0.1.0"
#endif

#include <getopt.h>

static int cmd_report_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_report = {
	.name = "report",
	.fn = cmd_report_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi report outcomes|discrepancies --period YYYY-MM [--out FILE] [--gzip]\n"
		 "       kasi report settlement --through YYYY-MM-DD [--lines] [--out FILE] "
		 "[--gzip]\n"
		 "       kasi report summary --period YYYY-MM [--out FILE.html]",
	.summary = "write a period's outcomes or discrepancies, or a settlement, as CSV; or "
		   "the month's summary page",
	.help = "usage: kasi report outcomes|discrepancies --period YYYY-MM [--out FILE] [--gzip]\n"
		"       kasi report settlement --through YYYY-MM-DD [--lines] [--out FILE] [--gzip]\n"
		"       kasi report summary --period YYYY-MM [--out FILE.html]\n"
		"\n"
		"Write the period's reconciled outcomes or discrepancies, or the batches of\n"
		"a settlement, as CSV, and print a summary (counts, money totals):\n"
		"\n"
		"  outcomes:      policy_number,product_code,period,status,expected,\n"
		"                 collected,shortfall,pending,reason\n"
		"  discrepancies: code,severity,channel,file,row,reference,transaction_id,\n"
		"                 expected,actual,detail,id,status,first_seen,age (the last\n"
		"                 four: the exception it is, see 'kasi help exceptions')\n"
		"  settlement:    provider_code,batch_id,through,collections,collected,\n"
		"                 reversals,reversed,fees,brought_forward,net\n"
		"    --lines:     batch_id,provider_code,policy_number,channel,transaction_id,\n"
		"                 business_date,kind,amount,fee,net\n"
		"\n"
		"Amounts have two decimals. A cell a spreadsheet would run as a formula is\n"
		"neutralised. The file is created mode 0600 and appears whole or not at\n"
		"all (written under a temporary name, then renamed).\n"
		"\n"
		"  --out FILE  where to write (default KIND_DATE.csv here); '-' writes\n"
		"              to standard output, as the rows come, and the summary to\n"
		"              stderr. A character device or a FIFO (/dev/null) is\n"
		"              written straight through, as the rows come; a symbolic\n"
		"              link stays a link (the file it names is replaced, whole\n"
		"              or not at all); a directory is refused (exit 64)\n"
		"  --gzip      compress with gzip; .gz is appended to FILE unless it ends so\n"
		"              (or FILE is '-'; not to a terminal)\n"
		"  --lines     (settlement) every line of the batches, not one row a batch\n"
		"\n"
		"A period not reconciled has no outcomes: the outcomes report is refused\n"
		"(exit 65, nothing written); the discrepancies report then holds only\n"
		"what ingest recorded, and says so. A period out of date (a file that\n"
		"could change it applied since it was reconciled: see 'kasi status') is\n"
		"refused for both reports until it is reconciled again.\n"
		"\n"
		"summary writes the month on one self-contained HTML page (default\n"
		"summary_YYYY-MM.html): outcomes by status, collection rate by provider\n"
		"and channel, expected and collected through the month, open exceptions\n"
		"by code and age, settlement batches and payouts, debit-order health;\n"
		"inline SVG, no script, no external resource; every figure the CSV\n"
		"reports'. It needs the period reconciled and up to date, as outcomes.\n"
		"\n"
		"The settlement summary adds up: collected - reversed - fees + brought\n"
		"forward = net (brought forward: a negative net carried from the\n"
		"provider's last batch, and what its payouts left owed).\n"
		"\n"
		"Beside a settlement report (in the current directory when it goes to\n"
		"standard output, a device or a FIFO), each of its batches whose payout is still\n"
		"instructed (the switch has not answered for it yet) gets its payout\n"
		"instruction,\n"
		"payout_REFERENCE.json: the switch's EnCr Transfer Request, mode 0600, to\n"
		"the account kept with the payout when its batch was made. A payout paid,\n"
		"mismatched, rejected or in progress gets none: its money was sent, or is\n"
		"brought into a later batch under a new reference. The house's own fields\n"
		"come from the payout configuration, $KASI_PAYOUTS, else payouts.conf\n"
		"beside the store: an INI file, a regular file of at most 16 KiB,\n"
		"\n"
		"  [payouts]\n"
		"  remoteGid = 39            # the house's ids at the switch\n"
		"  fromGlobalId = 18113\n"
		"  fromAccountNo = 1234567   # the house's account: letters and digits\n"
		"  fromAccountType = 2\n"
		"  fromBanId = 65            # its bank's id, not 0\n"
		"  systemUserName = cxuser   # letters and digits, at most 23\n"
		"  frontEndUserName = kasi\n"
		"  uacId = 45\n"
		"  toAccountType = 1         # optional: 1 (current) when not given\n"
		"\n"
		"Numbers are whole, 0 to 999999999; every key but toAccountType must be\n"
		"given, once. When a settlement has an instruction to write and the\n"
		"configuration is missing, not a regular file, unreadable or incomplete,\n"
		"nothing is written, neither the report nor any instruction (exit 78):\n"
		"no instruction is ever written without the house's account.\n"
		"\n"
		"exit: 0 written, 64 usage (a --through that is not a real date, --out\n"
		"naming a directory), 65 the\n"
		"period is not reconciled (outcomes) or out of date, or no settlement\n"
		"through that day, 66 no store, 74 I/O error, 78 the payout configuration\n"
		"missing or bad (nothing written)\n",
};

/* What the command line asked for. */
struct report_args {
	const char *kind, *period, *through, *out;
	bool gzip, lines;
};

/* Open the report asked for (default_out when no --out); *say is where
 * its summary goes. On failure, logs and returns the exit status. */
static int open_report(const struct report_args *a, const char *default_out, struct report **rep,
		       char *path, size_t path_size, FILE **say)
{
	struct err e = { 0 };
	/* On standard output the report is the output: the summary goes to
	 * stderr, and gzip, as gzip itself does, not to a terminal. */
	bool to_stdout = a->out && report_to_stdout(a->out);
	if (to_stdout && a->gzip && isatty(STDOUT_FILENO))
		return cmd_usage_error(&cmd_report, "--gzip would write compressed data to a "
						    "terminal: redirect it, or leave --gzip out");
	*say = to_stdout ? stderr : stdout;
	int rc = report_open(rep, a->out ? a->out : default_out, a->gzip, path, path_size, &e);
	if (rc) {
		log_error("%s", e.msg);
		return -rc;
	}
	return 0;
}

/* Finish a report whose rows gave rc: renamed into place, or dropped. */
static int close_report(struct report *rep, int rc, struct err *e)
{
	if (rc) {
		report_abort(rep);
		log_error("%s", e->msg);
		return -rc;
	}
	if ((rc = report_close(rep, e))) {
		log_error("%s", e->msg);
		return -rc;
	}
	return 0;
}

/* A period's reports need it reconciled (outcomes) and current (both).
 * Returns 0 to go on, or the exit status. */
static int check_period(struct kasi_ctx *ctx, const struct report_args *a, bool outcomes)
{
	struct err e = { 0 };
	struct store_period sp;
	int found = store_period_get(ctx->store, a->period, &sp, &e);
	if (found < 0) {
		log_error("%s", e.msg);
		return -found;
	}
	if (!found || !*sp.reconciled_at) {
		/* An empty outcomes report would read as "nothing expected,
		 * nothing owed": refused. */
		if (outcomes) {
			log_error("period %s is not reconciled: no outcomes to report "
				  "(run 'kasi reconcile --period %s'); nothing written",
				  a->period, a->period);
			return KASI_EDATA;
		}
		log_warn("period %s is not reconciled: the report holds only the discrepancies "
			 "ingest recorded",
			 a->period);
	} else if (sp.files_since_reconciled) {
		/* Outcomes and discrepancies computed before the files that
		 * came since would be reported as if they were today's. */
		log_error("facts changed since the last reconcile of %s at %s (%" PRId64
			  " %s applied or voided since); run 'kasi reconcile --period %s'; "
			  "nothing written",
			  a->period, sp.reconciled_at, sp.files_since_reconciled,
			  cmd_plural((uint64_t)sp.files_since_reconciled, "file", "files"),
			  a->period);
		return KASI_EDATA;
	}
	return 0;
}

static int report_period(struct kasi_ctx *ctx, const struct report_args *a)
{
	bool outcomes = !strcmp(a->kind, "outcomes");
	int rc = check_period(ctx, a, outcomes);
	if (rc)
		return rc;
	struct err e = { 0 };
	char default_out[64], path[PATH_MAX];
	snprintf(default_out, sizeof(default_out), "%s_%s.csv", a->kind, a->period);
	struct report *rep;
	FILE *say;
	if ((rc = open_report(a, default_out, &rep, path, sizeof(path), &say)))
		return rc;
	struct outcome_totals ot;
	struct discrepancy_counts dt;
	rc = outcomes ? period_report_outcomes(ctx->store, a->period, rep, &ot, &e)
		      : period_report_discrepancies(ctx->store, &a->period, 1, 0, ctx->now, rep,
						    &dt, &e);
	if ((rc = close_report(rep, rc, &e)))
		return rc;
	if (outcomes) {
		const struct outcome_totals *t = &ot;
		char money[OUTCOME_MONEY_BUFSZ];
		outcome_money_text(t->expected, t->collected, t->shortfall, t->pending, money);
		fprintf(say, "outcomes %s: %" PRId64 " %s", a->period, t->policies,
			cmd_plural((uint64_t)t->policies, "policy", "policies"));
		for (int st = 0; st < OUTCOME_STATUS_COUNT; st++)
			fprintf(say, "%s %s %" PRId64, st ? "," : ":",
				outcome_status_name((enum outcome_status)st), t->by_status[st]);
		fprintf(say, "\n  %s\n", money);
	} else {
		fprintf(say, "discrepancies %s: %" PRId64 "\n", a->period, dt.rows);
		for (size_t i = 0; i < dt.ncodes; i++)
			fprintf(say, "  %-28s %-8s %8" PRId64 "\n", dt.codes[i].code,
				dt.codes[i].severity, dt.codes[i].n);
	}
	fprintf(say, "  written to %s\n", report_to_stdout(path) ? "standard output" : path);
	return KASI_OK;
}

/* ---- settlement ------------------------------------------------------------------ */

struct settlement_totals {
	struct report *rep;
	struct err *e;
	int64_t batches, lines, collected, reversed, fees, brought_forward, net;
	int64_t to_instruct; /* payouts still instructed */
	bool overflow;
};

static int on_batch(void *ctx, const struct store_batch_row *b)
{
	struct settlement_totals *t = ctx;
	char id[24], nc[24], nr[24], col[MONEY_BUFSZ], rev[MONEY_BUFSZ], fees[MONEY_BUFSZ],
		bf[MONEY_BUFSZ], net[MONEY_BUFSZ];
	snprintf(id, sizeof(id), "%" PRId64, b->batch_id);
	snprintf(nc, sizeof(nc), "%" PRId64, b->collections);
	snprintf(nr, sizeof(nr), "%" PRId64, b->reversals);
	money_format(b->collected, col);
	money_format(b->reversed, rev);
	money_format(b->fees, fees);
	money_format(b->brought_forward, bf);
	money_format(b->net, net);
	const char *cells[] = { b->provider_code, id, b->through, nc, col, nr, rev, fees, bf, net };
	t->batches++;
	t->overflow |= __builtin_add_overflow(t->collected, b->collected, &t->collected) ||
		       __builtin_add_overflow(t->reversed, b->reversed, &t->reversed) ||
		       __builtin_add_overflow(t->fees, b->fees, &t->fees) ||
		       __builtin_add_overflow(t->brought_forward, b->brought_forward,
					      &t->brought_forward) ||
		       __builtin_add_overflow(t->net, b->net, &t->net);
	return t->rep ? report_row(t->rep, cells, ARRAY_SIZE(cells), t->e) : 0;
}

static int on_line(void *ctx, const struct store_line_row *l)
{
	struct settlement_totals *t = ctx;
	char batch[24], amount[MONEY_BUFSZ], fee[MONEY_BUFSZ], net[MONEY_BUFSZ];
	snprintf(batch, sizeof(batch), "%" PRId64, l->batch_id);
	money_format(l->amount, amount);
	money_format(l->fee, fee);
	money_format(l->net, net);
	const char *cells[] = { batch,
				l->provider_code,
				l->policy_number,
				l->channel,
				l->transaction_id,
				l->business_date,
				l->kind,
				amount,
				fee,
				net };
	t->lines++;
	return report_row(t->rep, cells, ARRAY_SIZE(cells), t->e);
}

/* A payout still waiting to be sent: one whose instruction is written. */
static bool to_instruct(const struct store_batch_row *b)
{
	return b->reference && b->state && !strcmp(b->state, "instructed");
}

static int count_instructed(void *ctx, const struct store_batch_row *b)
{
	((struct settlement_totals *)ctx)->to_instruct += to_instruct(b);
	return 0;
}

struct instructions {
	char dir[PATH_MAX];
	struct payout_house house;
	FILE *say;
	struct err *e;
};

/* Each batch whose payout is still instructed: its instruction, beside
 * the report. Any other (paid, mismatched, rejected, in progress) is
 * named, never written again. */
static int on_payout(void *ctx, const struct store_batch_row *b)
{
	struct instructions *in = ctx;
	if (!b->reference)
		return 0;
	char path[PATH_MAX], amount[MONEY_BUFSZ];
	money_format(b->payout_amount, amount);
	if (!to_instruct(b)) {
		fprintf(in->say, "  payout %s to %s: %s (%s): no instruction written\n",
			b->reference, b->provider_code, amount, b->state);
		return 0;
	}
	int rc = payout_instruction_write(in->dir, b, &in->house, path, sizeof(path), in->e);
	if (!rc)
		fprintf(in->say, "  payout %s to %s: %s (%s): %s\n", b->reference, b->provider_code,
			amount, b->state, path);
	return rc;
}

static int write_instructions(struct kasi_ctx *ctx, const char *through, const char *report,
			      struct instructions *in)
{
	struct err e = { 0 };
	in->e = &e;
	const char *slash = report_is_stream(report) ? NULL : strrchr(report, '/');
	snprintf(in->dir, sizeof(in->dir), "%.*s", slash ? (int)(slash - report) : 1,
		 slash ? report : ".");
	if (slash == report)
		snprintf(in->dir, sizeof(in->dir), "/");
	int rc = store_each_batch(ctx->store, through, on_payout, in, &e);
	if (rc) {
		log_error("%s", e.msg);
		return -rc;
	}
	return 0;
}

/* The settlement through the day exists, and when it has a payout to
 * instruct, the house's configuration is whole: else nothing is written.
 * Returns 0 to go on, or the exit status. */
static int check_settlement(struct kasi_ctx *ctx, const struct report_args *a,
			    struct settlement_totals *t, struct payout_house *house)
{
	struct err e = { 0 };
	int found = store_settlement_find(ctx->store, a->through, &e);
	if (found <= 0) {
		/* An empty report would read as "nobody is owed anything". */
		if (!found)
			log_error("no settlement through %s (run 'kasi settle --through %s'); "
				  "nothing written",
				  a->through, a->through);
		else
			log_error("%s", e.msg);
		return found ? -found : KASI_EDATA;
	}
	int rc = store_each_batch(ctx->store, a->through, count_instructed, t, &e);
	if (!rc && t->to_instruct && (rc = payout_house_load(house, ctx->db_path, &e)))
		log_error("%s; nothing written", e.msg);
	else if (rc)
		log_error("%s", e.msg);
	return -rc;
}

static int report_settlement(struct kasi_ctx *ctx, const struct report_args *a)
{
	struct err e = { 0 };
	struct settlement_totals t = { .e = &e };
	struct instructions in = { 0 };
	int rc = check_settlement(ctx, a, &t, &in.house);
	if (rc)
		return rc;
	char default_out[64], path[PATH_MAX];
	snprintf(default_out, sizeof(default_out), "settlement%s_%s.csv", a->lines ? "_lines" : "",
		 a->through);
	if ((rc = open_report(a, default_out, &t.rep, path, sizeof(path), &in.say)))
		return rc;
	if (a->lines) {
		static const char *const head[] = { "batch_id", "provider_code",  "policy_number",
						    "channel",	"transaction_id", "business_date",
						    "kind",	"amount",	  "fee",
						    "net" };
		rc = report_row(t.rep, head, ARRAY_SIZE(head), &e);
		if (!rc)
			rc = store_each_line(ctx->store, a->through, on_line, &t, &e);
	} else {
		static const char *const head[] = {
			"provider_code", "batch_id", "through", "collections",	   "collected",
			"reversals",	 "reversed", "fees",	"brought_forward", "net"
		};
		rc = report_row(t.rep, head, ARRAY_SIZE(head), &e);
		if (!rc)
			rc = store_each_batch(ctx->store, a->through, on_batch, &t, &e);
	}
	if ((rc = close_report(t.rep, rc, &e)))
		return rc;
	t.rep = NULL;
	if (a->lines && (rc = store_each_batch(ctx->store, a->through, on_batch, &t, &e))) {
		log_error("%s", e.msg);
		return -rc;
	}
	char col[MONEY_BUFSZ], rev[MONEY_BUFSZ], fees[MONEY_BUFSZ], bf[MONEY_BUFSZ],
		net[MONEY_BUFSZ];
	money_format(t.collected, col);
	money_format(t.reversed, rev);
	money_format(t.fees, fees);
	money_format(t.brought_forward, bf);
	money_format(t.net, net);
	fprintf(in.say, "settlement through %s: %" PRId64 " %s", a->through, t.batches,
		cmd_plural((uint64_t)t.batches, "batch", "batches"));
	if (a->lines)
		fprintf(in.say, ", %" PRId64 " %s", t.lines,
			cmd_plural((uint64_t)t.lines, "line", "lines"));
	if (t.overflow)
		fprintf(in.say, " (totals pass int64 cents: not shown)\n");
	else
		fprintf(in.say,
			"\n  collected %s, reversed %s, fees %s, brought forward %s, net %s\n", col,
			rev, fees, bf, net);
	fprintf(in.say, "  written to %s\n", report_to_stdout(path) ? "standard output" : path);
	return write_instructions(ctx, a->through, path, &in);
}

/* ---- the finance summary ---------------------------------------------------------------- */

/* The page, written in memory first (a page is well under a megabyte)
 * and then through the report, 0600, whole or not at all. */
static int write_summary(struct kasi_ctx *ctx, const struct report_args *a, struct report *rep,
			 struct err *e)
{
	struct reasons *reasons = NULL;
	struct debit_limits limits;
	struct summary_opts o = { .period = a->period, .now = ctx->now, .version = KASI_VERSION };
	int rc = cmd_load_schemas(ctx, e);
	if (!rc)
		rc = reasons_load(&reasons, ctx->schemas, e);
	if (!rc)
		rc = reasons_limits_load(ctx->schemas, &limits, e);
	char *buf = NULL;
	size_t size = 0;
	FILE *f = rc ? NULL : open_memstream(&buf, &size);
	if (!rc && !f)
		rc = err_sys(e, KASI_EIO, "out of memory");
	o.reasons = reasons;
	o.limits = &limits;
	if (!rc)
		rc = summary_write(ctx->store, &o, f, e);
	if (f && fclose(f) != 0 && !rc)
		rc = err_sys(e, KASI_EIO, "out of memory");
	if (!rc)
		rc = report_text(rep, buf, size, e);
	free(buf);
	reasons_free(reasons);
	return rc;
}

static int report_summary(struct kasi_ctx *ctx, const struct report_args *a)
{
	int rc = check_period(ctx, a, true);
	if (rc)
		return rc;
	char default_out[64], path[PATH_MAX];
	snprintf(default_out, sizeof(default_out), "summary_%s.html", a->period);
	struct report *rep;
	FILE *say;
	if ((rc = open_report(a, default_out, &rep, path, sizeof(path), &say)))
		return rc;
	struct err e = { 0 };
	rc = write_summary(ctx, a, rep, &e);
	if ((rc = close_report(rep, rc, &e)))
		return rc;
	fprintf(say, "summary %s written to %s\n", a->period,
		report_to_stdout(path) ? "standard output" : path);
	return KASI_OK;
}

/* ---- the command line ------------------------------------------------------------------ */

/* Parse the options into *a: true to go on; else false with *status
 * the exit status (help printed, or a usage error). */
static bool parse_args(int argc, char **argv, struct report_args *a, int *status)
{
	static const struct option longopts[] = {
		{ "period", required_argument, NULL, 'p' },
		{ "through", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ "gzip", no_argument, NULL, 'z' },
		{ "lines", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const char **value = c == 'p' ? &a->period : c == 't' ? &a->through : &a->out;
		switch (c) {
		case 'p':
		case 't':
		case 'o':
			if (*value) {
				*status = cmd_option_twice(&cmd_report,
							   c == 'p'   ? "--period"
							   : c == 't' ? "--through"
								      : "--out",
							   *value, optarg);
				return false;
			}
			*value = optarg;
			break;
		case 'z': a->gzip = true; break;
		case 'l': a->lines = true; break;
		case 'h': *status = cmd_print_help(&cmd_report); return false;
		default:
			*status = cmd_usage_error(&cmd_report, "unknown or incomplete option '%s'",
						  argv[optind - 1]);
			return false;
		}
	}
	const char *bare = a->period || a->through ? NULL : cmd_period_operand(argc, argv, optind);
	char why[256] = "";
	int32_t d;
	int st;
	a->kind = argc - optind == 1 ? argv[optind] : NULL;
	bool settlement = a->kind && !strcmp(a->kind, "settlement");
	if (bare)
		snprintf(why, sizeof(why), "unexpected '%s': did you mean --period %s?", bare,
			 bare);
	else if (!a->kind)
		snprintf(why, sizeof(why),
			 "expected one kind: outcomes, discrepancies, settlement or summary");
	else if (settlement && (!a->through || a->period))
		snprintf(why, sizeof(why), "settlement: --through YYYY-MM-DD is required");
	else if (settlement && (st = date_parse(a->through, strlen(a->through), DATE_FMT_ISO, &d)))
		snprintf(why, sizeof(why), "settlement: --through %s is not a %s", a->through,
			 st == DATE_ERANGE ? "real date" : "date (YYYY-MM-DD)");
	else if (!settlement && strcmp(a->kind, "outcomes") && strcmp(a->kind, "discrepancies") &&
		 strcmp(a->kind, "summary"))
		snprintf(why, sizeof(why),
			 "unknown report '%s' (outcomes, discrepancies, settlement, summary)",
			 a->kind);
	else if (!strcmp(a->kind, "summary") && a->gzip)
		snprintf(why, sizeof(why), "summary: a page to open, not to compress (no --gzip)");
	else if (!settlement && (a->lines || a->through))
		snprintf(why, sizeof(why), "--lines and --through are the settlement report's");
	else if (!settlement &&
		 (!a->period || period_parse(a->period, strlen(a->period), &d) != DATE_OK))
		snprintf(why, sizeof(why), "--period YYYY-MM is required");
	if (!*why)
		return true;
	*status = cmd_usage_error(&cmd_report, "%s", why);
	return false;
}

static int cmd_report_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	struct report_args a = { 0 };
	int status;
	if (!parse_args(argc, argv, &a, &status) || (status = cmd_begin(ctx, false)))
		return status;
	return !strcmp(a.kind, "settlement") ? report_settlement(ctx, &a)
	       : !strcmp(a.kind, "summary")  ? report_summary(ctx, &a)
					     : report_period(ctx, &a);
}
