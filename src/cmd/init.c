/*
 * init.c — `kasi init`: create the store, or migrate it in place.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/log.h"

static int cmd_init_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_init = {
	.name = "init",
	.fn = cmd_init_fn,
	.usage = "kasi init",
	.summary = "create the store, or migrate it to this kasi's version",
	.help = "usage: kasi [--db PATH] init\n"
		"\n"
		"Create the store (an SQLite database, --db, default $KASI_DB, else\n"
		"./kasi.db), or bring an existing one up to this kasi's version. A\n"
		"migration runs in one transaction: the store is either migrated or left\n"
		"as it was. Running it again changes nothing.\n"
		"\n"
		"The store holds customers' names and ID numbers: it is created mode 0600\n"
		"(its -wal and -shm follow), and a store readable by others is made 0600.\n"
		"A new store has 16 KiB pages; one made by an earlier kasi keeps its own\n"
		"(see the README, \"The store\", to convert it).\n"
		"\n"
		"exit: 0 done, 66 the path is a directory, 74 I/O error, 75 locked by\n"
		"another run, 78 a store newer than this kasi, or a file that is not a\n"
		"kasi store (another application's database, or not a database)\n",
};

/* What a fact stored before kasi kept its meaning means: its schema's
 * kind rules applied to its raw values. */
static int fact_kind(void *c, const char *schema, const char *type, const char *status,
		     const char *reason, const char **kind, struct err *e)
{
	struct kasi_ctx *ctx = c;
	int rc = cmd_load_schemas(ctx, e);
	if (rc)
		return rc;
	const struct schema *s = schema_set_find(ctx->schemas, schema);
	if (!s)
		return err_set(e, KASI_ECONFIG,
			       "the store holds facts of schema %s, which is not in '%s': kasi "
			       "needs it to migrate them",
			       schema, ctx->schemas_dir);
	const char *values[CANON_COUNT] = { 0 };
	values[CANON_TYPE] = type;
	values[CANON_STATUS] = status;
	values[CANON_REASON] = reason;
	*kind = fact_kind_name(schema_fact_kind(s, values));
	return 0;
}

static int cmd_init_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cmd_print_help(&cmd_init);
	if (argc > 1)
		return cmd_usage_error(&cmd_init, "takes no arguments");
	struct err e = { 0 };
	int from;
	struct store_upgrade up = { ctx, fact_kind };
	int rc = store_init(ctx->db_path, &up, &from, &e);
	if (rc) {
		log_error("%s", e.msg);
		return -rc;
	}
	if (from == 0)
		printf("created store %s (version %d)\n", ctx->db_path, STORE_VERSION);
	else if (from < STORE_VERSION)
		printf("migrated store %s from version %d to %d\n", ctx->db_path, from,
		       STORE_VERSION);
	else
		printf("store %s is up to date (version %d)\n", ctx->db_path, STORE_VERSION);
	return KASI_OK;
}
