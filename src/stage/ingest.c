/*
 * ingest.c — a channel's file into the store (see ingest.h).
 *
 *   BEGIN
 *   files row (outcome 'applied', digest pending)
 *   validate (computing the content's SHA-256 on the reader thread), and
 *     for each valid row: its fact, through the schema's `map`
 *       key counted before  -> stored as a duplicate, not counted;
 *                              DUPLICATE_TRANSACTION or CONFLICTING_DUPLICATE
 *       dated after the file -> OUT_OF_PERIOD (stored and counted)
 *   any error             -> ROLLBACK; record the attempt + FILE_REJECTED
 *   data applied before   -> ROLLBACK; record the attempt + DUPLICATE_FILE
 *   else                  -> record the digest, COMMIT
 *
 * A kill at any instant leaves the store as before the file or after it:
 * everything the file changes is inside the one transaction. The
 * attempts recorded after a rollback are idempotent (the same content
 * under the same name is recorded once).
 */
#include "core/common.h"
#include "core/arena.h"
#include "core/dates.h"
#include "core/grow.h"
#include "core/money.h"
#include "io/digest.h"
#include "stage/discrepancy.h"
#include "stage/ingest.h"

/* A row's fact, held until its batch is stored; its strings are in
 * ingest_run.held_strings. */
struct held {
	struct store_fact f;
	char period[PERIOD_BUFSZ]; /* its discrepancies' period */
	int32_t day, status_day, cycle_day;
	enum fact_kind kind;
};

struct ingest_run {
	struct store *store;
	const struct schema *schema;
	struct ingest_result *res;
	struct err *e;
	int64_t file_id;
	bool invalid; /* a row failed: the file will be rolled back */
	int32_t file_date;
	bool dated;
	struct vstrings t;
	char *key; /* a key's value, assembled */
	size_t key_cap;
	const char *key_names[STORE_MORE_KEYS]; /* the schema's keys past the first */
	struct held held[STORE_BATCH];		/* rows waiting to be stored, as one statement */
	struct store_duplicate dups[STORE_BATCH];
	size_t nheld;
	struct arena *held_strings;
	bool oom;
	int32_t first_day, last_day; /* the business dates the facts span */
	bool any_day;
	int32_t *periods; /* the periods the file can change (period_of_date) */
	size_t nperiods, periods_cap;
	bool any_reversal;
};

static const char *value(const struct ingest_run *r, enum canon_field f)
{
	int c = r->schema->map[f];
	return c >= 0 ? r->t.col[c] : NULL;
}

/* A mapped date column's value as 'YYYY-MM-DD' into buf; NULL if empty. */
static const char *date_of(const struct ingest_run *r, enum canon_field f, int32_t *day,
			   char buf[DATE_BUFSZ])
{
	const char *v = value(r, f);
	if (!v || !*v)
		return NULL;
	if (schema_read_date(&r->schema->columns[r->schema->map[f]], v, strlen(v), day))
		return NULL;
	date_format_iso(*day, buf);
	return buf;
}

static bool money_of(const struct ingest_run *r, enum canon_field f, int64_t *cents)
{
	const char *v = value(r, f);
	return v && *v &&
	       !schema_read_money(&r->schema->columns[r->schema->map[f]], v, strlen(v), cents);
}

/* The values of the schema's key k, joined by '/', in r->key (valid until
 * the next call). The first key is the fact's identity (most channels:
 * the transaction id; an instruction's status updates: its reference and
 * status); a further one is another identity of the row (a wallet
 * request's correlation id). */
static const char *key_value(struct ingest_run *r, size_t k)
{
	const struct schema_key *key = &r->schema->keys[k];
	size_t need = 1;
	for (size_t i = 0; i < key->ncolumns; i++)
		need += strlen(r->t.col[key->columns[i]] ? r->t.col[key->columns[i]] : "") + 1;
	if (!grow_array((void **)&r->key, &r->key_cap, need, 1))
		return NULL;
	size_t at = 0;
	for (size_t i = 0; i < key->ncolumns; i++) {
		const char *v = r->t.col[key->columns[i]] ? r->t.col[key->columns[i]] : "";
		size_t n = strlen(v);
		if (i)
			r->key[at++] = '/';
		memcpy(r->key + at, v, n);
		at += n;
	}
	r->key[at] = '\0';
	return r->key;
}

/* The name a further key is kept under: its columns, joined by '+'. */
static int name_keys(struct ingest_run *r)
{
	const struct schema *s = r->schema;
	for (size_t k = 1; k < s->nkeys; k++) {
		size_t need = 1;
		for (size_t i = 0; i < s->keys[k].ncolumns; i++)
			need += strlen(s->columns[s->keys[k].columns[i]].name) + 1;
		char *name = malloc(need);
		if (!name)
			return err_set(r->e, KASI_EIO, "out of memory");
		size_t at = 0;
		for (size_t i = 0; i < s->keys[k].ncolumns; i++)
			at += (size_t)snprintf(name + at, need - at, "%s%s", i ? "+" : "",
					       s->columns[s->keys[k].columns[i]].name);
		r->key_names[k - 1] = name;
	}
	return 0;
}

static void note(struct ingest_result *res, const char *code, uint64_t row, const char *txn,
		 const char *detail)
{
	res->discrepancies++;
	if (res->nnotes == INGEST_NOTES_SHOWN)
		return;
	if (!res->notes && !(res->notes = calloc(INGEST_NOTES_SHOWN, sizeof(*res->notes))))
		return;
	struct ingest_note *n = &res->notes[res->nnotes++];
	snprintf(n->code, sizeof(n->code), "%s", code);
	n->row = row;
	snprintf(n->transaction_id, sizeof(n->transaction_id), "%s", txn ? txn : "");
	snprintf(n->detail, sizeof(n->detail), "%s", detail);
}

/* The store's name for the policy key a schema's references name. */
/* Record a discrepancy the row raised: in the store and in the result. Its
 * reference is the policy's number when the row names a known policy. */
static int record_discrepancy(struct ingest_run *r, const struct store_fact *f, const char *period,
			      const char *code, const char *expected, const char *actual,
			      const char *detail)
{
	char policy[64], shown[TEXT_RENDER_BUFSZ];
	const char *reference;
	int rc = discrepancy_reference(r->store, r->schema, f->channel, f->reference, policy, shown,
				       &reference, r->e);
	if (rc)
		return rc;
	struct store_discrepancy d = {
		.period = period,
		.code = code,
		.severity = discrepancy_severity(code),
		.channel = f->channel,
		.file_id = r->file_id,
		.row = f->row,
		.reference = reference,
		.transaction_id = f->transaction_id,
		.expected = expected,
		.actual = actual,
		.detail = detail,
		.source = "ingest",
	};
	note(r->res, code, f->row, f->transaction_id, detail);
	return store_discrepancy_add(r->store, &d, r->e);
}

/* What a stored fact raises: DUPLICATE_TRANSACTION or
 * CONFLICTING_DUPLICATE when its key was counted before, else
 * OUT_OF_PERIOD when it is dated after its file. */
/* ---- payout confirmations ------------------------------------------------ */

/* A payout's states: paid, mismatch and rejected are final (the switch's
 * last word on the transfer); in progress is not. */
static bool final_state(const char *state)
{
	return strcmp(state, "instructed") && strcmp(state, "in_progress");
}

/* Whether two final states say the same of the money: paid (in full or
 * not), or not paid. */
static bool same_outcome(const char *a, const char *b)
{
	return !strcmp(a, "rejected") == !strcmp(b, "rejected");
}

/* What a payout's state is, in words, for a detail: "rejected (status on
 * 2026-10-08)", "paid 18.00 of 18.80 (... )". */
static void state_words(const struct store_payout *p, char *out, size_t size)
{
	char paid[MONEY_BUFSZ], amount[MONEY_BUFSZ];
	money_format(p->amount_paid, paid);
	money_format(p->amount, amount);
	if (!strcmp(p->state, "mismatch"))
		snprintf(out, size, "paid %s of %s on %s", paid, amount, p->state_date);
	else
		snprintf(out, size, "%s on %s", p->state, p->state_date);
}

/* What finance must do when the switch contradicts itself. */
static const char *conflict_advice(const struct store_payout *p, const char *state)
{
	bool rejected = !strcmp(p->state, "rejected");
	if (p->carried_into && strcmp(state, "rejected"))
		return "if the switch did pay it, the provider is paid twice: recover it";
	if (rejected)
		return "its amount is brought into the provider's next batch and paid again: check "
		       "the transfer with the switch before the next settlement";
	return "if the switch did not pay it, the provider is owed it: check the transfer with "
	       "the switch";
}

/* A confirmation that contradicts what the payout's state holds for good:
 * refused (the state stays), PAYOUT_CONFLICT. */
static int refuse_confirmation(struct ingest_run *r, const struct held *h,
			       const struct store_payout *p, const char *state)
{
	const struct store_fact *f = &h->f;
	char detail[768], was[96], owed[MONEY_BUFSZ], said[MONEY_BUFSZ];
	state_words(p, was, sizeof(was));
	money_format(f->has_amount ? f->amount : 0, said);
	int n = snprintf(detail, sizeof(detail), "payout %s was %s", f->reference, was);
	if (p->carried_into) {
		int64_t left =
			!strcmp(p->state, "rejected") ? p->amount : p->amount - p->amount_paid;
		money_format(left, owed);
		n += snprintf(detail + n, sizeof(detail) - (size_t)n,
			      ", and the %s it left owed was brought forward into batch %" PRId64,
			      owed, p->carried_into);
	}
	snprintf(detail + n, sizeof(detail) - (size_t)n,
		 "; this answer (status %s on %s, %s paid out) says %s: not applied, the "
		 "payout stays %s; %s",
		 f->status ? f->status : "?", f->business_date, said, state, p->state,
		 conflict_advice(p, state));
	return record_discrepancy(r, f, h->period, D_PAYOUT_CONFLICT, p->state, state, detail);
}

/* The discrepancy a confirmation that was applied raises, if any. */
static int confirmed(struct ingest_run *r, const struct held *h, const struct store_payout *p,
		     const char *state, int64_t paid)
{
	const struct store_fact *f = &h->f;
	char detail[768], paid_text[MONEY_BUFSZ], instructed[MONEY_BUFSZ], diff[MONEY_BUFSZ];
	money_format(paid, paid_text);
	money_format(p->amount, instructed);
	if (!strcmp(state, "mismatch")) {
		bool short_paid = paid < p->amount;
		money_format(short_paid ? p->amount - paid : paid - p->amount, diff);
		snprintf(detail, sizeof(detail), "payout %s: %s paid out, %s instructed: %s %s; %s",
			 f->reference, paid_text, instructed, diff, short_paid ? "short" : "over",
			 short_paid ? "owed still, and brought into the provider's next batch"
				    : "taken from the provider's next batch");
		return record_discrepancy(r, f, h->period, D_PAYOUT_MISMATCH, instructed, paid_text,
					  detail);
	}
	if (strcmp(state, "rejected"))
		return 0;
	snprintf(detail, sizeof(detail),
		 "payout %s of %s was not paid (status %s, %s%s%s): it is owed still, and "
		 "carried into the provider's next batch",
		 f->reference, instructed, f->status ? f->status : "?",
		 f->reason ? f->reason : "no code", f->reason_text ? " " : "",
		 f->reason_text ? f->reason_text : "");
	return record_discrepancy(r, f, h->period, D_PAYOUT_REJECTED, "paid",
				  f->status ? f->status : "", detail);
}

/* Whether a confirmation comes after the one that gave the payout its
 * state: by its date, its time, then its arrival. */
static bool later(const struct store_fact *f, int64_t fact, const struct store_payout *p)
{
	int c = strcmp(f->business_date, p->state_date);
	if (c)
		return c > 0;
	if (f->status_time != p->state_time)
		return f->status_time > p->state_time;
	return fact > p->state_fact;
}

/* A confirmation of one of kasi's own payouts (a payouts flow). A final
 * answer (paid, mismatch, rejected) is the payout's state for good: an
 * in-progress answer after it changes nothing; a final answer that says
 * otherwise, or any answer but a rejection after what the payout left
 * owed was brought into a later batch, is refused and PAYOUT_CONFLICT
 * (whatever the order of the rows). Until then, the latest in-progress
 * answer (by its date, time, then arrival) is the state. A completion for
 * another amount than instructed is PAYOUT_MISMATCH, its difference owed
 * (or over-paid) and carried into the provider's next batch; a rejection,
 * PAYOUT_REJECTED (the net is carried); a reference no payout has,
 * UNKNOWN_REFERENCE. */
static int confirm_payout(struct ingest_run *r, const struct held *h)
{
	const struct store_fact *f = &h->f;
	struct store_payout p;
	int64_t paid = f->has_amount ? f->amount : 0;
	if (h->kind != FACT_COLLECTED && h->kind != FACT_FAILED && h->kind != FACT_PENDING)
		return 0;
	int found = store_payout_find(r->store, f->reference, &p, r->e);
	if (found <= 0) {
		char detail[512];
		if (found < 0)
			return found;
		snprintf(detail, sizeof(detail), "no payout of kasi's has reference %s",
			 f->reference);
		return record_discrepancy(r, f, h->period, D_UNKNOWN_REFERENCE, NULL, f->reference,
					  detail);
	}
	const char *state = h->kind == FACT_PENDING  ? "in_progress"
			    : h->kind == FACT_FAILED ? "rejected"
			    : paid != p.amount	     ? "mismatch"
						     : "paid";
	int64_t fact = store_fact_id(r->file_id, f->row);
	bool is_final = final_state(p.state);
	if (is_final && final_state(state) && same_outcome(p.state, state))
		return 0; /* said again (a rejection by another status) */
	if ((is_final && final_state(state)) || (p.carried_into && !final_state(state)))
		return refuse_confirmation(r, h, &p, state);
	if (is_final)
		return 0; /* in progress after the last word: out of date */
	if (!final_state(state) && *p.state_date && !later(f, fact, &p))
		return 0;
	int rc = store_payout_confirm(r->store, f->reference, state, f->business_date,
				      f->status_time, fact, paid, r->e);
	return rc ? rc : confirmed(r, h, &p, state, paid);
}

static int after_store(struct ingest_run *r, const struct held *h,
		       const struct store_duplicate *dup)
{
	const struct store_fact *f = &h->f;
	char detail[OUT_OF_PERIOD_DETAIL_BUFSZ]; /* also a duplicate's */
	if (dup->duplicate) {
		struct store_fact_values now;
		char expected[DISCREPANCY_VALUES_BUFSZ], actual[DISCREPANCY_VALUES_BUFSZ];
		store_fact_values_of(f, &now);
		const char *code = discrepancy_repeat(r->schema, &now, dup, detail, sizeof(detail),
						      expected, actual);
		if (dup->same_content)
			r->res->duplicates++;
		else
			r->res->conflicts++;
		return record_discrepancy(r, f, h->period, code, *expected ? expected : NULL,
					  *actual ? actual : NULL, detail);
	}
	r->res->facts++;
	if (r->schema->flow.type == FLOW_PAYOUTS)
		return confirm_payout(r, h);
	char want[OUT_OF_PERIOD_WANT_BUFSZ];
	const char *value;
	struct dated_row d = { h->kind, f->business_date, f->status_date, f->cycle_date,
			       h->day,	h->status_day,	  h->cycle_day };
	if (r->dated && discrepancy_out_of_period(r->schema, r->file_date, &d, want, detail,
						  sizeof(detail), &value)) {
		r->res->out_of_period++;
		return record_discrepancy(r, f, h->period, D_OUT_OF_PERIOD, want, value, detail);
	}
	return 0;
}

/* Store the held rows' facts, one statement for the lot, and raise what
 * each raises. */
static int store_held(struct ingest_run *r)
{
	struct store_fact facts[STORE_BATCH];
	for (size_t i = 0; i < r->nheld; i++)
		facts[i] = r->held[i].f;
	int rc = store_facts_insert(r->store, r->file_id, facts, r->nheld, r->dups, r->e);
	for (size_t i = 0; i < r->nheld && !rc; i++)
		rc = after_store(r, &r->held[i], &r->dups[i]);
	r->nheld = 0;
	arena_reset(r->held_strings);
	return rc;
}

static const char *hold(struct ingest_run *r, const char *s)
{
	const char *c = s ? arena_strdup(r->held_strings, s) : NULL;
	if (s && !c)
		r->oom = true;
	return c;
}

/* Copy a fact's strings, which point into the row, for its batch. */
static void hold_strings(struct ingest_run *r, struct store_fact *f)
{
	f->fact_key = hold(r, f->fact_key);
	f->transaction_id = hold(r, f->transaction_id);
	f->reference = hold(r, f->reference);
	f->business_date = hold(r, f->business_date);
	f->kind = hold(r, f->kind);
	f->status = hold(r, f->status);
	f->reason = hold(r, f->reason);
	f->reason_text = hold(r, f->reason_text);
	f->original_id = hold(r, f->original_id);
	f->cycle_date = hold(r, f->cycle_date);
	f->status_date = hold(r, f->status_date);
}

/* ---- what the file can change ---------------------------------------------- */

/* The file reaches the period of day. */
static void reach(struct ingest_run *r, int32_t day)
{
	int32_t p = period_of_date(day);
	for (size_t i = 0; i < r->nperiods; i++)
		if (r->periods[i] == p)
			return;
	if (!grow_array((void **)&r->periods, &r->periods_cap, r->nperiods + 1,
			sizeof(*r->periods)))
		r->oom = true;
	else
		r->periods[r->nperiods++] = p;
}

static int reach_period(void *ctx, const char *period)
{
	struct ingest_run *r = ctx;
	int32_t p;
	if (period && period_parse(period, strlen(period), &p) == DATE_OK)
		reach(r, period_first_day(p));
	return r->oom ? err_set(r->e, KASI_EIO, "out of memory") : 0;
}

/* Record the periods whose outcomes or discrepancies the file's facts can
 * change, so that a period reconciled before it is known to be out of
 * date (store.h, struct store_period): those of its rows' dates and cycle
 * dates (an unpaid's discrepancies raised here are its cycle's; a
 * collection's cycle is reached too, though the unpaids it may end are
 * found by the query below: a month that may not change) and of
 * its own date (a day's file, even empty, says what the channel had that
 * day); for a debits flow, those of what its reversals may take back or
 * compete for, and of the reversals stored before that name its facts or
 * share a collection's reference and cycle date (an orphan of its own
 * date's period that the collection may be the original of); for a
 * two-sided payments flow, those of the ledger records its rows hold. */
static int record_reach(struct ingest_run *r)
{
	const struct schema *s = r->schema;
	int rc = 0;
	if (s->flow.type == FLOW_PAYOUTS)
		return 0; /* no period's money */
	if (r->dated)
		reach(r, r->file_date);
	if (s->flow.type == FLOW_DEBITS) {
		rc = store_each_period_naming(r->store, s->channel, r->file_id, reach_period, r,
					      r->e);
		if (!rc && r->any_reversal)
			rc = store_each_period_linked(r->store, s->channel, r->file_id,
						      reach_period, r, r->e);
	}
	if (!rc && s->flow.two_sided)
		rc = store_each_period_ledger_held(r->store, s->channel, r->file_id, reach_period,
						   r, r->e);
	if (!rc && r->oom)
		rc = err_set(r->e, KASI_EIO, "out of memory");
	for (size_t i = 0; i < r->nperiods && !rc; i++) {
		char period[PERIOD_BUFSZ];
		period_format(r->periods[i], period);
		rc = store_file_period_add(r->store, r->file_id, period, r->e);
	}
	return rc;
}

/* Money a row counts for a policy, read by its schema's sign rule (a
 * debits flow writing a collection as on the client's account: -724.19
 * collects R724.19), is never less than nothing. A row that would collect,
 * or hold pending, a negative amount is bad data, whatever its column
 * allows: reported on the row (true), and the file loads nothing. */
static bool bad_sign(const struct ingest_run *r, const struct vrow *row, enum fact_kind kind,
		     const struct store_fact *f)
{
	const struct schema *s = r->schema;
	if (kind != FACT_COLLECTED && kind != FACT_PENDING && kind != FACT_TRACKING)
		return false;
	bool written_negative = s->flow.negative_amounts && kind == FACT_COLLECTED;
	if (f->has_amount && (written_negative ? f->amount > 0 : f->amount < 0)) {
		if (written_negative)
			vrow_error(row, s->map[CANON_AMOUNT], RULE_CHECK_BASE + CHECK_MONEY,
				   "0 or less",
				   "%s writes a %s as on the client's account, "
				   "negative: this one, positive, would take money back",
				   schema_label(s), schema_kind_word(s, kind));
		else
			vrow_error(row, s->map[CANON_AMOUNT], RULE_CHECK_BASE + CHECK_MONEY,
				   "0 or more", "%s: a %s row cannot have a negative amount",
				   schema_label(s), schema_kind_word(s, kind));
		return true;
	}
	if (f->has_requested && f->requested_amount < 0) {
		vrow_error(row, s->map[CANON_REQUESTED_AMOUNT], RULE_CHECK_BASE + CHECK_MONEY,
			   "0 or more", "%s: a %s row cannot request a negative amount",
			   schema_label(s), schema_kind_word(s, kind));
		return true;
	}
	return false;
}

/* What the row means under the schema's kind rules. */
static enum fact_kind kind_of(const struct ingest_run *r)
{
	const char *values[CANON_COUNT];
	for (size_t i = 0; i < CANON_COUNT; i++)
		values[i] = value(r, (enum canon_field)i);
	return schema_fact_kind(r->schema, values);
}

static int on_row(void *ctx, const struct vrow *row)
{
	struct ingest_run *r = ctx;
	if (!row->ok || r->invalid) {
		r->invalid = true;
		return 0;
	}
	if (vrow_strings(row, &r->t))
		return err_set(r->e, KASI_EIO, "out of memory");

	char date[DATE_BUFSZ], cycle[DATE_BUFSZ], status_date[DATE_BUFSZ];
	int32_t day = 0, cycle_day = 0, status_day = 0, secs = -1;
	struct store_fact f = {
		.row = row->record,
		.channel = r->schema->channel,
		.fact_key = key_value(r, 0),
		.transaction_id = value(r, CANON_TRANSACTION_ID),
		.reference = value(r, CANON_REFERENCE),
		.business_date = date_of(r, CANON_DATE, &day, date),
		.kind = value(r, CANON_TYPE),
		.status = value(r, CANON_STATUS),
		.reason = value(r, CANON_REASON),
		.reason_text = value(r, CANON_REASON_TEXT),
		.original_id = value(r, CANON_ORIGINAL_ID),
		.cycle_date = date_of(r, CANON_CYCLE_DATE, &cycle_day, cycle),
		.status_date = date_of(r, CANON_STATUS_DATE, &status_day, status_date),
		.status_time = -1,
	};
	if (!f.fact_key)
		return err_set(r->e, KASI_EIO, "out of memory");
	if (!f.business_date) {
		/* A schema may let its date column be empty or absent: bad data,
		 * reported with the rest, and the file loads nothing. */
		vrow_error(row, r->schema->map[CANON_DATE], RULE_CHECK_BASE + CHECK_REQUIRED,
			   "a value (the row's business date)", "the row has no business date");
		r->invalid = true;
		return 0;
	}
	f.has_amount = money_of(r, CANON_AMOUNT, &f.amount);
	f.has_requested = money_of(r, CANON_REQUESTED_AMOUNT, &f.requested_amount);
	const char *t = value(r, CANON_STATUS_TIME);
	if (t && *t &&
	    !schema_read_time(&r->schema->columns[r->schema->map[CANON_STATUS_TIME]], t, strlen(t),
			      &secs))
		f.status_time = secs;
	f.content_hash = store_content_hash(row->sha256);
	bool flows = r->schema->flow.type != FLOW_NONE;
	enum fact_kind kind = flows ? kind_of(r) : FACT_IGNORED;
	f.canonical_kind = flows ? fact_kind_name(kind) : NULL;
	if (flows && bad_sign(r, row, kind, &f)) {
		r->invalid = true;
		return 0;
	}

	/* A discrepancy belongs to its row's period; a reversal's to its
	 * original's, which its cycle date names when it has one. */
	char period[PERIOD_BUFSZ];
	bool reversal = kind == FACT_REVERSAL;
	period_format(period_of_date(reversal && f.cycle_date ? cycle_day : day), period);

	reach(r, day);
	if (f.cycle_date)
		reach(r, cycle_day);
	r->any_reversal |= reversal;
	if (!r->any_day || day < r->first_day)
		r->first_day = day;
	if (!r->any_day || day > r->last_day)
		r->last_day = day;
	r->any_day = true;
	struct held *h = &r->held[r->nheld++];
	*h = (struct held){
		.f = f, .day = day, .status_day = status_day, .cycle_day = cycle_day, .kind = kind
	};
	memcpy(h->period, period, sizeof(period));
	hold_strings(r, &h->f);
	h->f.key_names = r->key_names;
	h->f.nkeys = r->schema->nkeys - 1;
	for (size_t k = 1; k < r->schema->nkeys; k++)
		h->f.key_values[k - 1] = hold(r, key_value(r, k));
	if (r->oom)
		return err_set(r->e, KASI_EIO, "out of memory");
	return r->nheld == STORE_BATCH ? store_held(r) : 0;
}
/* After a rollback: record what happened to the file, once. */
static int record_attempt(struct ingest_run *r, const char *path, const char *outcome,
			  const char *code, const char *detail)
{
	const struct validation *v = &r->res->v;
	char file_date[DATE_BUFSZ], period[PERIOD_BUFSZ], now[32];
	int32_t day;
	if (r->dated) {
		date_format_iso(r->file_date, file_date);
		day = r->file_date;
	} else {
		/* A name without a date: the period the file arrived in. */
		store_now(now);
		date_parse(now, 10, DATE_FMT_ISO, &day);
	}
	period_format(period_of_date(day), period);
	struct store_file f = {
		.name = base_name(path),
		.sha256 = v->have_sha256 ? v->sha256 : "unread",
		.size = v->bytes,
		.schema = r->schema->name,
		.channel = r->schema->channel,
		.file_date = r->dated ? file_date : NULL,
		.rows = v->rows,
	};
	int64_t file_id;
	int rc = store_begin(r->store, r->e);
	int added = rc ? rc : store_file_attempt(r->store, &f, outcome, &file_id, r->e);
	rc = added < 0 ? added : 0;
	if (!rc)
		r->res->file_id = file_id;
	if (added == 1) { /* once per name and content */
		struct store_discrepancy d = {
			.period = period,
			.code = code,
			.severity = discrepancy_severity(code),
			.channel = r->schema->channel,
			.file_id = file_id,
			.detail = detail,
			.source = "ingest",
		};
		rc = store_discrepancy_add(r->store, &d, r->e);
	}
	note(r->res, code, 0, NULL, detail);
	if (!rc)
		rc = store_commit(r->store, r->e);
	if (rc)
		store_rollback(r->store);
	return rc;
}

static int check_schema(const struct schema *s, struct err *e)
{
	if (!s->channel)
		return err_set(e, KASI_ECONFIG,
			       "schema %s is not a channel's (use 'kasi load' for reference data)",
			       s->name);
	if (s->map[CANON_TRANSACTION_ID] < 0 || s->map[CANON_DATE] < 0 || !s->nkeys)
		return err_set(
			e, KASI_ECONFIG,
			"schema %s must map transaction_id and date and have a key to be ingested",
			s->name);
	if (s->nkeys > 1 + STORE_MORE_KEYS)
		return err_set(
			e, KASI_ECONFIG,
			"%s:%d: schema %s declares %zu keys; a channel's rows may have at most "
			"%d (each a transaction's identity across its files)",
			s->path, s->keys[1 + STORE_MORE_KEYS].line, s->name, s->nkeys,
			1 + STORE_MORE_KEYS);
	const struct schema_column *date = &s->columns[s->map[CANON_DATE]];
	bool dated = false;
	for (size_t k = 0; k < date->nchecks; k++)
		dated |= date->checks[k].kind == CHECK_DATE ||
			 date->checks[k].kind == CHECK_TIMESTAMP;
	if (!dated)
		return err_set(e, KASI_ECONFIG,
			       "schema %s maps date to column '%s', which has no date or "
			       "timestamp check",
			       s->name, date->name);
	return 0;
}

/* A duplicate's detail: the file applied before, and, when that was the
 * file of another day than this name's, that this day's has not come. */
static void duplicate_words(const struct ingest_run *r, const struct store_applied *previous,
			    char *detail, size_t size)
{
	char day[DATE_BUFSZ] = "";
	if (r->dated)
		date_format_iso(r->file_date, day);
	if (*day && *previous->file_date && strcmp(day, previous->file_date))
		snprintf(detail, size,
			 "the same content was applied from %s (the file of %s) at %s; skipped: "
			 "the file of %s has not come",
			 previous->name, previous->file_date, previous->applied_at, day);
	else
		snprintf(detail, size, "the same content was applied from %s at %s; skipped",
			 previous->name, previous->applied_at);
}

static int ingest(struct store *s, const struct schema *schema, int fd, const char *path,
		  bool resuming, struct ingest_result *res, struct err *e)
{
	int rc;
	bool in_tx = false;
	struct ingest_run r = { .store = s, .schema = schema, .res = res, .e = e };
	memset(res, 0, sizeof(*res));
	if ((rc = check_schema(schema, e)))
		goto out;
	if (!(r.held_strings = arena_new())) {
		rc = err_set(e, KASI_EIO, "out of memory");
		goto out;
	}
	if ((rc = name_keys(&r)))
		goto out;

	/* The date in the name, for OUT_OF_PERIOD and file-level records. */
	struct regex_matcher *m = regex_matcher_new();
	const char *base = base_name(path);
	r.dated = m && schema->file_dated &&
		  schema_match_name(schema, m, base, &r.file_date) == SCHEMA_NAME_MATCH;
	regex_matcher_free(m);

	if ((rc = store_begin(s, e)))
		goto out;
	in_tx = true;
	char file_date[DATE_BUFSZ];
	if (r.dated)
		date_format_iso(r.file_date, file_date);
	struct store_file f = {
		.name = base_name(path),
		.schema = schema->name,
		.channel = schema->channel,
		.file_date = r.dated ? file_date : NULL,
	};
	if ((rc = store_file_apply_begin(s, &f, &r.file_id, e)))
		goto out;
	struct validate_opts opts = {
		.sha256 = true, .on_row = on_row, .ctx = &r, .row_thread = true, .row_sha256 = true
	};
	rc = validate_fd(schema, fd, path, &opts, &res->v, e);
	fd = -1; /* validate_fd's now */
	if (rc)
		goto out;
	if (!res->v.nerrors && !r.invalid && r.nheld && (rc = store_held(&r)))
		goto out;

	res->any_day = r.any_day;
	res->first_day = r.first_day;
	res->last_day = r.last_day;
	res->dated = r.dated;
	res->file_date = r.file_date;
	char detail[1200];
	/* Identity is the content, whatever the name: content applied before
	 * as this schema's is a duplicate even where this name makes its rows
	 * invalid (a day's file sent again under the next day's name). */
	int found = res->v.rows && res->v.have_sha256
			    ? store_file_applied(s, res->v.sha256, &res->previous, e)
			    : 0;
	if (found < 0) {
		rc = found;
		goto out;
	}
	if (found && res->v.nerrors && strcmp(res->previous.schema, schema->name))
		found = 0; /* another channel's content under this name: invalid here */
	if (res->v.nerrors && !found) {
		store_rollback(s);
		in_tx = false;
		res->outcome = INGEST_REJECTED;
		res->facts = res->duplicates = res->conflicts = res->out_of_period = 0;
		res->discrepancies = res->nnotes = 0;
		snprintf(detail, sizeof(detail), "%" PRIu64 " validation error%s; nothing loaded",
			 res->v.nerrors, res->v.nerrors == 1 ? "" : "s");
		rc = record_attempt(&r, path, "rejected", D_FILE_REJECTED, detail);
		goto out;
	}
	if (found && resuming && !strcmp(res->previous.name, base_name(path))) {
		store_rollback(s);
		in_tx = false;
		res->outcome = INGEST_APPLIED_BEFORE;
		res->file_id = res->previous.file_id;
		res->facts = res->duplicates = res->conflicts = res->out_of_period = 0;
		res->discrepancies = res->nnotes = 0;
		goto out;
	}
	if (found) {
		store_rollback(s);
		in_tx = false;
		res->outcome = INGEST_DUPLICATE_FILE;
		res->facts = res->duplicates = res->conflicts = res->out_of_period = 0;
		res->discrepancies = res->nnotes = 0;
		duplicate_words(&r, &res->previous, detail, sizeof(detail));
		rc = record_attempt(&r, path, "duplicate", D_DUPLICATE_FILE, detail);
		goto out;
	}
	f.sha256 = res->v.sha256;
	f.size = res->v.bytes;
	f.rows = res->v.rows;
	char first_fact[DATE_BUFSZ], last_fact[DATE_BUFSZ];
	if (r.any_day) {
		date_format_iso(r.first_day, first_fact);
		date_format_iso(r.last_day, last_fact);
		f.first_fact_date = first_fact;
		f.last_fact_date = last_fact;
	}
	f.payouts = schema->flow.type == FLOW_PAYOUTS;
	if ((rc = record_reach(&r)))
		goto out;
	if (!(rc = store_file_apply_done(s, r.file_id, &f, e)) && !(rc = store_commit(s, e)))
		in_tx = false;
	res->outcome = INGEST_APPLIED;
	res->file_id = r.file_id;
out:
	if (fd >= 0)
		close(fd);
	if (in_tx)
		store_rollback(s);
	vstrings_release(&r.t);
	free(r.key);
	free(r.periods);
	for (size_t k = 0; k < STORE_MORE_KEYS; k++)
		free((char *)r.key_names[k]);
	arena_free(r.held_strings);
	return rc;
}

int ingest_file(struct store *s, const struct schema *schema, int fd, const char *path,
		struct ingest_result *res, struct err *e)
{
	return ingest(s, schema, fd, path, false, res, e);
}

int ingest_file_resuming(struct store *s, const struct schema *schema, int fd, const char *path,
			 struct ingest_result *res, struct err *e)
{
	return ingest(s, schema, fd, path, true, res, e);
}

void ingest_result_release(struct ingest_result *res)
{
	validation_release(&res->v);
	free(res->notes);
	res->notes = NULL;
	res->nnotes = 0;
}
