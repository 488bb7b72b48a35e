/*
 * ingest.c — `kasi ingest FILE... [--schema NAME]`.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/text.h"
#include "core/log.h"
#include "io/input.h"
#include "stage/ingest.h"

#include <getopt.h>

static int cmd_ingest_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_ingest = {
	.name = "ingest",
	.fn = cmd_ingest_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi ingest FILE... [--schema NAME]",
	.summary = "validate a channel's file, then store its rows, all or nothing",
	.help = "usage: kasi ingest FILE... [--schema NAME]\n"
		"\n"
		"Validate FILE (a channel's daily file; the schema is picked by its name\n"
		"unless --schema names one) and store every row as a fact, in one\n"
		"transaction. Several FILEs are ingested in the order given, each in a\n"
		"transaction of its own, as if one by one:\n"
		"\n"
		"  invalid                    nothing is stored; the report is printed;\n"
		"                             FILE_REJECTED is recorded\n"
		"  content applied before     skipped: DUPLICATE_FILE (a header-only file\n"
		"                             carries nothing and is never a duplicate)\n"
		"  a transaction stored before  kept for the record but not counted:\n"
		"                             DUPLICATE_TRANSACTION (same content) or\n"
		"                             CONFLICTING_DUPLICATE (different content)\n"
		"  dated after the file       OUT_OF_PERIOD (stored and counted)\n"
		"\n"
		"A file's identity is the SHA-256 of its content, decompressed.\n"
		"\n"
		"exit: 0 applied cleanly, 1 applied or skipped with discrepancies,\n"
		"65 rejected, 66 FILE missing or no store, 74 I/O error, 75 store locked,\n"
		"78 a schema that is not a channel's; of several files, the worst (an\n"
		"I/O error or a locked store stops before the next file)\n",
};

/* Ingest one file and say how it went; its exit status. */
static int ingest_one(struct kasi_ctx *ctx, const char *path, const char *schema_name)
{
	struct err e = { 0 };
	int fd;
	int rc = input_open(path, &fd, &e);
	if (rc) {
		log_error("%s", e.msg);
		return -rc;
	}
	const struct schema *schema;
	rc = cmd_pick_schema(ctx, path, schema_name, &schema, &e);
	if (rc) {
		close(fd);
		log_error("%s", e.msg);
		return -rc;
	}
	struct ingest_result res;
	log_progress_begin(path);
	rc = ingest_file(ctx->store, schema, fd, path, &res, &e);
	log_progress_end();
	if (rc == -KASI_EIO) {
		/* A commit whose sync failed may still have reached the disk:
		 * either way the file is whole or absent, and a rerun knows. */
		log_error("%s: stopped: %s; the store holds all of the file or none of it: "
			  "run again once that is fixed",
			  path, e.msg);
		ingest_result_release(&res);
		return KASI_EIO;
	}
	if (rc) {
		log_error("%s", e.msg);
		ingest_result_release(&res);
		return -rc;
	}
	/* The path as typed, shown escaped (text_name): it cannot colour a terminal. */
	char shown[TEXT_NAME_BUFSZ], previous[TEXT_NAME_BUFSZ];
	text_name(path, shown);
	int status = res.discrepancies ? KASI_FINDINGS : KASI_OK;
	if (res.outcome == INGEST_REJECTED) {
		validation_print_text(&res.v, stdout);
		status = KASI_EDATA;
	}
	for (size_t i = 0; i < res.nnotes; i++) {
		const struct ingest_note *n = &res.notes[i];
		printf("%s: %s", shown, n->code);
		if (n->row)
			printf(" row %" PRIu64, n->row);
		if (*n->transaction_id)
			printf(" %s", n->transaction_id);
		printf(": %s\n", n->detail);
	}
	if (res.discrepancies > res.nnotes)
		printf("%s: ... and %" PRIu64 " more %s\n", shown, res.discrepancies - res.nnotes,
		       cmd_plural(res.discrepancies - res.nnotes, "discrepancy", "discrepancies"));
	switch (res.outcome) {
	case INGEST_REJECTED: printf("%s: rejected: nothing loaded\n", shown); break;
	case INGEST_APPLIED_BEFORE: /* not asked for here */
	case INGEST_DUPLICATE_FILE:
		printf("%s: skipped: a duplicate of %s\n", shown,
		       text_name(res.previous.name, previous));
		break;
	case INGEST_APPLIED:
		printf("%s: applied: %" PRIu64 " %s, %" PRIu64 " counted", shown, res.v.rows,
		       cmd_plural(res.v.rows, "row", "rows"), res.facts);
		if (res.duplicates || res.conflicts)
			printf(", %" PRIu64 " %s not counted", res.duplicates + res.conflicts,
			       cmd_plural(res.duplicates + res.conflicts, "duplicate",
					  "duplicates"));
		if (res.out_of_period)
			printf(", %" PRIu64 " out of period", res.out_of_period);
		printf("; schema %s, sha256 %.16s\n", schema->name, res.v.sha256);
		break;
	}
	ingest_result_release(&res);
	return status;
}

static int cmd_ingest_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "schema", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *schema_name = NULL;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (schema_name)
				return cmd_option_twice(&cmd_ingest, "--schema", schema_name,
							optarg);
			schema_name = optarg;
			break;
		case 'h': return cmd_print_help(&cmd_ingest);
		default:
			return cmd_usage_error(&cmd_ingest, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (argc - optind < 1)
		return cmd_usage_error(&cmd_ingest, "expected at least one FILE");
	int worst = cmd_begin(ctx, false);
	if (worst)
		return worst;
	for (int i = optind; i < argc; i++) {
		int status = ingest_one(ctx, argv[i], schema_name);
		worst = kasi_worse(worst, status);
		if (status == KASI_EIO || status == KASI_ELOCKED)
			break; /* the store is in trouble: the next files wait */
	}
	return worst;
}
