/*
 * discrepancy.c — severities of the discrepancy codes, and what each is
 * about (see discrepancy.h).
 */
#include "core/common.h"
#include "core/money.h"
#include "core/text.h"
#include "io/schema.h"
#include "stage/discrepancy.h"
#include "stage/match.h"
#include "store/store.h"

static const struct {
	const char *code, *severity;
} severities[] = {
	{ D_FILE_REJECTED, "error" },	      /* a whole file's money is missing */
	{ D_DUPLICATE_FILE, "info" },	      /* skipped; nothing counted twice */
	{ D_DUPLICATE_TRANSACTION, "info" },  /* ignored; nothing counted twice */
	{ D_CONFLICTING_DUPLICATE, "error" }, /* which version is right? */
	{ D_UNKNOWN_REFERENCE, "error" },     /* money nobody can be credited with */
	{ D_AMOUNT_MISMATCH, "error" },
	{ D_STATUS_MISMATCH, "error" },
	{ D_MISSING_FROM_FILE, "warning" },   /* ours says paid; the partner's file does not */
	{ D_MISSING_FROM_LEDGER, "warning" }, /* the partner's file counts */
	{ D_ORPHAN_REVERSAL, "error" },	      /* money taken back from nothing we know */
	{ D_OVERPAYMENT, "warning" },
	{ D_PAYMENT_ON_INACTIVE_POLICY, "warning" }, /* settled; a refund to arrange */
	{ D_OUT_OF_PERIOD, "warning" },
	{ D_MISSING_FILE, "error" },
	{ D_PAYOUT_MISMATCH, "error" }, /* a provider was paid other than it is owed */
	{ D_PAYOUT_REJECTED, "error" }, /* a provider was not paid: carried forward */
	{ D_UNEXPECTED_SIGN, "error" }, /* money of a sign its channel never sends: not counted */
	{ D_PAYOUT_CONFLICT, "error" }, /* the switch contradicts itself: paid twice? */
};

const char *discrepancy_severity(const char *code)
{
	for (size_t i = 0; i < ARRAY_SIZE(severities); i++)
		if (!strcmp(severities[i].code, code))
			return severities[i].severity;
	return "error";
}

/* Codes about a policy's month, not one row: an overpayment names the
 * payment that came last, and is the same problem whichever that is. */
bool discrepancy_of_policy_month(const char *code)
{
	return !strcmp(code, D_OVERPAYMENT);
}

bool discrepancy_out_of_period(const struct schema *schema, int32_t file_date,
			       const struct dated_row *row, char want[OUT_OF_PERIOD_WANT_BUFSZ],
			       char *detail, size_t size, const char **value)
{
	const struct schema_flow *flow = &schema->flow;
	for (size_t i = 0; i < flow->nfuture; i++) {
		enum canon_field field = flow->future[i].field;
		unsigned kinds = flow->future[i].kinds;
		int32_t day = field == CANON_STATUS_DATE  ? row->status_day
			      : field == CANON_CYCLE_DATE ? row->cycle_day
							  : row->day;
		const char *v = field == CANON_STATUS_DATE  ? row->status_date
				: field == CANON_CYCLE_DATE ? row->cycle_date
							    : row->date;
		if (!v || day <= file_date || (kinds && !(kinds & (1u << row->kind))))
			continue;
		/* The column's name as long as the schema makes it: written
		 * straight into detail, never cut short in a buffer of its own. */
		const char *column = schema->columns[schema->map[field]].name;
		date_format_iso(file_date, want);
		snprintf(want + strlen(want), OUT_OF_PERIOD_WANT_BUFSZ - strlen(want),
			 " or before");
		if (kinds)
			snprintf(detail, size, "%s of a %s %s is after the file's date", column,
				 schema_kind_word(schema, (enum fact_kind)row->kind), v);
		else
			snprintf(detail, size, "%s %s is after the file's date", column, v);
		*value = v;
		return true;
	}
	return false;
}

/* Written a batch at a time: their exceptions are seen in one statement
 * a batch. */
enum { WRITTEN_AT_ONCE = 1024 };

int discrepancy_write_all(struct store *s, const char *period, const struct finding *f, size_t n,
			  struct err *e)
{
	struct store_discrepancy *batch = malloc(WRITTEN_AT_ONCE * sizeof(*batch));
	int rc = batch ? 0 : err_set(e, KASI_EIO, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct finding *d = &f[i];
		batch[k++] = (struct store_discrepancy){
			.period = period,
			.code = d->code,
			.severity = discrepancy_severity(d->code),
			.channel = d->channel,
			.file_id = d->file_id,
			.row = d->row,
			.reference = d->reference,
			.transaction_id = d->txn,
			.expected = d->expected,
			.actual = d->actual,
			.detail = d->detail ? d->detail : "",
			.source = "reconcile",
			.policy_id = d->policy_id,
			.subject_is_reference = discrepancy_of_policy_month(d->code),
		};
		if (k == WRITTEN_AT_ONCE) {
			rc = store_discrepancies_add(s, batch, k, e);
			k = 0;
		}
	}
	if (!rc)
		rc = store_discrepancies_add(s, batch, k, e);
	free(batch);
	return rc;
}

/* A value no schema says may be shown: masked (a reference, with no
 * schema to say whether its column is personal). */
static const char *masked(const char *v, char out[TEXT_RENDER_BUFSZ])
{
	text_render(v, strlen(v), true, out, TEXT_RENDER_BUFSZ);
	return out;
}

/* A value of a repeat as its discrepancy shows it: masked when its column
 * (canon, of schema) is personal, and when no schema says (personal). */
static const char *shown_value(const struct schema *schema, int canon, bool personal, const char *v,
			       char out[TEXT_RENDER_BUFSZ])
{
	if (!*v)
		return "(none)";
	if (!schema)
		return personal ? masked(v, out) : v;
	int col = schema->map[canon];
	return schema_shown_value(col >= 0 ? &schema->columns[col] : NULL, v, out);
}

/* Append "name value" to the list in buf (", " between). */
static void add_value(char buf[DISCREPANCY_VALUES_BUFSZ], const char *name, const char *v)
{
	size_t at = strlen(buf);
	if (at < DISCREPANCY_VALUES_BUFSZ)
		snprintf(buf + at, DISCREPANCY_VALUES_BUFSZ - at, "%s%s %s", at ? ", " : "", name,
			 v);
}

/* The values in which the counted row (was) and the repeat (now) differ,
 * each side's into expected and actual. */
static void repeat_values(const struct schema *schema, const struct store_fact_values *was,
			  const struct store_fact_values *now,
			  char expected[DISCREPANCY_VALUES_BUFSZ],
			  char actual[DISCREPANCY_VALUES_BUFSZ])
{
	static const struct {
		const char *name;
		int canon;
		bool personal; /* without a schema to say */
		size_t offset;
	} text[] = {
		{ "transaction", CANON_TRANSACTION_ID, false,
		  offsetof(struct store_fact_values, transaction_id) },
		{ "reference", CANON_REFERENCE, true,
		  offsetof(struct store_fact_values, reference) },
		{ "date", CANON_DATE, false, offsetof(struct store_fact_values, business_date) },
		{ "type", CANON_TYPE, false, offsetof(struct store_fact_values, kind) },
		{ "status", CANON_STATUS, false, offsetof(struct store_fact_values, status) },
		{ "reason", CANON_REASON, false, offsetof(struct store_fact_values, reason) },
	};
	char a[TEXT_RENDER_BUFSZ], b[TEXT_RENDER_BUFSZ];
	expected[0] = actual[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(text); i++) {
		const char *x = (const char *)was + text[i].offset;
		const char *y = (const char *)now + text[i].offset;
		if (!strcmp(x, y))
			continue;
		add_value(expected, text[i].name,
			  shown_value(schema, text[i].canon, text[i].personal, x, a));
		add_value(actual, text[i].name,
			  shown_value(schema, text[i].canon, text[i].personal, y, b));
	}
	if (was->has_amount != now->has_amount || was->amount != now->amount) {
		money_format(was->amount, a);
		money_format(now->amount, b);
		add_value(expected, "amount", was->has_amount ? a : "(none)");
		add_value(actual, "amount", now->has_amount ? b : "(none)");
	}
}

const char *discrepancy_repeat(const struct schema *schema, const struct store_fact_values *now,
			       const struct store_duplicate *dup, char *detail, size_t size,
			       char expected[DISCREPANCY_VALUES_BUFSZ],
			       char actual[DISCREPANCY_VALUES_BUFSZ])
{
	const char *transaction_id = now->transaction_id;
	if (*dup->key)
		snprintf(detail, size,
			 "transaction %s repeats the %s of transaction %s, applied before "
			 "from %s row %" PRIu64 ": the same request again",
			 transaction_id, dup->key, dup->counted.transaction_id, dup->file,
			 dup->row);
	else
		snprintf(detail, size, "%s %s was applied before from %s row %" PRIu64,
			 dup->same_content ? "the same transaction" : "transaction", transaction_id,
			 dup->file, dup->row);
	size_t at = strlen(detail);
	expected[0] = actual[0] = '\0';
	if (!dup->same_content) {
		snprintf(detail + at, size - at, " with different content; the first one counts");
		repeat_values(schema, &dup->counted, now, expected, actual);
	}
	return dup->same_content ? D_DUPLICATE_TRANSACTION : D_CONFLICTING_DUPLICATE;
}

/* The policy key a schema's references are. */
static enum store_policy_key key_of_schema(const struct schema *s)
{
	return s->flow.match == POLICY_KEY_CASH_CODE	    ? STORE_KEY_CASH_CODE
	       : s->flow.match == POLICY_KEY_COLLECTION_REF ? STORE_KEY_COLLECTION_REF
							    : STORE_KEY_NUMBER;
}

int discrepancy_reference(struct store *s, const struct schema *schema, const char *channel,
			  const char *reference, char policy[64], char *shown, const char **out,
			  struct err *e)
{
	if (!schema) {
		*out = reference ? masked(reference, shown) : NULL;
		return 0;
	}
	enum flow_type flow = schema->flow.type;
	int col = schema->map[CANON_REFERENCE];
	int found = 0;
	*out = reference;
	if (reference && *reference && flow != FLOW_NONE && flow != FLOW_PAYOUTS) {
		found = store_policy_for_key(s, key_of_schema(schema), channel, reference, policy,
					     e);
		if (found < 0)
			return found;
		if (found)
			*out = policy;
	}
	if (!found) /* as the row gives it: masked where its column is personal */
		*out = schema_shown_value(col >= 0 ? &schema->columns[col] : NULL, reference,
					  shown);
	return 0;
}
