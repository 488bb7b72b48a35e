/*
 * settle.c — `kasi settle --through YYYY-MM-DD`.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/json.h"
#include "core/log.h"
#include "core/dates.h"
#include "core/money.h"
#include "stage/settle.h"

#include <getopt.h>

static int cmd_settle_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_settle = {
	.name = "settle",
	.fn = cmd_settle_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi settle --through YYYY-MM-DD [--json]",
	.summary = "settle what each provider is owed, through a day, in batches",
	.help = "usage: kasi settle --through YYYY-MM-DD [--json]\n"
		"\n"
		"Create one settlement batch per provider holding every collected amount\n"
		"and every reversal whose own business date is on or before the day and\n"
		"that no earlier batch holds (cash basis: a debit of 28 November reversed\n"
		"on 3 December is paid through 30 November and clawed back later). Each\n"
		"collection pays a fee, round_half_up(amount x fee_bps / 10000) +\n"
		"fee_fixed of its product; a zero amount is no money: no line, no fee. A\n"
		"reversal carries exactly minus the fee its original is charged, whichever\n"
		"of the two is settled first. A collection is clawed back once, ever: when\n"
		"reconciliation links another row to a collection already clawed back\n"
		"(an earlier unpaid that arrived late), nothing more is clawed back; a\n"
		"reversal whose own row was settled reversing another collection is held\n"
		"back and named, for finance to correct.\n"
		"\n"
		"A batch's net is collected - reversed - fees + brought_forward. A\n"
		"negative net is carried forward into the provider's next batch (which\n"
		"shows it as brought forward), never paid. What a payout left owed (a\n"
		"rejected payout's amount; a mismatched one's difference, which may be\n"
		"negative) is brought forward into the provider's next batch too. A batch\n"
		"with a positive net gets a payout instruction (its reference is never\n"
		"reused). A provider with nothing to settle gets no batch, unless it is\n"
		"owed money by a payout: then it gets a batch without lines that pays it\n"
		"again (less a negative balance carried; if that leaves nothing to pay,\n"
		"the balance waits for its next batch with lines).\n"
		"\n"
		"Settlement reads the money movements of reconciled periods: every\n"
		"period holding facts dated through the day must be reconciled and\n"
		"current. All batches are written in one transaction, after kasi checks\n"
		"that every provider's money balances and that no collection is clawed\n"
		"back twice. The day may not be after today in SAST (the clock is\n"
		"$KASI_NOW when set: ISO 8601 with an offset). Settling again through the\n"
		"same day (or an earlier one) creates nothing; if money dated through it\n"
		"arrived after that settlement, kasi says so: the next settlement through\n"
		"a later day settles it.\n"
		"\n"
		"A provider whose money passes int64 cents (a fee of an absurd amount)\n"
		"is held back, named with the file, row and policy that did it: no batch\n"
		"for it, nothing of it settled, while every other provider is settled\n"
		"(exit 65); its money waits for a settlement after the cause is put right.\n"
		"\n"
		"  --json   the result as one JSON document (docs/json.md)\n"
		"\n"
		"exit: 0 settled (or nothing new), 64 usage (not a real date, or after\n"
		"today), 65 a period not ready, money that does not balance or a\n"
		"collection clawed back twice (nothing written), or a provider held back\n"
		"(every other one settled), 66 no store, 74/75 store trouble, 78 a bad\n"
		"$KASI_NOW\n",
};

static void print_batch(const struct settle_batch *b)
{
	char col[MONEY_BUFSZ], rev[MONEY_BUFSZ], fees[MONEY_BUFSZ], bf[MONEY_BUFSZ],
		net[MONEY_BUFSZ];
	money_format(b->collected, col);
	money_format(b->reversed, rev);
	money_format(b->fees, fees);
	money_format(b->brought_forward, bf);
	money_format(b->net, net);
	printf("  %-12s batch %-6" PRId64 " collected %s, reversed %s, fees %s, brought "
	       "forward %s: net %s%s%s\n",
	       b->provider, b->batch_id, col, rev, fees, bf, net,
	       *b->payout   ? ", payout "
	       : b->net < 0 ? ", carried forward"
			    : "",
	       b->payout);
}

static void print_nothing(const struct settle_result *res, const char *through)
{
	printf("settled through %s already: nothing new to settle through %s\n", res->last,
	       through);
	if (!res->late)
		return;
	char net[MONEY_BUFSZ];
	money_format(res->late_net, net);
	printf("  but %" PRId64 " %s dated on or before %s (net %s) came after the settlement "
	       "through %s and %s not settled yet: the next settlement through a day after %s "
	       "settles %s\n",
	       res->late, cmd_plural((uint64_t)res->late, "movement", "movements"), through, net,
	       res->last, res->late == 1 ? "is" : "are", res->last, res->late == 1 ? "it" : "them");
}

/* The result as one JSON document (docs/json.md). */
static void print_json(const struct settle_result *res, const char *through)
{
	struct json j;
	json_begin(&j, stdout);
	json_object(&j, NULL);
	json_text(&j, "through", through);
	json_bool(&j, "nothing_new", res->nothing);
	if (res->nothing) {
		json_text(&j, "settled_through", res->last);
		json_int(&j, "late", res->late);
		json_money(&j, "late_net", res->late_net);
	}
	json_int(&j, "batches", res->batches);
	json_int(&j, "lines", res->lines);
	json_array(&j, "batches_shown");
	for (size_t i = 0; i < res->nshown; i++) {
		const struct settle_batch *b = &res->shown[i];
		json_object(&j, NULL);
		json_text(&j, "provider", b->provider);
		json_int(&j, "batch_id", b->batch_id);
		json_int(&j, "collections", b->collections);
		json_money(&j, "collected", b->collected);
		json_int(&j, "reversals", b->reversals);
		json_money(&j, "reversed", b->reversed);
		json_money(&j, "fees", b->fees);
		json_money(&j, "brought_forward", b->brought_forward);
		json_money(&j, "net", b->net);
		json_text(&j, "payout", *b->payout ? b->payout : NULL);
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_int(&j, "relinked", res->relinked);
	json_int(&j, "held", res->held);
	json_int(&j, "held_providers", res->held_providers);
	json_array(&j, "notes");
	for (size_t i = 0; i < res->nnotes; i++)
		json_text(&j, NULL, res->notes[i]);
	json_close(&j, ']');
	json_close(&j, '}');
	json_end(&j);
}

static int cmd_settle_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "through", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *through = NULL;
	bool json = false;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (through)
				return cmd_option_twice(&cmd_settle, "--through", through, optarg);
			through = optarg;
			break;
		case 'j': json = true; break;
		case 'h': return cmd_print_help(&cmd_settle);
		default:
			return cmd_usage_error(&cmd_settle, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cmd_usage_error(&cmd_settle, "unexpected '%s'", argv[optind]);
	if (!through)
		return cmd_usage_error(&cmd_settle, "--through YYYY-MM-DD is required");
	int status = cmd_begin(ctx, json);
	if (status)
		return status;
	struct err e = { 0 };
	int32_t today = date_business_of(ctx->now); /* SAST */
	int rc = cmd_load_schemas(ctx, &e);
	struct settle_result res = { 0 };
	if (!rc)
		rc = settle_through(ctx->store, ctx->schemas, through, today, &res, &e);
	if (rc == -KASI_EUSAGE) {
		settle_result_release(&res);
		return cmd_usage_error(&cmd_settle, "--through %s", e.msg);
	}
	if (rc) {
		settle_result_release(&res);
		return cmd_finish(rc, json, &e);
	}
	if (json) {
		print_json(&res, through);
		for (size_t i = 0; i < res.nnotes; i++)
			log_msg(res.held_providers ? LOG_ERROR : LOG_WARN, "%s", res.notes[i]);
		settle_result_release(&res);
		return res.held_providers ? KASI_EDATA : KASI_OK;
	}
	if (res.nothing) {
		print_nothing(&res, through);
		settle_result_release(&res);
		return KASI_OK;
	}
	printf("settled through %s: %" PRId64 " %s, %" PRId64 " %s\n", through, res.batches,
	       cmd_plural((uint64_t)res.batches, "batch", "batches"), res.lines,
	       cmd_plural((uint64_t)res.lines, "line", "lines"));
	for (size_t i = 0; i < res.nshown; i++)
		print_batch(&res.shown[i]);
	if (res.batches > (int64_t)res.nshown)
		printf("  ... and %" PRId64 " more\n", res.batches - (int64_t)res.nshown);
	if (res.relinked)
		printf("  %" PRId64 " %s of collections clawed back already (reconciliation "
		       "linked another row to them since): not clawed back again\n",
		       res.relinked, cmd_plural((uint64_t)res.relinked, "reversal", "reversals"));
	for (size_t i = 0; i < res.nnotes; i++)
		log_msg(res.held_providers ? LOG_ERROR : LOG_WARN, "%s", res.notes[i]);
	if (res.held + res.held_providers > (int64_t)res.nnotes)
		log_warn("... and %" PRId64 " more held back",
			 res.held + res.held_providers - (int64_t)res.nnotes);
	settle_result_release(&res);
	return res.held_providers ? KASI_EDATA : KASI_OK;
}
