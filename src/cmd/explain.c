/*
 * explain.c — `kasi explain POLICY --period YYYY-MM`: every fact and rule
 * behind one outcome.
 *
 * The story is told by the same computation reconcile runs (traced for
 * this one policy, reading only), so it cannot disagree with the outcome
 * it explains; when the stored outcome differs (facts arrived since the
 * last reconciliation), it says so.
 */
#include "core/common.h"
#include "cmd/cmd.h"
#include "core/dates.h"
#include "core/log.h"
#include "core/money.h"
#include "core/text.h"
#include "stage/reconcile.h"

static int cmd_explain_fn(int argc, char **argv, struct kasi_ctx *ctx);

const struct command cmd_explain = {
	.name = "explain",
	.fn = cmd_explain_fn,
	.flags = CMD_NEEDS_DB,
	.usage = "kasi explain POLICY --period YYYY-MM",
	.summary = "every fact and rule behind one policy's outcome",
	.help = "usage: kasi explain POLICY --period YYYY-MM\n"
		"\n"
		"Explain a policy's outcome for a period: what was expected and where it\n"
		"came from; every fact counted (channel, file, row, transaction, date,\n"
		"amount) and every reversal and what it reversed; what was pending or\n"
		"failed and why; the discrepancies its rows raised; the rule that decided\n"
		"the status; in which settlement batch each of its collections and\n"
		"reversals was paid over or clawed back; and the policy's change history.\n"
		"\n"
		"exit: 0 explained, 64 usage, 65 no such policy or period not scheduled,\n"
		"66 no store\n",
};

struct story {
	struct store *store;
	struct err *e;
	const char *period;
	int64_t policy_id;
	char number[64];
	int lines;
	char rule[512];
};

static const char *kind_word(enum trace_kind k)
{
	switch (k) {
	case TRACE_COLLECTION: return "collected";
	case TRACE_REVERSAL: return "reversed";
	case TRACE_PENDING: return "pending";
	case TRACE_FAILURE: return "failed";
	case TRACE_NOT_COUNTED: return "not counted";
	case TRACE_DISCREPANCY: return "discrepancy";
	case TRACE_RULE: return "rule";
	}
	return "?";
}

static void on_trace(void *ctx, const struct trace_event *ev)
{
	struct story *s = ctx;
	if (ev->kind == TRACE_RULE) {
		snprintf(s->rule, sizeof(s->rule), "%s", ev->detail);
		return;
	}
	char file[512] = "", amount[MONEY_BUFSZ] = "";
	if (ev->file_id)
		store_file_name(s->store, ev->file_id, file, s->e);
	if (ev->has_amount)
		money_format(ev->amount, amount);
	printf("  %-11s %12s  %-9s %s", kind_word(ev->kind), amount, ev->channel ? ev->channel : "",
	       ev->date ? ev->date : "");
	if (*file)
		printf("  %s row %" PRIu64, file, ev->row);
	if (ev->transaction_id)
		printf("  %s", ev->transaction_id);
	printf("\n              %s\n", ev->detail);
	s->lines++;
}

static int print_policy(void *ctx, const struct store_policy_row *p)
{
	struct story *s = ctx;
	char premium[MONEY_BUFSZ];
	money_format(p->premium, premium);
	s->policy_id = p->policy_id;
	snprintf(s->number, sizeof(s->number), "%s", p->policy_number);
	printf("%s (%s), period %s\n", p->policy_number, p->product_code, s->period);
	printf("  the policy: %s", p->channel);
	if (p->collection_ref)
		printf(", collection_ref %s", p->collection_ref);
	if (p->cash_code)
		printf(", cash payment code %s", p->cash_code);
	printf("; premium %s; %s since %s", premium, p->status, p->start_date);
	if (p->cancel_date)
		printf(", cancel date %s", p->cancel_date);
	printf("\n");
	return 0;
}

static int print_change(void *ctx, const struct store_policy_change *c)
{
	(void)ctx;
	/* Personal fields show only their last characters, as everywhere. */
	bool personal = !strcmp(c->field, "id_number") || !strcmp(c->field, "customer_name");
	char old[TEXT_RENDER_BUFSZ] = "", new[TEXT_RENDER_BUFSZ] = "";
	if (c->amount) {
		/* Money in rands, as everywhere: "300.00", not 30000 cents. */
		_Static_assert(TEXT_RENDER_BUFSZ >= MONEY_BUFSZ, "room for an amount");
		money_format(c->old_amount, old);
		money_format(c->new_amount, new);
	} else {
		if (c->old_value)
			text_render(c->old_value, strlen(c->old_value), personal, old, sizeof(old));
		if (c->new_value)
			text_render(c->new_value, strlen(c->new_value), personal, new, sizeof(new));
	}
	/* Who, as a void's "by": escaped, a number in it masked when kept. */
	char who[TEXT_NAME_BUFSZ];
	const char *by = c->by ? text_name(c->by, who) : "(not recorded)";
	if (!strcmp(c->field, "policy"))
		printf("  %s  created, from %s, by %s\n", c->changed_at, c->file, by);
	else
		printf("  %s  %s: %s -> %s, from %s, by %s\n", c->changed_at, c->field,
		       c->old_value ? old : "(none)", c->new_value ? new : "(none)", c->file, by);
	return 0;
}

struct stored {
	bool found;
	char status[32], reason[64];
	int64_t collected;
};

static int keep_outcome(void *ctx, const struct store_outcome_row *o)
{
	struct stored *st = ctx;
	st->found = true;
	snprintf(st->status, sizeof(st->status), "%s", o->status);
	snprintf(st->reason, sizeof(st->reason), "%s", o->reason ? o->reason : "");
	st->collected = o->collected;
	return 0;
}

/* A row of a voided file that names the policy: shown, never counted. */
static int print_withdrawn(void *ctx, const struct store_withdrawn *w)
{
	char txn[TEXT_NAME_BUFSZ], file[TEXT_NAME_BUFSZ], who[TEXT_NAME_BUFSZ],
		why[TEXT_NAME_BUFSZ], amount[MONEY_BUFSZ];
	if (!(*(int *)ctx)++)
		printf("\n  withdrawn (rows of voided files, not counted):\n");
	money_format(w->amount < 0 ? -w->amount : w->amount, amount);
	printf("  %s %s %s %s, %s row %" PRId64 ": voided %s by %s: %s\n", w->business_date,
	       *w->kind ? w->kind : "-", amount, text_name(w->transaction_id, txn),
	       text_name(w->file, file), w->row, w->voided_at, text_name(w->voided_by, who),
	       text_name(w->note, why));
	return 0;
}

/* The rows of voided files dated in the period that name the policy. */
static int print_withdrawn_facts(struct store *store, int64_t policy_id, const char *period,
				 struct err *e)
{
	int32_t p;
	char first[DATE_BUFSZ], last[DATE_BUFSZ];
	int n = 0;
	if (period_parse(period, strlen(period), &p) != DATE_OK)
		return 0;
	date_format_iso(period_first_day(p), first);
	date_format_iso(period_last_day(p), last);
	return store_each_withdrawn_fact(store, policy_id, first, last, print_withdrawn, &n, e);
}

/* A discrepancy ingest raised of a row naming the policy (a repeat, a
 * row dated after its file): reconciling raises none of these again. */
static int print_ingest_discrepancy(void *ctx, const struct store_discrepancy_row *d)
{
	char file[TEXT_NAME_BUFSZ], txn[TEXT_NAME_BUFSZ], detail[TEXT_NAME_BUFSZ];
	if (!(*(int *)ctx)++)
		printf("\n  raised when its rows were applied:\n");
	printf("  %s (%s)", d->code, d->severity);
	if (*d->file)
		printf("  %s row %" PRIu64, text_name(d->file, file), d->row);
	if (d->transaction_id && *d->transaction_id)
		printf("  %s", text_name(d->transaction_id, txn));
	/* (Its detail was masked when it was raised.) */
	printf("\n              %s\n", text_name(d->detail, detail));
	return 0;
}

static int print_ingest_discrepancies(struct store *store, const char *period, const char *number,
				      struct err *e)
{
	int n = 0;
	return store_each_ingest_discrepancy_of(store, period, number, print_ingest_discrepancy, &n,
						e);
}

static int print_line(void *ctx, const struct store_line_row *l, const char *through)
{
	int *n = ctx;
	char amount[MONEY_BUFSZ], fee[MONEY_BUFSZ], net[MONEY_BUFSZ];
	money_format(l->amount, amount);
	if (!(*n)++)
		printf("\n  settlement of its money (as last reconciled):\n");
	printf("  %-10s %12s  %s  %s  ", l->kind, amount, l->business_date,
	       l->transaction_id ? l->transaction_id : "");
	if (!l->batch_id) {
		printf("not settled yet\n");
		return 0;
	}
	money_format(l->fee, fee);
	money_format(l->net, net);
	printf("batch %" PRId64 " through %s, to %s: fee %s, net %s%s\n", l->batch_id, through,
	       l->provider_code, fee, net,
	       l->uncounted == 1   ? " (a row of a voided file)"
	       : l->uncounted == 2 ? " (a row a void made a repeat)"
				   : "");
	if (l->settled_as)
		printf("  %-10s %12s  clawed back as %s, the row that reversed it then\n", "", "",
		       l->settled_as);
	return 0;
}

/* In which batch each of the policy's movements of the period was settled. */
static int print_settlement(struct store *store, int64_t policy_id, const char *period,
			    struct err *e)
{
	int n = 0;
	return store_each_policy_line(store, policy_id, period, print_line, &n, e);
}

static int cmd_explain_fn(int argc, char **argv, struct kasi_ctx *ctx)
{
	const char *period;
	int status;
	if (!cmd_period_args(&cmd_explain, argc, argv, 1, "one POLICY number", &period, NULL,
			     &status))
		return status;
	if ((status = cmd_begin(ctx, false)))
		return status;
	const char *number = argv[optind];

	/* Every refusal comes before the first line of the story: half a
	 * story, then an error, reads as an explanation. */
	struct err e = { 0 };
	struct store_period sp;
	int found = store_period_get(ctx->store, period, &sp, &e);
	if (found <= 0) {
		if (!found)
			err_set(&e, KASI_EDATA,
				"period %s is not scheduled (run 'kasi schedule --period %s')",
				period, period);
		log_error("%s", e.msg);
		return found ? -found : KASI_EDATA;
	}
	struct story s = { .store = ctx->store, .e = &e, .period = period };
	found = store_policy_find(ctx->store, number, print_policy, &s, &e);
	if (found <= 0) {
		if (!found)
			err_set(&e, KASI_EDATA, "no policy numbered '%s'", number);
		log_error("%s", e.msg);
		return found ? -found : KASI_EDATA;
	}

	int64_t expected;
	int scheduled = store_expected_find(ctx->store, period, s.policy_id, &expected, &e);
	if (scheduled < 0) {
		log_error("%s", e.msg);
		return -scheduled;
	}
	char amount[MONEY_BUFSZ];
	if (scheduled) {
		money_format(expected, amount);
		printf("  expected %s: the premium when %s was scheduled\n", amount, period);
	} else {
		printf("  not expected in %s: the policy was not active in it when the period was\n"
		       "  scheduled (lapsed, cancelled before it, or not started); money for it still\n"
		       "  counts\n",
		       period);
	}

	struct reasons *reasons = NULL;
	int rc = cmd_load_schemas(ctx, &e);
	if (!rc)
		rc = reasons_load(&reasons, ctx->schemas, &e);
	printf("\n  what counted, in order:\n");
	struct reconcile_opts opts = { .trace_policy_id = s.policy_id,
				       .trace = on_trace,
				       .trace_ctx = &s };
	struct reconcile_summary sum;
	if (!rc)
		rc = reconcile_period(ctx->store, ctx->schemas, reasons, period, &opts, &sum, &e);
	reasons_free(reasons);
	if (rc) {
		log_error("%s", e.msg);
		return -rc;
	}
	if (!s.lines)
		printf("  nothing: no fact of the period names this policy\n");
	if ((rc = print_ingest_discrepancies(ctx->store, period, s.number, &e)) ||
	    (rc = print_withdrawn_facts(ctx->store, s.policy_id, period, &e))) {
		log_error("%s", e.msg);
		return -rc;
	}
	if (scheduled) {
		printf("\n  outcome: %s\n", s.rule);
		struct stored st = { 0 };
		if (store_outcome_find(ctx->store, period, s.policy_id, keep_outcome, &st, &e) <
		    0) {
			log_error("%s", e.msg);
			return KASI_EIO;
		}
		money_format(st.collected, amount);
		if (!st.found)
			printf("  (not reconciled yet: 'kasi reconcile --period %s' records it)\n",
			       period);
		else if (strncmp(s.rule, st.status, strlen(st.status)))
			printf("  the stored outcome is %s: facts arrived (or were voided) since the\n"
			       "  last reconciliation; 'kasi reconcile --period %s' brings it up to date\n",
			       st.status, period);
		else if (sp.files_since_reconciled > 0)
			/* The same status, perhaps not the same money or reason. */
			printf("  the period is out of date (%" PRId64
			       " file%s applied or voided since its\n"
			       "  last reconciliation): the stored outcome is %s%s%s, collected %s;\n"
			       "  'kasi reconcile --period %s' brings it up to date\n",
			       sp.files_since_reconciled, sp.files_since_reconciled == 1 ? "" : "s",
			       st.status, *st.reason ? ", reason " : "", st.reason, amount, period);
	}
	if ((rc = print_settlement(ctx->store, s.policy_id, period, &e))) {
		log_error("%s", e.msg);
		return -rc;
	}
	printf("\n  history of the policy:\n");
	if ((rc = store_each_policy_change(ctx->store, s.policy_id, print_change, NULL, &e))) {
		log_error("%s", e.msg);
		return -rc;
	}
	return KASI_OK;
}
