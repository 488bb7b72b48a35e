/*
 * store.c — the SQLite store (see store.h).
 *
 * Statements are prepared once per connection (SQLITE_PREPARE_PERSISTENT)
 * and kept in s->stmt[], indexed by enum stmt_id; each call resets and
 * rebinds one. Errors are sticky, as in SQLite's own shell: the bind and
 * step helpers do nothing once *rc is set, so a sequence of calls needs
 * one check at its end.
 *
 * SQLITE_BUSY after the busy timeout is -KASI_ELOCKED (another run holds
 * the store); every other failure is -KASI_EIO, with the statement's
 * purpose and SQLite's message.
 */
#include "core/common.h"
#include "core/dates.h"
#include "store/store.h"

#include <sqlite3.h>

#define BUSY_TIMEOUT_MS 10000

enum stmt_id {
	ST_FILE_APPLIED,
	ST_FILE_APPLY_BEGIN,
	ST_FILE_APPLY_DONE,
	ST_FILE_ATTEMPT,
	ST_PROVIDER_GET,
	ST_PROVIDER_INSERT,
	ST_PROVIDER_UPDATE,
	ST_PRODUCT_GET,
	ST_PRODUCT_INSERT,
	ST_PRODUCT_UPDATE,
	ST_PRODUCT_ID,
	ST_POLICY_GET,
	ST_POLICY_INSERT,
	ST_POLICY_UPDATE,
	ST_POLICY_CHANGE,
	ST_POLICY_BY_EASYPAY_CODE,
	ST_POLICY_BY_COLLECTION_REF,
	ST_LEDGER_GET,
	ST_LEDGER_INSERT,
	ST_LEDGER_UPDATE,
	ST_FACT_INSERT,
	ST_FACT_COUNTED,
	ST_FACT_INSERT_DUPLICATE,
	ST_DISCREPANCY_INSERT,
	ST_STATUS_FILES,
	ST_STATUS_PERIODS,
	ST_STATUS_DISCREPANCIES,
	ST_STATUS_OUTCOMES,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_FILE_APPLIED] = "SELECT file_id, name, applied_at FROM files\n"
			    " WHERE sha256 = ?1 AND outcome = 'applied' AND rows > 0",
	[ST_FILE_APPLY_BEGIN] = "INSERT INTO files (name, sha256, size, schema, channel, "
				"file_date, rows, outcome,\n"
				"                   received_at)\n"
				"VALUES (?1, 'pending', 0, ?2, ?3, ?4, 0, 'applied', ?5)",
	[ST_FILE_APPLY_DONE] = "UPDATE files SET sha256 = ?2, size = ?3, rows = ?4, file_date = "
			       "?5, applied_at = ?6\n"
			       " WHERE file_id = ?1",
	[ST_FILE_ATTEMPT] =
		"INSERT INTO files (name, sha256, size, schema, channel, file_date, rows, "
		"outcome,\n"
		"                   received_at)\n"
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)\n"
		"ON CONFLICT (sha256, name, outcome) WHERE outcome <> 'applied' DO NOTHING",
	[ST_PROVIDER_GET] = "SELECT provider_id, provider_name, payout_bank_id, payout_account\n"
			    "  FROM providers WHERE provider_code = ?1",
	[ST_PROVIDER_INSERT] = "INSERT INTO providers (provider_code, provider_name, "
			       "payout_bank_id, payout_account)\n"
			       "VALUES (?1, ?2, ?3, ?4)",
	[ST_PROVIDER_UPDATE] = "UPDATE providers SET provider_name = ?2, payout_bank_id = ?3, "
			       "payout_account = ?4\n"
			       " WHERE provider_id = ?1",
	[ST_PRODUCT_GET] =
		"SELECT p.product_id, p.product_name, v.provider_code, p.fee_bps, p.fee_fixed\n"
		"  FROM products p JOIN providers v USING (provider_id) WHERE p.product_code = ?1",
	[ST_PRODUCT_INSERT] = "INSERT INTO products (product_code, product_name, provider_id, "
			      "fee_bps, fee_fixed)\n"
			      "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_PRODUCT_UPDATE] = "UPDATE products SET product_name = ?2, provider_id = ?3, fee_bps = "
			      "?4, fee_fixed = ?5\n"
			      " WHERE product_id = ?1",
	[ST_PRODUCT_ID] = "SELECT product_id FROM products WHERE product_code = ?1",
	[ST_POLICY_GET] =
		"SELECT p.policy_id, r.product_code, p.customer_name, p.id_number, p.premium,\n"
		"       p.channel, p.collection_ref, p.easypay_code, p.debit_day, p.status,\n"
		"       p.start_date, p.cancel_date\n"
		"  FROM policies p JOIN products r USING (product_id) WHERE p.policy_number = ?1",
	[ST_POLICY_INSERT] =
		"INSERT INTO policies (policy_number, product_id, customer_name, id_number, "
		"premium,\n"
		"                      channel, collection_ref, easypay_code, debit_day, status,\n"
		"                      start_date, cancel_date, file_id)\n"
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_POLICY_UPDATE] =
		"UPDATE policies SET product_id = ?2, customer_name = ?3, id_number = ?4, premium "
		"= ?5,\n"
		"       channel = ?6, collection_ref = ?7, easypay_code = ?8, debit_day = ?9,\n"
		"       status = ?10, start_date = ?11, cancel_date = ?12, file_id = ?13\n"
		" WHERE policy_id = ?1",
	[ST_POLICY_CHANGE] = "INSERT INTO policy_changes (policy_id, field, old_value, new_value, "
			     "file_id, changed_at)\n"
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_POLICY_BY_EASYPAY_CODE] = "SELECT policy_number FROM policies WHERE easypay_code = ?1",
	[ST_POLICY_BY_COLLECTION_REF] =
		"SELECT policy_number FROM policies WHERE channel = ?1 AND collection_ref = ?2\n"
		" ORDER BY policy_id LIMIT 1",
	[ST_LEDGER_GET] =
		"SELECT ledger_id, reference, business_date, occurred_at, amount, status\n"
		"  FROM ledger WHERE channel = ?1 AND transaction_id = ?2",
	[ST_LEDGER_INSERT] = "INSERT INTO ledger (channel, transaction_id, reference, "
			     "business_date, occurred_at,\n"
			     "                    amount, status, file_id, row)\n"
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_LEDGER_UPDATE] = "UPDATE ledger SET reference = ?2, business_date = ?3, occurred_at = "
			     "?4, amount = ?5,\n"
			     "       status = ?6, file_id = ?7, row = ?8\n"
			     " WHERE ledger_id = ?1",
	[ST_FACT_INSERT] =
		"INSERT INTO facts (file_id, row, channel, fact_key, transaction_id, reference,\n"
		"                   business_date, kind, amount, status, reason, reason_text,\n"
		"                   original_id, cycle_date, status_date, status_time,\n"
		"                   requested_amount, content_hash)\n"
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,\n"
		"        ?17, ?18)\n"
		"ON CONFLICT (channel, fact_key) WHERE duplicate_of IS NULL DO NOTHING",
	[ST_FACT_COUNTED] = "SELECT f.fact_id, f.content_hash, l.name, f.row\n"
			    "  FROM facts f JOIN files l USING (file_id)\n"
			    " WHERE f.channel = ?1 AND f.fact_key = ?2 AND f.duplicate_of IS NULL",
	[ST_FACT_INSERT_DUPLICATE] =
		"INSERT INTO facts (file_id, row, channel, fact_key, transaction_id, reference,\n"
		"                   business_date, kind, amount, status, reason, reason_text,\n"
		"                   original_id, cycle_date, status_date, status_time,\n"
		"                   requested_amount, content_hash, duplicate_of)\n"
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,\n"
		"        ?17, ?18, ?19)",
	[ST_DISCREPANCY_INSERT] =
		"INSERT INTO discrepancies (period, code, severity, channel, file_id, row, "
		"reference,\n"
		"                           transaction_id, expected, actual, detail, source)\n"
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_STATUS_FILES] =
		"SELECT channel, schema, file_date, count(*), sum(rows), max(applied_at)\n"
		"  FROM files WHERE outcome = 'applied'\n"
		" GROUP BY channel, schema, file_date ORDER BY channel IS NOT NULL, channel, "
		"schema,\n"
		"          file_date",
	[ST_STATUS_PERIODS] =
		"SELECT p.period, p.scheduled_at, p.reconciled_at,\n"
		"       (SELECT count(*) FROM expected e WHERE e.period = p.period),\n"
		"       (SELECT count(*) FROM outcomes o WHERE o.period = p.period)\n"
		"  FROM periods p ORDER BY p.period",
	[ST_STATUS_DISCREPANCIES] = "SELECT period, code, severity, count(*) FROM discrepancies\n"
				    " GROUP BY period, code, severity ORDER BY period, code",
	[ST_STATUS_OUTCOMES] = "SELECT outcome, count(*) FROM files GROUP BY outcome",
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[ST_COUNT];
};

/* ---- errors ------------------------------------------------------------ */

static int db_fail(struct store *s, int code, struct err *e, const char *what)
{
	const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(code);
	int primary = code & 0xff;
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		return err_set(e, KASI_ELOCKED, "store '%s' is locked by another run (%s)",
			       s ? s->path : "?", what);
	return err_set(e, KASI_EIO, "store '%s': %s: %s", s ? s->path : "?", what, msg);
}

/* ---- statements (sticky rc) ---------------------------------------------- */

static sqlite3_stmt *stmt(struct store *s, enum stmt_id id, int *rc, struct err *e)
{
	if (*rc)
		return NULL;
	sqlite3_stmt *st = s->stmt[id];
	if (!st) {
		int r = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					   &s->stmt[id], NULL);
		if (r != SQLITE_OK) {
			*rc = db_fail(s, r, e, "preparing a statement");
			return NULL;
		}
		st = s->stmt[id];
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return st;
}

static void bind_text(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int i,
		      const char *v)
{
	if (*rc)
		return;
	int r = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
	if (r != SQLITE_OK)
		*rc = db_fail(s, r, e, "binding a value");
}

/* Empty strings are stored as NULL: "no value". */
static void bind_opt_text(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int i,
			  const char *v)
{
	bind_text(s, st, rc, e, i, v && *v ? v : NULL);
}

static void bind_int(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int i, int64_t v)
{
	if (*rc)
		return;
	int r = sqlite3_bind_int64(st, i, v);
	if (r != SQLITE_OK)
		*rc = db_fail(s, r, e, "binding a value");
}

static void bind_blob(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int i,
		      const void *v, int n)
{
	if (*rc)
		return;
	int r = sqlite3_bind_blob(st, i, v, n, SQLITE_STATIC);
	if (r != SQLITE_OK)
		*rc = db_fail(s, r, e, "binding a value");
}

/* Step once: true for a row, false when done (or after an error). */
static bool step_row(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, const char *what)
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

static void step_done(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, const char *what)
{
	if (step_row(s, st, rc, e, what) && !*rc)
		*rc = err_set(e, KASI_EIO, "store '%s': %s returned a row", s->path, what);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static bool same_text(const char *a, const char *b)
{
	if (!a || !*a)
		return !b || !*b;
	return b && !strcmp(a, b);
}

/* Run SQL text that takes no parameters (pragmas, transaction control,
 * migration scripts). Never used with text from input. */
static int exec(struct store *s, const char *sql, struct err *e, const char *what)
{
	char *msg = NULL;
	int r = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (r == SQLITE_OK)
		return 0;
	int rc = db_fail(s, r, e, what);
	if (msg && rc != -KASI_ELOCKED)
		err_set(e, KASI_EIO, "store '%s': %s: %s", s->path, what, msg);
	sqlite3_free(msg);
	return rc;
}

/* ---- opening ------------------------------------------------------------- */

static int connect(struct store **out, const char *path, bool create, struct err *e)
{
	int rc = 0;
	struct store *s = calloc(1, sizeof(*s));
	*out = s;
	if (!s || !(s->path = strdup(path)))
		return err_set(e, KASI_EIO, "out of memory");
	if (!create && access(path, F_OK) != 0)
		return err_set(e, KASI_ENOINPUT, "no store at '%s' (create it with 'kasi init')",
			       path);
	int flags =
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE | (create ? SQLITE_OPEN_CREATE : 0);
	int r = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (r != SQLITE_OK)
		return db_fail(s, r, e, "opening");
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* WAL: readers never block the writer. synchronous=FULL: a commit is
	 * durable before kasi reports it (SPEC §2.8). Temporary indexes and
	 * sorts stay in memory. */
	rc = exec(s,
		  "PRAGMA journal_mode = WAL;\n"
		  "PRAGMA synchronous = FULL;\n"
		  "PRAGMA foreign_keys = ON;\n"
		  "PRAGMA temp_store = MEMORY;\n"
		  "PRAGMA cache_size = -65536;\n",
		  e, "setting up the connection");
	return rc;
}

static int user_version(struct store *s, int *version, struct err *e)
{
	sqlite3_stmt *st;
	int r = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (r != SQLITE_OK)
		return db_fail(s, r, e, "reading the store's version");
	r = sqlite3_step(st);
	*version = r == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 0 : db_fail(s, r, e, "reading the store's version");
}

int store_init(const char *path, int *from, struct err *e)
{
	struct store *s = NULL;
	int version = 0;
	int rc = connect(&s, path, true, e);
	if (!rc)
		rc = exec(s, "BEGIN IMMEDIATE", e, "starting the migration");
	if (!rc)
		rc = user_version(s, &version, e);
	if (!rc && version > STORE_VERSION) {
		rc = err_set(e, KASI_ECONFIG,
			     "store '%s' is at version %d, newer than this kasi (%d): "
			     "use a newer kasi",
			     path, version, STORE_VERSION);
	}
	for (int v = version + 1; !rc && v <= STORE_VERSION; v++) {
		char what[64];
		snprintf(what, sizeof(what), "migrating to version %d", v);
		rc = exec(s, store_migration(v), e, what);
	}
	if (!rc && version < STORE_VERSION) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", STORE_VERSION);
		rc = exec(s, pragma, e, "recording the version");
	}
	if (!rc)
		rc = exec(s, "COMMIT", e, "committing the migration");
	else if (s && s->db)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	*from = version;
	store_close(s);
	return rc;
}

int store_open(struct store **out, const char *path, struct err *e)
{
	int version = 0;
	int rc = connect(out, path, false, e);
	if (!rc)
		rc = user_version(*out, &version, e);
	if (!rc && version != STORE_VERSION) {
		if (version < STORE_VERSION)
			rc = err_set(
				e, KASI_ECONFIG,
				"store '%s' is at version %d; run 'kasi init' to migrate it to %d",
				path, version, STORE_VERSION);
		else
			rc = err_set(e, KASI_ECONFIG,
				     "store '%s' is at version %d, newer than this kasi (%d)", path,
				     version, STORE_VERSION);
	}
	if (rc) {
		store_close(*out);
		*out = NULL;
	}
	return rc;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

int store_begin(struct store *s, struct err *e)
{
	return exec(s, "BEGIN IMMEDIATE", e, "starting a transaction");
}

int store_commit(struct store *s, struct err *e)
{
	return exec(s, "COMMIT", e, "committing");
}

void store_rollback(struct store *s)
{
	if (s && s->db && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

void store_now(char buf[32])
{
	const char *fixed = getenv("KASI_NOW");
	if (fixed && *fixed) {
		snprintf(buf, 32, "%s", fixed);
		return;
	}
	int64_t t = (int64_t)time(NULL);
	int64_t days = t / 86400, secs = t % 86400;
	int y, m, d;
	date_to_civil((int32_t)days, &y, &m, &d);
	snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(secs / 3600),
		 (int)(secs / 60 % 60), (int)(secs % 60));
}

/* ---- files --------------------------------------------------------------- */

int store_file_applied(struct store *s, const char *sha256, struct store_applied *found,
		       struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = stmt(s, ST_FILE_APPLIED, &rc, e);
	bind_text(s, st, &rc, e, 1, sha256);
	if (step_row(s, st, &rc, e, "looking up a file")) {
		found->file_id = sqlite3_column_int64(st, 0);
		snprintf(found->name, sizeof(found->name), "%s", col_text(st, 1));
		snprintf(found->applied_at, sizeof(found->applied_at), "%s",
			 col_text(st, 2) ? col_text(st, 2) : "");
		return 1;
	}
	return rc;
}

int store_file_apply_begin(struct store *s, const struct store_file *f, int64_t *file_id,
			   struct err *e)
{
	int rc = 0;
	char now[32];
	store_now(now);
	sqlite3_stmt *st = stmt(s, ST_FILE_APPLY_BEGIN, &rc, e);
	bind_text(s, st, &rc, e, 1, f->name);
	bind_text(s, st, &rc, e, 2, f->schema);
	bind_text(s, st, &rc, e, 3, f->channel);
	bind_text(s, st, &rc, e, 4, f->file_date);
	bind_text(s, st, &rc, e, 5, now);
	step_done(s, st, &rc, e, "recording a file");
	*file_id = rc ? 0 : sqlite3_last_insert_rowid(s->db);
	return rc;
}

int store_file_apply_done(struct store *s, int64_t file_id, const struct store_file *f,
			  struct err *e)
{
	int rc = 0;
	char now[32];
	store_now(now);
	sqlite3_stmt *st = stmt(s, ST_FILE_APPLY_DONE, &rc, e);
	bind_int(s, st, &rc, e, 1, file_id);
	bind_text(s, st, &rc, e, 2, f->sha256);
	bind_int(s, st, &rc, e, 3, (int64_t)f->size);
	bind_int(s, st, &rc, e, 4, (int64_t)f->rows);
	bind_text(s, st, &rc, e, 5, f->file_date);
	bind_text(s, st, &rc, e, 6, now);
	step_done(s, st, &rc, e, "recording a file as applied");
	return rc;
}

int store_file_attempt(struct store *s, const struct store_file *f, const char *outcome,
		       int64_t *file_id, struct err *e)
{
	int rc = 0;
	char now[32];
	store_now(now);
	sqlite3_stmt *st = stmt(s, ST_FILE_ATTEMPT, &rc, e);
	bind_text(s, st, &rc, e, 1, f->name);
	bind_text(s, st, &rc, e, 2, f->sha256);
	bind_int(s, st, &rc, e, 3, (int64_t)f->size);
	bind_text(s, st, &rc, e, 4, f->schema);
	bind_text(s, st, &rc, e, 5, f->channel);
	bind_text(s, st, &rc, e, 6, f->file_date);
	bind_int(s, st, &rc, e, 7, (int64_t)f->rows);
	bind_text(s, st, &rc, e, 8, outcome);
	bind_text(s, st, &rc, e, 9, now);
	step_done(s, st, &rc, e, "recording a file");
	*file_id = !rc && sqlite3_changes(s->db) ? sqlite3_last_insert_rowid(s->db) : 0;
	return rc;
}

/* ---- reference data ------------------------------------------------------ */

int store_product_upsert(struct store *s, const struct store_product *p, enum store_upsert *what,
			 struct err *e)
{
	int rc = 0;
	int64_t provider_id = 0;
	bool provider_changed = false;
	*what = STORE_UNCHANGED;

	sqlite3_stmt *st = stmt(s, ST_PROVIDER_GET, &rc, e);
	bind_text(s, st, &rc, e, 1, p->provider_code);
	if (step_row(s, st, &rc, e, "looking up a provider")) {
		provider_id = sqlite3_column_int64(st, 0);
		provider_changed = !same_text(col_text(st, 1), p->provider_name) ||
				   sqlite3_column_int64(st, 2) != p->payout_bank_id ||
				   !same_text(col_text(st, 3), p->payout_account);
	}
	if (!rc && !provider_id) {
		st = stmt(s, ST_PROVIDER_INSERT, &rc, e);
		bind_text(s, st, &rc, e, 1, p->provider_code);
		bind_text(s, st, &rc, e, 2, p->provider_name);
		bind_int(s, st, &rc, e, 3, p->payout_bank_id);
		bind_text(s, st, &rc, e, 4, p->payout_account);
		step_done(s, st, &rc, e, "adding a provider");
		provider_id = sqlite3_last_insert_rowid(s->db);
		*what = STORE_UPDATED;
	} else if (!rc && provider_changed) {
		st = stmt(s, ST_PROVIDER_UPDATE, &rc, e);
		bind_int(s, st, &rc, e, 1, provider_id);
		bind_text(s, st, &rc, e, 2, p->provider_name);
		bind_int(s, st, &rc, e, 3, p->payout_bank_id);
		bind_text(s, st, &rc, e, 4, p->payout_account);
		step_done(s, st, &rc, e, "updating a provider");
		*what = STORE_UPDATED;
	}

	int64_t product_id = 0;
	bool product_changed = false;
	st = stmt(s, ST_PRODUCT_GET, &rc, e);
	bind_text(s, st, &rc, e, 1, p->product_code);
	if (step_row(s, st, &rc, e, "looking up a product")) {
		product_id = sqlite3_column_int64(st, 0);
		product_changed = !same_text(col_text(st, 1), p->product_name) ||
				  !same_text(col_text(st, 2), p->provider_code) ||
				  sqlite3_column_int64(st, 3) != p->fee_bps ||
				  sqlite3_column_int64(st, 4) != p->fee_fixed;
	}
	if (!rc && (!product_id || product_changed)) {
		st = stmt(s, product_id ? ST_PRODUCT_UPDATE : ST_PRODUCT_INSERT, &rc, e);
		int i = 1;
		if (product_id)
			bind_int(s, st, &rc, e, i++, product_id);
		else
			bind_text(s, st, &rc, e, i++, p->product_code);
		bind_text(s, st, &rc, e, i++, p->product_name);
		bind_int(s, st, &rc, e, i++, provider_id);
		bind_int(s, st, &rc, e, i++, p->fee_bps);
		bind_int(s, st, &rc, e, i++, p->fee_fixed);
		step_done(s, st, &rc, e, "saving a product");
		*what = product_id ? STORE_UPDATED : STORE_CREATED;
	}
	return rc;
}

static int product_id_of(struct store *s, const char *code, int64_t *id, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = stmt(s, ST_PRODUCT_ID, &rc, e);
	bind_text(s, st, &rc, e, 1, code);
	*id = step_row(s, st, &rc, e, "looking up a product") ? sqlite3_column_int64(st, 0) : 0;
	return rc;
}

/* The policy fields compared and recorded, in column order of ST_POLICY_GET
 * (after policy_id). */
static const char *const policy_fields[] = {
	"product_code", "customer_name", "id_number", "premium",    "channel",	   "collection_ref",
	"easypay_code", "debit_day",	 "status",    "start_date", "cancel_date",
};

static void policy_values(const struct store_policy *p, char buf[][64], const char *vals[])
{
	snprintf(buf[0], 64, "%" PRId64, p->premium);
	snprintf(buf[1], 64, "%" PRId64, p->debit_day);
	const char *v[] = {
		p->product_code, p->customer_name,  p->id_number,    buf[0],
		p->channel,	 p->collection_ref, p->easypay_code, p->debit_day ? buf[1] : NULL,
		p->status,	 p->start_date,	    p->cancel_date,
	};
	for (size_t i = 0; i < ARRAY_SIZE(policy_fields); i++)
		vals[i] = v[i] && *v[i] ? v[i] : NULL;
}

int store_policy_upsert(struct store *s, const struct store_policy *p, int64_t file_id,
			const char *now, enum store_upsert *what, const char **field, struct err *e)
{
	int rc = 0;
	int64_t product_id;
	*what = STORE_UNCHANGED;
	*field = NULL;
	if ((rc = product_id_of(s, p->product_code, &product_id, e)))
		return rc;
	if (!product_id) {
		*field = "product_code";
		return err_set(e, KASI_EDATA, "'%s' is not a known product (load products first)",
			       p->product_code);
	}
	if (p->easypay_code && *p->easypay_code) {
		sqlite3_stmt *st = stmt(s, ST_POLICY_BY_EASYPAY_CODE, &rc, e);
		bind_text(s, st, &rc, e, 1, p->easypay_code);
		if (step_row(s, st, &rc, e, "looking up an EasyPay code") &&
		    strcmp(col_text(st, 0), p->policy_number)) {
			*field = "easypay_code";
			return err_set(e, KASI_EDATA,
				       "the EasyPay code belongs to policy %s already",
				       col_text(st, 0));
		}
		if (rc)
			return rc;
	}

	char buf[2][64];
	const char *vals[ARRAY_SIZE(policy_fields)];
	policy_values(p, buf, vals);

	/* The stored values, to compare field by field. */
	int64_t policy_id = 0;
	char *old[ARRAY_SIZE(policy_fields)] = { 0 };
	sqlite3_stmt *st = stmt(s, ST_POLICY_GET, &rc, e);
	bind_text(s, st, &rc, e, 1, p->policy_number);
	if (step_row(s, st, &rc, e, "looking up a policy")) {
		policy_id = sqlite3_column_int64(st, 0);
		for (size_t i = 0; i < ARRAY_SIZE(policy_fields); i++) {
			const char *v = col_text(st, (int)i + 1);
			old[i] = v ? strdup(v) : NULL;
		}
	}
	size_t changed = 0;
	for (size_t i = 0; policy_id && i < ARRAY_SIZE(policy_fields); i++)
		changed += !same_text(old[i], vals[i]);

	if (!rc && (!policy_id || changed)) {
		st = stmt(s, policy_id ? ST_POLICY_UPDATE : ST_POLICY_INSERT, &rc, e);
		if (policy_id)
			bind_int(s, st, &rc, e, 1, policy_id);
		else
			bind_text(s, st, &rc, e, 1, p->policy_number);
		bind_int(s, st, &rc, e, 2, product_id);
		bind_text(s, st, &rc, e, 3, p->customer_name);
		bind_opt_text(s, st, &rc, e, 4, p->id_number);
		bind_int(s, st, &rc, e, 5, p->premium);
		bind_text(s, st, &rc, e, 6, p->channel);
		bind_opt_text(s, st, &rc, e, 7, p->collection_ref);
		bind_opt_text(s, st, &rc, e, 8, p->easypay_code);
		if (p->debit_day)
			bind_int(s, st, &rc, e, 9, p->debit_day);
		bind_text(s, st, &rc, e, 10, p->status);
		bind_text(s, st, &rc, e, 11, p->start_date);
		bind_opt_text(s, st, &rc, e, 12, p->cancel_date);
		bind_int(s, st, &rc, e, 13, file_id);
		step_done(s, st, &rc, e, "saving a policy");
		*what = policy_id ? STORE_UPDATED : STORE_CREATED;
		if (!policy_id)
			policy_id = sqlite3_last_insert_rowid(s->db);
	}
	/* The history: each changed field, or the policy's creation. */
	for (size_t i = 0; !rc && i < ARRAY_SIZE(policy_fields); i++) {
		bool created = *what == STORE_CREATED;
		if (created ? i > 0 : same_text(old[i], vals[i]))
			continue;
		st = stmt(s, ST_POLICY_CHANGE, &rc, e);
		bind_int(s, st, &rc, e, 1, policy_id);
		bind_text(s, st, &rc, e, 2, created ? "policy" : policy_fields[i]);
		bind_text(s, st, &rc, e, 3, created ? NULL : old[i]);
		bind_text(s, st, &rc, e, 4, created ? "created" : vals[i]);
		bind_int(s, st, &rc, e, 5, file_id);
		bind_text(s, st, &rc, e, 6, now);
		step_done(s, st, &rc, e, "recording a policy change");
	}
	for (size_t i = 0; i < ARRAY_SIZE(policy_fields); i++)
		free(old[i]);
	return rc;
}

int store_policy_for_reference(struct store *s, const char *channel, const char *reference,
			       char out[64], struct err *e)
{
	int rc = 0;
	bool cash = !strcmp(channel, "easypay");
	sqlite3_stmt *st =
		stmt(s, cash ? ST_POLICY_BY_EASYPAY_CODE : ST_POLICY_BY_COLLECTION_REF, &rc, e);
	if (cash) {
		bind_text(s, st, &rc, e, 1, reference);
	} else {
		bind_text(s, st, &rc, e, 1, channel);
		bind_text(s, st, &rc, e, 2, reference);
	}
	if (step_row(s, st, &rc, e, "looking up a policy by reference")) {
		snprintf(out, 64, "%s", col_text(st, 0));
		return 1;
	}
	return rc;
}

int store_ledger_upsert(struct store *s, const struct store_ledger_entry *l, int64_t file_id,
			enum store_upsert *what, struct err *e)
{
	int rc = 0;
	int64_t ledger_id = 0;
	bool changed = false;
	*what = STORE_UNCHANGED;
	sqlite3_stmt *st = stmt(s, ST_LEDGER_GET, &rc, e);
	bind_text(s, st, &rc, e, 1, l->channel);
	bind_text(s, st, &rc, e, 2, l->transaction_id);
	if (step_row(s, st, &rc, e, "looking up a ledger record")) {
		ledger_id = sqlite3_column_int64(st, 0);
		changed = !same_text(col_text(st, 1), l->reference) ||
			  !same_text(col_text(st, 2), l->business_date) ||
			  !same_text(col_text(st, 3), l->occurred_at) ||
			  sqlite3_column_int64(st, 4) != l->amount ||
			  !same_text(col_text(st, 5), l->status);
	}
	if (rc || (ledger_id && !changed))
		return rc;
	st = stmt(s, ledger_id ? ST_LEDGER_UPDATE : ST_LEDGER_INSERT, &rc, e);
	int i = 1;
	if (ledger_id) {
		bind_int(s, st, &rc, e, i++, ledger_id);
	} else {
		bind_text(s, st, &rc, e, i++, l->channel);
		bind_text(s, st, &rc, e, i++, l->transaction_id);
	}
	bind_text(s, st, &rc, e, i++, l->reference);
	bind_text(s, st, &rc, e, i++, l->business_date);
	bind_text(s, st, &rc, e, i++, l->occurred_at);
	bind_int(s, st, &rc, e, i++, l->amount);
	bind_text(s, st, &rc, e, i++, l->status);
	bind_int(s, st, &rc, e, i++, file_id);
	bind_int(s, st, &rc, e, i++, (int64_t)l->row);
	step_done(s, st, &rc, e, "saving a ledger record");
	*what = ledger_id ? STORE_UPDATED : STORE_CREATED;
	return rc;
}

/* ---- facts ----------------------------------------------------------------- */

static void bind_fact(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int64_t file_id,
		      const struct store_fact *f)
{
	bind_int(s, st, rc, e, 1, file_id);
	bind_int(s, st, rc, e, 2, (int64_t)f->row);
	bind_text(s, st, rc, e, 3, f->channel);
	bind_text(s, st, rc, e, 4, f->fact_key);
	bind_text(s, st, rc, e, 5, f->transaction_id);
	bind_opt_text(s, st, rc, e, 6, f->reference);
	bind_text(s, st, rc, e, 7, f->business_date);
	bind_opt_text(s, st, rc, e, 8, f->kind);
	if (f->has_amount)
		bind_int(s, st, rc, e, 9, f->amount);
	bind_opt_text(s, st, rc, e, 10, f->status);
	bind_opt_text(s, st, rc, e, 11, f->reason);
	bind_opt_text(s, st, rc, e, 12, f->reason_text);
	bind_opt_text(s, st, rc, e, 13, f->original_id);
	bind_opt_text(s, st, rc, e, 14, f->cycle_date);
	bind_opt_text(s, st, rc, e, 15, f->status_date);
	if (f->status_time >= 0)
		bind_int(s, st, rc, e, 16, f->status_time);
	if (f->has_requested)
		bind_int(s, st, rc, e, 17, f->requested_amount);
	bind_blob(s, st, rc, e, 18, f->content_hash, 32);
}

int store_fact_insert(struct store *s, int64_t file_id, const struct store_fact *f,
		      struct store_duplicate *dup, struct err *e)
{
	int rc = 0;
	memset(dup, 0, sizeof(*dup));
	sqlite3_stmt *st = stmt(s, ST_FACT_INSERT, &rc, e);
	bind_fact(s, st, &rc, e, file_id, f);
	step_done(s, st, &rc, e, "saving a fact");
	if (rc || sqlite3_changes(s->db) == 1)
		return rc;

	/* The key is counted already: keep this row for the record, marked
	 * as a duplicate of the counted one. */
	int64_t original = 0;
	st = stmt(s, ST_FACT_COUNTED, &rc, e);
	bind_text(s, st, &rc, e, 1, f->channel);
	bind_text(s, st, &rc, e, 2, f->fact_key);
	if (step_row(s, st, &rc, e, "looking up a fact")) {
		original = sqlite3_column_int64(st, 0);
		dup->duplicate = true;
		dup->same_content = sqlite3_column_bytes(st, 1) == 32 &&
				    !memcmp(sqlite3_column_blob(st, 1), f->content_hash, 32);
		snprintf(dup->file, sizeof(dup->file), "%s", col_text(st, 2));
		dup->row = (uint64_t)sqlite3_column_int64(st, 3);
	}
	if (!rc && !original)
		return err_set(e, KASI_EIO, "store '%s': a fact was neither saved nor found",
			       s->path);
	st = stmt(s, ST_FACT_INSERT_DUPLICATE, &rc, e);
	bind_fact(s, st, &rc, e, file_id, f);
	bind_int(s, st, &rc, e, 19, original);
	step_done(s, st, &rc, e, "saving a duplicate fact");
	return rc;
}

/* ---- discrepancies -------------------------------------------------------- */

int store_discrepancy_add(struct store *s, const struct store_discrepancy *d, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = stmt(s, ST_DISCREPANCY_INSERT, &rc, e);
	bind_text(s, st, &rc, e, 1, d->period);
	bind_text(s, st, &rc, e, 2, d->code);
	bind_text(s, st, &rc, e, 3, d->severity);
	bind_opt_text(s, st, &rc, e, 4, d->channel);
	if (d->file_id)
		bind_int(s, st, &rc, e, 5, d->file_id);
	if (d->row)
		bind_int(s, st, &rc, e, 6, (int64_t)d->row);
	bind_opt_text(s, st, &rc, e, 7, d->reference);
	bind_opt_text(s, st, &rc, e, 8, d->transaction_id);
	bind_opt_text(s, st, &rc, e, 9, d->expected);
	bind_opt_text(s, st, &rc, e, 10, d->actual);
	bind_text(s, st, &rc, e, 11, d->detail);
	bind_text(s, st, &rc, e, 12, d->source);
	step_done(s, st, &rc, e, "recording a discrepancy");
	return rc;
}

/* ---- status ----------------------------------------------------------------- */

int store_each_applied_file_group(struct store *s,
				  int (*fn)(void *ctx, const struct store_file_summary *f),
				  void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = stmt(s, ST_STATUS_FILES, &rc, e);
	while (step_row(s, st, &rc, e, "listing files")) {
		struct store_file_summary f = {
			.channel = col_text(st, 0),
			.schema = col_text(st, 1),
			.file_date = col_text(st, 2),
			.files = sqlite3_column_int64(st, 3),
			.rows = sqlite3_column_int64(st, 4),
			.last_applied_at = col_text(st, 5),
		};
		if (fn(ctx, &f))
			break;
	}
	return rc;
}

int store_each_period(struct store *s, int (*fn)(void *ctx, const struct store_period_summary *p),
		      void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = stmt(s, ST_STATUS_PERIODS, &rc, e);
	while (step_row(s, st, &rc, e, "listing periods")) {
		struct store_period_summary p = {
			.period = col_text(st, 0),
			.scheduled_at = col_text(st, 1),
			.reconciled_at = col_text(st, 2),
			.expected = sqlite3_column_int64(st, 3),
			.outcomes = sqlite3_column_int64(st, 4),
		};
		if (fn(ctx, &p))
			break;
	}
	return rc;
}

int store_each_discrepancy_count(struct store *s,
				 int (*fn)(void *ctx, const struct store_discrepancy_count *c),
				 void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = stmt(s, ST_STATUS_DISCREPANCIES, &rc, e);
	while (step_row(s, st, &rc, e, "counting discrepancies")) {
		struct store_discrepancy_count c = {
			.period = col_text(st, 0),
			.code = col_text(st, 1),
			.severity = col_text(st, 2),
			.count = sqlite3_column_int64(st, 3),
		};
		if (fn(ctx, &c))
			break;
	}
	return rc;
}

int store_file_outcome_counts(struct store *s, int64_t *applied, int64_t *rejected,
			      int64_t *duplicate, struct err *e)
{
	int rc = 0;
	*applied = *rejected = *duplicate = 0;
	sqlite3_stmt *st = stmt(s, ST_STATUS_OUTCOMES, &rc, e);
	while (step_row(s, st, &rc, e, "counting files")) {
		const char *o = col_text(st, 0);
		int64_t n = sqlite3_column_int64(st, 1);
		if (!strcmp(o, "applied"))
			*applied = n;
		else if (!strcmp(o, "rejected"))
			*rejected = n;
		else
			*duplicate = n;
	}
	return rc;
}
