/*
 * voids.c — the store's side of withdrawing an applied file (see store.h,
 * "voids").
 */
#include "core/common.h"
#include "core/grow.h"
#include "store/db.h"

/* An applied file with its rows, and its void when it was voided. */
#define FILE_COLUMNS                                                                         \
	"SELECT f.file_id, f.name, f.schema, f.channel, f.rows, ifnull(f.applied_at, ''),\n" \
	"       f.period_facts, ifnull(v.void_id, 0), v.voided_at, v.voided_by, v.note\n"    \
	"  FROM files f LEFT JOIN voids v ON v.void_id = f.voided\n"

/* (A header-only file is applied too: a day's file, even empty, says
 * what its channel had that day.) */
static const char sql_files_named[] =
	FILE_COLUMNS " WHERE f.name = ?1 AND f.outcome = 'applied' ORDER BY f.file_id";
static const char sql_file_voided[] =
	FILE_COLUMNS " WHERE f.file_id = ?1 AND f.outcome = 'applied'";

static int each_file(struct store *s, sqlite3_stmt *st, int *rc, struct err *e,
		     int (*fn)(void *ctx, const struct store_voidable *f), void *ctx)
{
	int found = 0;
	while (db_step_row(s, st, rc, e, "reading applied files")) {
		struct store_voidable f = {
			.file_id = sqlite3_column_int64(st, 0),
			.name = db_col_text(st, 1),
			.schema = db_col_text(st, 2),
			.channel = db_col_text(st, 3),
			.rows = sqlite3_column_int64(st, 4),
			.applied_at = db_col_text(st, 5),
			.period_facts = sqlite3_column_int(st, 6) != 0,
			.void_id = sqlite3_column_int64(st, 7),
			.voided_at = db_col_text(st, 8),
			.voided_by = db_col_text(st, 9),
			.note = db_col_text(st, 10),
		};
		found = 1;
		if ((*rc = fn(ctx, &f)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return *rc ? *rc : found;
}

int store_each_applied_file(struct store *s, const char *name,
			    int (*fn)(void *ctx, const struct store_voidable *f), void *ctx,
			    struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_files_named, &rc, e);
	db_bind_text(s, st, &rc, e, 1, name);
	return each_file(s, st, &rc, e, fn, ctx);
}

int store_file_void_of(struct store *s, int64_t file_id,
		       int (*fn)(void *ctx, const struct store_voidable *f), void *ctx,
		       struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_file_voided, &rc, e);
	db_bind_int(s, st, &rc, e, 1, file_id);
	return each_file(s, st, &rc, e, fn, ctx);
}

/* ---- the void ---------------------------------------------------------------- */

/* A void's statements name what they use: :file, :first and :last (the
 * range of its facts' ids), :void, :now. */
struct void_args {
	int64_t file_id, first, last, void_id;
	const char *now;
};

static const char sql_void_add[] =
	"INSERT INTO voids (file_id, voided_at, voided_by, note) VALUES (?1, ?2, ?3, ?4)";
static const char sql_file_mark[] = "UPDATE files SET voided = :void WHERE file_id = :file";
/* Its facts, withdrawn (those it held as repeats too, so that the file
 * reads as one); their further keys no longer count (kept, as
 * uncounted). */
static const char sql_facts_withdraw[] =
	"UPDATE facts SET withdrawn = :void WHERE fact_id BETWEEN :first AND :last";
static const char sql_fact_keys_uncount[] =
	"INSERT OR IGNORE INTO uncounted_keys (fact_id, channel, key, value)\n"
	"SELECT fact_id, channel, key, value FROM fact_keys WHERE fact_id BETWEEN :first AND :last";
static const char sql_fact_keys_forget[] =
	"DELETE FROM fact_keys WHERE fact_id BETWEEN :first AND :last";
/* The rows of other files whose standing the file decided are decided
 * again, in the order they came, as ingest would have decided them had
 * the file never come (tests/e2e/t3014). They are: the repeats of its
 * rows; a row that came after one of those and holds one of its keys
 * (own or further: a counted row took a key the repeat may take now; a
 * repeat of another row may repeat it now); and the repeats of any of
 * them; until no more. Those that counted are first
 * set aside (their further keys uncounted; duplicate_of pointing at
 * themselves while they are decided). Then, one by one by fact id: a
 * repeat of the counted row that holds its own key, else of one that
 * holds one of its further keys, else counted (its further keys with it).
 * temp.void_decided keeps each with whether it counted before and after,
 * for the void's other statements. */
static const char sql_decided_table[] = "CREATE TEMP TABLE IF NOT EXISTS void_decided (\n"
					"	fact_id INTEGER PRIMARY KEY,\n"
					"	counted INTEGER NOT NULL,\n"
					"	was_of  INTEGER,\n"
					"	counts  INTEGER,\n"
					"	now_of  INTEGER\n"
					")";
static const char sql_decided_clear[] = "DELETE FROM temp.void_decided";
static const char sql_decided_seed[] =
	"INSERT OR IGNORE INTO temp.void_decided (fact_id, counted, was_of)\n"
	"SELECT fact_id, 0, duplicate_of FROM facts\n"
	" WHERE duplicate_of BETWEEN :first AND :last AND withdrawn IS NULL";
/* The own keys of the rows gathered, each with the first row that holds
 * it, read against the facts that came after the first of them (the
 * facts' own index holds counted keys only). */
static const char sql_own_keys_table[] = "CREATE TEMP TABLE IF NOT EXISTS void_own_keys (\n"
					 "	channel  TEXT NOT NULL,\n"
					 "	fact_key TEXT NOT NULL,\n"
					 "	first_id INTEGER NOT NULL,\n"
					 "	PRIMARY KEY (channel, fact_key)\n"
					 ")";
static const char sql_own_keys_clear[] = "DELETE FROM temp.void_own_keys";
static const char sql_own_keys_gather[] =
	"INSERT INTO temp.void_own_keys (channel, fact_key, first_id)\n"
	"SELECT f.channel, f.fact_key, min(f.fact_id) FROM temp.void_decided d\n"
	"  JOIN facts f ON f.fact_id = d.fact_id GROUP BY f.channel, f.fact_key";
/* Any row after a gathered row with its own key (a repeat of another row
 * by a further key, whose own key the gathered row may hold now). */
static const char sql_decided_own_key_later[] =
	"INSERT OR IGNORE INTO temp.void_decided (fact_id, counted, was_of)\n"
	"SELECT c.fact_id, c.duplicate_of IS NULL, c.duplicate_of\n"
	"  FROM facts c CROSS JOIN temp.void_own_keys k\n"
	" WHERE c.fact_id > (SELECT min(fact_id) FROM temp.void_decided)\n"
	"   AND k.channel = c.channel AND k.fact_key = c.fact_key AND c.fact_id > k.first_id\n"
	"   AND c.withdrawn IS NULL";
/* The further keys of the rows gathered, counted or not. */
#define GATHERED_KEYS                                                               \
	"  JOIN (SELECT fact_id, channel, key, value FROM uncounted_keys\n"         \
	"        UNION ALL SELECT fact_id, channel, key, value FROM fact_keys) r\n" \
	"    ON r.fact_id = d.fact_id\n"
/* Any row after a gathered row holding one of its further keys: counted
 * (it took the key), or a repeat (of another row, by another key). */
static const char sql_decided_further_key_later[] =
	"INSERT OR IGNORE INTO temp.void_decided (fact_id, counted)\n"
	"SELECT k.fact_id, 1 FROM temp.void_decided d\n" GATHERED_KEYS
	"  JOIN fact_keys k ON k.channel = r.channel AND k.key = r.key AND k.value = r.value\n"
	" WHERE k.fact_id > d.fact_id";
static const char sql_decided_further_key_repeats[] =
	"INSERT OR IGNORE INTO temp.void_decided (fact_id, counted, was_of)\n"
	"SELECT u.fact_id, 0, f.duplicate_of FROM temp.void_decided d\n" GATHERED_KEYS
	"  JOIN uncounted_keys u ON u.channel = r.channel AND u.key = r.key AND u.value = r.value\n"
	"  JOIN facts f ON f.fact_id = u.fact_id\n"
	" WHERE u.fact_id > d.fact_id AND f.withdrawn IS NULL AND f.duplicate_of IS NOT NULL";
static const char sql_decided_repeats[] =
	"INSERT OR IGNORE INTO temp.void_decided (fact_id, counted, was_of)\n"
	"SELECT fact_id, 0, duplicate_of FROM facts\n"
	" WHERE duplicate_of IN (SELECT fact_id FROM temp.void_decided) AND withdrawn IS NULL";
static const char sql_decided_keys_aside[] =
	"INSERT OR IGNORE INTO uncounted_keys (fact_id, channel, key, value)\n"
	"SELECT fact_id, channel, key, value FROM fact_keys\n"
	" WHERE fact_id IN (SELECT fact_id FROM temp.void_decided WHERE counted = 1)";
static const char sql_decided_keys_free[] =
	"DELETE FROM fact_keys\n"
	" WHERE fact_id IN (SELECT fact_id FROM temp.void_decided WHERE counted = 1)";
static const char sql_decided_aside[] =
	"UPDATE facts SET duplicate_of = fact_id\n"
	" WHERE fact_id IN (SELECT fact_id FROM temp.void_decided WHERE counted = 1)";
static const char sql_decided_each[] = "SELECT fact_id FROM temp.void_decided ORDER BY fact_id";
/* The counted row that holds the row's own key, else one of its further
 * keys; 0: none (it counts). */
/* clang-format off */
static const char sql_key_holder[] =
	"SELECT coalesce(\n"
	"  (SELECT c.fact_id FROM facts r JOIN facts c\n"
	"       ON c.channel = r.channel AND c.fact_key = r.fact_key AND " STORE_COUNTED("c.") "\n"
	"    WHERE r.fact_id = ?1),\n"
	"  (SELECT k.fact_id FROM uncounted_keys u JOIN fact_keys k\n"
	"       ON k.channel = u.channel AND k.key = u.key AND k.value = u.value\n"
	"    WHERE u.fact_id = ?1 ORDER BY k.fact_id LIMIT 1), 0)";
/* clang-format on */
static const char sql_repeat_of[] = "UPDATE facts SET duplicate_of = ?2 WHERE fact_id = ?1";
static const char sql_repeat_counts[] = "UPDATE facts SET duplicate_of = NULL WHERE fact_id = ?1";
static const char sql_repeat_keys_count[] =
	"INSERT INTO fact_keys (channel, key, value, fact_id)\n"
	"SELECT channel, key, value, fact_id FROM uncounted_keys WHERE fact_id = ?1";
static const char sql_repeat_keys_counted[] = "DELETE FROM uncounted_keys WHERE fact_id = ?1";
static const char sql_decided_mark[] =
	"UPDATE temp.void_decided SET counts = ?2 IS NULL, now_of = ?2 WHERE fact_id = ?1";
static const char sql_decided_demoted_keep[] =
	"INSERT OR IGNORE INTO void_repeats (fact_id, void_id)\n"
	"SELECT fact_id, :void FROM temp.void_decided WHERE counted = 1 AND counts = 0";
static const char sql_decided_promoted[] =
	"SELECT count(*) FROM temp.void_decided WHERE counted = 0 AND counts = 1";
static const char sql_decided_demoted[] =
	"SELECT count(*) FROM temp.void_decided WHERE counted = 1 AND counts = 0";
/* The rows whose standing changed: counted, or a repeat of another row.
 * (Those that count now and did not, or the reverse, change periods that
 * the void puts out of date: store_each_period_void_changed.) */
#define REDECIDED "SELECT fact_id FROM temp.void_decided WHERE now_of IS NOT was_of"
/* The problems ingest raised of its rows, and of the rows that repeated
 * them (a repeat that counts now is none), are of rows that count no
 * more: their exceptions are cleared (kept, with when), but one that
 * another discrepancy raises too; and they leave the discrepancies. */
/* (A row that counts no more is a repeat now: ingest raises nothing else
 * of a repeat, so its OUT_OF_PERIOD goes too.) */
#define DROPPED                                                               \
	"d.source = 'ingest' AND (d.file_id = :file OR\n"                     \
	"  (d.code IN ('DUPLICATE_TRANSACTION', 'CONFLICTING_DUPLICATE')\n"   \
	"   AND d.file_id * 4294967296 + d.row IN (" REDECIDED ")) OR\n"      \
	"  (d.code = 'OUT_OF_PERIOD' AND d.file_id * 4294967296 + d.row IN\n" \
	"   (SELECT fact_id FROM temp.void_decided WHERE counted = 1 AND counts = 0)))"
#define EXCEPTION_KEY                                                                         \
	"SELECT d.period, d.code, " STORE_EXCEPTION_CHANNEL ", " STORE_EXCEPTION_SUBJECT "\n" \
	"  FROM discrepancies d LEFT JOIN files f USING (file_id)\n"
static const char sql_void_exceptions_clear[] =
	"UPDATE exceptions SET cleared_at = :now\n"
	" WHERE cleared_at IS NULL AND source = 'ingest'\n"
	"   AND (period, code, channel, subject) IN (" EXCEPTION_KEY " WHERE " DROPPED ")\n"
	"   AND (period, code, channel, subject) NOT IN (" EXCEPTION_KEY
	"         WHERE d.source = 'ingest' AND NOT (" DROPPED ")\n"
	"           AND d.period IN (SELECT d.period FROM discrepancies d WHERE " DROPPED "))";
static const char sql_void_discrepancies_drop[] = "DELETE FROM discrepancies AS d WHERE " DROPPED;

/* What the file's facts count for, as they stand before the void. */
/* clang-format off */
static const char sql_void_counts[] =
	"SELECT count(*),\n"
	"       ifnull(sum(canonical_kind = 'collected' AND " STORE_COUNTED("") "), 0),\n"
	"       ifnull(sum(canonical_kind = 'reversal' AND " STORE_COUNTED("") "), 0)\n"
	"  FROM facts WHERE fact_id BETWEEN :first AND :last";
/* clang-format on */
/* Its money settled already, once its facts are withdrawn: what is left
 * of the collections paid over once reversal lines claw some back, and
 * the reversals clawed back whose collections still count. */
/* clang-format off */
static const char sql_void_settled[] =
	"SELECT 'collection', count(*), ifnull(sum(left), 0)\n"
	"  FROM (SELECT " STORE_LEFT_OF("amount", "NULL") " AS left FROM settlement_lines l\n"
	"         WHERE l.fact_id BETWEEN :first AND :last AND l.kind = 'collection'\n"
	"           AND l.original IS NULL)\n"
	" WHERE left > 0\n"
	"UNION ALL\n"
	"SELECT 'reversal', count(*), ifnull(-sum(r.amount), 0) FROM settlement_lines r\n"
	"  JOIN facts c ON c.fact_id = r.original\n"
	" WHERE r.fact_id BETWEEN :first AND :last AND r.kind = 'reversal' AND c.withdrawn IS NULL";
/* clang-format on */

/* Prepare one of the void's statements with the names it uses bound. */
static sqlite3_stmt *void_prep(struct store *s, const char *sql, const struct void_args *a, int *rc,
			       struct err *e)
{
	sqlite3_stmt *st = db_prep(s, sql, rc, e);
	const struct {
		const char *name;
		int64_t v;
	} ints[] = { { ":file", a->file_id },
		     { ":first", a->first },
		     { ":last", a->last },
		     { ":void", a->void_id } };
	for (size_t i = 0; st && i < ARRAY_SIZE(ints); i++) {
		int at = sqlite3_bind_parameter_index(st, ints[i].name);
		if (at)
			db_bind_int(s, st, rc, e, at, ints[i].v);
	}
	int at = st ? sqlite3_bind_parameter_index(st, ":now") : 0;
	if (at)
		db_bind_text(s, st, rc, e, at, a->now);
	return st;
}

/* Run one of the void's statements; the rows it changed, or -1 with rc
 * set. */
static int64_t void_run(struct store *s, const char *sql, const struct void_args *a, int *rc,
			struct err *e, const char *what)
{
	db_step_done(s, void_prep(s, sql, a, rc, e), rc, e, what);
	return *rc ? -1 : sqlite3_changes64(s->db);
}

static int void_counts(struct store *s, const struct void_args *a, struct store_void_result *out,
		       struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = void_prep(s, sql_void_counts, a, &rc, e);
	if (db_step_row(s, st, &rc, e, "counting a file's facts")) {
		out->facts = sqlite3_column_int64(st, 0);
		out->collections = sqlite3_column_int64(st, 1);
		out->reversals = sqlite3_column_int64(st, 2);
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}

static int void_settled(struct store *s, const struct void_args *a, struct store_void_result *out,
			struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = void_prep(s, sql_void_settled, a, &rc, e);
	while (db_step_row(s, st, &rc, e, "reading a file's settled lines")) {
		bool collection = !strcmp(db_col_text(st, 0), "collection");
		*(collection ? &out->settled_collections : &out->settled_reversals) =
			sqlite3_column_int64(st, 1);
		*(collection ? &out->settled_collected : &out->settled_reversed) =
			sqlite3_column_int64(st, 2);
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}

static int void_record(struct store *s, struct void_args *a, const char *by, const char *note,
		       struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_void_add, &rc, e);
	db_bind_int(s, st, &rc, e, 1, a->file_id);
	db_bind_text(s, st, &rc, e, 2, a->now);
	db_bind_text(s, st, &rc, e, 3, by);
	db_bind_text(s, st, &rc, e, 4, note);
	db_step_done(s, st, &rc, e, "recording a void");
	a->void_id = rc ? 0 : sqlite3_last_insert_rowid(s->db);
	return rc;
}

/* One statement on one fact id (and a second value): its changes, or -1. */
static int64_t fact_run(struct store *s, const char *sql, int64_t id, const int64_t *other, int *rc,
			struct err *e, const char *what)
{
	sqlite3_stmt *st = db_prep(s, sql, rc, e);
	db_bind_int(s, st, rc, e, 1, id);
	if (other)
		db_bind_int(s, st, rc, e, 2, *other);
	db_step_done(s, st, rc, e, what);
	return *rc ? -1 : sqlite3_changes64(s->db);
}

/* The value of a one-row statement, on one fact id (or none); 0 when it
 * gives no row. */
static int64_t value_of(struct store *s, const char *sql, const int64_t *id, int *rc, struct err *e,
			const char *what)
{
	int64_t v = 0;
	sqlite3_stmt *st = db_prep(s, sql, rc, e);
	if (id)
		db_bind_int(s, st, rc, e, 1, *id);
	if (db_step_row(s, st, rc, e, what))
		v = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return v;
}

/* Decide one row again, as ingest would. */
static void decide(struct store *s, int64_t fact_id, int *rc, struct err *e)
{
	int64_t holder = value_of(s, sql_key_holder, &fact_id, rc, e, "looking up a key");
	if (*rc)
		return;
	if (holder) {
		fact_run(s, sql_repeat_of, fact_id, &holder, rc, e,
			 "pointing a repeat at what counts");
	} else {
		fact_run(s, sql_repeat_counts, fact_id, NULL, rc, e, "counting a repeat");
		fact_run(s, sql_repeat_keys_count, fact_id, NULL, rc, e,
			 "counting a repeat's keys");
		fact_run(s, sql_repeat_keys_counted, fact_id, NULL, rc, e,
			 "counting a repeat's keys");
	}
	fact_run(s, sql_decided_mark, fact_id, holder ? &holder : NULL, rc, e, "deciding a repeat");
}

/* The rows to decide again (the growing set, until it grows no more),
 * set aside. */
static void decided_gather(struct store *s, const struct void_args *a, int *rc, struct err *e)
{
	const char *what = "finding the repeats to decide again";
	void_run(s, sql_decided_table, a, rc, e, what);
	void_run(s, sql_decided_clear, a, rc, e, what);
	void_run(s, sql_own_keys_table, a, rc, e, what);
	void_run(s, sql_decided_seed, a, rc, e, what);
	for (int64_t grew = 1; grew > 0 && !*rc;) {
		void_run(s, sql_own_keys_clear, a, rc, e, what);
		void_run(s, sql_own_keys_gather, a, rc, e, what);
		grew = void_run(s, sql_decided_own_key_later, a, rc, e, what);
		grew += void_run(s, sql_decided_further_key_later, a, rc, e, what);
		grew += void_run(s, sql_decided_further_key_repeats, a, rc, e, what);
		grew += void_run(s, sql_decided_repeats, a, rc, e, what);
	}
	void_run(s, sql_decided_keys_aside, a, rc, e, what);
	void_run(s, sql_decided_keys_free, a, rc, e, what);
	void_run(s, sql_decided_aside, a, rc, e, what);
}

/* The rows to decide, decided in the order they came (each decision
 * sees those before it). Their ids are read first: deciding changes the
 * rows the query reads. */
static void repeats_decide(struct store *s, const struct void_args *a,
			   struct store_void_result *out, int *rc, struct err *e)
{
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	decided_gather(s, a, rc, e);
	sqlite3_stmt *st = *rc ? NULL : db_prep(s, sql_decided_each, rc, e);
	while (db_step_row(s, st, rc, e, "reading the repeats to decide")) {
		if (!grow_array((void **)&ids, &cap, n + 1, sizeof(*ids))) {
			*rc = err_set(e, KASI_EIO, "out of memory");
			break;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (st)
		sqlite3_reset(st);
	for (size_t i = 0; i < n && !*rc; i++)
		decide(s, ids[i], rc, e);
	free(ids);
	void_run(s, sql_decided_demoted_keep, a, rc, e, "keeping the rows made repeats");
	if (!*rc) {
		out->repeats_counted = value_of(s, sql_decided_promoted, NULL, rc, e,
						"counting the repeats decided");
		out->counted_repeat = value_of(s, sql_decided_demoted, NULL, rc, e,
					       "counting the repeats decided");
	}
}

int store_file_void(struct store *s, int64_t file_id, const char *by, const char *note,
		    struct store_void_result *out, struct err *e)
{
	char now[32];
	store_now(now);
	struct void_args a = { file_id, store_fact_id(file_id, 0),
			       store_fact_id(file_id, STORE_MAX_ROW), 0, now };
	memset(out, 0, sizeof(*out));
	int rc = void_counts(s, &a, out, e);
	if (!rc)
		rc = void_record(s, &a, by, note, e);
	out->void_id = a.void_id;
	void_run(s, sql_file_mark, &a, &rc, e, "voiding a file");
	void_run(s, sql_facts_withdraw, &a, &rc, e, "withdrawing a file's facts");
	void_run(s, sql_fact_keys_uncount, &a, &rc, e, "keeping a file's keys");
	void_run(s, sql_fact_keys_forget, &a, &rc, e, "freeing a file's keys");
	repeats_decide(s, &a, out, &rc, e);
	out->exceptions_cleared =
		void_run(s, sql_void_exceptions_clear, &a, &rc, e, "clearing a file's exceptions");
	void_run(s, sql_void_discrepancies_drop, &a, &rc, e, "dropping a file's discrepancies");
	return rc ? rc : void_settled(s, &a, out, e);
}

/* ---- what a void means to settlement ------------------------------------------ */

/* A collection of a voided file paid over already is taken back, what
 * reversal lines do not claw back of it yet (STORE_LEFT_OF: a reversal
 * that took part of it back, or whose row reverses another collection
 * now, leaves the rest): a reversal movement of its own fact, in the
 * period it was collected in, of the same day (so that the next
 * settlement holds it, and settles it once, by its key; once settled,
 * nothing is left). The product is the policy's now; settlement charges
 * it the fee left (store_each_unsettled_movement), from the provider it
 * was paid to. */
/* clang-format off */
static const char sql_void_clawbacks[] =
	"INSERT OR IGNORE INTO movements (period, fact_id, kind, policy_id, product_id, channel,\n"
	"                                 business_date, amount, original)\n"
	"SELECT ?1, v.fact_id, 'reversal', v.policy_id, p.product_id, v.channel,\n"
	"       v.business_date, v.left, v.fact_id\n"
	"  FROM (SELECT l.fact_id, l.policy_id, l.channel, l.business_date,\n"
	"               " STORE_LEFT_OF("amount", "?1") " AS left\n"
	"          FROM files f\n"
	"          JOIN settlement_lines l ON l.fact_id BETWEEN f.file_id * 4294967296\n"
	"                                                   AND f.file_id * 4294967296 + 4294967295\n"
	"         WHERE f.voided IS NOT NULL AND l.kind = 'collection' AND l.original IS NULL\n"
	"           AND l.business_date BETWEEN ?2 AND ?3\n"
	"        UNION ALL\n"
	"        SELECT l.fact_id, l.policy_id, l.channel, l.business_date,\n"
	"               " STORE_LEFT_OF("amount", "?1") " AS left\n"
	"          FROM void_repeats r JOIN facts x ON x.fact_id = r.fact_id\n"
	"          JOIN settlement_lines l ON l.fact_id = r.fact_id\n"
	"         WHERE x.duplicate_of IS NOT NULL AND l.kind = 'collection' AND l.original IS NULL\n"
	"           AND l.business_date BETWEEN ?2 AND ?3) v\n"
	"  JOIN policies p ON p.policy_id = v.policy_id\n"
	" WHERE v.left > 0";
/* clang-format on */
/* A reversal of a voided file clawed back already, whose collection
 * still counts, and that no line gives back yet, is given back: a collection movement of its own fact that
 * names that collection, in the period the collection was paid over in
 * (else the reversal's), of the reversal's day. Settlement charges it
 * minus the reversal line's fee, to the provider it was taken from; the
 * reversal line claws back nothing from then on (STORE_GIVEN_BACK). */
/* clang-format off */
static const char sql_void_give_backs[] =
	"INSERT OR IGNORE INTO movements (period, fact_id, kind, policy_id, product_id, channel,\n"
	"                                 business_date, amount, original)\n"
	"SELECT ?1, r.fact_id, 'collection', r.policy_id, p.product_id, r.channel,\n"
	"       r.business_date, -r.amount, r.original\n"
	"  FROM files f\n"
	"  JOIN settlement_lines r ON r.fact_id BETWEEN f.file_id * 4294967296\n"
	"                                           AND f.file_id * 4294967296 + 4294967295\n"
	"  JOIN facts c ON c.fact_id = r.original\n"
	"  LEFT JOIN settlement_lines o ON o.fact_id = r.original AND o.kind = 'collection'\n"
	"  JOIN policies p ON p.policy_id = r.policy_id\n"
	" WHERE f.voided IS NOT NULL AND r.kind = 'reversal' AND c.withdrawn IS NULL\n"
	"   AND ifnull(o.business_date, r.business_date) BETWEEN ?2 AND ?3 AND r.amount < 0\n"
	"   AND NOT " STORE_GIVEN_BACK("r");
/* clang-format on */
static const char sql_period_unsettled[] = "UPDATE periods SET unsettled = 1 WHERE period = ?1";

static int64_t void_movements(struct store *s, const char *sql, const char *period,
			      const char *first_day, const char *last_day, int *rc, struct err *e)
{
	sqlite3_stmt *st = db_prep(s, sql, rc, e);
	db_bind_text(s, st, rc, e, 1, period);
	db_bind_text(s, st, rc, e, 2, first_day);
	db_bind_text(s, st, rc, e, 3, last_day);
	db_step_done(s, st, rc, e, "settling the money of voided files");
	return *rc ? 0 : sqlite3_changes64(s->db);
}

int store_void_movements_add(struct store *s, const char *period, const char *first_day,
			     const char *last_day, int64_t *taken, int64_t *given, struct err *e)
{
	int rc = 0;
	*taken = void_movements(s, sql_void_clawbacks, period, first_day, last_day, &rc, e);
	*given = void_movements(s, sql_void_give_backs, period, first_day, last_day, &rc, e);
	if (*taken || *given) {
		sqlite3_stmt *st = db_prep(s, sql_period_unsettled, &rc, e);
		db_bind_text(s, st, &rc, e, 1, period);
		db_step_done(s, st, &rc, e, "marking a period unsettled");
	}
	return rc;
}

/* The reconciled periods a file reaches (file_periods), in order. */
static const char sql_reconciled_periods_of_file[] =
	"SELECT r.period FROM file_periods r JOIN periods p USING (period)\n"
	" WHERE r.file_id = ?1 AND p.reconciled_at IS NOT NULL ORDER BY r.period";

int store_each_reconciled_period_of_file(struct store *s, int64_t file_id,
					 int (*fn)(void *ctx, const char *period), void *ctx,
					 struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_reconciled_periods_of_file, &rc, e);
	db_bind_int(s, st, &rc, e, 1, file_id);
	while (db_step_row(s, st, &rc, e, "reading a file's periods"))
		if ((rc = fn(ctx, db_col_text(st, 0))))
			break;
	if (st)
		sqlite3_reset(st);
	return rc;
}

static const char sql_each_void[] =
	FILE_COLUMNS " WHERE f.voided IS NOT NULL ORDER BY v.void_id DESC";

int store_each_void(struct store *s, int (*fn)(void *ctx, const struct store_voidable *f),
		    void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_void, &rc, e);
	rc = each_file(s, st, &rc, e, fn, ctx);
	return rc < 0 ? rc : 0;
}

/* The withdrawn facts of the period that name the policy: by its number,
 * its collection reference on its own channel, or its cash payment code
 * (the keys a channel's reference may match). */
static const char sql_withdrawn_of_policy[] =
	"SELECT f.name, x.row, x.transaction_id, x.business_date, ifnull(x.canonical_kind, ''),\n"
	"       ifnull(x.amount, 0), v.voided_at, v.voided_by, v.note\n"
	"  FROM voids v JOIN files f ON f.file_id = v.file_id\n"
	"  JOIN facts x ON x.fact_id BETWEEN f.file_id * 4294967296\n"
	"                                AND f.file_id * 4294967296 + 4294967295\n"
	"  JOIN policies p ON p.policy_id = ?1\n"
	" WHERE x.business_date BETWEEN ?2 AND ?3\n"
	"   AND (x.reference = p.policy_number OR x.reference = p.cash_code\n"
	"        OR (x.channel = p.channel AND x.reference = p.collection_ref))\n"
	" ORDER BY x.fact_id";

int store_each_withdrawn_fact(struct store *s, int64_t policy_id, const char *first_day,
			      const char *last_day,
			      int (*fn)(void *ctx, const struct store_withdrawn *w), void *ctx,
			      struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_withdrawn_of_policy, &rc, e);
	db_bind_int(s, st, &rc, e, 1, policy_id);
	db_bind_text(s, st, &rc, e, 2, first_day);
	db_bind_text(s, st, &rc, e, 3, last_day);
	while (db_step_row(s, st, &rc, e, "reading withdrawn facts")) {
		struct store_withdrawn w = {
			.file = db_col_text(st, 0),
			.row = sqlite3_column_int64(st, 1),
			.transaction_id = db_col_text(st, 2),
			.business_date = db_col_text(st, 3),
			.kind = db_col_text(st, 4),
			.amount = sqlite3_column_int64(st, 5),
			.voided_at = db_col_text(st, 6),
			.voided_by = db_col_text(st, 7),
			.note = db_col_text(st, 8),
		};
		if ((rc = fn(ctx, &w)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}

/* A row the last void (store_file_void, in this transaction) decided
 * again: where it is, and the period its discrepancies belong to (a
 * reversal's, its original's cycle). */
/* clang-format off */
#define DECIDED_ROW                                                                      \
	"SELECT r.channel, l.schema, r.transaction_id, r.reference, r.fact_id,\n"        \
	"       substr(CASE WHEN r.canonical_kind = 'reversal' AND r.cycle_date IS NOT NULL\n" \
	"                   THEN r.cycle_date ELSE r.business_date END, 1, 7),\n"
#define DECIDED_FROM                                                         \
	"  FROM temp.void_decided d JOIN facts r ON r.fact_id = d.fact_id\n" \
	"  JOIN files l ON l.file_id = r.file_id\n"
/* Those that are repeats now of another row than before: each with the
 * row it repeats now (the key they share: its own, else a further one). */
static const char sql_repeats_decided[] =
	DECIDED_ROW
	"       o.content_hash = r.content_hash, ol.name, o.row,\n"
	"       CASE WHEN o.fact_key = r.fact_key THEN ''\n"
	"            ELSE ifnull((SELECT u.key FROM uncounted_keys u JOIN fact_keys k\n"
	"                             ON k.channel = u.channel AND k.key = u.key\n"
	"                            AND k.value = u.value AND k.fact_id = o.fact_id\n"
	"                          WHERE u.fact_id = r.fact_id ORDER BY u.key LIMIT 1), '') END,\n"
	"       " STORE_FACT_VALUES("r.") ",\n"
	"       " STORE_FACT_VALUES("o.") "\n"
	DECIDED_FROM
	"  JOIN facts o ON o.fact_id = d.now_of JOIN files ol ON ol.file_id = o.file_id\n"
	" WHERE d.counts = 0 AND d.now_of IS NOT d.was_of ORDER BY d.fact_id";
/* Those that count now in a withdrawn row's place, that were repeats:
 * what ingest would have raised of them, had the voided file never come,
 * beside the repeat's discrepancy it did raise (dropped). */
static const char sql_promoted_rows[] =
	DECIDED_ROW
	"       r.canonical_kind, r.business_date, r.status_date, r.cycle_date, l.file_date\n"
	DECIDED_FROM
	" WHERE d.counted = 0 AND d.counts = 1 ORDER BY d.fact_id";
/* clang-format on */

static void decided_row(sqlite3_stmt *st, struct store_decided_row *r)
{
	int64_t id = sqlite3_column_int64(st, 4);
	*r = (struct store_decided_row){
		.channel = db_col_text(st, 0),
		.schema = db_col_text(st, 1),
		.transaction_id = db_col_text(st, 2),
		.reference = db_col_text(st, 3),
		.file_id = id >> 32,
		.row = (uint64_t)id & STORE_MAX_ROW,
		.period = db_col_text(st, 5),
	};
}

int store_each_promoted_row(struct store *s,
			    int (*fn)(void *ctx, const struct store_promoted_row *r), void *ctx,
			    struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_promoted_rows, &rc, e);
	while (db_step_row(s, st, &rc, e, "reading the rows a void made count")) {
		struct store_promoted_row r = {
			.kind = db_col_text(st, 6),
			.business_date = db_col_text(st, 7),
			.status_date = db_col_text(st, 8),
			.cycle_date = db_col_text(st, 9),
			.file_date = db_col_text(st, 10),
		};
		decided_row(st, &r.at);
		if ((rc = fn(ctx, &r)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}

int store_each_repeat_decided(struct store *s,
			      int (*fn)(void *ctx, const struct store_repeat_decided *r), void *ctx,
			      struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_repeats_decided, &rc, e);
	while (db_step_row(s, st, &rc, e, "reading the repeats a void decided")) {
		struct store_repeat_decided r = {
			.dup = { .duplicate = true,
				 .same_content = sqlite3_column_int(st, 6) != 0,
				 .row = (uint64_t)sqlite3_column_int64(st, 8) },
		};
		decided_row(st, &r.at);
		snprintf(r.dup.file, sizeof(r.dup.file), "%s", db_col_text(st, 7));
		snprintf(r.dup.key, sizeof(r.dup.key), "%s", db_col_text(st, 9));
		db_fact_values(st, 10, &r.values);
		db_fact_values(st, 17, &r.dup.counted);
		if ((rc = fn(ctx, &r)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}
