/*
 * db.c — the store's connection helpers (see db.h).
 *
 * SQLITE_BUSY after the busy timeout is -KASI_ELOCKED (another run holds
 * the store); every other failure is -KASI_EIO, with the statement's
 * purpose and SQLite's message (and what a disk error means).
 */
#include "core/common.h"
#include "store/db.h"

/* ---- errors ------------------------------------------------------------ */

/* What a disk error means, from SQLite's extended code; NULL: no more
 * than its message says. (The system's errno is not kept: SQLite reads it
 * after the rollback, when it no longer tells.) */
static const char *disk_trouble(int code)
{
	switch (code) {
	case SQLITE_IOERR_WRITE:
		return "a write failed: is the disk full, or a file size limit set?";
	case SQLITE_IOERR_FSYNC:
	case SQLITE_IOERR_DIR_FSYNC:
		return "fsync failed: the disk could not make the writes durable";
	case SQLITE_IOERR_READ:
	case SQLITE_IOERR_SHORT_READ: return "a read failed";
	case SQLITE_IOERR_TRUNCATE: return "a file could not be truncated";
	case SQLITE_IOERR_SHMSIZE:
	case SQLITE_IOERR_SHMMAP:
	case SQLITE_IOERR_SHMOPEN: return "the WAL index could not be mapped: is the disk full?";
	default: return NULL;
	}
}

/* A failure with SQLite's message msg (NULL: the connection's). */
static int fail(struct store *s, int code, struct err *e, const char *what, const char *msg)
{
	if (!msg)
		msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(code);
	int primary = code & 0xff;
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		return err_set(e, KASI_ELOCKED, "store '%s' is locked by another run (%s)",
			       s ? s->path : "?", what);
	if (primary == SQLITE_NOTADB)
		return err_set(e, KASI_ECONFIG, "'%s' is not a kasi store (not an SQLite database)",
			       s ? s->path : "?");
	if (primary == SQLITE_READONLY && s && s->readonly)
		return err_set(e, KASI_EIO,
			       "store '%s' is read-only for this user: %s needs to write it "
			       "(status, reports and explain only read)",
			       s->path, what);
	const char *trouble = disk_trouble(s && s->db ? sqlite3_extended_errcode(s->db) : code);
	if (trouble)
		return err_set(e, KASI_EIO, "store '%s': %s: %s (%s)", s ? s->path : "?", what, msg,
			       trouble);
	return err_set(e, KASI_EIO, "store '%s': %s: %s", s ? s->path : "?", what, msg);
}

int db_fail(struct store *s, int code, struct err *e, const char *what)
{
	return fail(s, code, e, what, NULL);
}

/* ---- statements (sticky rc) ---------------------------------------------- */

sqlite3_stmt *db_prep(struct store *s, const char *sql, int *rc, struct err *e)
{
	if (*rc)
		return NULL;
	for (size_t i = 0; i < s->ncache; i++) {
		if (s->cache[i].sql == sql) {
			sqlite3_reset(s->cache[i].st);
			sqlite3_clear_bindings(s->cache[i].st);
			return s->cache[i].st;
		}
	}
	if (s->ncache == s->cache_cap) {
		size_t cap = s->cache_cap ? s->cache_cap * 2 : 32;
		struct db_cached *nc = realloc(s->cache, cap * sizeof(*nc));
		if (!nc) {
			*rc = err_set(e, KASI_EIO, "out of memory");
			return NULL;
		}
		s->cache = nc;
		s->cache_cap = cap;
	}
	sqlite3_stmt *st;
	int r = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (r != SQLITE_OK) {
		*rc = db_fail(s, r, e, "preparing a statement");
		return NULL;
	}
	s->cache[s->ncache++] = (struct db_cached){ sql, st };
	return st;
}

void db_bind_text(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int i, const char *v)
{
	if (*rc)
		return;
	int r = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
	if (r != SQLITE_OK)
		*rc = db_fail(s, r, e, "binding a value");
}

void db_bind_opt_text(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int i,
		      const char *v)
{
	db_bind_text(s, st, rc, e, i, v && *v ? v : NULL);
}

void db_bind_int(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int i, int64_t v)
{
	if (*rc)
		return;
	int r = sqlite3_bind_int64(st, i, v);
	if (r != SQLITE_OK)
		*rc = db_fail(s, r, e, "binding a value");
}

bool db_step_row(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, const char *what)
{
	if (*rc)
		return false;
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		return true;
	if (r != SQLITE_DONE)
		*rc = db_fail(s, r, e, what);
	return false;
}

void db_step_done(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, const char *what)
{
	if (db_step_row(s, st, rc, e, what) && !*rc)
		*rc = err_set(e, KASI_EIO, "store '%s': %s returned a row", s->path, what);
}

const char *db_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

bool db_same_text(const char *a, const char *b)
{
	if (!a || !*a)
		return !b || !*b;
	return b && !strcmp(a, b);
}

const char *db_rows_sql(char *buf, size_t size, const char *head, const char *shared, int first,
			int per_row, int rows, const char *tail)
{
	if (buf[0])
		return buf;
	size_t at = 0;
	int n = snprintf(buf, size, "%s", head);
	for (int r = 0; n >= 0 && r < rows; r++) {
		at += (size_t)n;
		n = snprintf(buf + at, at < size ? size - at : 0, "%s(%s", r ? ", " : "", shared);
		for (int p = 0; n >= 0 && p < per_row; p++) {
			at += (size_t)n;
			n = snprintf(buf + at, at < size ? size - at : 0, "%s?%d", p ? ", " : "",
				     first + r * per_row + p);
		}
		at += (size_t)n;
		n = snprintf(buf + at, at < size ? size - at : 0, ")");
	}
	at += (size_t)n;
	n = snprintf(buf + at, at < size ? size - at : 0, "%s", tail);
	if (n < 0 || at + (size_t)n >= size) {
		buf[0] = '\0';
		return NULL;
	}
	return buf;
}

int db_insert_rows(struct store *s, const struct db_rows *rows, int first, size_t n, struct err *e)
{
	int rc = 0;
	if (!rows->one || !rows->many)
		return err_set(e, KASI_EIO, "%s: a statement does not fit its buffer", rows->what);
	for (size_t i = 0; i < n && !rc;) {
		size_t k = n - i >= STORE_BATCH ? STORE_BATCH : 1;
		sqlite3_stmt *st = db_prep(s, k > 1 ? rows->many : rows->one, &rc, e);
		if (rows->bind_shared)
			rows->bind_shared(s, st, &rc, e, rows->ctx);
		for (size_t j = 0; j < k; j++)
			rows->bind_row(s, st, &rc, e, first + (int)j * rows->per_row, rows->ctx,
				       i + j);
		db_step_done(s, st, &rc, e, rows->what);
		i += k;
	}
	return rc;
}

int db_exec(struct store *s, const char *sql, struct err *e, const char *what)
{
	char *msg = NULL;
	int r = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (r == SQLITE_OK)
		return 0;
	int rc = fail(s, r, e, what, msg);
	sqlite3_free(msg);
	return rc;
}
