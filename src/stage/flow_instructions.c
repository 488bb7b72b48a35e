/*
 * flow_instructions.c — the instructions flow: rows are status updates of
 * one instruction (see match.h).
 *
 * The period's rows (those whose date, the action date, is in it) are held
 * until all are read, then each instruction's rows are put in order: by the
 * schema's `order` date (none first), its time (none first), then arrival.
 *   - its first collected row collects the row's amount, on the action
 *     date; a failed row after it takes the collection back, on that row's
 *     own date (a tracking row never does);
 *   - without a collection, the latest row decides: pending or tracking is
 *     pending (the amount requested; tracking keeps its code as a reason),
 *     failed collects nothing and gives its reason, cancelled nothing.
 * The policy is the one the deciding row's reference names; none is
 * UNKNOWN_REFERENCE. A failure is dated, among a policy's failures from
 * every channel, by its row's business date (the action date), then its
 * time and arrival.
 *
 * For debit-order health, an instruction collected, or failed at its
 * latest row, reached a final state; failed, or taken back, it is an
 * unpaid (pending, tracking and cancelled ones are not final).
 */
#include "core/common.h"
#include "core/grow.h"
#include "stage/discrepancy.h"
#include "stage/match.h"

/* A stored fact's value for a canonical field the schema orders by. */
static int32_t order_day(const struct store_fact_row *f, enum canon_field field)
{
	const char *v = field == CANON_STATUS_DATE  ? f->status_date
			: field == CANON_CYCLE_DATE ? f->cycle_date
						    : f->business_date;
	return v ? match_day(v) : MATCH_NO_DAY;
}

int flow_instructions_fact(struct matcher *m, const struct channel *c,
			   const struct store_fact_row *f)
{
	if (!grow_array((void **)&m->instructions, &m->instructions_cap, m->ninstructions + 1,
			sizeof(*m->instructions)))
		return err_set(m->e, KASI_EIO, "out of memory");
	const struct schema_flow *flow = &c->schema->flow;
	struct instruction_row *r = &m->instructions[m->ninstructions++];
	*r = (struct instruction_row){
		.fact_id = f->fact_id,
		.amount = f->has_amount ? f->amount : 0,
		.requested = f->has_requested ? f->requested_amount : 0,
		.txn = matcher_keep(m, f->transaction_id),
		.reference = matcher_keep(m, f->reference ? f->reference : ""),
		.code = matcher_keep(m, f->reason ? f->reason : ""),
		.status = matcher_keep(m, f->status ? f->status : ""),
		.day = match_day(f->business_date),
		.order_day = flow->norder ? order_day(f, flow->order[0]) : MATCH_NO_DAY,
		.order_time =
			flow->norder > 1 && f->status_time >= 0 ? (int32_t)f->status_time : -1,
		.status_day = f->status_date ? match_day(f->status_date) : MATCH_NO_DAY,
		.kind = (uint8_t)match_fact_kind(f),
		.channel = c->id,
	};
	return m->oom ? err_set(m->e, KASI_EIO, "out of memory") : 0;
}

/* Instruction by instruction (channel, then id); within one, by its order
 * date (none first), time (none first), arrival. */
static int instruction_order(const void *a, const void *b)
{
	const struct instruction_row *x = a, *y = b;
	if (x->channel != y->channel)
		return x->channel < y->channel ? -1 : 1;
	int c = strcmp(x->txn, y->txn);
	if (c)
		return c;
	int64_t xd = x->order_day == MATCH_NO_DAY ? INT64_MIN : x->order_day;
	int64_t yd = y->order_day == MATCH_NO_DAY ? INT64_MIN : y->order_day;
	if (xd != yd)
		return xd < yd ? -1 : 1;
	if (x->order_time != y->order_time)
		return x->order_time < y->order_time ? -1 : 1;
	return x->fact_id < y->fact_id ? -1 : x->fact_id > y->fact_id;
}

/* A held row's place; date[] receives the date shown for it. */
static struct where where_of(const struct matcher *m, const struct instruction_row *r, int32_t day,
			     char date[DATE_BUFSZ])
{
	date_format_iso(day, date);
	return (struct where){ m->channels[r->channel].name, r->fact_id >> 32,
			       (uint64_t)r->fact_id & STORE_MAX_ROW, r->txn, date };
}

/* The collection of an instruction, and the failure after it that takes
 * it back, if any. */
static void collected(struct matcher *m, const struct channel *c, uint32_t pol,
		      const struct instruction_row *done, const struct instruction_row *end)
{
	const char *word = schema_kind_word(c->schema, FACT_COLLECTED);
	char date[DATE_BUFSZ];
	struct where w = where_of(m, done, done->day, date);
	int32_t paid = done->status_day != MATCH_NO_DAY ? done->status_day : done->day;
	if (!matcher_collect(m, pol, &w, done->day, done->amount, "%s %s (status %s)",
			     schema_label(c->schema), word, done->status))
		return; /* not counted: nothing to take back */
	matcher_check_inactive(m, pol, &w, paid);
	matcher_debit_instruction(m, pol, c);
	for (const struct instruction_row *r = done + 1; r < end; r++) {
		if (r->kind != FACT_FAILED)
			continue;
		int32_t day = r->status_day != MATCH_NO_DAY ? r->status_day : r->day;
		char rdate[DATE_BUFSZ];
		struct where rw = where_of(m, r, day, rdate);
		matcher_take_back(m, pol, &rw, day, done->amount, done->fact_id,
				  "status %s (%s) after the %s: reverses it", r->status,
				  *r->code ? r->code : "no code", word);
		matcher_failure(m, pol, c->name, r->day, r->order_time, r->fact_id, r->code);
		matcher_debit_unpaid(m, pol, c, r->code);
		return;
	}
}

/* An instruction that collected nothing: its latest row decides. */
static void not_collected(struct matcher *m, const struct channel *c, uint32_t pol,
			  const struct instruction_row *latest)
{
	char date[DATE_BUFSZ];
	struct where w = where_of(m, latest, latest->day, date);
	const char *label = schema_label(c->schema);
	const char *word = schema_kind_word(c->schema, latest->kind);
	switch (latest->kind) {
	case FACT_PENDING:
	case FACT_TRACKING:
		matcher_pending(m, pol, &w, latest->day, latest->requested,
				"%s instruction at status %s (%s): pending, not counted", label,
				latest->status, word);
		if (latest->kind == FACT_TRACKING)
			matcher_failure(m, pol, c->name, latest->day, latest->order_time,
					latest->fact_id, latest->code);
		break;
	case FACT_FAILED:
		matcher_failure(m, pol, c->name, latest->day, latest->order_time, latest->fact_id,
				latest->code);
		matcher_debit_instruction(m, pol, c);
		matcher_debit_unpaid(m, pol, c, latest->code);
		matcher_trace(m, pol, TRACE_FAILURE, &w, false, 0,
			      "%s instruction at status %s, %s (%s): nothing collected", label,
			      latest->status, word, *latest->code ? latest->code : "no code");
		break;
	default:
		matcher_trace(m, pol, TRACE_NOT_COUNTED, &w, false, 0,
			      "%s instruction at status %s (%s): nothing collected", label,
			      latest->status, word);
		break;
	}
}

/* The rows of one instruction, [first, end), in instruction_order. */
static void decide(struct matcher *m, const struct instruction_row *first,
		   const struct instruction_row *end)
{
	const struct channel *c = &m->channels[first->channel];
	const struct instruction_row *done = NULL, *latest = end - 1;
	for (const struct instruction_row *r = first; r < end && !done; r++)
		if (r->kind == FACT_COLLECTED)
			done = r;
	const struct instruction_row *decides = done ? done : latest;
	uint32_t pol = matcher_policy(m, c, decides->reference);
	if (pol == MATCH_NONE) {
		char date[DATE_BUFSZ];
		struct where w = where_of(m, decides, decides->day, date);
		const char *ref = matcher_reference(m, c, decides->reference);
		matcher_find(m, D_UNKNOWN_REFERENCE, &w, MATCH_NONE, ref, NULL, ref,
			     matcher_fmt(m, "no %s policy has collection_ref %s",
					 schema_label(c->schema), *ref ? ref : "(none)"));
		return;
	}
	if (done)
		collected(m, c, pol, done, end);
	else
		not_collected(m, c, pol, latest);
}

void flow_instructions_finish(struct matcher *m)
{
	if (m->ninstructions > 1) /* none: the array is NULL, which qsort may not be given */
		qsort(m->instructions, m->ninstructions, sizeof(*m->instructions),
		      instruction_order);
	for (size_t i = 0, j; i < m->ninstructions; i = j) {
		const struct instruction_row *r = &m->instructions[i];
		for (j = i + 1; j < m->ninstructions && m->instructions[j].channel == r->channel &&
				!strcmp(m->instructions[j].txn, r->txn);
		     j++)
			;
		decide(m, r, m->instructions + j);
	}
}
