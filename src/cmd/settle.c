/*
 * settle.c — `kasi settle --through YYYY-MM-DD`.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "core/money.h"
#include "stage/settle.h"

#include <getopt.h>

static int cmd_settle_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_settle = {
	.name = "settle",
	.fn = cmd_settle_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi settle --through YYYY-MM-DD",
	.summary = "settle what each provider is owed, through a day, in batches",
	.help = "usage: kasi settle --through YYYY-MM-DD\n"
		"\n"
		"Create one settlement batch per provider holding every collected amount\n"
		"and every reversal whose own business date is on or before the day and\n"
		"that no earlier batch holds (cash basis: a debit of 28 November reversed\n"
		"on 3 December is paid through 30 November and clawed back later). Each\n"
		"collection pays a fee, round_half_up(amount x fee_bps / 10000) +\n"
		"fee_fixed of its product; a reversal carries minus the fee its original\n"
		"was charged. A batch's net is collected - reversed - fees +\n"
		"brought_forward; a negative net is brought forward into the provider's\n"
		"next batch, never paid, and so is a payout the bank rejected. A batch\n"
		"with a positive net gets a payout instruction (its reference is never\n"
		"reused). A provider with nothing to settle gets no batch.\n"
		"\n"
		"Settlement reads the money movements of reconciled periods: every\n"
		"period holding facts through the day must be reconciled and current.\n"
		"All batches are written in one transaction, after kasi checks that\n"
		"every provider's money balances. Settling again through the same day\n"
		"(or an earlier one) creates nothing.\n"
		"\n"
		"exit: 0 settled (or nothing new), 64 usage, 65 a period not ready, or\n"
		"money that does not balance (nothing written), 66 no store, 74/75 store\n"
		"trouble\n",
};

static int cmd_settle_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "through", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *through = NULL;
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
	struct err e = { 0 };
	int rc = cmd_load_schemas(ctx, &e);
	struct settle_result res = { 0 };
	if (!rc)
		rc = settle_through(ctx->store, ctx->schemas, through, &res, &e);
	if (rc == -KASI_EUSAGE) {
		settle_result_release(&res);
		return cmd_usage_error(&cmd_settle, "%s", e.msg);
	}
	if (rc) {
		log_error("%s", e.msg);
		settle_result_release(&res);
		return -rc;
	}
	if (res.nothing) {
		printf("settled through %s already: nothing new to settle through %s\n", res.last,
		       through);
		settle_result_release(&res);
		return KASI_OK;
	}
	printf("settled through %s: %" PRId64 " %s, %" PRId64 " %s\n", through, res.batches,
	       cmd_plural((uint64_t)res.batches, "batch", "batches"), res.lines,
	       cmd_plural((uint64_t)res.lines, "line", "lines"));
	for (size_t i = 0; i < res.nshown; i++) {
		const struct settle_batch *b = &res.shown[i];
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
	if (res.batches > (int64_t)res.nshown)
		printf("  ... and %" PRId64 " more\n", res.batches - (int64_t)res.nshown);
	settle_result_release(&res);
	return KASI_OK;
}
