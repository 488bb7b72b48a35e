/*
 * void.c — `kasi void FILE --note TEXT [--json]`: withdraw an applied file.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/json.h"
#include "core/log.h"
#include "core/money.h"
#include "core/text.h"
#include "stage/void.h"

#include <getopt.h>

static int cmd_void_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_void = {
	.name = "void",
	.fn = cmd_void_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi void FILE --note TEXT [--json]\n"
		 "       kasi void --file-id N --note TEXT [--json]",
	.summary = "withdraw a partner's wrong file: its rows stop counting, kept for the record",
	.help = "usage: kasi void FILE --note TEXT [--json]\n"
		"       kasi void --file-id N --note TEXT [--json]\n"
		"\n"
		"A partner sent a wrong file and will send a corrected one. Voiding the\n"
		"applied file (by its name, as `kasi status` lists it; a path is read as\n"
		"its base name) keeps it and its rows for the record, with who voided it\n"
		"($USER), when and why (--note), and takes its rows out of everything\n"
		"that counts:\n"
		"  - no reconciliation reads them: every reconciled period they could\n"
		"    change is out of date until it is reconciled again;\n"
		"  - their transaction ids are free: the corrected file's rows with the\n"
		"    same ids apply as new, not as repeats; the same bytes may be\n"
		"    applied again; a row of a later file stored as a repeat of one of\n"
		"    its rows counts in its place (the corrected file came first);\n"
		"  - the discrepancies its ingest raised, and the repeats of its rows\n"
		"    raised, are dropped, their exceptions cleared;\n"
		"  - a collection of the file that a settlement paid over already is\n"
		"    taken back from its provider by the next settlement, once, less\n"
		"    the fee it was charged (unless a reversal clawed it back already);\n"
		"  - a reversal of the file that a settlement clawed back already, whose\n"
		"    collection still counts, is given back by the next settlement, once,\n"
		"    less the fee it took off; the collection can be clawed back again\n"
		"    by a reversal that counts.\n"
		"(The next settlement: through a day after the last one's.)\n"
		"`kasi explain` and `kasi status` show the void. It is one transaction:\n"
		"the file is voided whole or not at all.\n"
		"\n"
		"Only a channel's file can be voided: a register (products, policies,\n"
		"ledger) is corrected by loading it again, and payout confirmations\n"
		"answer for money that left.\n"
		"\n"
		"  --note TEXT     why (one line; runs of 9 or more digits are masked)\n"
		"  --file-id N     the applied file of that id, when several share a name\n"
		"  --json          the result as one JSON document (docs/json.md)\n"
		"\n"
		"exit: 0 voided, 64 usage, 65 voided already, several files of that name,\n"
		"a register or payout file, 66 no store or no such applied file,\n"
		"74/75 store trouble\n",
};

static void print_money_line(const char *what, int64_t n, const char *one, const char *many,
			     int64_t cents, const char *then)
{
	char money[MONEY_BUFSZ];
	money_format(cents, money);
	printf("  %s: %" PRId64 " %s, %s: %s\n", what, n, cmd_plural((uint64_t)n, one, many), money,
	       then);
}

static void print_summary(const struct void_summary *v, const char *by)
{
	char name[TEXT_NAME_BUFSZ], who[TEXT_NAME_BUFSZ];
	const struct store_void_result *d = &v->done;
	printf("voided %s (file %" PRId64 ") by %s: %" PRId64 " %s withdrawn (%" PRId64
	       " %s, %" PRId64 " %s counted)\n",
	       text_name(v->name, name), v->file_id, text_name(by, who), d->facts,
	       cmd_plural((uint64_t)d->facts, "row", "rows"), d->collections,
	       cmd_plural((uint64_t)d->collections, "collection", "collections"), d->reversals,
	       cmd_plural((uint64_t)d->reversals, "reversal", "reversals"));
	if (d->repeats_counted)
		printf("  %" PRId64 " %s of later files that repeated its rows %s in their place\n",
		       d->repeats_counted, cmd_plural((uint64_t)d->repeats_counted, "row", "rows"),
		       d->repeats_counted == 1 ? "counts" : "count");
	if (d->counted_repeat)
		printf("  %" PRId64 " %s of later files that counted %s now a repeat of a row "
		       "that came before %s\n",
		       d->counted_repeat, cmd_plural((uint64_t)d->counted_repeat, "row", "rows"),
		       d->counted_repeat == 1 ? "is" : "are",
		       d->counted_repeat == 1 ? "it" : "them");
	if (d->exceptions_cleared)
		printf("  %" PRId64
		       " %s its ingest raised cleared (kasi exceptions --all keeps them)\n",
		       d->exceptions_cleared,
		       cmd_plural((uint64_t)d->exceptions_cleared, "exception", "exceptions"));
	if (d->settled_collections)
		print_money_line(
			"paid over already", d->settled_collections, "collection", "collections",
			d->settled_collected,
			"taken back by the next settlement, once its period is reconciled");
	if (d->settled_reversals)
		print_money_line(
			"clawed back already", d->settled_reversals, "reversal", "reversals",
			d->settled_reversed,
			"given back by the next settlement, once its period is reconciled");
	if (!v->nperiods) {
		printf("  no reconciled period is affected\n");
		return;
	}
	printf("  out of date now:");
	for (size_t i = 0; i < v->nperiods && i < VOID_PERIODS_MAX; i++)
		printf(" %s", v->periods[i]);
	if (v->nperiods > VOID_PERIODS_MAX)
		printf(" (and %zu more)", v->nperiods - VOID_PERIODS_MAX);
	printf("\n  next:");
	for (size_t i = 0; i < v->nperiods && i < VOID_PERIODS_MAX; i++)
		printf("%s kasi reconcile --period %s", i ? ";" : "", v->periods[i]);
	printf("\n");
}

/* The result as one JSON document (docs/json.md). */
static void print_json(const struct void_summary *v, const char *by, const char *note)
{
	const struct store_void_result *d = &v->done;
	struct json j;
	json_begin(&j, stdout);
	json_object(&j, NULL);
	json_int(&j, "file_id", v->file_id);
	json_text(&j, "file", v->name);
	json_int(&j, "void_id", d->void_id);
	json_text(&j, "by", by);
	json_text(&j, "note", note);
	json_int(&j, "rows", d->facts);
	json_int(&j, "collections", d->collections);
	json_int(&j, "reversals", d->reversals);
	json_int(&j, "repeats_counted", d->repeats_counted);
	json_int(&j, "counted_now_repeats", d->counted_repeat);
	json_int(&j, "exceptions_cleared", d->exceptions_cleared);
	json_object(&j, "paid_over");
	json_int(&j, "collections", d->settled_collections);
	json_money(&j, "amount", d->settled_collected);
	json_close(&j, '}');
	json_object(&j, "clawed_back");
	json_int(&j, "reversals", d->settled_reversals);
	json_money(&j, "amount", d->settled_reversed);
	json_close(&j, '}');
	json_array(&j, "out_of_date");
	for (size_t i = 0; i < v->nperiods && i < VOID_PERIODS_MAX; i++)
		json_text(&j, NULL, v->periods[i]);
	json_close(&j, ']');
	json_int(&j, "periods_out_of_date", (int64_t)v->nperiods);
	json_close(&j, '}');
	json_end(&j);
}

/* --file-id N: a positive number. */
static bool parse_file_id(const char *given, int64_t *id)
{
	char *end;
	errno = 0;
	long long v = strtoll(given, &end, 10);
	if (errno || *end || end == given || v <= 0 || given[0] < '1' || given[0] > '9')
		return false;
	*id = v;
	return true;
}

static int cmd_void_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ "file-id", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *note = NULL, *file_id = NULL;
	bool json = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h')
			return cmd_print_help(&cmd_void);
		if (c == 'j') {
			json = true;
		} else if (c == 'n' || c == 'f') {
			const char **slot = c == 'n' ? &note : &file_id;
			if (*slot)
				return cmd_option_twice(&cmd_void,
							c == 'n' ? "--note" : "--file-id", *slot,
							optarg);
			*slot = optarg;
		} else {
			return cmd_usage_error(&cmd_void, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	int operands = argc - optind;
	if (operands > 1 || (operands == 1) == (file_id != NULL))
		return cmd_usage_error(&cmd_void, "void takes one FILE, or --file-id N");
	struct void_request q = { .by = cmd_operator() };
	if (file_id && !parse_file_id(file_id, &q.file_id))
		return cmd_usage_error(&cmd_void, "--file-id is a file's number, got '%s'",
				       file_id);
	char masked[CMD_NOTE_BUFSZ];
	int status = cmd_note(&cmd_void, "void", "why the file is withdrawn", note, masked);
	if (status || (status = cmd_begin(ctx, json)))
		return status;
	q.note = masked;
	if (!file_id) { /* its base name, whole (a path is never cut short) */
		const char *slash = strrchr(argv[optind], '/');
		q.name = slash ? slash + 1 : argv[optind];
	}
	struct err e = { 0 };
	struct void_summary v;
	int rc = cmd_load_schemas(ctx, &e);
	q.schemas = ctx->schemas;
	if (!rc)
		rc = void_file(ctx->store, &q, &v, &e);
	if (!rc && json)
		print_json(&v, q.by, q.note);
	else if (!rc)
		print_summary(&v, q.by);
	return cmd_finish(rc, json, &e);
}
