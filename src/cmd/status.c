/*
 * status.c — `kasi status`: what the store holds.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/json.h"
#include "core/log.h"
#include "core/money.h"
#include "core/text.h"
#include "stage/exception.h"

static int cmd_status_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_status = {
	.name = "status",
	.fn = cmd_status_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi status [--json]",
	.summary = "files, periods, discrepancies, settlement batches and their payouts",
	.help = "usage: kasi [--db PATH] status [--json]\n"
		"\n"
		"Show what the store holds: the files applied, by channel and date (and\n"
		"how many were rejected or skipped as duplicates); each period, when it\n"
		"was scheduled and reconciled, and whether it is OUT OF DATE (files that\n"
		"could change it applied, or voided, since it was reconciled: reconcile\n"
		"it again); the files voided (kasi void), with who, when and why;\n"
		"the discrepancies by period and code; and the latest settlement\n"
		"batches, each with its net and what became of its payout (instructed,\n"
		"in progress, paid, mismatch (with what it paid and the difference),\n"
		"rejected, or carried forward into a later batch).\n"
		"\n"
		"A store this user may only read is read: status, reports and explain\n"
		"work; what would write it says the store is read-only.\n"
		"\n"
		"  --json   all of it as one JSON document (docs/json.md), every batch\n"
		"\n"
		"exit: 0 shown, 64 usage, 66 no store, 74 I/O error, 75 locked by another\n"
		"run, 78 not a kasi store, or a store of another version\n",
};

/* The widths of the files' channel and schema columns: channels are data,
 * and so are their names' lengths. */
struct file_widths {
	int channel, schema;
	bool any;
};

static int measure_file_group(void *ctx, const struct store_file_summary *f)
{
	struct file_widths *w = ctx;
	int c = (int)strlen(f->channel ? f->channel : "reference"), s = (int)strlen(f->schema);
	w->channel = c > w->channel ? c : w->channel;
	w->schema = s > w->schema ? s : w->schema;
	w->any = true;
	return 0;
}

static int print_file_group(void *ctx, const struct store_file_summary *f)
{
	const struct file_widths *w = ctx;
	printf("  %-*s %-*s %-10s %4" PRId64 " %-5s %8" PRId64 " %-4s  %s\n", w->channel,
	       f->channel ? f->channel : "reference", w->schema, f->schema,
	       f->file_date ? f->file_date : "-", f->files,
	       cmd_plural((uint64_t)f->files, "file", "files"), f->rows,
	       cmd_plural((uint64_t)f->rows, "row", "rows"),
	       f->last_applied_at ? f->last_applied_at : "");
	return 0;
}

static int print_period(void *ctx, const struct store_period_summary *p)
{
	++*(int *)ctx;
	printf("  %s  scheduled %-20s %8" PRId64 " expected   reconciled %-20s %8" PRId64 " %s",
	       p->period, p->scheduled_at ? p->scheduled_at : "-", p->expected,
	       p->reconciled_at ? p->reconciled_at : "-", p->outcomes,
	       cmd_plural((uint64_t)p->outcomes, "outcome", "outcomes"));
	if (p->files_since_reconciled)
		printf("  OUT OF DATE: %" PRId64 " %s applied or voided since",
		       p->files_since_reconciled,
		       cmd_plural((uint64_t)p->files_since_reconciled, "file", "files"));
	printf("\n");
	return 0;
}

static int print_discrepancies(void *ctx, const struct store_discrepancy_count *c)
{
	++*(int *)ctx;
	printf("  %s  %-28s %-8s %8" PRId64 "\n", c->period, c->code, c->severity, c->count);
	return 0;
}

/* A mismatched payout: what it paid of what was instructed, and what
 * became of the difference. */
static void print_mismatch(const struct store_batch_row *b)
{
	char paid[MONEY_BUFSZ], amount[MONEY_BUFSZ], diff[MONEY_BUFSZ];
	int64_t left = b->payout_amount - b->amount_paid;
	money_format(b->amount_paid, paid);
	money_format(b->payout_amount, amount);
	money_format(left < 0 ? -left : left, diff);
	printf("payout %s mismatch: paid %s of %s on %s, %s %s: ", b->reference, paid, amount,
	       b->state_date ? b->state_date : "?", diff, left < 0 ? "over" : "short");
	if (b->carried_into)
		printf("carried forward into batch %" PRId64 "\n", b->carried_into);
	else
		printf("to be carried into the provider's next batch\n");
}

/* A settlement batch, and what became of its payout. A negative net, and
 * what a payout left owed, are carried forward into the provider's next
 * batch, which shows them as brought forward. */
static int print_batch(void *ctx, const struct store_batch_row *b)
{
	int *shown = ctx;
	if (++*shown > 20)
		return 0;
	char net[MONEY_BUFSZ];
	money_format(b->net, net);
	printf("  batch %-6" PRId64 " %s  %-12s net %12s  ", b->batch_id, b->through,
	       b->provider_code, net);
	if (!b->reference)
		printf("%s\n", b->net < 0 ? "no payout: carried forward" : "no payout");
	else if (!strcmp(b->state, "mismatch"))
		print_mismatch(b);
	else if (b->carried_into)
		printf("payout %s %s: carried forward into batch %" PRId64 "\n", b->reference,
		       b->state, b->carried_into);
	else
		printf("payout %s %s%s%s%s\n", b->reference, b->state, b->state_date ? " on " : "",
		       b->state_date ? b->state_date : "",
		       !strcmp(b->state, "rejected")
			       ? ": to be carried into the provider's next batch"
			       : "");
	return 0;
}

static int count_void(void *ctx, const struct store_voidable *f)
{
	(void)f;
	++*(int *)ctx;
	return 0;
}

/* A voided file: kept for the record, its rows counting for nothing. */
static int print_void(void *ctx, const struct store_voidable *f)
{
	char name[TEXT_NAME_BUFSZ], who[TEXT_NAME_BUFSZ], why[TEXT_NAME_BUFSZ];
	if (!(*(int *)ctx)++)
		printf("\nvoided files (kept, not counted):\n");
	printf("  file %-6" PRId64 " %s  %" PRId64 " %s, voided %s by %s: %s\n", f->file_id,
	       text_name(f->name, name), f->rows, cmd_plural((uint64_t)f->rows, "row", "rows"),
	       f->voided_at, text_name(f->voided_by, who), text_name(f->note, why));
	return 0;
}

/* ---- --json -------------------------------------------------------------- */

static int json_file_group(void *ctx, const struct store_file_summary *f)
{
	struct json *j = ctx;
	json_object(j, NULL);
	json_text(j, "channel", f->channel);
	json_text(j, "schema", f->schema);
	json_text(j, "file_date", f->file_date);
	json_int(j, "files", f->files);
	json_int(j, "rows", f->rows);
	json_text(j, "last_applied_at", f->last_applied_at);
	json_close(j, '}');
	return 0;
}

static int json_period(void *ctx, const struct store_period_summary *p)
{
	struct json *j = ctx;
	json_object(j, NULL);
	json_text(j, "period", p->period);
	json_text(j, "scheduled_at", p->scheduled_at);
	json_int(j, "expected", p->expected);
	json_text(j, "reconciled_at", p->reconciled_at);
	json_int(j, "outcomes", p->outcomes);
	json_bool(j, "out_of_date", p->files_since_reconciled > 0);
	json_int(j, "files_since_reconciled", p->files_since_reconciled);
	json_close(j, '}');
	return 0;
}

static int json_discrepancies(void *ctx, const struct store_discrepancy_count *c)
{
	struct json *j = ctx;
	json_object(j, NULL);
	json_text(j, "period", c->period);
	json_text(j, "code", c->code);
	json_text(j, "severity", c->severity);
	json_int(j, "count", c->count);
	json_close(j, '}');
	return 0;
}

static int json_void(void *ctx, const struct store_voidable *f)
{
	struct json *j = ctx;
	json_object(j, NULL);
	json_int(j, "file_id", f->file_id);
	json_text(j, "file", f->name);
	json_text(j, "channel", f->channel);
	json_int(j, "rows", f->rows);
	json_text(j, "voided_at", f->voided_at);
	json_text(j, "by", f->voided_by);
	json_text(j, "note", f->note);
	json_close(j, '}');
	return 0;
}

static int json_batch(void *ctx, const struct store_batch_row *b)
{
	struct json *j = ctx;
	json_object(j, NULL);
	json_int(j, "batch_id", b->batch_id);
	json_text(j, "through", b->through);
	json_text(j, "provider", b->provider_code);
	json_money(j, "net", b->net);
	if (b->reference) {
		json_object(j, "payout");
		json_text(j, "reference", b->reference);
		json_money(j, "amount", b->payout_amount);
		json_text(j, "state", b->state);
		json_text(j, "state_date", b->state_date);
		if (b->amount_paid >= 0)
			json_money(j, "amount_paid", b->amount_paid);
		else
			json_null(j, "amount_paid");
		if (b->carried_into)
			json_int(j, "carried_into", b->carried_into);
		else
			json_null(j, "carried_into");
		json_close(j, '}');
	} else {
		json_null(j, "payout");
	}
	json_close(j, '}');
	return 0;
}

/* One section: key, an array of what the store's each() gives fn. (A
 * macro: each store_each_X takes its own row type.) */
#define JSON_SECTION(j, key, store, each, fn, rc, e)      \
	do {                                              \
		json_array(j, key);                       \
		if (!(rc))                                \
			(rc) = each(store, fn, (j), (e)); \
		json_close(j, ']');                       \
	} while (0)

static int print_json(struct kasi_ctx *ctx, int64_t now, struct err *e)
{
	int64_t applied, rejected, duplicate;
	int voids = 0;
	int rc = store_file_outcome_counts(ctx->store, &applied, &rejected, &duplicate, e);
	if (!rc)
		rc = store_each_void(ctx->store, count_void, &voids, e);
	struct exception_list open = { 0 };
	if (!rc)
		rc = exception_list_build(ctx->store, NULL, false, now, &open, e);
	if (rc) {
		exception_list_release(&open);
		return rc;
	}
	/* Written to memory first: a failure halfway prints nothing. */
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f) {
		exception_list_release(&open);
		return err_sys(e, KASI_EIO, "out of memory");
	}
	struct json j;
	json_begin(&j, f);
	json_object(&j, NULL);
	json_text(&j, "store", ctx->db_path);
	json_object(&j, "files");
	json_int(&j, "applied", applied);
	json_int(&j, "rejected", rejected);
	json_int(&j, "duplicates", duplicate);
	json_int(&j, "voided", voids);
	JSON_SECTION(&j, "groups", ctx->store, store_each_applied_file_group, json_file_group, rc,
		     e);
	json_close(&j, '}');
	JSON_SECTION(&j, "voids", ctx->store, store_each_void, json_void, rc, e);
	JSON_SECTION(&j, "periods", ctx->store, store_each_period, json_period, rc, e);
	JSON_SECTION(&j, "discrepancies", ctx->store, store_each_discrepancy_count,
		     json_discrepancies, rc, e);
	json_object(&j, "exceptions");
	json_int(&j, "open", open.open);
	json_int(&j, "resolved", open.resolved);
	json_int(&j, "cleared", open.cleared);
	json_money(&j, "open_at_stake", open.at_stake);
	json_close(&j, '}');
	json_array(&j, "batches");
	if (!rc)
		rc = store_each_batch(ctx->store, NULL, json_batch, &j, e);
	json_close(&j, ']');
	json_close(&j, '}');
	json_end(&j);
	exception_list_release(&open);
	if (fclose(f) != 0 && !rc)
		rc = err_sys(e, KASI_EIO, "out of memory");
	if (!rc)
		fwrite(buf, 1, size, stdout);
	free(buf);
	return rc;
}

static int print_exceptions(struct kasi_ctx *ctx, int64_t now, struct err *e)
{
	struct exception_list open;
	int rc = exception_list_build(ctx->store, NULL, false, now, &open, e);
	if (!rc) {
		char stake[MONEY_BUFSZ];
		money_format(open.at_stake, stake);
		printf("\nexceptions: %" PRId64 " open (%s at stake), %" PRId64
		       " resolved, %" PRId64 " cleared (kasi exceptions)\n",
		       open.open, stake, open.resolved, open.cleared);
	}
	exception_list_release(&open);
	return rc;
}

static int cmd_status_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cmd_print_help(&cmd_status);
	bool json = argc > 1 && !strcmp(argv[1], "--json");
	if (argc > 2 || (argc == 2 && !json))
		return cmd_usage_error(&cmd_status, "unknown or unexpected '%s'",
				       argv[argc > 2 ? 2 : 1]);
	int status = cmd_begin(ctx, json);
	if (status)
		return status;
	struct err e = { 0 };
	int erc = json ? print_json(ctx, ctx->now, &e) : 0;
	if (erc || json)
		return cmd_finish(erc, json, &e);
	int64_t applied, rejected, duplicate;
	int voids = 0, voids_shown = 0;
	int rc = store_file_outcome_counts(ctx->store, &applied, &rejected, &duplicate, &e);
	if (!rc)
		rc = store_each_void(ctx->store, count_void, &voids, &e);
	if (!rc) {
		printf("store %s\n\nfiles: %" PRId64 " applied", ctx->db_path, applied);
		if (voids)
			printf(" (%d voided)", voids);
		printf(", %" PRId64 " rejected, %" PRId64 " skipped as %s\n", rejected, duplicate,
		       cmd_plural((uint64_t)duplicate, "a duplicate", "duplicates"));
		struct file_widths w = { 0, 0, false };
		rc = store_each_applied_file_group(ctx->store, measure_file_group, &w, &e);
		if (!rc && w.any)
			rc = store_each_applied_file_group(ctx->store, print_file_group, &w, &e);
	}
	if (!rc)
		rc = store_each_void(ctx->store, print_void, &voids_shown, &e);
	int periods = 0, codes = 0;
	if (!rc) {
		printf("\nperiods:\n");
		rc = store_each_period(ctx->store, print_period, &periods, &e);
		if (!rc && !periods)
			printf("  none\n");
	}
	if (!rc) {
		printf("\ndiscrepancies:\n");
		rc = store_each_discrepancy_count(ctx->store, print_discrepancies, &codes, &e);
		if (!rc && !codes)
			printf("  none\n");
	}
	if (!rc)
		rc = print_exceptions(ctx, ctx->now, &e);
	int batches = 0;
	if (!rc) {
		printf("\nsettlement batches (latest first):\n");
		rc = store_each_batch(ctx->store, NULL, print_batch, &batches, &e);
		if (!rc && batches > 20)
			printf("  ... and %d more\n", batches - 20);
		if (!rc && !batches)
			printf("  none\n");
	}
	if (rc) {
		log_error("%s", e.msg);
		return -rc;
	}
	return KASI_OK;
}
