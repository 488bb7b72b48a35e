/*
 * exceptions.c — the store's side of the finance team's worklist.
 *
 * Every discrepancy recorded is seen as an exception (its period, code,
 * channel and subject: STORE_EXCEPTION_SUBJECT): a new one is made, one
 * known is seen again (its values brought up to date, cleared no more).
 * A reconcile clears the period's exceptions it made before, then
 * records what it finds, each seen again: what it no longer finds stays
 * cleared, with the time. Both happen in the transaction that writes the
 * discrepancies, so the worklist is never out of step with them.
 */
#include "core/common.h"
#include "store/db.h"

/* The upsert every discrepancy recorded goes through: those of ids
 * ?1..?3, recorded together. */
static const char sql_exception_seen[] =
	"INSERT INTO exceptions (period, code, channel, subject, source, severity, reference,\n"
	"                        transaction_id, file, row, expected, actual, amount, detail,\n"
	"                        first_seen, last_seen)\n"
	"SELECT d.period, d.code, " STORE_EXCEPTION_CHANNEL ", " STORE_EXCEPTION_SUBJECT
	", d.source,\n"
	"       d.severity, d.reference, d.transaction_id, f.name, d.row, d.expected, d.actual,\n"
	"       " STORE_EXCEPTION_AMOUNT ", d.detail, ?2, ?2\n"
	"  FROM discrepancies d LEFT JOIN files f USING (file_id)\n"
	" WHERE d.discrepancy_id BETWEEN ?1 AND ?3\n"
	"    ON CONFLICT (period, code, channel, subject) DO UPDATE SET\n"
	"       source = excluded.source, severity = excluded.severity,\n"
	"       reference = excluded.reference, transaction_id = excluded.transaction_id,\n"
	"       file = excluded.file, row = excluded.row, expected = excluded.expected,\n"
	"       actual = excluded.actual, amount = excluded.amount, detail = excluded.detail,\n"
	"       last_seen = excluded.last_seen, cleared_at = NULL";

int db_exceptions_seen(struct store *s, int64_t first, int64_t last, struct err *e)
{
	char now[32];
	store_now(now);
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_exception_seen, &rc, e);
	db_bind_int(s, st, &rc, e, 1, first);
	db_bind_int(s, st, &rc, e, 3, last);
	db_bind_text(s, st, &rc, e, 2, now);
	db_step_done(s, st, &rc, e, "recording an exception");
	return rc;
}

static const char sql_exceptions_clear[] =
	"UPDATE exceptions SET cleared_at = ?2\n"
	" WHERE period = ?1 AND source = 'reconcile' AND cleared_at IS NULL";

int db_exceptions_clear(struct store *s, const char *period, struct err *e)
{
	char now[32];
	store_now(now);
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_exceptions_clear, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_bind_text(s, st, &rc, e, 2, now);
	db_step_done(s, st, &rc, e, "clearing exceptions");
	return rc;
}

/* An exception with its latest resolution, and whether that resolution
 * was made on the values the exception has now. */
#define EXCEPTION_COLUMNS                                                                  \
	"SELECT x.exception_id, x.period, x.code, x.severity, x.channel, x.reference,\n"   \
	"       x.transaction_id, x.file, ifnull(x.row, 0), x.expected, x.actual,\n"       \
	"       x.amount, x.detail, x.first_seen, x.last_seen, x.cleared_at,\n"            \
	"       r.resolved_at, r.resolved_by, r.note,\n"                                   \
	"       r.resolution_id IS NOT NULL AND " STORE_RESOLUTION_HOLDS ",\n"             \
	"       ifnull(r.reopened, 0)\n"                                                   \
	"  FROM exceptions x LEFT JOIN exception_resolutions r\n"                          \
	"    ON r.resolution_id = (SELECT max(resolution_id) FROM exception_resolutions\n" \
	"                           WHERE exception_id = x.exception_id)\n"

static const char sql_each_exception[] = EXCEPTION_COLUMNS " WHERE ?1 IS NULL OR x.period = ?1\n"
							   " ORDER BY x.exception_id";
static const char sql_exception_find[] = EXCEPTION_COLUMNS " WHERE x.exception_id = ?1";

static void exception_row(sqlite3_stmt *st, struct store_exception *x)
{
	*x = (struct store_exception){
		.id = sqlite3_column_int64(st, 0),
		.period = db_col_text(st, 1),
		.code = db_col_text(st, 2),
		.severity = db_col_text(st, 3),
		.channel = db_col_text(st, 4),
		.reference = db_col_text(st, 5),
		.transaction_id = db_col_text(st, 6),
		.file = db_col_text(st, 7),
		.row = (uint64_t)sqlite3_column_int64(st, 8),
		.expected = db_col_text(st, 9),
		.actual = db_col_text(st, 10),
		.has_amount = sqlite3_column_type(st, 11) != SQLITE_NULL,
		.amount = sqlite3_column_int64(st, 11),
		.detail = db_col_text(st, 12),
		.first_seen = db_col_text(st, 13),
		.last_seen = db_col_text(st, 14),
		.cleared_at = db_col_text(st, 15),
		.resolved_at = db_col_text(st, 16),
		.resolved_by = db_col_text(st, 17),
		.note = db_col_text(st, 18),
		.resolved = sqlite3_column_int(st, 19) != 0,
		.reopened = sqlite3_column_int(st, 20) != 0,
	};
}

int store_each_exception(struct store *s, const char *period,
			 int (*fn)(void *ctx, const struct store_exception *x), void *ctx,
			 struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_exception, &rc, e);
	if (period)
		db_bind_text(s, st, &rc, e, 1, period);
	while (db_step_row(s, st, &rc, e, "reading exceptions")) {
		struct store_exception x;
		exception_row(st, &x);
		if ((rc = fn(ctx, &x)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}

int store_exception_find(struct store *s, int64_t id,
			 int (*fn)(void *ctx, const struct store_exception *x), void *ctx,
			 struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_exception_find, &rc, e);
	db_bind_int(s, st, &rc, e, 1, id);
	if (db_step_row(s, st, &rc, e, "reading an exception")) {
		struct store_exception x;
		exception_row(st, &x);
		rc = fn ? fn(ctx, &x) : 0;
		sqlite3_reset(st);
		return rc ? rc : 1;
	}
	return rc;
}

/* A resolution keeps the values it was made on: the exception's now. A
 * reopening (?5 = 1) is recorded only over a resolution that holds. */
static const char sql_exception_resolve[] =
	"INSERT INTO exception_resolutions (exception_id, resolved_at, resolved_by, note,\n"
	"                                   expected, actual, amount, detail, reopened)\n"
	"SELECT exception_id, ?2, ?3, ?4, expected, actual, amount, detail, ?5\n"
	"  FROM exceptions x\n"
	" WHERE exception_id = ?1\n"
	"   AND (?5 = 0 OR ifnull((SELECT " STORE_RESOLUTION_HOLDS "\n"
	"                           FROM exception_resolutions r\n"
	"                          WHERE r.exception_id = x.exception_id\n"
	"                          ORDER BY r.resolution_id DESC LIMIT 1), 0))";
/* Why exception x could not be reopened: its latest entry says. */
static int not_resolved(void *ctx, const struct store_exception *x)
{
	struct err *e = ctx;
	if (!x->resolved_at)
		return err_set(e, KASI_EDATA,
			       "exception %" PRId64
			       " was never resolved: there is nothing to reopen",
			       x->id);
	if (x->reopened)
		return err_set(e, KASI_EDATA,
			       "exception %" PRId64
			       " was reopened already, on %s: there is nothing "
			       "to reopen",
			       x->id, x->resolved_at);
	return err_set(e, KASI_EDATA,
		       "exception %" PRId64 " is open again already: its values changed since it "
		       "was resolved on %s, so that resolution no longer holds (nothing to reopen)",
		       x->id, x->resolved_at);
}

/* Why nothing was recorded for exception id: there is none, or (a
 * reopening) it is not resolved, as not_resolved says. */
static int not_recorded(struct store *s, int64_t id, bool reopen, struct err *e)
{
	int found = store_exception_find(s, id, reopen ? not_resolved : NULL, e, e);
	if (found < 0)
		return found;
	if (found)
		return err_set(e, KASI_EIO, "exception %" PRId64 ": nothing was recorded", id);
	return err_set(e, KASI_ENOINPUT, "no exception %" PRId64 " (see 'kasi exceptions --all')",
		       id);
}

int store_exception_resolve(struct store *s, int64_t id, const char *who, const char *note,
			    bool reopen, struct err *e)
{
	char now[32];
	store_now(now);
	int rc = store_begin(s, e);
	sqlite3_stmt *st = db_prep(s, sql_exception_resolve, &rc, e);
	db_bind_int(s, st, &rc, e, 1, id);
	db_bind_text(s, st, &rc, e, 2, now);
	db_bind_text(s, st, &rc, e, 3, who);
	db_bind_text(s, st, &rc, e, 4, note);
	db_bind_int(s, st, &rc, e, 5, reopen);
	db_step_done(s, st, &rc, e, reopen ? "recording a reopening" : "recording a resolution");
	if (!rc && sqlite3_changes(s->db) != 1)
		rc = not_recorded(s, id, reopen, e);
	if (!rc && !(rc = store_commit(s, e)))
		return 0;
	store_rollback(s);
	return rc;
}

/* A problem gone that no reconcile looks for again (a missing file that
 * came after all): cleared, kept, with the time. */
static const char sql_exception_clear[] =
	"UPDATE exceptions SET cleared_at = ?5\n"
	" WHERE period = ?1 AND code = ?2 AND channel = ?3 AND subject = ?4\n"
	"   AND cleared_at IS NULL";

int store_exception_clear(struct store *s, const char *period, const char *code,
			  const char *channel, const char *subject, struct err *e)
{
	char now[32];
	store_now(now);
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_exception_clear, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_bind_text(s, st, &rc, e, 2, code);
	db_bind_text(s, st, &rc, e, 3, channel ? channel : "");
	db_bind_text(s, st, &rc, e, 4, subject);
	db_bind_text(s, st, &rc, e, 5, now);
	db_step_done(s, st, &rc, e, "clearing an exception");
	return rc ? rc : sqlite3_changes(s->db);
}
