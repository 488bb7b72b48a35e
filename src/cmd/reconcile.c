/*
 * reconcile.c — `kasi reconcile --period YYYY-MM`.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/json.h"
#include "core/log.h"
#include "core/money.h"
#include "stage/reconcile.h"

static int cmd_reconcile_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_reconcile = {
	.name = "reconcile",
	.fn = cmd_reconcile_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi reconcile --period YYYY-MM [--json]",
	.summary = "compute each scheduled policy's outcome and the period's discrepancies",
	.help = "usage: kasi reconcile --period YYYY-MM [--json]\n"
		"\n"
		"Match every stored fact to its policy and compute, for each policy\n"
		"scheduled in the period, its outcome: PAID_FULL, PAID_PARTIAL, UNPAID or\n"
		"CANCELLED, with expected, collected, shortfall, pending and the reason\n"
		"(see docs/reconciliation.md), and the period's discrepancies. Reversals count in\n"
		"their original's period, wherever they arrived; late facts change the\n"
		"period they belong to when it is reconciled again. Reconciling again\n"
		"replaces the last result with an identical one when nothing changed.\n"
		"\n"
		"  --json   the summary as one JSON document (docs/json.md)\n"
		"\n"
		"exit: 0 no discrepancies, 1 the period has discrepancies (ingest's\n"
		"included), 65 period not scheduled, 64 usage, 66 no store,\n"
		"74/75 store trouble, 78 bad unpaid reason mapping\n",
};

static int print_summary(const char *period, const struct reconcile_summary *sum)
{
	const struct outcome_totals *t = &sum->outcomes;
	char money[OUTCOME_MONEY_BUFSZ];
	outcome_money_text(t->expected, t->collected, t->shortfall, t->pending, money);
	printf("reconciled %s: %" PRId64 " %s\n", period, t->policies,
	       cmd_plural((uint64_t)t->policies, "policy", "policies"));
	for (int s = 0; s < OUTCOME_STATUS_COUNT; s++)
		printf("  %-13s %8" PRId64 "\n", outcome_status_name((enum outcome_status)s),
		       t->by_status[s]);
	printf("  %s\n", money);
	printf("  discrepancies: %" PRId64 " (%" PRId64 " found by reconciling)\n", sum->total,
	       sum->found);
	if (sum->voided_taken_back)
		printf("  %" PRId64 " %s of voided files paid over already: taken back by the next "
		       "settlement\n",
		       sum->voided_taken_back,
		       cmd_plural((uint64_t)sum->voided_taken_back, "collection", "collections"));
	if (sum->voided_given_back)
		printf("  %" PRId64
		       " %s of voided files clawed back already: given back by the next "
		       "settlement\n",
		       sum->voided_given_back,
		       cmd_plural((uint64_t)sum->voided_given_back, "reversal", "reversals"));
	return 0;
}

/* The summary as one JSON document (docs/json.md). */
static void print_json(const char *period, const struct reconcile_summary *sum)
{
	const struct outcome_totals *t = &sum->outcomes;
	struct json j;
	json_begin(&j, stdout);
	json_object(&j, NULL);
	json_text(&j, "period", period);
	json_int(&j, "policies", t->policies);
	json_object(&j, "by_status");
	for (int s = 0; s < OUTCOME_STATUS_COUNT; s++)
		json_int(&j, outcome_status_name((enum outcome_status)s), t->by_status[s]);
	json_close(&j, '}');
	json_money(&j, "expected", t->expected);
	json_money(&j, "collected", t->collected);
	json_money(&j, "shortfall", t->shortfall);
	json_money(&j, "pending", t->pending);
	json_int(&j, "discrepancies", sum->total);
	json_int(&j, "found_by_reconciling", sum->found);
	json_int(&j, "policies_not_counted", sum->overflowed);
	json_int(&j, "voided_to_take_back", sum->voided_taken_back);
	json_int(&j, "voided_to_give_back", sum->voided_given_back);
	json_close(&j, '}');
	json_end(&j);
}

static int cmd_reconcile_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	const char *period;
	int status;
	bool json = false;
	if (!cmd_period_args(&cmd_reconcile, argc, argv, 0, "no operand", &period, &json, &status))
		return status;
	if ((status = cmd_begin(ctx, json)))
		return status;

	struct err e = { 0 };
	struct reasons *reasons = NULL;
	int rc = cmd_load_schemas(ctx, &e);
	if (!rc)
		rc = reasons_load(&reasons, ctx->schemas, &e);
	struct reconcile_summary sum;
	struct reconcile_opts opts = { .write = true };
	if (!rc)
		rc = reconcile_period(ctx->store, ctx->schemas, reasons, period, &opts, &sum, &e);
	reasons_free(reasons);
	if (rc == -KASI_EUSAGE)
		return cmd_usage_error(&cmd_reconcile, "%s", e.msg);
	if (rc)
		return cmd_finish(rc, json, &e);
	if (json)
		print_json(period, &sum);
	else
		print_summary(period, &sum);
	if (sum.overflowed) {
		/* Every other policy's outcome is recorded: one policy's absurd
		 * money must not hold back everyone else's month. */
		log_error("%s row %" PRIu64 ": takes policy %s's money past what kasi can count "
			  "(int64 cents): its outcome is not recorded (%" PRId64
			  " polic%s so; every other policy's is)",
			  *sum.overflow_file ? sum.overflow_file : "a file", sum.overflow_row,
			  sum.overflow_policy, sum.overflowed, sum.overflowed == 1 ? "y" : "ies");
		return KASI_EDATA;
	}
	return sum.total ? KASI_FINDINGS : KASI_OK;
}
