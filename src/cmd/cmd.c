/*
 * cmd.c — helpers shared by the subcommands (see cmd.h).
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/log.h"

int cmd_load_schemas(struct kasi_ctx *ctx, struct err *e)
{
	if (ctx->schemas)
		return 0;
	return schema_set_load(&ctx->schemas, ctx->schemas_dir, e);
}

int cmd_usage_error(const struct command *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	fprintf(stderr, "usage: %s\n(see 'kasi help %s')\n", cmd->usage, cmd->name);
	return KASI_EUSAGE;
}

int cmd_print_help(const struct command *cmd)
{
	fputs(cmd->help, stdout);
	return KASI_OK;
}
