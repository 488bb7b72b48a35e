/*
 * period.c — the store's side of periods: scheduling, what reconciliation
 * reads and writes, and the queries behind reports and explanations
 * (see store.h).
 */
#include "core/common.h"
#include "store/db.h"

/* ---- scheduling ------------------------------------------------------------ */

static const char sql_period_get[] =
	"SELECT ifnull(scheduled_at, ''), ifnull(reconciled_at, ''),\n"
	"       (SELECT count(*) FROM expected e WHERE e.period = p.period)\n"
	"  FROM periods p WHERE period = ?1 AND scheduled_at IS NOT NULL";

int store_period_get(struct store *s, const char *period, struct store_period *out, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_period_get, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	if (db_step_row(s, st, &rc, e, "reading a period")) {
		snprintf(out->scheduled_at, sizeof(out->scheduled_at), "%s", db_col_text(st, 0));
		snprintf(out->reconciled_at, sizeof(out->reconciled_at), "%s", db_col_text(st, 1));
		out->expected = sqlite3_column_int64(st, 2);
		return 1;
	}
	return rc;
}

static const char sql_period_schedule[] =
	"INSERT INTO periods (period, scheduled_at) VALUES (?1, ?2)\n"
	"ON CONFLICT (period) DO UPDATE SET scheduled_at = excluded.scheduled_at";
/* SPEC §5: started on or before the last day, not lapsed, not cancelled
 * before the first day. */
static const char sql_expected_snapshot[] = "INSERT INTO expected (period, policy_id, amount)\n"
					    "SELECT ?1, policy_id, premium FROM policies\n"
					    " WHERE start_date <= ?3 AND status <> 'lapsed'\n"
					    "   AND (cancel_date IS NULL OR cancel_date >= ?2)";

int store_schedule_period(struct store *s, const char *period, const char *first_day,
			  const char *last_day, int64_t *scheduled, struct err *e)
{
	int rc = 0;
	char now[32];
	store_now(now);
	sqlite3_stmt *st = db_prep(s, sql_period_schedule, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_bind_text(s, st, &rc, e, 2, now);
	db_step_done(s, st, &rc, e, "recording a period");
	st = db_prep(s, sql_expected_snapshot, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_bind_text(s, st, &rc, e, 2, first_day);
	db_bind_text(s, st, &rc, e, 3, last_day);
	db_step_done(s, st, &rc, e, "scheduling expected premiums");
	*scheduled = rc ? 0 : sqlite3_changes64(s->db);
	return rc;
}

/* ---- what reconciliation reads ------------------------------------------------ */

static void policy_row(sqlite3_stmt *st, struct store_policy_row *p)
{
	*p = (struct store_policy_row){
		.policy_id = sqlite3_column_int64(st, 0),
		.policy_number = db_col_text(st, 1),
		.product_code = db_col_text(st, 2),
		.premium = sqlite3_column_int64(st, 3),
		.channel = db_col_text(st, 4),
		.collection_ref = db_col_text(st, 5),
		.easypay_code = db_col_text(st, 6),
		.status = db_col_text(st, 7),
		.start_date = db_col_text(st, 8),
		.cancel_date = db_col_text(st, 9),
	};
}

#define POLICY_COLUMNS                                                                     \
	"SELECT p.policy_id, p.policy_number, r.product_code, p.premium, p.channel,\n"     \
	"       p.collection_ref, p.easypay_code, p.status, p.start_date, p.cancel_date\n" \
	"  FROM policies p JOIN products r USING (product_id)\n"

static const char sql_each_policy[] = POLICY_COLUMNS " ORDER BY p.policy_id";

int store_each_policy(struct store *s, int (*fn)(void *ctx, const struct store_policy_row *p),
		      void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_policy, &rc, e);
	while (db_step_row(s, st, &rc, e, "reading policies")) {
		struct store_policy_row p;
		policy_row(st, &p);
		if ((rc = fn(ctx, &p)))
			break;
	}
	return rc;
}

static const char sql_policy_find[] = POLICY_COLUMNS " WHERE p.policy_number = ?1";

int store_policy_find(struct store *s, const char *policy_number,
		      int (*fn)(void *ctx, const struct store_policy_row *p), void *ctx,
		      struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_policy_find, &rc, e);
	db_bind_text(s, st, &rc, e, 1, policy_number);
	if (db_step_row(s, st, &rc, e, "reading a policy")) {
		struct store_policy_row p;
		policy_row(st, &p);
		return (rc = fn(ctx, &p)) ? rc : 1;
	}
	return rc;
}

static const char sql_each_expected[] =
	"SELECT policy_id, amount FROM expected WHERE period = ?1 ORDER BY policy_id";

int store_each_expected(struct store *s, const char *period,
			int (*fn)(void *ctx, int64_t policy_id, int64_t amount), void *ctx,
			struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_expected, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	while (db_step_row(s, st, &rc, e, "reading expected premiums"))
		if ((rc = fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1))))
			break;
	return rc;
}

static const char sql_expected_find[] =
	"SELECT amount FROM expected WHERE period = ?1 AND policy_id = ?2";

int store_expected_find(struct store *s, const char *period, int64_t policy_id, int64_t *amount,
			struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_expected_find, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_bind_int(s, st, &rc, e, 2, policy_id);
	if (db_step_row(s, st, &rc, e, "reading an expected premium")) {
		*amount = sqlite3_column_int64(st, 0);
		return 1;
	}
	return rc;
}

#define FACT_COLUMNS                                                                               \
	"SELECT fact_id, file_id, row, channel, transaction_id, reference, business_date, kind,\n" \
	"       status, reason, reason_text, original_id, cycle_date, status_date, amount,\n"      \
	"       requested_amount, status_time\n"

static void fact_row(sqlite3_stmt *st, struct store_fact_row *f)
{
	*f = (struct store_fact_row){
		.fact_id = sqlite3_column_int64(st, 0),
		.file_id = sqlite3_column_int64(st, 1),
		.row = (uint64_t)sqlite3_column_int64(st, 2),
		.channel = db_col_text(st, 3),
		.transaction_id = db_col_text(st, 4),
		.reference = db_col_text(st, 5),
		.business_date = db_col_text(st, 6),
		.kind = db_col_text(st, 7),
		.status = db_col_text(st, 8),
		.reason = db_col_text(st, 9),
		.reason_text = db_col_text(st, 10),
		.original_id = db_col_text(st, 11),
		.cycle_date = db_col_text(st, 12),
		.status_date = db_col_text(st, 13),
		.has_amount = sqlite3_column_type(st, 14) != SQLITE_NULL,
		.amount = sqlite3_column_int64(st, 14),
		.has_requested = sqlite3_column_type(st, 15) != SQLITE_NULL,
		.requested_amount = sqlite3_column_int64(st, 15),
		.status_time = sqlite3_column_type(st, 16) != SQLITE_NULL
				       ? sqlite3_column_int64(st, 16)
				       : -1,
	};
}

/* Run a fact query whose parameters are already bound, row by row. */
static int each_fact(struct store *s, sqlite3_stmt *st, int *rc, struct err *e,
		     int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx)
{
	int found = 0;
	while (db_step_row(s, st, rc, e, "reading facts")) {
		struct store_fact_row f;
		fact_row(st, &f);
		found = 1;
		if ((*rc = fn(ctx, &f)))
			break;
	}
	return *rc ? *rc : found;
}

static const char sql_each_fact_between[] =
	FACT_COLUMNS "  FROM facts INDEXED BY facts_by_date\n"
		     " WHERE business_date BETWEEN ?1 AND ?2 AND duplicate_of IS NULL\n"
		     " ORDER BY business_date, fact_id";

int store_each_fact_between(struct store *s, const char *first_day, const char *last_day,
			    int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx,
			    struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_fact_between, &rc, e);
	db_bind_text(s, st, &rc, e, 1, first_day);
	db_bind_text(s, st, &rc, e, 2, last_day);
	rc = each_fact(s, st, &rc, e, fn, ctx);
	return rc < 0 ? rc : 0;
}

static const char sql_each_fact_of_kind_since[] = FACT_COLUMNS
	"  FROM facts INDEXED BY facts_by_kind\n"
	" WHERE channel = ?1 AND kind = ?2 AND business_date >= ?3 AND duplicate_of IS NULL\n"
	" ORDER BY business_date, fact_id";

int store_each_fact_of_kind_since(struct store *s, const char *channel, const char *kind,
				  const char *first_day,
				  int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx,
				  struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_fact_of_kind_since, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_text(s, st, &rc, e, 2, kind);
	db_bind_text(s, st, &rc, e, 3, first_day);
	rc = each_fact(s, st, &rc, e, fn, ctx);
	return rc < 0 ? rc : 0;
}

static const char sql_each_fact_by_transaction[] = FACT_COLUMNS
	"  FROM facts INDEXED BY facts_by_date\n"
	" WHERE business_date BETWEEN ?2 AND ?3 AND channel = ?1 AND duplicate_of IS NULL\n"
	" ORDER BY transaction_id, status_date, status_time, fact_id";

int store_each_fact_by_transaction(struct store *s, const char *channel, const char *first_day,
				   const char *last_day,
				   int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx,
				   struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_fact_by_transaction, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_text(s, st, &rc, e, 2, first_day);
	db_bind_text(s, st, &rc, e, 3, last_day);
	rc = each_fact(s, st, &rc, e, fn, ctx);
	return rc < 0 ? rc : 0;
}

static const char sql_fact_find[] =
	FACT_COLUMNS "  FROM facts WHERE channel = ?1 AND fact_key = ?2 AND duplicate_of IS NULL";

int store_fact_find(struct store *s, const char *channel, const char *fact_key,
		    int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_fact_find, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_text(s, st, &rc, e, 2, fact_key);
	return each_fact(s, st, &rc, e, fn, ctx);
}

static const char sql_fact_at[] = FACT_COLUMNS "  FROM facts WHERE file_id = ?1 AND row = ?2";

int store_fact_at(struct store *s, int64_t file_id, uint64_t row,
		  int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_fact_at, &rc, e);
	db_bind_int(s, st, &rc, e, 1, file_id);
	db_bind_int(s, st, &rc, e, 2, (int64_t)row);
	return each_fact(s, st, &rc, e, fn, ctx);
}

static const char sql_each_fact_on_cycle[] = FACT_COLUMNS
	"  FROM facts INDEXED BY facts_by_reference\n"
	" WHERE channel = ?1 AND reference = ?2 AND cycle_date = ?3 AND duplicate_of IS NULL\n"
	"   AND instr(',' || ?4 || ',', ',' || kind || ',') > 0\n"
	" ORDER BY fact_id";

int store_each_fact_on_cycle(struct store *s, const char *channel, const char *reference,
			     const char *cycle_date, const char *kinds,
			     int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx,
			     struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_fact_on_cycle, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_text(s, st, &rc, e, 2, reference);
	db_bind_text(s, st, &rc, e, 3, cycle_date);
	db_bind_text(s, st, &rc, e, 4, kinds);
	rc = each_fact(s, st, &rc, e, fn, ctx);
	return rc < 0 ? rc : 0;
}

static void ledger_row(sqlite3_stmt *st, int at, struct store_ledger_row *l)
{
	*l = (struct store_ledger_row){
		.ledger_id = sqlite3_column_int64(st, at),
		.file_id = sqlite3_column_int64(st, at + 1),
		.row = (uint64_t)sqlite3_column_int64(st, at + 2),
		.channel = db_col_text(st, at + 3),
		.transaction_id = db_col_text(st, at + 4),
		.reference = db_col_text(st, at + 5),
		.business_date = db_col_text(st, at + 6),
		.status = db_col_text(st, at + 7),
		.amount = sqlite3_column_int64(st, at + 8),
	};
}

/* Each of the channel's rows with its ledger record, found by the ledger's
 * unique (channel, transaction_id) index: one lookup a row. */
static const char sql_each_fact_with_ledger[] =
	"SELECT f.fact_id, f.file_id, f.row, f.channel, f.transaction_id, f.reference,\n"
	"       f.business_date, f.kind, f.status, f.reason, f.reason_text, f.original_id,\n"
	"       f.cycle_date, f.status_date, f.amount, f.requested_amount, f.status_time,\n"
	"       l.ledger_id, l.file_id, l.row, l.channel, l.transaction_id, l.reference,\n"
	"       l.business_date, l.status, l.amount\n"
	"  FROM facts f INDEXED BY facts_by_date\n"
	"  LEFT JOIN ledger l ON l.channel = f.channel AND l.transaction_id = f.transaction_id\n"
	" WHERE f.channel = ?1 AND f.business_date BETWEEN ?2 AND ?3 AND f.duplicate_of IS NULL\n"
	" ORDER BY f.business_date, f.fact_id";

int store_each_fact_with_ledger(struct store *s, const char *channel, const char *first_day,
				const char *last_day,
				int (*fn)(void *ctx, const struct store_fact_row *f,
					  const struct store_ledger_row *l),
				void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_fact_with_ledger, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_text(s, st, &rc, e, 2, first_day);
	db_bind_text(s, st, &rc, e, 3, last_day);
	while (db_step_row(s, st, &rc, e, "matching the ledger")) {
		struct store_fact_row f;
		struct store_ledger_row l;
		fact_row(st, &f);
		bool has = sqlite3_column_type(st, 17) != SQLITE_NULL;
		if (has)
			ledger_row(st, 17, &l);
		if ((rc = fn(ctx, &f, has ? &l : NULL)))
			break;
	}
	return rc;
}

/* NOT EXISTS through the facts' unique (channel, fact_key) index. */
static const char sql_each_ledger_unmatched[] =
	"SELECT l.ledger_id, l.file_id, l.row, l.channel, l.transaction_id, l.reference,\n"
	"       l.business_date, l.status, l.amount\n"
	"  FROM ledger l\n"
	" WHERE l.channel = ?1 AND l.business_date BETWEEN ?2 AND ?3\n"
	"   AND EXISTS (SELECT 1 FROM files d WHERE d.channel = l.channel\n"
	"                  AND d.outcome = 'applied' AND d.file_date = l.business_date)\n"
	"   AND NOT EXISTS (SELECT 1 FROM facts f WHERE f.channel = l.channel\n"
	"                      AND f.fact_key = l.transaction_id AND f.duplicate_of IS NULL)\n"
	" ORDER BY l.business_date, l.ledger_id";

int store_each_ledger_unmatched(struct store *s, const char *channel, const char *first_day,
				const char *last_day,
				int (*fn)(void *ctx, const struct store_ledger_row *l), void *ctx,
				struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_ledger_unmatched, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_text(s, st, &rc, e, 2, first_day);
	db_bind_text(s, st, &rc, e, 3, last_day);
	while (db_step_row(s, st, &rc, e, "reading the ledger")) {
		struct store_ledger_row l;
		ledger_row(st, 0, &l);
		if ((rc = fn(ctx, &l)))
			break;
	}
	return rc;
}

static const char sql_policy_find_number[] =
	"SELECT policy_number FROM policies WHERE policy_id = ?1";

int store_policy_find_number(struct store *s, int64_t policy_id, char out[64], struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_policy_find_number, &rc, e);
	db_bind_int(s, st, &rc, e, 1, policy_id);
	if (db_step_row(s, st, &rc, e, "reading a policy's number")) {
		snprintf(out, 64, "%s", db_col_text(st, 0));
		return 1;
	}
	return rc;
}

/* ---- what reconciliation writes ---------------------------------------------- */

static const char sql_outcomes_clear[] = "DELETE FROM outcomes WHERE period = ?1";
static const char sql_discrepancies_clear[] =
	"DELETE FROM discrepancies WHERE period = ?1 AND source = 'reconcile'";

int store_reconcile_clear(struct store *s, const char *period, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_outcomes_clear, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_step_done(s, st, &rc, e, "clearing outcomes");
	st = db_prep(s, sql_discrepancies_clear, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_step_done(s, st, &rc, e, "clearing discrepancies");
	return rc;
}

static const char sql_outcome_add[] =
	"INSERT INTO outcomes (period, policy_id, status, expected, collected, shortfall,\n"
	"                      pending, reason, raw_reason, rule)\n"
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

int store_outcome_add(struct store *s, const char *period, const struct store_outcome *o,
		      struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_outcome_add, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_bind_int(s, st, &rc, e, 2, o->policy_id);
	db_bind_text(s, st, &rc, e, 3, o->status);
	db_bind_int(s, st, &rc, e, 4, o->expected);
	db_bind_int(s, st, &rc, e, 5, o->collected);
	db_bind_int(s, st, &rc, e, 6, o->shortfall);
	db_bind_int(s, st, &rc, e, 7, o->pending);
	db_bind_opt_text(s, st, &rc, e, 8, o->reason);
	db_bind_opt_text(s, st, &rc, e, 9, o->raw_reason);
	db_bind_text(s, st, &rc, e, 10, o->rule);
	db_step_done(s, st, &rc, e, "recording an outcome");
	return rc;
}

static const char sql_period_reconciled[] =
	"UPDATE periods SET reconciled_at = ?2 WHERE period = ?1";

int store_period_reconciled(struct store *s, const char *period, struct err *e)
{
	int rc = 0;
	char now[32];
	store_now(now);
	sqlite3_stmt *st = db_prep(s, sql_period_reconciled, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_bind_text(s, st, &rc, e, 2, now);
	db_step_done(s, st, &rc, e, "recording a reconciliation");
	return rc;
}

static const char sql_discrepancy_total[] = "SELECT count(*) FROM discrepancies WHERE period = ?1";

int store_discrepancy_total(struct store *s, const char *period, int64_t *n, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_discrepancy_total, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	*n = db_step_row(s, st, &rc, e, "counting discrepancies") ? sqlite3_column_int64(st, 0) : 0;
	return rc;
}

static const char sql_discrepancy_total_from[] =
	"SELECT count(*) FROM discrepancies WHERE period = ?1 AND source = ?2";

int store_discrepancy_total_from(struct store *s, const char *period, const char *source,
				 int64_t *n, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_discrepancy_total_from, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_bind_text(s, st, &rc, e, 2, source);
	*n = db_step_row(s, st, &rc, e, "counting discrepancies") ? sqlite3_column_int64(st, 0) : 0;
	return rc;
}

/* ---- reports and explanations -------------------------------------------------- */

#define OUTCOME_COLUMNS                                                                       \
	"SELECT p.policy_number, r.product_code, o.status, o.reason, o.raw_reason, o.rule,\n" \
	"       o.policy_id, o.expected, o.collected, o.shortfall, o.pending\n"               \
	"  FROM outcomes o JOIN policies p USING (policy_id) JOIN products r USING (product_id)\n"

static void outcome_row(sqlite3_stmt *st, struct store_outcome_row *o)
{
	*o = (struct store_outcome_row){
		.policy_number = db_col_text(st, 0),
		.product_code = db_col_text(st, 1),
		.status = db_col_text(st, 2),
		.reason = db_col_text(st, 3),
		.raw_reason = db_col_text(st, 4),
		.rule = db_col_text(st, 5),
		.policy_id = sqlite3_column_int64(st, 6),
		.expected = sqlite3_column_int64(st, 7),
		.collected = sqlite3_column_int64(st, 8),
		.shortfall = sqlite3_column_int64(st, 9),
		.pending = sqlite3_column_int64(st, 10),
	};
}

static const char sql_each_outcome[] =
	OUTCOME_COLUMNS " WHERE o.period = ?1 ORDER BY p.policy_number";

int store_each_outcome(struct store *s, const char *period,
		       int (*fn)(void *ctx, const struct store_outcome_row *o), void *ctx,
		       struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_outcome, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	while (db_step_row(s, st, &rc, e, "reading outcomes")) {
		struct store_outcome_row o;
		outcome_row(st, &o);
		if ((rc = fn(ctx, &o)))
			break;
	}
	return rc;
}

static const char sql_outcome_find[] = OUTCOME_COLUMNS " WHERE o.period = ?1 AND o.policy_id = ?2";

int store_outcome_find(struct store *s, const char *period, int64_t policy_id,
		       int (*fn)(void *ctx, const struct store_outcome_row *o), void *ctx,
		       struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_outcome_find, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_bind_int(s, st, &rc, e, 2, policy_id);
	if (db_step_row(s, st, &rc, e, "reading an outcome")) {
		struct store_outcome_row o;
		outcome_row(st, &o);
		return (rc = fn(ctx, &o)) ? rc : 1;
	}
	return rc;
}

static const char sql_each_discrepancy[] =
	"SELECT d.code, d.severity, d.channel, ifnull(f.name, ''), d.reference,\n"
	"       d.transaction_id, d.expected, d.actual, d.detail, ifnull(d.row, 0)\n"
	"  FROM discrepancies d LEFT JOIN files f USING (file_id)\n"
	" WHERE d.period = ?1\n"
	" ORDER BY d.code, ifnull(f.name, ''), ifnull(d.row, 0), ifnull(d.transaction_id, ''),\n"
	"          d.detail";

int store_each_discrepancy(struct store *s, const char *period,
			   int (*fn)(void *ctx, const struct store_discrepancy_row *d), void *ctx,
			   struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_discrepancy, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	while (db_step_row(s, st, &rc, e, "reading discrepancies")) {
		struct store_discrepancy_row d = {
			.code = db_col_text(st, 0),
			.severity = db_col_text(st, 1),
			.channel = db_col_text(st, 2),
			.file = db_col_text(st, 3),
			.reference = db_col_text(st, 4),
			.transaction_id = db_col_text(st, 5),
			.expected = db_col_text(st, 6),
			.actual = db_col_text(st, 7),
			.detail = db_col_text(st, 8),
			.row = (uint64_t)sqlite3_column_int64(st, 9),
		};
		if ((rc = fn(ctx, &d)))
			break;
	}
	return rc;
}

static const char sql_each_policy_change[] =
	"SELECT c.field, c.old_value, c.new_value, f.name, c.changed_at\n"
	"  FROM policy_changes c JOIN files f USING (file_id)\n"
	" WHERE c.policy_id = ?1 ORDER BY c.change_id";

int store_each_policy_change(struct store *s, int64_t policy_id,
			     int (*fn)(void *ctx, const struct store_policy_change *c), void *ctx,
			     struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_policy_change, &rc, e);
	db_bind_int(s, st, &rc, e, 1, policy_id);
	while (db_step_row(s, st, &rc, e, "reading a policy's history")) {
		struct store_policy_change c = {
			.field = db_col_text(st, 0),
			.old_value = db_col_text(st, 1),
			.new_value = db_col_text(st, 2),
			.file = db_col_text(st, 3),
			.changed_at = db_col_text(st, 4),
		};
		if ((rc = fn(ctx, &c)))
			break;
	}
	return rc;
}

static const char sql_file_name[] = "SELECT name FROM files WHERE file_id = ?1";

int store_file_name(struct store *s, int64_t file_id, char out[512], struct err *e)
{
	int rc = 0;
	out[0] = '\0';
	sqlite3_stmt *st = db_prep(s, sql_file_name, &rc, e);
	db_bind_int(s, st, &rc, e, 1, file_id);
	if (db_step_row(s, st, &rc, e, "reading a file's name"))
		snprintf(out, 512, "%s", db_col_text(st, 0));
	return rc;
}
