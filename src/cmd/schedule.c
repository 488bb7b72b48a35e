/*
 * schedule.c — `kasi schedule --period YYYY-MM`.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "stage/schedule.h"

static int cmd_schedule_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_schedule = {
	.name = "schedule",
	.fn = cmd_schedule_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi schedule --period YYYY-MM",
	.summary = "snapshot the premiums expected in a period",
	.help = "usage: kasi schedule --period YYYY-MM\n"
		"\n"
		"Record, for every policy active in the period (started on or before\n"
		"its last day, not lapsed, not cancelled before its first day), its\n"
		"premium as the amount expected. Scheduling a period again changes\n"
		"nothing; later changes to a policy never rewrite the period's\n"
		"expectations (a cancellation still changes its status).\n"
		"\n"
		"exit: 0 scheduled (or already), 64 usage, 66 no store or no policies loaded\n"
		"(nothing is scheduled before the register is), 74/75 store trouble\n",
};

static int cmd_schedule_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	const char *period;
	int status;
	if (!cmd_period_args(&cmd_schedule, argc, argv, 0, "no operand", &period, NULL, &status))
		return status;
	if ((status = cmd_begin(ctx, false)))
		return status;
	struct err e = { 0 };
	struct schedule_result res;
	int rc = schedule_period(ctx->store, period, &res, &e);
	if (rc == -KASI_EUSAGE)
		return cmd_usage_error(&cmd_schedule, "%s", e.msg);
	if (rc) {
		log_error("%s", e.msg);
		return -rc;
	}
	if (res.already)
		printf("%s was scheduled at %s: %" PRId64 " %s expected; nothing changed\n", period,
		       res.before.scheduled_at, res.expected_before,
		       cmd_plural((uint64_t)res.expected_before, "policy", "policies"));
	else
		printf("scheduled %s: %" PRId64 " %s expected\n", period, res.scheduled,
		       cmd_plural((uint64_t)res.scheduled, "policy", "policies"));
	return KASI_OK;
}
