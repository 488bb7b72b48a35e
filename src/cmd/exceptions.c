/*
 * exceptions.c — `kasi exceptions`: the finance team's worklist.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/json.h"
#include "core/log.h"
#include "core/money.h"
#include "core/text.h"
#include "stage/exception.h"

#include <getopt.h>

static int cmd_exceptions_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_exceptions = {
	.name = "exceptions",
	.fn = cmd_exceptions_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi exceptions [--period YYYY-MM] [--all] [--json]\n"
		 "       kasi exceptions resolve ID --note TEXT\n"
		 "       kasi exceptions reopen ID --note TEXT",
	.summary = "the discrepancies still to be worked, oldest problems kept by their id",
	.help = "usage: kasi exceptions [--period YYYY-MM] [--all] [--json]\n"
		"       kasi exceptions resolve ID --note TEXT\n"
		"       kasi exceptions reopen ID --note TEXT\n"
		"\n"
		"Every discrepancy is an exception: a problem to be worked, with an id\n"
		"that stays the same across re-ingests, re-reconciles and nightly runs\n"
		"(the same period, code, channel and transaction id, else reference,\n"
		"else file). It was first seen when a run first raised it and last seen\n"
		"when one last did; one a reconcile no longer finds is cleared (kept,\n"
		"with the time).\n"
		"\n"
		"The list shows the open exceptions (of one period, with --period), the\n"
		"money at stake first: the difference between expected and actual when\n"
		"both are amounts, else the one that is, else the amount of the row that\n"
		"raised it or the amount it was for, the larger (a rejected payout: the\n"
		"amount instructed). Each has its age since first seen (0-1d, 2-7d,\n"
		"8-30d, >30d); the last lines count them, and their money, by age.\n"
		"\n"
		"  --period YYYY-MM  only that period's exceptions\n"
		"  --all             resolved and cleared ones too, with their status\n"
		"  --json            one JSON document (docs/exceptions.md has its shape)\n"
		"\n"
		"'resolve ID --note TEXT' records who ($USER), when and why: the\n"
		"exception is resolved, and stays so through every re-run, until its\n"
		"values (expected, actual) change: then it is open again by itself.\n"
		"'reopen ID --note TEXT' undoes a resolution made by mistake, recording\n"
		"who, when and why in the same way: the exception is open again (a\n"
		"cleared one stays cleared). Only a resolution that holds is undone: a\n"
		"refusal says why (never resolved, reopened already, or its values\n"
		"changed since it was resolved). Every resolution and reopening is kept\n"
		"(--all shows the latest).\n"
		"\n"
		"exit: 0 listed (or resolved, reopened), 64 usage, 65 a reopen refused,\n"
		"66 no store or no such exception, 74 I/O error, 75 locked, 78 a bad\n"
		"$KASI_NOW\n",
};

/* What an exception is about, in a word: its reference; a whole file's
 * problem, the file; a missing file, the day it was due for. */
static const char *subject_of(const struct store_exception *x)
{
	return x->reference	   ? x->reference
	       : x->transaction_id ? "-"
	       : x->file	   ? x->file
	       : x->expected	   ? x->expected
				   : "-";
}

/* The list's columns, each as wide as its widest value shown (a file's
 * name, a long code, a large amount, a long first seen), so that the
 * columns stay aligned. */
enum { COL_CODE, COL_CHANNEL, COL_SUBJECT, COL_TXN, NCOLS };
struct columns {
	char text[NCOLS][TEXT_NAME_BUFSZ]; /* the item's values, shown escaped */
	int width[NCOLS];
	int stake_width; /* the money at stake, right-aligned */
	int seen_width;	 /* first seen, when another column follows it */
};

/* Text from files and people is shown escaped: it cannot move the cursor,
 * turn the line around or ring the terminal's bell. */
static void item_columns(const struct store_exception *x, struct columns *c)
{
	text_name(x->code, c->text[COL_CODE]);
	text_name(*x->channel ? x->channel : "-", c->text[COL_CHANNEL]);
	text_name(subject_of(x), c->text[COL_SUBJECT]);
	text_name(x->transaction_id ? x->transaction_id : "-", c->text[COL_TXN]);
}

/* Its width on a terminal: a code point a column. */
static int shown_width(const char *s)
{
	uint32_t cps = 0;
	text_scan(s, strlen(s), &cps);
	return (int)cps;
}

/* printf's "%-*s" for a text of width w in a column of width `column`:
 * the bytes to pad to, as printf counts bytes. */
static int pad(const char *s, int column)
{
	return column + (int)strlen(s) - shown_width(s);
}

static void print_item(const struct exception_item *it, bool all, struct columns *c)
{
	const struct store_exception *x = &it->x;
	char stake[MONEY_BUFSZ];
	money_format(it->at_stake, stake);
	char who[TEXT_NAME_BUFSZ], note[TEXT_NAME_BUFSZ];
	item_columns(x, c);
	printf("%6" PRId64 "  %s  ", x->id, x->period);
	for (int k = 0; k < NCOLS; k++)
		printf("%-*s ", pad(c->text[k], c->width[k]), c->text[k]);
	printf("%*s  %-5s ", c->stake_width, stake, exception_age_name(it->age));
	if (all)
		printf("%-*s  %s", pad(x->first_seen, c->seen_width), x->first_seen, it->status);
	else
		printf("%s", x->first_seen);
	printf("\n");
	if (all && x->resolved_at)
		printf("        %s by %s on %s: %s\n",
		       x->reopened   ? "reopened"
		       : x->resolved ? "resolved"
				     : "resolved (values changed since)",
		       text_name(x->resolved_by, who), x->resolved_at, text_name(x->note, note));
}

static void print_list(const struct exception_list *l, const char *period, bool all)
{
	char stake[MONEY_BUFSZ];
	money_format(l->at_stake, stake);
	printf("exceptions%s%s: %" PRId64 " open, %" PRId64 " resolved, %" PRId64
	       " cleared; %zu listed, %s at stake\n",
	       period ? " " : "", period ? period : "", l->open, l->resolved, l->cleared, l->n,
	       stake);
	if (!l->n)
		return;
	static const char *const heads[NCOLS] = { "code", "channel", "reference/file",
						  "transaction_id" };
	struct columns *c = malloc(sizeof(*c));
	if (!c)
		return;
	for (int k = 0; k < NCOLS; k++)
		c->width[k] = (int)strlen(heads[k]);
	c->stake_width = 12;
	c->seen_width = (int)strlen("first seen");
	for (size_t i = 0; i < l->n; i++) {
		const struct exception_item *it = &l->items[i];
		item_columns(&it->x, c);
		for (int k = 0; k < NCOLS; k++)
			if (shown_width(c->text[k]) > c->width[k])
				c->width[k] = shown_width(c->text[k]);
		int w = (int)money_format(it->at_stake, stake);
		if (w > c->stake_width)
			c->stake_width = w;
		w = shown_width(it->x.first_seen);
		if (w > c->seen_width)
			c->seen_width = w;
	}
	printf("\n%6s  %-7s  ", "id", "period");
	for (int k = 0; k < NCOLS; k++)
		printf("%-*s ", c->width[k], heads[k]);
	printf("%*s  %-5s ", c->stake_width, "at stake", "age");
	if (all)
		printf("%-*s  status\n", c->seen_width, "first seen");
	else
		printf("first seen\n");
	for (size_t i = 0; i < l->n; i++)
		print_item(&l->items[i], all, c);
	free(c);
	printf("\nby age:");
	for (int a = 0; a <= EXCEPTION_AGES; a++) {
		if (a == EXCEPTION_AGES && !l->by_age[a].count)
			break;
		money_format(l->by_age[a].at_stake, stake);
		printf("%s %s %" PRId64 " (%s)", a ? "," : "",
		       exception_age_name((enum exception_age)a), l->by_age[a].count, stake);
	}
	printf("\n");
}

static void json_item(struct json *j, const struct exception_item *it)
{
	const struct store_exception *x = &it->x;
	json_object(j, NULL);
	json_int(j, "id", x->id);
	const char *text[][2] = { { "status", it->status },
				  { "period", x->period },
				  { "code", x->code },
				  { "severity", x->severity },
				  { "channel", *x->channel ? x->channel : NULL },
				  { "reference", x->reference },
				  { "transaction_id", x->transaction_id },
				  { "file", x->file },
				  { "expected", x->expected },
				  { "actual", x->actual },
				  { "detail", x->detail },
				  { "first_seen", x->first_seen },
				  { "last_seen", x->last_seen },
				  { "age", exception_age_name(it->age) },
				  { "cleared_at", x->cleared_at } };
	for (size_t i = 0; i < ARRAY_SIZE(text); i++)
		json_text(j, text[i][0], text[i][1]);
	if (x->row)
		json_int(j, "row", (int64_t)x->row);
	else
		json_null(j, "row");
	json_money(j, "at_stake", it->at_stake);
	if (x->resolved_at) {
		json_object(j, "resolution");
		json_text(j, "by", x->resolved_by);
		json_text(j, "at", x->resolved_at);
		json_text(j, "note", x->note);
		json_bool(j, "holds", x->resolved);
		json_bool(j, "reopened", x->reopened);
		json_close(j, '}');
	} else {
		json_null(j, "resolution");
	}
	json_close(j, '}');
}

static void print_json(const struct exception_list *l, const char *period)
{
	struct json j;
	json_begin(&j, stdout);
	json_object(&j, NULL);
	json_text(&j, "period", period);
	json_int(&j, "open", l->open);
	json_int(&j, "resolved", l->resolved);
	json_int(&j, "cleared", l->cleared);
	json_money(&j, "at_stake", l->at_stake);
	json_object(&j, "by_age");
	for (int a = 0; a <= EXCEPTION_AGES; a++) {
		if (a == EXCEPTION_AGES && !l->by_age[a].count)
			break;
		json_object(&j, exception_age_name((enum exception_age)a));
		json_int(&j, "count", l->by_age[a].count);
		json_money(&j, "at_stake", l->by_age[a].at_stake);
		json_close(&j, '}');
	}
	json_close(&j, '}');
	json_array(&j, "exceptions");
	for (size_t i = 0; i < l->n; i++)
		json_item(&j, &l->items[i]);
	json_close(&j, ']');
	json_close(&j, '}');
	json_end(&j);
}

struct stale_check {
	const char *period; /* NULL: every period */
};

/* A period out of date holds discrepancies a reconcile would change: its
 * exceptions are listed as they stood, and said so. */
static int warn_stale(void *ctx, const struct store_period_summary *p)
{
	const struct stale_check *c = ctx;
	if (p->files_since_reconciled && (!c->period || !strcmp(c->period, p->period)))
		log_warn("period %s is out of date (%" PRId64
			 " %s applied or voided since its reconcile): "
			 "its exceptions are as that reconcile left them; run 'kasi reconcile "
			 "--period %s'",
			 p->period, p->files_since_reconciled,
			 cmd_plural((uint64_t)p->files_since_reconciled, "file", "files"),
			 p->period);
	return 0;
}

static int list_exceptions(int argc, char **argv, struct kasi_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "period", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *period = NULL;
	bool all = false, json = false;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h')
			return cmd_print_help(&cmd_exceptions);
		if (c == 'p' && period)
			return cmd_option_twice(&cmd_exceptions, "--period", period, optarg);
		if (c == 'p')
			period = optarg;
		else if (c == 'a')
			all = true;
		else if (c == 'j')
			json = true;
		else
			return cmd_usage_error(&cmd_exceptions, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
	}
	if (optind < argc)
		return cmd_usage_error(&cmd_exceptions, "unexpected '%s'", argv[optind]);
	int32_t p;
	if (period && period_parse(period, strlen(period), &p) != DATE_OK)
		return cmd_usage_error(&cmd_exceptions, "--period must be YYYY-MM, got '%s'",
				       period);
	int status = cmd_begin(ctx, json);
	if (status)
		return status;
	struct err e = { 0 };
	struct exception_list l = { 0 };
	int rc = exception_list_build(ctx->store, period, all, ctx->now, &l, &e);
	struct stale_check stale = { .period = period };
	if (!rc)
		rc = store_each_period(ctx->store, warn_stale, &stale, &e);
	if (!rc && json)
		print_json(&l, period);
	else if (!rc)
		print_list(&l, period, all);
	exception_list_release(&l);
	return cmd_finish(rc, json, &e);
}

static int print_resolved(void *ctx, const struct store_exception *x)
{
	(void)ctx;
	char subject[TEXT_NAME_BUFSZ], txn[TEXT_NAME_BUFSZ], who[TEXT_NAME_BUFSZ],
		note[TEXT_NAME_BUFSZ];
	printf("exception %" PRId64 " (%s %s %s %s%s%s, %s) %s by %s: %s\n", x->id, x->period,
	       x->code, *x->channel ? x->channel : "-", text_name(subject_of(x), subject),
	       x->transaction_id ? " " : "",
	       x->transaction_id ? text_name(x->transaction_id, txn) : "",
	       exception_status(x->cleared_at, x->resolved), x->reopened ? "reopened" : "resolved",
	       text_name(x->resolved_by, who), text_name(x->note, note));
	return 0;
}

/* kasi exceptions resolve|reopen ID --note TEXT (verb argv[0]). */
static int resolve_exception(int argc, char **argv, struct kasi_ctx *ctx)
{
	bool reopen = !strcmp(argv[0], "reopen");
	static const struct option longopts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *note = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h')
			return cmd_print_help(&cmd_exceptions);
		if (c == 'n' && note)
			return cmd_option_twice(&cmd_exceptions, "--note", note, optarg);
		if (c != 'n')
			return cmd_usage_error(&cmd_exceptions, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		note = optarg;
	}
	if (argc - optind != 1)
		return cmd_usage_error(&cmd_exceptions, "%s takes one exception ID", argv[0]);
	char *end;
	errno = 0;
	const char *given = argv[optind];
	long long id = strtoll(given, &end, 10);
	if (errno || *end || end == given || id <= 0 || given[0] < '1' || given[0] > '9')
		return cmd_usage_error(&cmd_exceptions, "an exception ID is a number, got '%s'",
				       argv[optind]);
	char masked[CMD_NOTE_BUFSZ];
	int status = cmd_note(&cmd_exceptions, argv[0],
			      reopen ? "why it is open again" : "why it is resolved", note, masked);
	if (status || (status = cmd_begin(ctx, false)))
		return status;
	struct err e = { 0 };
	int rc = store_exception_resolve(ctx->store, id, cmd_operator(), masked, reopen, &e);
	if (!rc) {
		int found = store_exception_find(ctx->store, id, print_resolved, NULL, &e);
		rc = found < 0 ? found : 0;
	}
	return cmd_finish(rc, false, &e);
}

static int cmd_exceptions_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	if (argc > 1 && (!strcmp(argv[1], "resolve") || !strcmp(argv[1], "reopen")))
		return resolve_exception(argc - 1, argv + 1, ctx);
	return list_exceptions(argc, argv, ctx);
}
