/*
 * period.c — the store's side of periods: scheduling, what reconciliation
 * reads and writes, and the queries behind reports and explanations
 * (see store.h).
 */
#include "core/common.h"
#include "store/db.h"

/* ---- scheduling ------------------------------------------------------------ */

static const char sql_period_get[] =
	"SELECT ifnull(scheduled_at, ''), ifnull(reconciled_at, ''), debit_results\n"
	"  FROM periods p WHERE period = ?1 AND scheduled_at IS NOT NULL";
static const char sql_period_expected[] = "SELECT count(*) FROM expected WHERE period = ?1";

int store_period_expected(struct store *s, const char *period, int64_t *n, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_period_expected, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	*n = db_step_row(s, st, &rc, e, "counting expected premiums") ? sqlite3_column_int64(st, 0)
								      : 0;
	if (st)
		sqlite3_reset(st);
	return rc;
}

int store_period_get(struct store *s, const char *period, struct store_period *out, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_period_get, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	if (db_step_row(s, st, &rc, e, "reading a period")) {
		snprintf(out->scheduled_at, sizeof(out->scheduled_at), "%s", db_col_text(st, 0));
		snprintf(out->reconciled_at, sizeof(out->reconciled_at), "%s", db_col_text(st, 1));
		out->debit_results = sqlite3_column_int(st, 2) != 0;
		sqlite3_reset(st);
		rc = store_period_files_since_reconciled(s, period, &out->files_since_reconciled,
							 e);
		return rc ? rc : 1;
	}
	return rc;
}

/* The rule of struct store_period. "Since" is by file_id, not by time:
 * ids only grow, and reconciled_at has whole seconds. A channel's file
 * reaches the periods it was given when it was applied (file_periods:
 * store_file_period_add), and again when it is voided (by void_id, which
 * only grows too). Reference data has no channel; a header-only load of
 * it changes nothing. */
static const char sql_period_files_since_reconciled[] =
	"SELECT count(*) FROM periods p JOIN files f\n"
	"    ON f.file_id > p.reconciled_through_file OR f.voided > p.reconciled_through_void\n"
	" WHERE p.period = ?1 AND f.outcome = 'applied' AND f.period_facts = 1\n"
	"   AND (EXISTS (SELECT 1 FROM file_periods r\n"
	"                 WHERE r.period = p.period AND r.file_id = f.file_id)\n"
	"        OR (f.channel IS NULL AND f.rows > 0 AND f.schema <> 'products'))";

int store_period_files_since_reconciled(struct store *s, const char *period, int64_t *files,
					struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_period_files_since_reconciled, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	*files = db_step_row(s, st, &rc, e, "reading what changed since a reconciliation")
			 ? sqlite3_column_int64(st, 0)
			 : 0;
	if (st)
		sqlite3_reset(st);
	return rc;
}

/* ---- what a channel's file can change ---------------------------------------- */

static const char sql_file_period_add[] =
	"INSERT OR IGNORE INTO file_periods (period, file_id) VALUES (?1, ?2)";

int store_file_period_add(struct store *s, int64_t file_id, const char *period, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_file_period_add, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_bind_int(s, st, &rc, e, 2, file_id);
	db_step_done(s, st, &rc, e, "recording what a file can change");
	return rc;
}

/* Each distinct period (the first seven characters of a date) a query
 * gives, through fn. */
static int each_period(struct store *s, sqlite3_stmt *st, int *rc, struct err *e,
		       int (*fn)(void *ctx, const char *period), void *ctx)
{
	while (db_step_row(s, st, rc, e, "reading what a file can change"))
		if ((*rc = fn(ctx, db_col_text(st, 0))))
			break;
	if (st)
		sqlite3_reset(st);
	return *rc;
}

/* The rows a reach query starts from: a file's (?2..?3, its fact ids),
 * those that count; or the rows a void decided again whose standing
 * changed (temp.void_decided: repeats that count now, rows that count no
 * more), whatever they are now. */
#define FILE_ROWS(t)	     t "fact_id BETWEEN ?2 AND ?3"
#define FILE_ROWS_COUNTED(t) FILE_ROWS(t) " AND " STORE_COUNTED(t)
#define CHANGED_ROWS(t) \
	t "fact_id IN (SELECT fact_id FROM temp.void_decided WHERE counts <> counted)"

/* The rows' reversals; the pairs (reference, cycle date) they link by,
 * and those of the originals they name; the facts of those pairs and the
 * originals named (what the reversals may take back); and the reversals
 * that name any of those by id (what they compete with). Their dates and
 * cycle dates. */
/* clang-format off */
#define SQL_PERIODS_LINKED(ROWS)                                                         \
	"WITH mine AS (\n"                                                               \
	"  SELECT reference, cycle_date, original_id FROM facts NOT INDEXED\n"           \
	"   WHERE " ROWS("") " AND canonical_kind = 'reversal'),\n"                     \
	"named AS (\n"                                                                   \
	"  SELECT o.fact_key, o.reference, o.cycle_date, o.business_date FROM mine\n"    \
	"    JOIN facts o ON o.channel = ?1 AND o.fact_key = mine.original_id\n"         \
	"   WHERE " STORE_COUNTED("o.") "),\n"                                            \
	"pairs(reference, cycle_date) AS (\n"                                            \
	"  SELECT reference, cycle_date FROM mine\n"                                     \
	"   WHERE reference IS NOT NULL AND cycle_date IS NOT NULL\n"                    \
	"  UNION SELECT reference, cycle_date FROM named\n"                              \
	"   WHERE reference IS NOT NULL AND cycle_date IS NOT NULL),\n"                  \
	"members(fact_key, d1, d2) AS (\n"                                               \
	"  SELECT m.fact_key, m.business_date, m.cycle_date FROM pairs\n"                \
	"    JOIN facts m INDEXED BY facts_by_cycle\n"                                   \
	"      ON m.cycle_date = pairs.cycle_date AND m.reference = pairs.reference\n"   \
	"   WHERE m.channel = ?1 AND " STORE_COUNTED("m.") "\n"                           \
	"  UNION SELECT fact_key, business_date, cycle_date FROM named),\n"              \
	"rivals(d1, d2) AS (\n"                                                          \
	"  SELECT r.business_date, r.cycle_date FROM members\n"                          \
	"    CROSS JOIN facts r INDEXED BY facts_by_original\n"                          \
	"      ON r.channel = ?1 AND r.original_id = members.fact_key\n"                 \
	"   WHERE r.canonical_kind = 'reversal' AND " STORE_COUNTED("r.") ")\n"           \
	"SELECT DISTINCT substr(d, 1, 7) FROM (\n"                                       \
	"  SELECT d1 AS d FROM members UNION ALL SELECT d2 FROM members\n"               \
	"  UNION ALL SELECT d1 FROM rivals UNION ALL SELECT d2 FROM rivals)\n"           \
	" WHERE d IS NOT NULL"
/* clang-format on */
static const char sql_periods_linked[] = SQL_PERIODS_LINKED(FILE_ROWS_COUNTED);

/* The periods a query of one channel's file gives: ?1 the channel, ?2..?3
 * the range of the file's fact ids. */
static int file_periods(struct store *s, const char *sql, const char *channel, int64_t file_id,
			int (*fn)(void *ctx, const char *period), void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_int(s, st, &rc, e, 2, store_fact_id(file_id, 0));
	db_bind_int(s, st, &rc, e, 3, store_fact_id(file_id, STORE_MAX_ROW));
	return each_period(s, st, &rc, e, fn, ctx);
}

int store_each_period_linked(struct store *s, const char *channel, int64_t file_id,
			     int (*fn)(void *ctx, const char *period), void *ctx, struct err *e)
{
	return file_periods(s, sql_periods_linked, channel, file_id, fn, ctx, e);
}

/* The stored reversals of the channel that name one of the rows by id;
 * and the facts of a collection's reference and cycle date: the reversals
 * (an orphan until then, in the period of its own date, that the
 * collection may be the original of) and the other collections (what a
 * reversal takes back in its place when it goes). Each row looked up in
 * facts_by_original, each collection in facts_by_cycle (the work grows
 * with the file, not with the history of reversals). */
/* clang-format off */
#define SQL_PERIODS_NAMING(ROWS)                                                         \
	"WITH naming(d1, d2) AS (\n"                                                     \
	"  SELECT r.business_date, r.cycle_date\n"                                        \
	"    FROM facts x NOT INDEXED CROSS JOIN facts r INDEXED BY facts_by_original\n"  \
	"   WHERE " ROWS("x.") " AND x.channel = ?1\n"                                    \
	"     AND r.channel = ?1 AND r.original_id = x.fact_key\n"                        \
	"     AND r.canonical_kind = 'reversal' AND " STORE_COUNTED("r.") "\n"             \
	"  UNION ALL\n"                                                                   \
	"  SELECT r.business_date, NULL\n"                                                \
	"    FROM facts x NOT INDEXED CROSS JOIN facts r INDEXED BY facts_by_cycle\n"     \
	"   WHERE " ROWS("x.") " AND x.channel = ?1 AND x.canonical_kind = 'collected'\n" \
	"     AND r.cycle_date = x.cycle_date AND r.reference = x.reference\n"            \
	/* (itself: passed over from the index, its row never read) */                    \
	"     AND r.fact_id <> x.fact_id\n"                                               \
	"     AND r.channel = ?1 AND r.canonical_kind IN ('reversal', 'collected')\n"     \
	"     AND " STORE_COUNTED("r.") ")\n"                                              \
	"SELECT DISTINCT substr(d, 1, 7) FROM (\n"                                        \
	"  SELECT d1 AS d FROM naming UNION ALL SELECT d2 FROM naming)\n"                 \
	" WHERE d IS NOT NULL"
/* clang-format on */
static const char sql_periods_naming[] = SQL_PERIODS_NAMING(FILE_ROWS_COUNTED);

int store_each_period_naming(struct store *s, const char *channel, int64_t file_id,
			     int (*fn)(void *ctx, const char *period), void *ctx, struct err *e)
{
	return file_periods(s, sql_periods_naming, channel, file_id, fn, ctx, e);
}

/* The ledger records the rows hold: a record of another day that a file
 * holds is not missing from that day's file. */
#define SQL_PERIODS_LEDGER_HELD(ROWS)                                                        \
	"SELECT DISTINCT substr(l.business_date, 1, 7)\n"                                    \
	"  FROM facts x NOT INDEXED\n"                                                       \
	"  CROSS JOIN ledger l ON l.channel = x.channel AND l.transaction_id = x.fact_key\n" \
	" WHERE " ROWS("x.") " AND x.channel = ?1"
static const char sql_periods_ledger_held[] = SQL_PERIODS_LEDGER_HELD(FILE_ROWS);

/* What the rows a void decided again can change, as for a file applied:
 * the periods of their own dates and cycle dates; and a repeat that
 * counts now may take back, or be taken back, as a row of a file just
 * applied, a row that counts no more as one voided. */
static const char *const sql_periods_changed[] = {
	"SELECT DISTINCT substr(d, 1, 7) FROM (\n"
	"  SELECT business_date AS d FROM facts WHERE " CHANGED_ROWS(
		"") " AND channel = ?1\n"
		    "  UNION ALL\n"
		    "  SELECT cycle_date FROM facts WHERE " CHANGED_ROWS("") " AND channel = ?1)\n"
									     " WHERE d IS NOT NULL",
	SQL_PERIODS_NAMING(CHANGED_ROWS),
	SQL_PERIODS_LINKED(CHANGED_ROWS),
	SQL_PERIODS_LEDGER_HELD(CHANGED_ROWS),
};

int store_each_period_void_changed(struct store *s, const char *channel,
				   int (*fn)(void *ctx, const char *period), void *ctx,
				   struct err *e)
{
	int rc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sql_periods_changed) && !rc; i++) {
		sqlite3_stmt *st = db_prep(s, sql_periods_changed[i], &rc, e);
		db_bind_text(s, st, &rc, e, 1, channel);
		rc = each_period(s, st, &rc, e, fn, ctx);
	}
	return rc;
}

int store_each_period_ledger_held(struct store *s, const char *channel, int64_t file_id,
				  int (*fn)(void *ctx, const char *period), void *ctx,
				  struct err *e)
{
	return file_periods(s, sql_periods_ledger_held, channel, file_id, fn, ctx, e);
}

static const char sql_period_schedule[] =
	"INSERT INTO periods (period, scheduled_at) VALUES (?1, ?2)\n"
	"ON CONFLICT (period) DO UPDATE SET scheduled_at = excluded.scheduled_at";
/* Active in a period: started on or before the last day, not lapsed, not cancelled
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
		.cash_code = db_col_text(st, 6),
		.status = db_col_text(st, 7),
		.start_date = db_col_text(st, 8),
		.cancel_date = db_col_text(st, 9),
	};
}

#define POLICY_COLUMNS                                                                  \
	"SELECT p.policy_id, p.policy_number, r.product_code, p.premium, p.channel,\n"  \
	"       p.collection_ref, p.cash_code, p.status, p.start_date, p.cancel_date\n" \
	"  FROM policies p JOIN products r USING (product_id)\n"

static const char sql_channel_has_facts[] =
	"SELECT 1 FROM files WHERE channel = ?1 AND outcome = 'applied' AND period_facts = 1\n"
	"   AND first_fact_date <= ?3 AND last_fact_date >= ?2 AND voided IS NULL LIMIT 1";

int store_channel_has_facts(struct store *s, const char *channel, const char *first_day,
			    const char *last_day, bool *any, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_channel_has_facts, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_text(s, st, &rc, e, 2, first_day);
	db_bind_text(s, st, &rc, e, 3, last_day);
	*any = db_step_row(s, st, &rc, e, "reading files");
	if (st)
		sqlite3_reset(st);
	return rc;
}

static const char sql_policy_max_id[] = "SELECT ifnull(max(policy_id), 0) FROM policies";

int store_policy_max_id(struct store *s, int64_t *max, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_policy_max_id, &rc, e);
	*max = db_step_row(s, st, &rc, e, "reading policies") ? sqlite3_column_int64(st, 0) : 0;
	return rc;
}

/* What matching needs, and no more: no product, no number. The expected
 * premiums are read beside, both in policy_id order, and merged: a join
 * would look each one up. */
static const char sql_each_policy_for_period[] =
	"SELECT policy_id, channel, collection_ref, cash_code, status, cancel_date, product_id\n"
	"  FROM policies ORDER BY policy_id";
/* The same with the policy number, when some channel's rows name it. */
static const char sql_each_policy_numbered[] =
	"SELECT policy_id, channel, collection_ref, cash_code, status, cancel_date,\n"
	"       product_id, policy_number\n"
	"  FROM policies ORDER BY policy_id";
static const char sql_each_expected[] =
	"SELECT policy_id, amount FROM expected WHERE period = ?1 ORDER BY policy_id";

int store_each_policy_for_period(struct store *s, const char *period, bool with_numbers,
				 int (*fn)(void *ctx, const struct store_policy_row *p), void *ctx,
				 struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(
		s, with_numbers ? sql_each_policy_numbered : sql_each_policy_for_period, &rc, e);
	sqlite3_stmt *ex = db_prep(s, sql_each_expected, &rc, e);
	db_bind_text(s, ex, &rc, e, 1, period);
	bool more = db_step_row(s, ex, &rc, e, "reading expected premiums");
	while (db_step_row(s, st, &rc, e, "reading policies")) {
		struct store_policy_row p = {
			.policy_id = sqlite3_column_int64(st, 0),
			.channel = db_col_text(st, 1),
			.collection_ref = db_col_text(st, 2),
			.cash_code = db_col_text(st, 3),
			.status = db_col_text(st, 4),
			.cancel_date = db_col_text(st, 5),
			.product_id = sqlite3_column_int64(st, 6),
			.policy_number = with_numbers ? db_col_text(st, 7) : NULL,
		};
		while (more && sqlite3_column_int64(ex, 0) < p.policy_id)
			more = db_step_row(s, ex, &rc, e, "reading expected premiums");
		if (more && sqlite3_column_int64(ex, 0) == p.policy_id) {
			p.scheduled = true;
			p.expected = sqlite3_column_int64(ex, 1);
		}
		if (rc || (rc = fn(ctx, &p)))
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

/* A fact's columns: the first thirteen are what a period's pass needs;
 * the last three (an unpaid's links, a reason's words) follow in
 * FACT_COLUMNS. A fact's file and row are its id's halves. */
#define FACT_LEAN_COLUMNS                                                                    \
	"SELECT fact_id, channel, transaction_id, reference, business_date, kind, status,\n" \
	"       reason, status_date, amount, requested_amount, status_time, canonical_kind"
#define FACT_LEAN_COUNT 13
#define FACT_COLUMNS	FACT_LEAN_COLUMNS ", reason_text, original_id, cycle_date\n"

static void fact_row(sqlite3_stmt *st, struct store_fact_row *f)
{
	int64_t id = sqlite3_column_int64(st, 0);
	*f = (struct store_fact_row){
		.fact_id = id,
		.file_id = id >> 32,
		.row = (uint64_t)id & STORE_MAX_ROW,
		.channel = db_col_text(st, 1),
		.transaction_id = db_col_text(st, 2),
		.reference = db_col_text(st, 3),
		.business_date = db_col_text(st, 4),
		.kind = db_col_text(st, 5),
		.status = db_col_text(st, 6),
		.reason = db_col_text(st, 7),
		.status_date = db_col_text(st, 8),
		.has_amount = sqlite3_column_type(st, 9) != SQLITE_NULL,
		.amount = sqlite3_column_int64(st, 9),
		.has_requested = sqlite3_column_type(st, 10) != SQLITE_NULL,
		.requested_amount = sqlite3_column_int64(st, 10),
		.status_time = sqlite3_column_type(st, 11) != SQLITE_NULL
				       ? sqlite3_column_int64(st, 11)
				       : -1,
		.canonical_kind = db_col_text(st, 12),
	};
	if (sqlite3_column_count(st) > FACT_LEAN_COUNT) {
		f->reason_text = db_col_text(st, 13);
		f->original_id = db_col_text(st, 14);
		f->cycle_date = db_col_text(st, 15);
	}
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

/* The applied files whose facts' dates meet first..last day, then each
 * file's range of fact ids (file_id * 2^32 ...), in order. */
static const char sql_files_between[] =
	"SELECT file_id FROM files\n"
	" WHERE outcome = 'applied' AND first_fact_date <= ?2 AND last_fact_date >= ?1\n"
	"   AND period_facts = 1 AND voided IS NULL\n"
	" ORDER BY file_id";
/* clang-format off */
static const char sql_each_fact_of_file[] =
	FACT_LEAN_COLUMNS "\n  FROM facts\n"
			  " WHERE fact_id BETWEEN ?1 AND ?2 AND business_date BETWEEN ?3 AND ?4\n"
			  "   AND " STORE_COUNTED("") "\n"
			  " ORDER BY fact_id";
/* clang-format on */

int store_each_fact_between(struct store *s, const char *first_day, const char *last_day,
			    int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx,
			    struct err *e)
{
	int rc = 0;
	int64_t *files = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = db_prep(s, sql_files_between, &rc, e);
	db_bind_text(s, st, &rc, e, 1, first_day);
	db_bind_text(s, st, &rc, e, 2, last_day);
	while (db_step_row(s, st, &rc, e, "reading files")) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			int64_t *nf = realloc(files, ncap * sizeof(*nf));
			if (!nf) {
				rc = err_set(e, KASI_EIO, "out of memory");
				break;
			}
			files = nf;
			cap = ncap;
		}
		files[n++] = sqlite3_column_int64(st, 0);
	}
	/* Each file's facts; rc turns non-zero on an error, or when fn asks
	 * to stop. */
	for (size_t i = 0; i < n && !rc; i++) {
		st = db_prep(s, sql_each_fact_of_file, &rc, e);
		db_bind_int(s, st, &rc, e, 1, store_fact_id(files[i], 0));
		db_bind_int(s, st, &rc, e, 2, store_fact_id(files[i], STORE_MAX_ROW));
		db_bind_text(s, st, &rc, e, 3, first_day);
		db_bind_text(s, st, &rc, e, 4, last_day);
		each_fact(s, st, &rc, e, fn, ctx);
	}
	free(files);
	return rc < 0 ? rc : 0;
}

/* The literal matches the partial index's WHERE, so that it is used: the
 * index holds the reversals alone, in date order. */
/* clang-format off */
static const char sql_each_reversal[] =
	FACT_COLUMNS "  FROM facts INDEXED BY facts_reversals\n"
		     " WHERE canonical_kind = 'reversal' AND " STORE_COUNTED("") "\n"
		     " ORDER BY business_date, fact_id";
/* clang-format on */

int store_each_reversal(struct store *s, int (*fn)(void *ctx, const struct store_fact_row *f),
			void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_reversal, &rc, e);
	rc = each_fact(s, st, &rc, e, fn, ctx);
	return rc < 0 ? rc : 0;
}

/* clang-format off */
static const char sql_fact_find[] =
	FACT_COLUMNS "  FROM facts WHERE channel = ?1 AND fact_key = ?2 AND " STORE_COUNTED("");
/* clang-format on */

int store_fact_find(struct store *s, const char *channel, const char *fact_key,
		    int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_fact_find, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_text(s, st, &rc, e, 2, fact_key);
	return each_fact(s, st, &rc, e, fn, ctx);
}

static const char sql_fact_at[] = FACT_COLUMNS "  FROM facts WHERE fact_id = ?1";

int store_fact_at(struct store *s, int64_t fact_id,
		  int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_fact_at, &rc, e);
	db_bind_int(s, st, &rc, e, 1, fact_id);
	return each_fact(s, st, &rc, e, fn, ctx);
}

/* clang-format off */
static const char sql_each_fact_on_cycle[] = FACT_COLUMNS
	"  FROM facts INDEXED BY facts_by_cycle\n"
	" WHERE cycle_date = ?3 AND reference = ?2 AND channel = ?1 AND " STORE_COUNTED("") "\n"
	"   AND canonical_kind = ?4\n"
	" ORDER BY fact_id";
/* clang-format on */

int store_each_fact_on_cycle(struct store *s, const char *channel, const char *reference,
			     const char *cycle_date, const char *canonical_kind,
			     int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx,
			     struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_fact_on_cycle, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_text(s, st, &rc, e, 2, reference);
	db_bind_text(s, st, &rc, e, 3, cycle_date);
	db_bind_text(s, st, &rc, e, 4, canonical_kind);
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

#define LEDGER_COLUMNS                                                                         \
	"SELECT ledger_id, file_id, row, channel, transaction_id, reference, business_date,\n" \
	"       status, amount\n"                                                              \
	"  FROM ledger\n"

/* Run a ledger query whose parameters are already bound, row by row. */
static int each_ledger(struct store *s, sqlite3_stmt *st, int *rc, struct err *e,
		       int (*fn)(void *ctx, const struct store_ledger_row *l), void *ctx)
{
	int found = 0;
	while (db_step_row(s, st, rc, e, "reading the ledger")) {
		struct store_ledger_row l;
		ledger_row(st, 0, &l);
		found = 1;
		if ((*rc = fn(ctx, &l)))
			break;
	}
	return *rc ? *rc : found;
}

/* From the covering index alone: no row of the table is read. */
static const char sql_each_ledger_between[] =
	"SELECT ledger_id, transaction_id, business_date, status, amount\n"
	"  FROM ledger INDEXED BY ledger_by_date\n"
	" WHERE channel = ?1 AND business_date BETWEEN ?2 AND ?3\n"
	" ORDER BY business_date, transaction_id";

int store_each_ledger_between(struct store *s, const char *channel, const char *first_day,
			      const char *last_day,
			      int (*fn)(void *ctx, const struct store_ledger_row *l), void *ctx,
			      struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_ledger_between, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_text(s, st, &rc, e, 2, first_day);
	db_bind_text(s, st, &rc, e, 3, last_day);
	while (db_step_row(s, st, &rc, e, "reading the ledger")) {
		struct store_ledger_row l = {
			.ledger_id = sqlite3_column_int64(st, 0),
			.channel = channel,
			.transaction_id = db_col_text(st, 1),
			.business_date = db_col_text(st, 2),
			.status = db_col_text(st, 3),
			.amount = sqlite3_column_int64(st, 4),
		};
		if ((rc = fn(ctx, &l)))
			break;
	}
	return rc;
}

static const char sql_ledger_find[] = LEDGER_COLUMNS " WHERE channel = ?1 AND transaction_id = ?2";

int store_ledger_find(struct store *s, const char *channel, const char *transaction_id,
		      int (*fn)(void *ctx, const struct store_ledger_row *l), void *ctx,
		      struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_ledger_find, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_text(s, st, &rc, e, 2, transaction_id);
	return each_ledger(s, st, &rc, e, fn, ctx);
}

static const char sql_ledger_at[] = LEDGER_COLUMNS " WHERE ledger_id = ?1";

int store_ledger_get(struct store *s, int64_t ledger_id,
		     int (*fn)(void *ctx, const struct store_ledger_row *l), void *ctx,
		     struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_ledger_at, &rc, e);
	db_bind_int(s, st, &rc, e, 1, ledger_id);
	return each_ledger(s, st, &rc, e, fn, ctx);
}

static const char sql_each_applied_date[] =
	"SELECT DISTINCT file_date FROM files\n"
	" WHERE channel = ?1 AND file_date BETWEEN ?2 AND ?3 AND outcome = 'applied'\n"
	"   AND voided IS NULL\n"
	" ORDER BY file_date";

int store_each_applied_date(struct store *s, const char *channel, const char *first_day,
			    const char *last_day, int (*fn)(void *ctx, const char *date), void *ctx,
			    struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_applied_date, &rc, e);
	db_bind_text(s, st, &rc, e, 1, channel);
	db_bind_text(s, st, &rc, e, 2, first_day);
	db_bind_text(s, st, &rc, e, 3, last_day);
	while (db_step_row(s, st, &rc, e, "reading applied files"))
		if ((rc = fn(ctx, db_col_text(st, 0))))
			break;
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

static const char sql_discrepancies_clear[] =
	"DELETE FROM discrepancies WHERE period = ?1 AND source = 'reconcile'";

int store_reconcile_clear(struct store *s, const char *period, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_discrepancies_clear, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_step_done(s, st, &rc, e, "clearing discrepancies");
	/* Cleared unless what is recorded next finds them again. */
	return rc ? rc : db_exceptions_clear(s, period, e);
}

static const char sql_period_reconciled[] =
	"UPDATE periods SET reconciled_at = ?2, debit_results = 1,\n"
	"       reconciled_through_file = (SELECT ifnull(max(file_id), 0) FROM files),\n"
	"       reconciled_through_void = (SELECT ifnull(max(void_id), 0) FROM voids)\n"
	" WHERE period = ?1";

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

#define OUTCOME_COLUMNS                                                               \
	"SELECT p.policy_number, r.product_code, o.status, o.reason, o.raw_reason,\n" \
	"       o.policy_id, o.expected, o.collected, o.shortfall, o.pending\n"       \
	"  FROM outcomes o JOIN policies p USING (policy_id) JOIN products r USING (product_id)\n"

static void outcome_row(sqlite3_stmt *st, struct store_outcome_row *o)
{
	*o = (struct store_outcome_row){
		.policy_number = db_col_text(st, 0),
		.product_code = db_col_text(st, 1),
		.status = db_col_text(st, 2),
		.reason = db_col_text(st, 3),
		.raw_reason = db_col_text(st, 4),
		.policy_id = sqlite3_column_int64(st, 5),
		.expected = sqlite3_column_int64(st, 6),
		.collected = sqlite3_column_int64(st, 7),
		.shortfall = sqlite3_column_int64(st, 8),
		.pending = sqlite3_column_int64(st, 9),
	};
}

static const char sql_each_outcome[] =
	OUTCOME_COLUMNS " WHERE o.period = ?1 ORDER BY p.policy_number";

int store_each_outcome(struct store *s, const char *period,
		       int (*fn)(void *ctx, const struct store_outcome_row *o), void *ctx,
		       struct err *e)
{
	int rc = store_big_sorts(s, true, e); /* a period's outcomes, by policy number */
	sqlite3_stmt *st = db_prep(s, sql_each_outcome, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	while (db_step_row(s, st, &rc, e, "reading outcomes")) {
		struct store_outcome_row o;
		outcome_row(st, &o);
		if ((rc = fn(ctx, &o)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	int r2 = store_big_sorts(s, false, e);
	return rc ? rc : r2;
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

/* Each with its exception: id, first seen, and whether its latest
 * resolution was made on the values it has now. */
#define DISCREPANCY_ROWS                                                                          \
	"SELECT d.code, d.severity, d.channel, ifnull(f.name, ''), d.reference,\n"                \
	"       d.transaction_id, d.expected, d.actual, d.detail, ifnull(d.row, 0),\n"            \
	"       ifnull(d.file_id, 0), x.exception_id, x.first_seen,\n"                            \
	"       ifnull((SELECT " STORE_RESOLUTION_HOLDS "\n"                                      \
	"                 FROM exception_resolutions r WHERE r.exception_id = x.exception_id\n"   \
	"                ORDER BY r.resolution_id DESC LIMIT 1), 0)\n"                            \
	"  FROM discrepancies d LEFT JOIN files f USING (file_id)\n"                              \
	"  LEFT JOIN exceptions x ON x.period = d.period AND x.code = d.code\n"                   \
	"   AND x.channel = " STORE_EXCEPTION_CHANNEL " AND x.subject = " STORE_EXCEPTION_SUBJECT \
	"\n"
static const char sql_each_discrepancy[] = DISCREPANCY_ROWS
	" WHERE d.period = ?1\n"
	" ORDER BY d.code, ifnull(f.name, ''), ifnull(d.row, 0), ifnull(d.transaction_id, ''),\n"
	"          d.detail";
/* What ingest raised of rows naming the policy (its number is their
 * reference), in the order of their files and rows. */
static const char sql_ingest_discrepancies_of[] =
	DISCREPANCY_ROWS " WHERE d.period = ?1 AND d.source = 'ingest' AND d.reference = ?2\n"
			 " ORDER BY ifnull(f.name, ''), ifnull(d.row, 0), d.code";

static int each_discrepancy(struct store *s, sqlite3_stmt *st, int *rcp,
			    int (*fn)(void *ctx, const struct store_discrepancy_row *d), void *ctx,
			    struct err *e)
{
	int rc = *rcp;
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
			.file_id = sqlite3_column_int64(st, 10),
			.exception_id = sqlite3_column_int64(st, 11),
			.first_seen = db_col_text(st, 12),
			.resolved = sqlite3_column_int(st, 13) != 0,
		};
		if ((rc = fn(ctx, &d)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}

int store_each_discrepancy(struct store *s, const char *period,
			   int (*fn)(void *ctx, const struct store_discrepancy_row *d), void *ctx,
			   struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_discrepancy, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	return each_discrepancy(s, st, &rc, fn, ctx, e);
}

int store_each_ingest_discrepancy_of(struct store *s, const char *period, const char *policy_number,
				     int (*fn)(void *ctx, const struct store_discrepancy_row *d),
				     void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_ingest_discrepancies_of, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_bind_text(s, st, &rc, e, 2, policy_number);
	return each_discrepancy(s, st, &rc, fn, ctx, e);
}

/* The creation first (field 'policy'), then each change. */
static const char sql_each_policy_change[] =
	"SELECT field, old_value, new_value, name, changed_at, changed_by FROM (\n"
	"  SELECT 0 AS n, 'policy' AS field, NULL AS old_value, 'created' AS new_value,\n"
	"         f.name, p.created_at AS changed_at, p.created_by AS changed_by\n"
	"    FROM policies p JOIN files f ON f.file_id = p.created_file WHERE p.policy_id = ?1\n"
	"  UNION ALL\n"
	"  SELECT c.change_id, c.field, c.old_value, c.new_value, f.name, c.changed_at,\n"
	"         c.changed_by\n"
	"    FROM policy_changes c JOIN files f USING (file_id) WHERE c.policy_id = ?1)\n"
	" ORDER BY n";

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
			.by = db_col_text(st, 5),
			.old_amount = sqlite3_column_int64(st, 1),
			.new_amount = sqlite3_column_int64(st, 2),
		};
		c.amount = db_policy_field_is_amount(c.field);
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
