/*
 * load.c — `kasi load products|policies|ledger FILE`.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/text.h"
#include "core/log.h"
#include "io/input.h"
#include "stage/load.h"

static int cmd_load_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_load = {
	.name = "load",
	.fn = cmd_load_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi load products|policies|ledger FILE",
	.summary = "load reference data: products, the policy register, the ledger",
	.help = "usage: kasi load products|policies|ledger FILE\n"
		"\n"
		"Validate FILE against the schema of its kind and load it in one\n"
		"transaction: all of it, or (on any error) none of it. Rows are upserted:\n"
		"products and their providers by code, policies by policy number (every\n"
		"changed field recorded with its old and new value, the file and the\n"
		"time), ledger records by channel and transaction id. Loading the same\n"
		"content again changes nothing, and says so.\n"
		"\n"
		"A policy must name a product loaded before; a provider must carry the\n"
		"same name and payout details on every row of a file.\n"
		"\n"
		"exit: 0 loaded (or nothing to change), 65 rejected (the report says why),\n"
		"66 FILE missing or no store (kasi init), 74 I/O error, 75 store locked\n",
};

static const char *noun(enum load_kind kind, uint64_t n)
{
	static const char *const nouns[][2] = {
		{ "product", "products" },
		{ "policy", "policies" },
		{ "ledger record", "ledger records" },
	};
	return nouns[kind][n != 1];
}

static int cmd_load_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cmd_print_help(&cmd_load);
	if (argc != 3)
		return cmd_usage_error(&cmd_load, "expected a kind and one FILE");
	enum load_kind kind;
	if (load_kind_from_name(argv[1], &kind))
		return cmd_usage_error(&cmd_load, "unknown kind '%s' (products, policies, ledger)",
				       argv[1]);
	const char *path = argv[2];
	int status = cmd_begin(ctx, false);
	if (status)
		return status;
	struct err e = { 0 };
	int fd;
	int rc = input_open(path, &fd, &e);
	if (rc) {
		log_error("%s", e.msg);
		return -rc;
	}
	const struct schema *schema;
	rc = cmd_pick_schema(ctx, path, load_kind_schema(kind), &schema, &e);
	if (rc) {
		close(fd);
		log_error("%s", e.msg);
		return -rc;
	}
	struct load_result res;
	rc = load_file(ctx->store, schema, kind, fd, path, cmd_operator(), &res, &e);
	if (rc) {
		log_error("%s", e.msg);
		validation_release(&res.v);
		return -rc;
	}
	/* The path as typed, shown escaped (text_name): it cannot colour a terminal. */
	char shown[TEXT_NAME_BUFSZ], previous[TEXT_NAME_BUFSZ];
	text_name(path, shown);
	status = KASI_OK;
	if (res.rejected) {
		validation_print_text(&res.v, stdout);
		printf("%s: not loaded: nothing changed\n", shown);
		status = KASI_EDATA;
	} else if (res.same_content) {
		printf("%s: nothing changed: the same content was loaded from %s at %s\n", shown,
		       text_name(res.previous.name, previous), res.previous.applied_at);
	} else if (!res.created && !res.updated) {
		printf("%s: %" PRIu64 " %s, all as stored: nothing changed\n", shown, res.v.rows,
		       noun(kind, res.v.rows));
	} else {
		printf("%s: loaded %" PRIu64 " %s: %" PRIu64 " new, %" PRIu64 " changed, %" PRIu64
		       " unchanged\n",
		       shown, res.v.rows, noun(kind, res.v.rows), res.created, res.updated,
		       res.unchanged);
	}
	validation_release(&res.v);
	return status;
}
