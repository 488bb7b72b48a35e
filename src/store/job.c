/*
 * job.c — the store's side of the nightly job: what each job fetched (see
 * store.h).
 */
#include "core/common.h"
#include "store/db.h"

static const char sql_fetched_find[] =
	"SELECT sha256 FROM fetched WHERE job = ?1 AND name = ?2 AND size = ?3 AND mtime = ?4";
static const char sql_fetched_content[] =
	"SELECT 1 FROM fetched WHERE job = ?1 AND name = ?2 AND sha256 = ?3 LIMIT 1";
static const char sql_fetched_add[] =
	"INSERT OR IGNORE INTO fetched (job, name, size, mtime, sha256, fetched_at)\n"
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

int store_fetched_find(struct store *s, const char *job, const char *name, uint64_t size,
		       int64_t mtime, char sha256[65], struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_fetched_find, &rc, e);
	db_bind_text(s, st, &rc, e, 1, job);
	db_bind_text(s, st, &rc, e, 2, name);
	db_bind_int(s, st, &rc, e, 3, (int64_t)size);
	db_bind_int(s, st, &rc, e, 4, mtime);
	bool found = db_step_row(s, st, &rc, e, "reading what was fetched");
	if (found)
		snprintf(sha256, 65, "%s", db_col_text(st, 0));
	if (st)
		sqlite3_reset(st);
	return rc ? rc : found;
}

int store_fetched_content(struct store *s, const char *job, const char *name, const char *sha256,
			  struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_fetched_content, &rc, e);
	db_bind_text(s, st, &rc, e, 1, job);
	db_bind_text(s, st, &rc, e, 2, name);
	db_bind_text(s, st, &rc, e, 3, sha256);
	bool found = db_step_row(s, st, &rc, e, "reading what was fetched");
	if (st)
		sqlite3_reset(st);
	return rc ? rc : found;
}

int store_fetched_add(struct store *s, const char *job, const char *name, uint64_t size,
		      int64_t mtime, const char *sha256, struct err *e)
{
	int rc = store_begin(s, e);
	char now[32];
	store_now(now);
	sqlite3_stmt *st = db_prep(s, sql_fetched_add, &rc, e);
	db_bind_text(s, st, &rc, e, 1, job);
	db_bind_text(s, st, &rc, e, 2, name);
	db_bind_int(s, st, &rc, e, 3, (int64_t)size);
	db_bind_int(s, st, &rc, e, 4, mtime);
	db_bind_text(s, st, &rc, e, 5, sha256);
	db_bind_text(s, st, &rc, e, 6, now);
	db_step_done(s, st, &rc, e, "recording a fetched file");
	if (!rc)
		return store_commit(s, e);
	store_rollback(s);
	return rc;
}

/* ---- the days of a job ---------------------------------------------------------- */

/* A job's rows are its first day, put there by its first run, and the
 * days found missing since, all later: the first day is the least. (A
 * store from before kept a row for every day a run was for; its least is
 * still the day of the job's first run.) */
static const char sql_first_day_add[] =
	"INSERT INTO job_days (job, day, missing_at)\n"
	"SELECT ?1, ?2, NULL WHERE NOT EXISTS (SELECT 1 FROM job_days WHERE job = ?1)";
static const char sql_first_day[] = "SELECT min(day) FROM job_days WHERE job = ?1";
/* A file of the day came: any outcome, but a duplicate of content
 * applied as another day's file (yesterday's sent again under this day's
 * name: this day's has not come). */
static const char sql_arrived[] =
	"SELECT 1 FROM files f WHERE f.schema = ?1 AND f.file_date = ?2\n"
	"   AND NOT (f.outcome = 'duplicate' AND EXISTS (\n"
	"        SELECT 1 FROM files o WHERE o.sha256 = f.sha256 AND o.outcome = 'applied'\n"
	"           AND o.file_date IS NOT f.file_date))\n"
	" LIMIT 1";
static const char sql_day_missing[] =
	"INSERT INTO job_days (job, day, missing_at) VALUES (?1, ?2, ?3)\n"
	"ON CONFLICT (job, day) DO UPDATE SET missing_at = excluded.missing_at\n"
	" WHERE job_days.missing_at IS NULL";

int store_job_first_day(struct store *s, const char *job, const char *day, char first[16],
			struct err *e)
{
	int rc = store_begin(s, e);
	sqlite3_stmt *st = db_prep(s, sql_first_day_add, &rc, e);
	db_bind_text(s, st, &rc, e, 1, job);
	db_bind_text(s, st, &rc, e, 2, day);
	db_step_done(s, st, &rc, e, "recording a job's first day");
	st = db_prep(s, sql_first_day, &rc, e);
	db_bind_text(s, st, &rc, e, 1, job);
	if (db_step_row(s, st, &rc, e, "reading a job's first day"))
		snprintf(first, 16, "%s", db_col_text(st, 0));
	if (st)
		sqlite3_reset(st);
	if (!rc)
		return store_commit(s, e);
	store_rollback(s);
	return rc;
}

int store_file_arrived(struct store *s, const char *schema, const char *day, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_arrived, &rc, e);
	db_bind_text(s, st, &rc, e, 1, schema);
	db_bind_text(s, st, &rc, e, 2, day);
	bool found = db_step_row(s, st, &rc, e, "reading which files arrived");
	if (st)
		sqlite3_reset(st);
	return rc ? rc : found;
}

int store_job_missing(struct store *s, const char *job, const char *day,
		      const struct store_discrepancy *d, struct err *e)
{
	char now[32];
	store_now(now);
	int rc = store_begin(s, e);
	sqlite3_stmt *st = db_prep(s, sql_day_missing, &rc, e);
	db_bind_text(s, st, &rc, e, 1, job);
	db_bind_text(s, st, &rc, e, 2, day);
	db_bind_text(s, st, &rc, e, 3, now);
	db_step_done(s, st, &rc, e, "recording a missing file");
	bool raised = !rc && sqlite3_changes(s->db) == 1;
	if (raised)
		rc = store_discrepancy_add(s, d, e);
	if (!rc && !(rc = store_commit(s, e)))
		return raised;
	store_rollback(s);
	return rc;
}
