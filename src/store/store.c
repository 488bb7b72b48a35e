/*
 * store.c — the SQLite store (see store.h).
 *
 * Opening, migrating and transactions; files, reference data, facts and
 * discrepancies. Each statement sits beside the function that runs it
 * and goes through db_prep() (db.h): prepared once, bound, never built
 * from input.
 */
#include "core/common.h"
#include "core/clock.h"
#include "core/dates.h"
#include "core/log.h"
#include "core/text.h"
#include "store/db.h"

#define BUSY_TIMEOUT_MS 10000

/* ---- opening ------------------------------------------------------------- */

/* A connection is used by one thread at a time (the row and reader
 * threads take it in turns with the main one, never together), so it
 * needs no mutex of its own (SQLITE_OPEN_NOMUTEX, and no memory
 * statistics to keep under one): those were a tenth of a bulk load's
 * time. SQLite's core mutexes stay (MULTITHREAD), so that its sorter may
 * use worker threads to build indexes. Set before SQLite initialises,
 * once per process. */
static void configure_sqlite(void)
{
	static bool done;
	if (!done) {
		sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		done = true;
	}
}

/* Temporary indexes and sorts in memory, on this thread; a 64 MiB page
 * cache. (Changed for a while by store_restore_indexes, and by
 * store_cache_kib.) */
#define WORK_SETTINGS                   \
	"PRAGMA temp_store = MEMORY;\n" \
	"PRAGMA threads = 0;\n"         \
	"PRAGMA cache_size = -65536;\n"

/* The store holds customers' names and ID numbers: only its owner reads
 * it. kasi creates the file 0600 before SQLite opens it, and SQLite gives
 * the -wal and -shm it creates the main file's mode. A store made by an
 * older kasi (0644) is tightened here, with any -wal and -shm it has. */
#define STORE_MODE 0600

static int make_private(const char *path, struct err *e)
{
	int rc = 0;
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, STORE_MODE);
	if (fd < 0) {
		int why = errno; /* access() below must not replace it */
		const char *what = access(path, F_OK) == 0 ? "write the" : "create";
		errno = why;
		return err_sys(e, KASI_EIO, "cannot %s store '%s'", what, path);
	}
	if (fstat(fd, &st) != 0)
		rc = err_sys(e, KASI_EIO, "cannot read store '%s'", path);
	else if ((st.st_mode & 07777) != STORE_MODE) {
		if (fchmod(fd, STORE_MODE) != 0)
			rc = err_sys(e, KASI_EIO, "cannot make store '%s' private (mode 0600)",
				     path);
		else
			log_info("store '%s' was mode %04o: made 0600, readable by its owner only",
				 path, (unsigned)(st.st_mode & 07777));
	}
	close(fd);
	static const char *const beside[] = { "-wal", "-shm" };
	for (size_t i = 0; i < ARRAY_SIZE(beside) && !rc; i++) {
		char side[PATH_MAX];
		snprintf(side, sizeof(side), "%s%s", path, beside[i]);
		if (chmod(side, STORE_MODE) != 0 && errno != ENOENT)
			rc = err_sys(e, KASI_EIO, "cannot make '%s' private (mode 0600)", side);
	}
	return rc;
}

/* The WAL is copied back into the database once it passes this many
 * bytes (whatever the store's page size). */
#define WAL_CHECKPOINT_BYTES ((int64_t)64 << 20)

/* The value of an integer pragma (a statement read once: not kept). */
static int pragma_int(struct store *s, const char *sql, int *value, struct err *e, const char *what)
{
	sqlite3_stmt *st;
	int r = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (r != SQLITE_OK)
		return db_fail(s, r, e, what);
	r = sqlite3_step(st);
	*value = r == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 0 : db_fail(s, r, e, what);
}

static int user_version(struct store *s, int *version, struct err *e)
{
	return pragma_int(s, "PRAGMA user_version", version, e, "reading the store's version");
}

static int size_checkpoints(struct store *s, struct err *e)
{
	int page = 0;
	int rc = pragma_int(s, "PRAGMA page_size", &page, e, "reading the store's page size");
	if (rc || page <= 0)
		return rc;
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %" PRId64,
		 WAL_CHECKPOINT_BYTES / page);
	return db_exec(s, sql, e, "setting up the connection");
}

static int open_connection(struct store **out, const char *path, bool create, struct err *e)
{
	int rc = 0;
	configure_sqlite();
	struct store *s = calloc(1, sizeof(*s));
	*out = s;
	if (!s || !(s->path = strdup(path)))
		return err_set(e, KASI_EIO, "out of memory");
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return err_set(e, KASI_ENOINPUT,
			       "'%s' is a directory: the store is a file (--db %s%skasi.db?)", path,
			       path, *path && path[strlen(path) - 1] == '/' ? "" : "/");
	if (!create && access(path, F_OK) != 0)
		return err_set(e, KASI_ENOINPUT, "no store at '%s' (create it with 'kasi init')",
			       path);
	if (!create && access(path, R_OK) != 0)
		return err_sys(e, KASI_EIO, "cannot read the store '%s' (as user %ld)", path,
			       (long)geteuid());
	if (create && (rc = make_private(path, e)))
		return rc;
	/* A store this process may not write (its file's or its directory's
	 * permissions, a read-only mount) is opened to read: status, reports
	 * and explanations need no more, and what would write says so. */
	s->readonly = !create && access(path, W_OK) != 0;
	int flags = (s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
		    SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int r = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (r != SQLITE_OK)
		return db_fail(s, r, e, "opening");
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if ((rc = db_register_arrays(s, e)))
		return rc;
	/* A new store's pages are 16 KiB, not SQLite's 4: a night reads and
	 * writes millions of rows in key order, a page at a time, and a
	 * page's system call and WAL frame then carry four times the rows
	 * (a first reconcile of a million policies ~20% faster). Set before
	 * the first write; a store made with another size keeps it. */
	if (create && !s->readonly &&
	    (rc = db_exec(s, "PRAGMA page_size = 16384", e, "sizing pages")))
		return rc;
	/* WAL: readers never block the writer. synchronous=FULL: a commit is
	 * durable before kasi reports it. The WAL is copied back into the
	 * database once it passes 64 MiB, not 4 (size_checkpoints): when one
	 * run commits file after file, a page they all change is copied back
	 * once, not once a file. (A store made by kasi is in WAL mode
	 * already: a reader need not, and may not, set it.) */
	rc = db_exec(s,
		     s->readonly ? "PRAGMA foreign_keys = ON;\n" WORK_SETTINGS
				 : "PRAGMA journal_mode = WAL;\n"
				   "PRAGMA synchronous = FULL;\n"
				   "PRAGMA foreign_keys = ON;\n" WORK_SETTINGS,
		     e, "setting up the connection");
	if (!rc && !s->readonly)
		rc = size_checkpoints(s, e);
	if (rc && s->readonly)
		rc = err_set(e, KASI_EIO,
			     "store '%s' is read-only for this user, and so is its directory: a "
			     "store is read beside its '-shm' index, which kasi cannot create "
			     "there (make the directory writable, or read a copy)",
			     path);
	return rc;
}

/* Stores made at version 1 named the policies' cash payment code column
 * after the first cash channel; it is the ninth column (cid 8). Rename it,
 * and make its index again under the name the first script now gives it.
 * The old name is read from the store, never written here. */
static int rename_cash_code(struct store *s, struct err *e)
{
	static const char sql_has[] =
		"SELECT count(*) FROM pragma_table_info('policies') WHERE name = 'cash_code'";
	static const char sql_ninth[] =
		"SELECT name FROM pragma_table_info('policies') WHERE cid = 8";
	static const char sql_index[] =
		"SELECT il.name FROM pragma_index_list('policies') il\n"
		"  JOIN pragma_index_info(il.name) ii WHERE ii.name = 'cash_code'";
	int rc = 0;
	char old[128] = "", index[128] = "", sql[512];
	sqlite3_stmt *st = db_prep(s, sql_has, &rc, e);
	bool has = db_step_row(s, st, &rc, e, "reading the policies' columns") &&
		   sqlite3_column_int(st, 0);
	if (st)
		sqlite3_reset(st); /* a statement still reading would lock the schema */
	if (rc || has)
		return rc;
	st = db_prep(s, sql_ninth, &rc, e);
	if (db_step_row(s, st, &rc, e, "reading the policies' columns"))
		snprintf(old, sizeof(old), "%s", db_col_text(st, 0));
	if (st)
		sqlite3_reset(st);
	if (rc || !*old || strchr(old, '"'))
		return rc ? rc
			  : err_set(e, KASI_ECONFIG, "store '%s': unexpected policies table",
				    s->path);
	snprintf(sql, sizeof(sql), "ALTER TABLE policies RENAME COLUMN \"%s\" TO cash_code", old);
	if ((rc = db_exec(s, sql, e, "renaming the cash payment code column")))
		return rc;
	st = db_prep(s, sql_index, &rc, e);
	if (db_step_row(s, st, &rc, e, "reading the policies' indexes"))
		snprintf(index, sizeof(index), "%s", db_col_text(st, 0));
	if (st)
		sqlite3_reset(st);
	if (!rc && *index && !strchr(index, '"')) {
		snprintf(sql, sizeof(sql), "DROP INDEX \"%s\"", index);
		rc = db_exec(s, sql, e, "dropping an index");
	}
	for (const struct store_index *i = store_table_indexes(STORE_POLICIES); !rc && i->name; i++)
		if (!strcmp(i->name, "policies_by_cash_code"))
			rc = db_exec(s, i->create, e, "indexing the cash payment codes");
	return rc;
}

/* A raw (schema, type, status, reason) of facts with no canonical kind yet. */
struct raw_kind {
	char *v[4];
};

static void raw_kinds_free(struct raw_kind *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < 4; j++)
			free(k[i].v[j]);
	free(k);
}

/* Give every fact stored before version 3 its canonical kind, through
 * up->fact_kind: one call and one UPDATE per distinct raw combination. */
static int classify_facts(struct store *s, const struct store_upgrade *up, struct err *e)
{
	static const char sql_distinct[] =
		"SELECT DISTINCT f.schema, x.kind, x.status, x.reason\n"
		"  FROM facts x JOIN files f USING (file_id) WHERE x.canonical_kind IS NULL";
	static const char sql_update[] =
		"UPDATE facts SET canonical_kind = ?5\n"
		" WHERE canonical_kind IS NULL AND kind IS ?2 AND status IS ?3 AND reason IS ?4\n"
		"   AND file_id IN (SELECT file_id FROM files WHERE schema = ?1)";
	int rc = 0;
	struct raw_kind *k = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = db_prep(s, sql_distinct, &rc, e);
	while (db_step_row(s, st, &rc, e, "reading facts to migrate")) {
		if (n == cap) {
			struct raw_kind *nk = realloc(k, (cap = cap ? 2 * cap : 16) * sizeof(*nk));
			if (!nk) {
				rc = err_set(e, KASI_EIO, "out of memory");
				break;
			}
			k = nk;
		}
		for (int j = 0; j < 4; j++) {
			const char *v = (const char *)sqlite3_column_text(st, j);
			k[n].v[j] = v ? strdup(v) : NULL;
		}
		n++;
	}
	if (st)
		sqlite3_reset(st);
	if (!rc && n && (!up || !up->fact_kind))
		rc = err_set(e, KASI_ECONFIG, "store '%s': its facts need the schemas to migrate",
			     s->path);
	for (size_t i = 0; i < n && !rc; i++) {
		const char *kind = NULL;
		if ((rc = up->fact_kind(up->ctx, k[i].v[0], k[i].v[1], k[i].v[2], k[i].v[3], &kind,
					e)))
			break;
		st = db_prep(s, sql_update, &rc, e);
		for (int j = 0; j < 4; j++)
			db_bind_opt_text(s, st, &rc, e, j + 1, k[i].v[j]);
		db_bind_text(s, st, &rc, e, 5, kind);
		db_step_done(s, st, &rc, e, "giving facts their meaning");
	}
	raw_kinds_free(k, n);
	return rc;
}

/* The size of the regular file at path; -1 if there is none. */
static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : -1;
}

/* Why a file's version could not be read, when that means it may be
 * another's: not a database; locked by another program; holding another
 * program's unfinished transaction. Otherwise (no -shm can be made
 * beside a read-only store, say) 0: opening it says what is wrong. */
static int unreadable(sqlite3 *db, const char *path, struct err *e)
{
	int code = db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
	if ((code & 0xff) == SQLITE_NOTADB)
		return err_set(e, KASI_ECONFIG,
			       "'%s' is not a kasi store (not an SQLite database): kasi changes "
			       "nothing in it (give --db a new path)",
			       path);
	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		return err_set(
			e, KASI_ELOCKED,
			"'%s' is locked by another program: kasi cannot tell whether it is "
			"a kasi store, and changes nothing in it (try again when it is free)",
			path);
	if (code == SQLITE_READONLY_ROLLBACK)
		return err_set(
			e, KASI_EIO,
			"'%s' holds an unfinished transaction of the program that last wrote "
			"it (its -journal): kasi changes nothing in it (open it with that "
			"program, or sqlite3, to finish it)",
			path);
	return 0;
}

/* Whether an existing file is another's: kasi's store is an SQLite
 * database with kasi's version and kasi's tables, or one of nothing yet.
 * Looked at read-only, before anything opens it to write (which would
 * set its journal mode and its file's mode). What cannot be read for the
 * moment (locked; a transaction of another program's left unfinished)
 * is not taken for kasi's. */
static int not_kasi(const char *path, struct err *e)
{
	if (file_size(path) <= 0)
		return 0; /* none yet, or empty: kasi's to make */
	sqlite3 *db = NULL;
	sqlite3_stmt *st_v = NULL, *st_t = NULL;
	int rc = 0, version = -1;
	char table[TEXT_RENDER_BUFSZ] = "";
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) ==
	    SQLITE_OK)
		sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if (db && sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st_v, NULL) == SQLITE_OK &&
	    sqlite3_step(st_v) == SQLITE_ROW)
		version = sqlite3_column_int(st_v, 0);
	else
		rc = unreadable(db, path, e);
	/* Kasi's tables: every version has had these two. */
	static const char sql_kasi_tables[] =
		"SELECT count(*) FROM sqlite_master WHERE type = 'table'\n"
		"   AND name IN ('files', 'facts')";
	if (version > 0 && sqlite3_prepare_v2(db, sql_kasi_tables, -1, &st_t, NULL) == SQLITE_OK &&
	    sqlite3_step(st_t) == SQLITE_ROW && sqlite3_column_int(st_t, 0) != 2)
		rc = err_set(e, KASI_ECONFIG,
			     "'%s' is not a kasi store: an SQLite database at version %d without "
			     "kasi's tables; kasi adds nothing to it (give --db a new path)",
			     path, version);
	if (version == 0 &&
	    sqlite3_prepare_v2(db,
			       "SELECT name FROM sqlite_master WHERE type = 'table'\n"
			       "   AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' LIMIT 1",
			       -1, &st_t, NULL) == SQLITE_OK &&
	    sqlite3_step(st_t) == SQLITE_ROW) {
		text_value((const char *)sqlite3_column_text(st_t, 0), table);
		rc = err_set(e, KASI_ECONFIG,
			     "'%s' is not a kasi store: an SQLite database with tables of its "
			     "own ('%s', ...) and no kasi version; kasi adds nothing to it (give "
			     "--db a new path)",
			     path, table);
	}
	sqlite3_finalize(st_v);
	sqlite3_finalize(st_t);
	sqlite3_close(db);
	return rc;
}

int store_init(const char *path, const struct store_upgrade *up, int *from, struct err *e)
{
	struct store *s = NULL;
	int version = 0;
	*from = 0;
	int rc = not_kasi(path, e);
	if (rc)
		return rc;
	rc = open_connection(&s, path, true, e);
	if (!rc)
		rc = db_exec(s, "BEGIN IMMEDIATE", e, "starting the migration");
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
		rc = db_exec(s, store_migration(v), e, what);
	}
	if (!rc && version >= 1 && version < 3 && !(rc = rename_cash_code(s, e)))
		rc = classify_facts(s, up, e);
	if (!rc && version < STORE_VERSION) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", STORE_VERSION);
		rc = db_exec(s, pragma, e, "recording the version");
	}
	if (!rc)
		rc = db_exec(s, "COMMIT", e, "committing the migration");
	else if (s && s->db)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	*from = version;
	store_close(s);
	return rc;
}

static int no_store(const char *path, struct err *e)
{
	return err_set(e, KASI_ENOINPUT, "no kasi store at '%s' (create it with 'kasi init')",
		       path);
}

int store_open(struct store **out, const char *path, struct err *e)
{
	int version = 0;
	*out = NULL;
	/* An empty file is no store yet, and is left empty: opening it would
	 * write SQLite's header (its default page size) before kasi init. */
	if (file_size(path) == 0)
		return no_store(path, e);
	/* Looked at first, read-only: opening sets the journal mode. */
	int rc = not_kasi(path, e);
	if (rc)
		return rc;
	rc = open_connection(out, path, false, e);
	if (!rc)
		rc = user_version(*out, &version, e);
	if (!rc && version == 0)
		rc = no_store(path, e);
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

int store_big_sorts(struct store *s, bool on, struct err *e)
{
	/* The sorter sorts on worker threads only with its runs in temporary
	 * files and a cache smaller than the keys. */
	return db_exec(s,
		       on ? "PRAGMA temp_store = DEFAULT; PRAGMA threads = 2;"
			    " PRAGMA cache_size = -8192;"
			  : WORK_SETTINGS,
		       e, "setting the connection up for sorting");
}

int store_cache_kib(struct store *s, int kib, struct err *e)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", kib);
	return db_exec(s, sql, e, "sizing the page cache");
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].st);
	free(s->cache);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

/* A statement stepped and not reset keeps the read snapshot it began
 * with; in WAL mode a write transaction begun on a connection holding an
 * old snapshot fails at once (SQLITE_BUSY_SNAPSHOT) instead of waiting its
 * turn, once another process has written since. Outside a transaction,
 * no statement of kasi's is still being read: each is reset first. */
static void release_snapshots(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		return;
	for (size_t i = 0; i < s->ncache; i++)
		if (sqlite3_stmt_busy(s->cache[i].st))
			sqlite3_reset(s->cache[i].st);
}

int store_begin(struct store *s, struct err *e)
{
	release_snapshots(s);
	return db_exec(s, "BEGIN IMMEDIATE", e, "starting a transaction");
}

int store_begin_read(struct store *s, struct err *e)
{
	release_snapshots(s);
	return db_exec(s, "BEGIN", e, "starting a read");
}

int store_commit(struct store *s, struct err *e)
{
	return db_exec(s, "COMMIT", e, "committing");
}

void store_rollback(struct store *s)
{
	if (s && s->db && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (s)
		s->nproducts = 0; /* a product created in the transaction is gone */
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

const char *store_library_version(void)
{
	return sqlite3_libversion();
}

/* ---- files --------------------------------------------------------------- */

static const char sql_file_applied[] =
	"SELECT file_id, name, applied_at, schema, file_date FROM files\n"
	" WHERE sha256 = ?1 AND outcome = 'applied' AND rows > 0 AND voided IS NULL\n"
	" ORDER BY file_id DESC LIMIT 1";

int store_file_applied(struct store *s, const char *sha256, struct store_applied *found,
		       struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_file_applied, &rc, e);
	db_bind_text(s, st, &rc, e, 1, sha256);
	if (db_step_row(s, st, &rc, e, "looking up a file")) {
		found->file_id = sqlite3_column_int64(st, 0);
		snprintf(found->name, sizeof(found->name), "%s", db_col_text(st, 1));
		snprintf(found->applied_at, sizeof(found->applied_at), "%s",
			 db_col_text(st, 2) ? db_col_text(st, 2) : "");
		snprintf(found->schema, sizeof(found->schema), "%s",
			 db_col_text(st, 3) ? db_col_text(st, 3) : "");
		snprintf(found->file_date, sizeof(found->file_date), "%s",
			 db_col_text(st, 4) ? db_col_text(st, 4) : "");
		sqlite3_reset(st);
		return 1;
	}
	return rc;
}

static const char sql_file_apply_begin[] =
	"INSERT INTO files (name, sha256, size, schema, channel, file_date, rows, outcome,\n"
	"                   received_at)\n"
	"VALUES (?1, 'pending', 0, ?2, ?3, ?4, 0, 'applied', ?5)";

int store_file_apply_begin(struct store *s, const struct store_file *f, int64_t *file_id,
			   struct err *e)
{
	int rc = 0;
	char now[32];
	store_now(now);
	sqlite3_stmt *st = db_prep(s, sql_file_apply_begin, &rc, e);
	db_bind_text(s, st, &rc, e, 1, f->name);
	db_bind_text(s, st, &rc, e, 2, f->schema);
	db_bind_text(s, st, &rc, e, 3, f->channel);
	db_bind_text(s, st, &rc, e, 4, f->file_date);
	db_bind_text(s, st, &rc, e, 5, now);
	db_step_done(s, st, &rc, e, "recording a file");
	*file_id = rc ? 0 : sqlite3_last_insert_rowid(s->db);
	return rc;
}

static const char sql_file_apply_done[] =
	"UPDATE files SET sha256 = ?2, size = ?3, rows = ?4, file_date = ?5, applied_at = ?6,\n"
	"       first_fact_date = ?7, last_fact_date = ?8, period_facts = ?9\n"
	" WHERE file_id = ?1";

int store_file_apply_done(struct store *s, int64_t file_id, const struct store_file *f,
			  struct err *e)
{
	int rc = 0;
	char now[32];
	store_now(now);
	sqlite3_stmt *st = db_prep(s, sql_file_apply_done, &rc, e);
	db_bind_int(s, st, &rc, e, 1, file_id);
	db_bind_text(s, st, &rc, e, 2, f->sha256);
	db_bind_int(s, st, &rc, e, 3, (int64_t)f->size);
	db_bind_int(s, st, &rc, e, 4, (int64_t)f->rows);
	db_bind_text(s, st, &rc, e, 5, f->file_date);
	db_bind_text(s, st, &rc, e, 6, now);
	db_bind_text(s, st, &rc, e, 7, f->first_fact_date);
	db_bind_text(s, st, &rc, e, 8, f->last_fact_date);
	db_bind_int(s, st, &rc, e, 9, !f->payouts);
	db_step_done(s, st, &rc, e, "recording a file as applied");
	return rc;
}

static const char sql_file_attempt[] =
	"INSERT INTO files (name, sha256, size, schema, channel, file_date, rows, outcome,\n"
	"                   received_at)\n"
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)\n"
	"ON CONFLICT (sha256, name, outcome) WHERE outcome <> 'applied' DO NOTHING";

static const char sql_file_attempt_find[] =
	"SELECT file_id FROM files WHERE name = ?1 AND sha256 = ?2 AND outcome = ?3";

int store_file_attempt(struct store *s, const struct store_file *f, const char *outcome,
		       int64_t *file_id, struct err *e)
{
	int rc = 0;
	char now[32];
	store_now(now);
	sqlite3_stmt *st = db_prep(s, sql_file_attempt, &rc, e);
	db_bind_text(s, st, &rc, e, 1, f->name);
	db_bind_text(s, st, &rc, e, 2, f->sha256);
	db_bind_int(s, st, &rc, e, 3, (int64_t)f->size);
	db_bind_text(s, st, &rc, e, 4, f->schema);
	db_bind_text(s, st, &rc, e, 5, f->channel);
	db_bind_text(s, st, &rc, e, 6, f->file_date);
	db_bind_int(s, st, &rc, e, 7, (int64_t)f->rows);
	db_bind_text(s, st, &rc, e, 8, outcome);
	db_bind_text(s, st, &rc, e, 9, now);
	db_step_done(s, st, &rc, e, "recording a file");
	bool added = !rc && sqlite3_changes(s->db);
	*file_id = added ? sqlite3_last_insert_rowid(s->db) : 0;
	if (rc || added)
		return rc ? rc : 1;
	st = db_prep(s, sql_file_attempt_find, &rc, e);
	db_bind_text(s, st, &rc, e, 1, f->name);
	db_bind_text(s, st, &rc, e, 2, f->sha256);
	db_bind_text(s, st, &rc, e, 3, outcome);
	if (db_step_row(s, st, &rc, e, "reading a file recorded before"))
		*file_id = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return rc;
}

/* ---- reference data ------------------------------------------------------ */

static const char sql_provider_get[] =
	"SELECT provider_id, provider_name, payout_bank_id, payout_account\n"
	"  FROM providers WHERE provider_code = ?1";
static const char sql_provider_insert[] =
	"INSERT INTO providers (provider_code, provider_name, payout_bank_id, payout_account)\n"
	"VALUES (?1, ?2, ?3, ?4)";
static const char sql_provider_update[] =
	"UPDATE providers SET provider_name = ?2, payout_bank_id = ?3, payout_account = ?4\n"
	" WHERE provider_id = ?1";
static const char sql_product_get[] =
	"SELECT p.product_id, p.product_name, v.provider_code, p.fee_bps, p.fee_fixed\n"
	"  FROM products p JOIN providers v USING (provider_id) WHERE p.product_code = ?1";
static const char sql_product_insert[] =
	"INSERT INTO products (product_code, product_name, provider_id, fee_bps, fee_fixed)\n"
	"VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_product_update[] =
	"UPDATE products SET product_name = ?2, provider_id = ?3, fee_bps = ?4, fee_fixed = ?5\n"
	" WHERE product_id = ?1";

int store_product_upsert(struct store *s, const struct store_product *p, enum store_upsert *what,
			 struct err *e)
{
	int rc = 0;
	int64_t provider_id = 0;
	bool provider_changed = false;
	*what = STORE_UNCHANGED;

	sqlite3_stmt *st = db_prep(s, sql_provider_get, &rc, e);
	db_bind_text(s, st, &rc, e, 1, p->provider_code);
	if (db_step_row(s, st, &rc, e, "looking up a provider")) {
		provider_id = sqlite3_column_int64(st, 0);
		provider_changed = !db_same_text(db_col_text(st, 1), p->provider_name) ||
				   sqlite3_column_int64(st, 2) != p->payout_bank_id ||
				   !db_same_text(db_col_text(st, 3), p->payout_account);
	}
	if (!rc && !provider_id) {
		st = db_prep(s, sql_provider_insert, &rc, e);
		db_bind_text(s, st, &rc, e, 1, p->provider_code);
		db_bind_text(s, st, &rc, e, 2, p->provider_name);
		db_bind_int(s, st, &rc, e, 3, p->payout_bank_id);
		db_bind_text(s, st, &rc, e, 4, p->payout_account);
		db_step_done(s, st, &rc, e, "adding a provider");
		provider_id = sqlite3_last_insert_rowid(s->db);
		*what = STORE_UPDATED;
	} else if (!rc && provider_changed) {
		st = db_prep(s, sql_provider_update, &rc, e);
		db_bind_int(s, st, &rc, e, 1, provider_id);
		db_bind_text(s, st, &rc, e, 2, p->provider_name);
		db_bind_int(s, st, &rc, e, 3, p->payout_bank_id);
		db_bind_text(s, st, &rc, e, 4, p->payout_account);
		db_step_done(s, st, &rc, e, "updating a provider");
		*what = STORE_UPDATED;
	}

	int64_t product_id = 0;
	bool product_changed = false;
	st = db_prep(s, sql_product_get, &rc, e);
	db_bind_text(s, st, &rc, e, 1, p->product_code);
	if (db_step_row(s, st, &rc, e, "looking up a product")) {
		product_id = sqlite3_column_int64(st, 0);
		product_changed = !db_same_text(db_col_text(st, 1), p->product_name) ||
				  !db_same_text(db_col_text(st, 2), p->provider_code) ||
				  sqlite3_column_int64(st, 3) != p->fee_bps ||
				  sqlite3_column_int64(st, 4) != p->fee_fixed;
	}
	if (!rc && (!product_id || product_changed)) {
		st = db_prep(s, product_id ? sql_product_update : sql_product_insert, &rc, e);
		int i = 1;
		if (product_id)
			db_bind_int(s, st, &rc, e, i++, product_id);
		else
			db_bind_text(s, st, &rc, e, i++, p->product_code);
		db_bind_text(s, st, &rc, e, i++, p->product_name);
		db_bind_int(s, st, &rc, e, i++, provider_id);
		db_bind_int(s, st, &rc, e, i++, p->fee_bps);
		db_bind_int(s, st, &rc, e, i++, p->fee_fixed);
		db_step_done(s, st, &rc, e, "saving a product");
		*what = product_id ? STORE_UPDATED : STORE_CREATED;
	}
	return rc;
}

static const char sql_product_id[] = "SELECT product_id FROM products WHERE product_code = ?1";
static const char sql_policy_get[] =
	"SELECT p.policy_id, r.product_code, p.customer_name, p.id_number, p.premium,\n"
	"       p.channel, p.collection_ref, p.cash_code, p.debit_day, p.status,\n"
	"       p.start_date, p.cancel_date\n"
	"  FROM policies p JOIN products r USING (product_id) WHERE p.policy_number = ?1";

int store_product_id(struct store *s, const char *code, int64_t *id, struct err *e)
{
	for (size_t i = 0; i < s->nproducts; i++) {
		if (!strcmp(s->products[i].code, code)) {
			*id = s->products[i].id;
			return 0;
		}
	}
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_product_id, &rc, e);
	db_bind_text(s, st, &rc, e, 1, code);
	*id = db_step_row(s, st, &rc, e, "looking up a product") ? sqlite3_column_int64(st, 0) : 0;
	if (!rc && *id && s->nproducts < DB_PRODUCTS_CACHED &&
	    strlen(code) < sizeof(s->products[0].code)) {
		struct db_product *p = &s->products[s->nproducts++];
		snprintf(p->code, sizeof(p->code), "%s", code);
		p->id = *id;
	}
	return rc;
}

/* The policy fields compared and recorded, in column order of sql_policy_get
 * (after policy_id). */
static const char *const policy_fields[] = {
	"product_code", "customer_name", "id_number", "premium",    "channel",	   "collection_ref",
	"cash_code",	"debit_day",	 "status",    "start_date", "cancel_date",
};

bool db_policy_field_is_amount(const char *field)
{
	return !strcmp(field, "premium");
}

static void policy_values(const struct store_policy *p, char buf[][64], const char *vals[])
{
	snprintf(buf[0], 64, "%" PRId64, p->premium);
	snprintf(buf[1], 64, "%" PRId64, p->debit_day);
	const char *v[] = {
		p->product_code, p->customer_name,  p->id_number,   buf[0],
		p->channel,	 p->collection_ref, p->cash_code,   p->debit_day ? buf[1] : NULL,
		p->status,	 p->start_date,	    p->cancel_date,
	};
	for (size_t i = 0; i < ARRAY_SIZE(policy_fields); i++)
		vals[i] = v[i] && *v[i] ? v[i] : NULL;
}

static const char sql_policy_insert[] =
	"INSERT INTO policies (policy_number, product_id, customer_name, id_number, premium,\n"
	"                      channel, collection_ref, cash_code, debit_day, status,\n"
	"                      start_date, cancel_date, file_id, created_file, created_at,\n"
	"                      created_by)\n"
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15)";
static const char sql_policy_update[] =
	"UPDATE policies SET product_id = ?2, customer_name = ?3, id_number = ?4, premium = ?5,\n"
	"       channel = ?6, collection_ref = ?7, cash_code = ?8, debit_day = ?9,\n"
	"       status = ?10, start_date = ?11, cancel_date = ?12, file_id = ?13\n"
	" WHERE policy_id = ?1";
static const char sql_policy_change[] =
	"INSERT INTO policy_changes (policy_id, field, old_value, new_value, file_id, changed_at,\n"
	"                            changed_by)\n"
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_policy_by_cash_code[] =
	"SELECT policy_number FROM policies WHERE cash_code = ?1";

int store_policy_upsert(struct store *s, const struct store_policy *p, int64_t file_id,
			const char *now, const char *by, enum store_upsert *what,
			const char **field, struct err *e)
{
	int rc = 0;
	int64_t product_id;
	*what = STORE_UNCHANGED;
	*field = NULL;
	if ((rc = store_product_id(s, p->product_code, &product_id, e)))
		return rc;
	if (!product_id) {
		*field = "product_code";
		char shown[TEXT_RENDER_BUFSZ];
		return err_set(e, KASI_EDATA, "'%s' is not a known product (load products first)",
			       text_value(p->product_code, shown));
	}
	if (p->cash_code && *p->cash_code) {
		sqlite3_stmt *st = db_prep(s, sql_policy_by_cash_code, &rc, e);
		db_bind_text(s, st, &rc, e, 1, p->cash_code);
		if (db_step_row(s, st, &rc, e, "looking up a cash payment code") &&
		    strcmp(db_col_text(st, 0), p->policy_number)) {
			*field = "cash_code";
			return err_set(e, KASI_EDATA,
				       "the cash payment code belongs to policy %s already",
				       db_col_text(st, 0));
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
	sqlite3_stmt *st = db_prep(s, sql_policy_get, &rc, e);
	db_bind_text(s, st, &rc, e, 1, p->policy_number);
	if (db_step_row(s, st, &rc, e, "looking up a policy")) {
		policy_id = sqlite3_column_int64(st, 0);
		for (size_t i = 0; i < ARRAY_SIZE(policy_fields); i++) {
			const char *v = db_col_text(st, (int)i + 1);
			old[i] = v ? strdup(v) : NULL;
		}
	}
	size_t changed = 0;
	for (size_t i = 0; policy_id && i < ARRAY_SIZE(policy_fields); i++)
		changed += !db_same_text(old[i], vals[i]);

	if (!rc && (!policy_id || changed)) {
		st = db_prep(s, policy_id ? sql_policy_update : sql_policy_insert, &rc, e);
		if (policy_id)
			db_bind_int(s, st, &rc, e, 1, policy_id);
		else
			db_bind_text(s, st, &rc, e, 1, p->policy_number);
		db_bind_int(s, st, &rc, e, 2, product_id);
		db_bind_text(s, st, &rc, e, 3, p->customer_name);
		db_bind_opt_text(s, st, &rc, e, 4, p->id_number);
		db_bind_int(s, st, &rc, e, 5, p->premium);
		db_bind_text(s, st, &rc, e, 6, p->channel);
		db_bind_opt_text(s, st, &rc, e, 7, p->collection_ref);
		db_bind_opt_text(s, st, &rc, e, 8, p->cash_code);
		if (p->debit_day)
			db_bind_int(s, st, &rc, e, 9, p->debit_day);
		db_bind_text(s, st, &rc, e, 10, p->status);
		db_bind_text(s, st, &rc, e, 11, p->start_date);
		db_bind_opt_text(s, st, &rc, e, 12, p->cancel_date);
		db_bind_int(s, st, &rc, e, 13, file_id);
		if (!policy_id) {
			db_bind_text(s, st, &rc, e, 14, now);
			db_bind_text(s, st, &rc, e, 15, by);
		}
		db_step_done(s, st, &rc, e, "saving a policy");
		*what = policy_id ? STORE_UPDATED : STORE_CREATED;
		if (!policy_id)
			policy_id = sqlite3_last_insert_rowid(s->db);
	}
	/* The history: each changed field (the creation is on the policy). */
	for (size_t i = 0; !rc && *what == STORE_UPDATED && i < ARRAY_SIZE(policy_fields); i++) {
		if (db_same_text(old[i], vals[i]))
			continue;
		st = db_prep(s, sql_policy_change, &rc, e);
		db_bind_int(s, st, &rc, e, 1, policy_id);
		db_bind_text(s, st, &rc, e, 2, policy_fields[i]);
		db_bind_text(s, st, &rc, e, 3, old[i]);
		db_bind_text(s, st, &rc, e, 4, vals[i]);
		db_bind_int(s, st, &rc, e, 5, file_id);
		db_bind_text(s, st, &rc, e, 6, now);
		db_bind_text(s, st, &rc, e, 7, by);
		db_step_done(s, st, &rc, e, "recording a policy change");
	}
	for (size_t i = 0; i < ARRAY_SIZE(policy_fields); i++)
		free(old[i]);
	return rc;
}

/* ---- rows known to be new, many to a statement ------------------------------ */

#define POLICY_INSERT                                                                           \
	"INSERT INTO policies (file_id, created_file, created_at, created_by, policy_number,\n" \
	"                      product_id, customer_name, id_number, premium, channel,\n"       \
	"                      collection_ref, cash_code, debit_day, status, start_date,\n"     \
	"                      cancel_date)\n"                                                  \
	"VALUES "
#define POLICY_PARAMS 12
static char sql_policies_one[sizeof(POLICY_INSERT) + 100];
static char sql_policies_many[sizeof(POLICY_INSERT) + STORE_BATCH * 100];

struct new_policies {
	const struct store_policy *p;
	const int64_t *product_ids;
	int64_t file_id;
	const char *now, *by;
};

static void bind_policy_file(struct store *s, sqlite3_stmt *st, int *rc, struct err *e,
			     const void *ctx)
{
	const struct new_policies *n = ctx;
	db_bind_int(s, st, rc, e, 1, n->file_id);
	db_bind_text(s, st, rc, e, 2, n->now);
	db_bind_text(s, st, rc, e, 3, n->by);
}

static void bind_new_policy(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int at,
			    const void *ctx, size_t i)
{
	const struct new_policies *n = ctx;
	const struct store_policy *p = &n->p[i];
	db_bind_text(s, st, rc, e, at, p->policy_number);
	db_bind_int(s, st, rc, e, at + 1, n->product_ids[i]);
	db_bind_text(s, st, rc, e, at + 2, p->customer_name);
	db_bind_opt_text(s, st, rc, e, at + 3, p->id_number);
	db_bind_int(s, st, rc, e, at + 4, p->premium);
	db_bind_text(s, st, rc, e, at + 5, p->channel);
	db_bind_opt_text(s, st, rc, e, at + 6, p->collection_ref);
	db_bind_opt_text(s, st, rc, e, at + 7, p->cash_code);
	if (p->debit_day)
		db_bind_int(s, st, rc, e, at + 8, p->debit_day);
	db_bind_text(s, st, rc, e, at + 9, p->status);
	db_bind_text(s, st, rc, e, at + 10, p->start_date);
	db_bind_opt_text(s, st, rc, e, at + 11, p->cancel_date);
}

/* A constraint the caller's promise should have kept: -KASI_EDATA. */
static int refused(struct store *s, int rc, struct err *e)
{
	if (rc && (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_CONSTRAINT) {
		err_clear(e);
		return err_set(e, KASI_EDATA, "the store refused a row: %s", sqlite3_errmsg(s->db));
	}
	return rc;
}

int store_policies_insert(struct store *s, const struct store_policy *p, size_t n, int64_t file_id,
			  const char *now, const char *by, struct err *e)
{
	int64_t ids[STORE_BATCH];
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i += STORE_BATCH) {
		size_t k = n - i < STORE_BATCH ? n - i : STORE_BATCH;
		for (size_t j = 0; j < k && !rc; j++) {
			rc = store_product_id(s, p[i + j].product_code, &ids[j], e);
			char shown[TEXT_RENDER_BUFSZ];
			if (!rc && !ids[j])
				rc = err_set(e, KASI_EDATA, "'%s' is not a known product",
					     text_value(p[i + j].product_code, shown));
		}
		struct new_policies ctx = { p + i, ids, file_id, now, by };
		struct db_rows rows = {
			.one = db_rows_sql(sql_policies_one, sizeof(sql_policies_one),
					   POLICY_INSERT, "?1, ?1, ?2, ?3, ", 4, POLICY_PARAMS, 1,
					   ""),
			.many = db_rows_sql(sql_policies_many, sizeof(sql_policies_many),
					    POLICY_INSERT, "?1, ?1, ?2, ?3, ", 4, POLICY_PARAMS,
					    STORE_BATCH, ""),
			.per_row = POLICY_PARAMS,
			.bind_shared = bind_policy_file,
			.bind_row = bind_new_policy,
			.ctx = &ctx,
			.what = "saving policies",
		};
		if (!rc)
			rc = refused(s, db_insert_rows(s, &rows, 4, k, e), e);
	}
	return rc;
}

#define LEDGER_INSERT                                                                       \
	"INSERT INTO ledger (file_id, channel, transaction_id, reference, business_date,\n" \
	"                    occurred_at, amount, status, row)\n"                           \
	"VALUES "
#define LEDGER_PARAMS 8
static char sql_ledger_one[sizeof(LEDGER_INSERT) + 100];
static char sql_ledger_many[sizeof(LEDGER_INSERT) + STORE_BATCH * 80];

struct new_ledger {
	const struct store_ledger_entry *l;
	int64_t file_id;
};

static void bind_ledger_file(struct store *s, sqlite3_stmt *st, int *rc, struct err *e,
			     const void *ctx)
{
	db_bind_int(s, st, rc, e, 1, ((const struct new_ledger *)ctx)->file_id);
}

static void bind_new_ledger(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int at,
			    const void *ctx, size_t i)
{
	const struct store_ledger_entry *l = &((const struct new_ledger *)ctx)->l[i];
	db_bind_text(s, st, rc, e, at, l->channel);
	db_bind_text(s, st, rc, e, at + 1, l->transaction_id);
	db_bind_text(s, st, rc, e, at + 2, l->reference);
	db_bind_text(s, st, rc, e, at + 3, l->business_date);
	db_bind_text(s, st, rc, e, at + 4, l->occurred_at);
	db_bind_int(s, st, rc, e, at + 5, l->amount);
	db_bind_text(s, st, rc, e, at + 6, l->status);
	db_bind_int(s, st, rc, e, at + 7, (int64_t)l->row);
}

int store_ledger_insert(struct store *s, const struct store_ledger_entry *l, size_t n,
			int64_t file_id, struct err *e)
{
	struct new_ledger ctx = { l, file_id };
	struct db_rows rows = {
		.one = db_rows_sql(sql_ledger_one, sizeof(sql_ledger_one), LEDGER_INSERT, "?1, ", 2,
				   LEDGER_PARAMS, 1, ""),
		.many = db_rows_sql(sql_ledger_many, sizeof(sql_ledger_many), LEDGER_INSERT, "?1, ",
				    2, LEDGER_PARAMS, STORE_BATCH, ""),
		.per_row = LEDGER_PARAMS,
		.bind_shared = bind_ledger_file,
		.bind_row = bind_new_ledger,
		.ctx = &ctx,
		.what = "saving ledger records",
	};
	return refused(s, db_insert_rows(s, &rows, 2, n, e), e);
}

/* Schema changes wait for no statement: finish every cached one. */
static void reset_statements(struct store *s)
{
	for (size_t i = 0; i < s->ncache; i++)
		sqlite3_reset(s->cache[i].st);
}

int store_defer_indexes(struct store *s, enum store_table t, struct err *e)
{
	int rc = 0;
	reset_statements(s);
	for (const struct store_index *i = store_table_indexes(t); i->name && !rc; i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "DROP INDEX %s", i->name);
		rc = db_exec(s, sql, e, "dropping an index for a first load");
	}
	return rc;
}

int store_restore_indexes(struct store *s, enum store_table t, struct err *e)
{
	int rc = 0;
	reset_statements(s);
	rc = store_big_sorts(s, true, e);
	for (const struct store_index *i = store_table_indexes(t); i->name && !rc; i++) {
		int64_t t0 = clock_us();
		rc = db_exec(s, i->create, e, "building an index after a first load");
		rc = refused(s, rc, e);
		log_debug("store: %s built in %" PRId64 " ms", i->name, (clock_us() - t0) / 1000);
	}
	int r2 = store_big_sorts(s, false, e);
	return rc ? rc : r2;
}

static const char sql_policies_empty[] = "SELECT NOT EXISTS (SELECT 1 FROM policies)";
static const char sql_ledger_empty[] = "SELECT NOT EXISTS (SELECT 1 FROM ledger)";

int store_is_empty(struct store *s, enum store_table t, bool *empty, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st =
		db_prep(s, t == STORE_POLICIES ? sql_policies_empty : sql_ledger_empty, &rc, e);
	*empty = db_step_row(s, st, &rc, e, "looking into a table") && sqlite3_column_int(st, 0);
	return rc;
}

static const char sql_policy_by_collection_ref[] =
	"SELECT policy_number FROM policies WHERE channel = ?1 AND collection_ref = ?2\n"
	" ORDER BY policy_id LIMIT 1";

static const char sql_policy_by_number[] =
	"SELECT policy_number FROM policies WHERE policy_number = ?1";

int store_policy_for_key(struct store *s, enum store_policy_key key, const char *channel,
			 const char *reference, char out[64], struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s,
				   key == STORE_KEY_CASH_CODE ? sql_policy_by_cash_code
				   : key == STORE_KEY_NUMBER  ? sql_policy_by_number
							      : sql_policy_by_collection_ref,
				   &rc, e);
	if (key == STORE_KEY_COLLECTION_REF) {
		db_bind_text(s, st, &rc, e, 1, channel);
		db_bind_text(s, st, &rc, e, 2, reference);
	} else {
		db_bind_text(s, st, &rc, e, 1, reference);
	}
	if (db_step_row(s, st, &rc, e, "looking up a policy by reference")) {
		snprintf(out, 64, "%s", db_col_text(st, 0));
		return 1;
	}
	return rc;
}

static const char sql_ledger_get[] =
	"SELECT ledger_id, reference, business_date, occurred_at, amount, status\n"
	"  FROM ledger WHERE channel = ?1 AND transaction_id = ?2";
static const char sql_ledger_insert[] =
	"INSERT INTO ledger (channel, transaction_id, reference, business_date, occurred_at,\n"
	"                    amount, status, file_id, row)\n"
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char sql_ledger_update[] =
	"UPDATE ledger SET reference = ?2, business_date = ?3, occurred_at = ?4, amount = ?5,\n"
	"       status = ?6, file_id = ?7, row = ?8\n"
	" WHERE ledger_id = ?1";

int store_ledger_upsert(struct store *s, const struct store_ledger_entry *l, int64_t file_id,
			enum store_upsert *what, struct err *e)
{
	int rc = 0;
	int64_t ledger_id = 0;
	bool changed = false;
	*what = STORE_UNCHANGED;
	sqlite3_stmt *st = db_prep(s, sql_ledger_get, &rc, e);
	db_bind_text(s, st, &rc, e, 1, l->channel);
	db_bind_text(s, st, &rc, e, 2, l->transaction_id);
	if (db_step_row(s, st, &rc, e, "looking up a ledger record")) {
		ledger_id = sqlite3_column_int64(st, 0);
		changed = !db_same_text(db_col_text(st, 1), l->reference) ||
			  !db_same_text(db_col_text(st, 2), l->business_date) ||
			  !db_same_text(db_col_text(st, 3), l->occurred_at) ||
			  sqlite3_column_int64(st, 4) != l->amount ||
			  !db_same_text(db_col_text(st, 5), l->status);
	}
	if (rc || (ledger_id && !changed))
		return rc;
	st = db_prep(s, ledger_id ? sql_ledger_update : sql_ledger_insert, &rc, e);
	int i = 1;
	if (ledger_id) {
		db_bind_int(s, st, &rc, e, i++, ledger_id);
	} else {
		db_bind_text(s, st, &rc, e, i++, l->channel);
		db_bind_text(s, st, &rc, e, i++, l->transaction_id);
	}
	db_bind_text(s, st, &rc, e, i++, l->reference);
	db_bind_text(s, st, &rc, e, i++, l->business_date);
	db_bind_text(s, st, &rc, e, i++, l->occurred_at);
	db_bind_int(s, st, &rc, e, i++, l->amount);
	db_bind_text(s, st, &rc, e, i++, l->status);
	db_bind_int(s, st, &rc, e, i++, file_id);
	db_bind_int(s, st, &rc, e, i++, (int64_t)l->row);
	db_step_done(s, st, &rc, e, "saving a ledger record");
	*what = ledger_id ? STORE_UPDATED : STORE_CREATED;
	return rc;
}

/* ---- facts ----------------------------------------------------------------- */

/* Bind a fact's values to parameters ?at .. ?at+19. */
static void bind_fact(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int at,
		      int64_t file_id, const struct store_fact *f)
{
	db_bind_int(s, st, rc, e, at, file_id);
	db_bind_int(s, st, rc, e, at + 1, (int64_t)f->row);
	db_bind_text(s, st, rc, e, at + 2, f->channel);
	db_bind_text(s, st, rc, e, at + 3, f->fact_key);
	db_bind_text(s, st, rc, e, at + 4, f->transaction_id);
	db_bind_opt_text(s, st, rc, e, at + 5, f->reference);
	db_bind_text(s, st, rc, e, at + 6, f->business_date);
	db_bind_opt_text(s, st, rc, e, at + 7, f->kind);
	if (f->has_amount)
		db_bind_int(s, st, rc, e, at + 8, f->amount);
	db_bind_opt_text(s, st, rc, e, at + 9, f->status);
	db_bind_opt_text(s, st, rc, e, at + 10, f->reason);
	db_bind_opt_text(s, st, rc, e, at + 11, f->reason_text);
	db_bind_opt_text(s, st, rc, e, at + 12, f->original_id);
	db_bind_opt_text(s, st, rc, e, at + 13, f->cycle_date);
	db_bind_opt_text(s, st, rc, e, at + 14, f->status_date);
	if (f->status_time >= 0)
		db_bind_int(s, st, rc, e, at + 15, f->status_time);
	if (f->has_requested)
		db_bind_int(s, st, rc, e, at + 16, f->requested_amount);
	db_bind_int(s, st, rc, e, at + 17, f->content_hash);
	db_bind_int(s, st, rc, e, at + 18, store_fact_id(file_id, f->row));
	db_bind_opt_text(s, st, rc, e, at + 19, f->canonical_kind);
}

#define FACT_COLUMNS_INSERTED                                                              \
	"INSERT INTO facts (file_id, row, channel, fact_key, transaction_id, reference,\n" \
	"                   business_date, kind, amount, status, reason, reason_text,\n"   \
	"                   original_id, cycle_date, status_date, status_time,\n"          \
	"                   requested_amount, content_hash, fact_id, canonical_kind"
#define FACT_PARAMS 20
/* A key counted before is not inserted here; store_facts_insert sees
 * which rows were not, and stores each as a duplicate. */
#define FACT_IF_NEW "\nON CONFLICT (channel, fact_key) WHERE " STORE_COUNTED("") " DO NOTHING"

static char sql_fact_insert[sizeof(FACT_COLUMNS_INSERTED) + 300];
static char sql_fact_batch[sizeof(FACT_COLUMNS_INSERTED) + STORE_BATCH * 120 + 200];
static const char sql_fact_stored[] = "SELECT 1 FROM facts WHERE fact_id = ?1";
/* clang-format off */
static const char sql_fact_counted[] =
	"SELECT f.fact_id, f.content_hash, l.name, f.row, " STORE_FACT_VALUES("f.") "\n"
	"  FROM facts f JOIN files l USING (file_id)\n"
	" WHERE f.channel = ?1 AND f.fact_key = ?2 AND " STORE_COUNTED("f.");
/* clang-format on */
static const char sql_fact_insert_duplicate[] = FACT_COLUMNS_INSERTED
	", duplicate_of)\n"
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,\n"
	"        ?17, ?18, ?19, ?20, ?21)";

/* A fact whose key is counted already: kept for the record, marked as a
 * duplicate of the counted one, which *dup describes. */
static const char sql_fact_counted_at[] =
	"SELECT f.fact_id, f.content_hash, l.name, f.row, " STORE_FACT_VALUES(
		"f.") "\n"
		      "  FROM facts f JOIN files l USING (file_id) WHERE f.fact_id = ?1";

static const char *nonnull(const char *s)
{
	return s ? s : "";
}

void store_fact_values_of(const struct store_fact *f, struct store_fact_values *v)
{
	*v = (struct store_fact_values){ .has_amount = f->has_amount, .amount = f->amount };
	snprintf(v->transaction_id, sizeof(v->transaction_id), "%s", nonnull(f->transaction_id));
	snprintf(v->reference, sizeof(v->reference), "%s", nonnull(f->reference));
	snprintf(v->business_date, sizeof(v->business_date), "%s", nonnull(f->business_date));
	snprintf(v->kind, sizeof(v->kind), "%s", nonnull(f->kind));
	snprintf(v->status, sizeof(v->status), "%s", nonnull(f->status));
	snprintf(v->reason, sizeof(v->reason), "%s", nonnull(f->reason));
}

void db_fact_values(sqlite3_stmt *st, int at, struct store_fact_values *v)
{
	*v = (struct store_fact_values){ .has_amount =
						 sqlite3_column_type(st, at + 4) != SQLITE_NULL,
					 .amount = sqlite3_column_int64(st, at + 4) };
	snprintf(v->transaction_id, sizeof(v->transaction_id), "%s", nonnull(db_col_text(st, at)));
	snprintf(v->reference, sizeof(v->reference), "%s", nonnull(db_col_text(st, at + 1)));
	snprintf(v->business_date, sizeof(v->business_date), "%s",
		 nonnull(db_col_text(st, at + 2)));
	snprintf(v->kind, sizeof(v->kind), "%s", nonnull(db_col_text(st, at + 3)));
	snprintf(v->status, sizeof(v->status), "%s", nonnull(db_col_text(st, at + 5)));
	snprintf(v->reason, sizeof(v->reason), "%s", nonnull(db_col_text(st, at + 6)));
}

/* The counted fact by its key, or by its id (key NULL), into *dup; its id,
 * or 0. */
static int64_t counted(struct store *s, const struct store_fact *f, const char *key,
		       int64_t fact_id, struct store_duplicate *dup, int *rc, struct err *e)
{
	int64_t original = 0;
	sqlite3_stmt *st = db_prep(s, key ? sql_fact_counted : sql_fact_counted_at, rc, e);
	if (key) {
		db_bind_text(s, st, rc, e, 1, f->channel);
		db_bind_text(s, st, rc, e, 2, key);
	} else {
		db_bind_int(s, st, rc, e, 1, fact_id);
	}
	if (db_step_row(s, st, rc, e, "looking up a fact")) {
		original = sqlite3_column_int64(st, 0);
		dup->duplicate = true;
		dup->same_content = sqlite3_column_int64(st, 1) == f->content_hash;
		snprintf(dup->file, sizeof(dup->file), "%s", db_col_text(st, 2));
		dup->row = (uint64_t)sqlite3_column_int64(st, 3);
		db_fact_values(st, 4, &dup->counted);
	}
	if (st)
		sqlite3_reset(st);
	return original;
}

/* Keep f for the record, a duplicate of the counted fact original. */
static int insert_duplicate(struct store *s, int64_t file_id, const struct store_fact *f,
			    int64_t original, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_fact_insert_duplicate, &rc, e);
	bind_fact(s, st, &rc, e, 1, file_id, f);
	db_bind_int(s, st, &rc, e, 21, original);
	db_step_done(s, st, &rc, e, "saving a duplicate fact");
	return rc;
}

static int fact_duplicate(struct store *s, int64_t file_id, const struct store_fact *f,
			  struct store_duplicate *dup, struct err *e)
{
	int rc = 0;
	int64_t original = counted(s, f, f->fact_key, 0, dup, &rc, e);
	if (!rc && !original)
		return err_set(e, KASI_EIO, "store '%s': a fact was neither saved nor found",
			       s->path);
	return rc ? rc : insert_duplicate(s, file_id, f, original, e);
}

/* ---- a fact's further keys ------------------------------------------------ */

static const char sql_fact_key_find[] =
	"SELECT fact_id FROM fact_keys WHERE channel = ?1 AND key = ?2 AND value = ?3";
static const char sql_fact_key_add[] =
	"INSERT INTO fact_keys (channel, key, value, fact_id) VALUES (?1, ?2, ?3, ?4)";
/* A repeat's: kept, counting for nothing until a void makes it count. */
static const char sql_uncounted_key_add[] =
	"INSERT INTO uncounted_keys (channel, key, value, fact_id) VALUES (?1, ?2, ?3, ?4)";

/* The counted fact one of f's further keys names (the first that does,
 * its index into *which), or 0. */
static int64_t further_key_counted(struct store *s, const struct store_fact *f, size_t *which,
				   int *rc, struct err *e)
{
	int64_t found = 0;
	for (size_t k = 0; k < f->nkeys && !found && !*rc; k++) {
		const char *v = f->key_values[k];
		if (!v || !*v)
			continue;
		sqlite3_stmt *st = db_prep(s, sql_fact_key_find, rc, e);
		db_bind_text(s, st, rc, e, 1, f->channel);
		db_bind_text(s, st, rc, e, 2, f->key_names[k]);
		db_bind_text(s, st, rc, e, 3, v);
		if (db_step_row(s, st, rc, e, "looking up a key")) {
			found = sqlite3_column_int64(st, 0);
			*which = k;
		}
		if (st)
			sqlite3_reset(st);
	}
	return found;
}

/* Record a fact's further keys: as keys that count (a counted fact's), or
 * as uncounted (a repeat's). */
static int further_keys_add(struct store *s, int64_t file_id, const struct store_fact *f,
			    bool counts, struct err *e)
{
	int rc = 0;
	for (size_t k = 0; k < f->nkeys && !rc; k++) {
		const char *v = f->key_values[k];
		if (!v || !*v)
			continue;
		sqlite3_stmt *st =
			db_prep(s, counts ? sql_fact_key_add : sql_uncounted_key_add, &rc, e);
		db_bind_text(s, st, &rc, e, 1, f->channel);
		db_bind_text(s, st, &rc, e, 2, f->key_names[k]);
		db_bind_text(s, st, &rc, e, 3, v);
		db_bind_int(s, st, &rc, e, 4, store_fact_id(file_id, f->row));
		db_step_done(s, st, &rc, e, "saving a key");
	}
	return rc;
}

/* Insert f[0..n) with one statement; then store those it did not insert
 * (their keys were counted before, or earlier in f) as duplicates. */
static int facts_insert_once(struct store *s, const char *sql, int64_t file_id,
			     const struct store_fact *f, size_t n, struct store_duplicate *dup,
			     struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql, &rc, e);
	for (size_t i = 0; i < n; i++)
		bind_fact(s, st, &rc, e, 1 + (int)i * FACT_PARAMS, file_id, &f[i]);
	db_step_done(s, st, &rc, e, n > 1 ? "saving facts" : "saving a fact");
	if (rc || (size_t)sqlite3_changes(s->db) == n)
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		st = db_prep(s, sql_fact_stored, &rc, e);
		db_bind_int(s, st, &rc, e, 1, store_fact_id(file_id, f[i].row));
		if (!db_step_row(s, st, &rc, e, "looking up a fact") && !rc)
			rc = fact_duplicate(s, file_id, &f[i], &dup[i], e);
	}
	return rc;
}

/* One fact with further keys: a duplicate of the fact its own key names,
 * else of the one a further key names, else counted. */
static int fact_insert_keyed(struct store *s, const char *one, int64_t file_id,
			     const struct store_fact *f, struct store_duplicate *dup, struct err *e)
{
	int rc = 0;
	size_t which = 0;
	int64_t by_key = further_key_counted(s, f, &which, &rc, e);
	if (rc)
		return rc;
	if (by_key && !counted(s, f, f->fact_key, 0, dup, &rc, e) && !rc) {
		counted(s, f, NULL, by_key, dup, &rc, e);
		snprintf(dup->key, sizeof(dup->key), "%s", f->key_names[which]);
		if (!rc)
			rc = insert_duplicate(s, file_id, f, by_key, e);
		return rc ? rc : further_keys_add(s, file_id, f, false, e);
	}
	if (rc || by_key) /* by its own key: facts_insert_once says so again */
		memset(dup, 0, sizeof(*dup));
	if (!rc)
		rc = facts_insert_once(s, one, file_id, f, 1, dup, e);
	if (!rc)
		rc = further_keys_add(s, file_id, f, !dup->duplicate, e);
	return rc;
}

/* f[0..n) (n = 1, or STORE_BATCH with sql the statement for as many):
 * facts with further keys go one at a time; the rest, as one. */
static int facts_insert(struct store *s, const char *sql, const char *one, int64_t file_id,
			const struct store_fact *f, size_t n, struct store_duplicate *dup,
			struct err *e)
{
	int rc = 0;
	if (!f[0].nkeys)
		return facts_insert_once(s, sql, file_id, f, n, dup, e);
	for (size_t i = 0; i < n && !rc; i++)
		rc = fact_insert_keyed(s, one, file_id, &f[i], &dup[i], e);
	return rc;
}

int store_facts_insert(struct store *s, int64_t file_id, const struct store_fact *f, size_t n,
		       struct store_duplicate *dup, struct err *e)
{
	memset(dup, 0, n * sizeof(*dup));
	for (size_t i = 0; i < n; i++)
		if (f[i].row > STORE_MAX_ROW)
			return err_set(e, KASI_EDATA,
				       "row %" PRIu64 ": a file holds at most %" PRIu64 " rows",
				       f[i].row, (uint64_t)STORE_MAX_ROW);
	const char *one =
		db_rows_sql(sql_fact_insert, sizeof(sql_fact_insert),
			    FACT_COLUMNS_INSERTED ")\nVALUES ", "", 1, FACT_PARAMS, 1, FACT_IF_NEW);
	const char *many = db_rows_sql(sql_fact_batch, sizeof(sql_fact_batch),
				       FACT_COLUMNS_INSERTED ")\nVALUES ", "", 1, FACT_PARAMS,
				       STORE_BATCH, FACT_IF_NEW);
	if (!one || !many)
		return err_set(e, KASI_EIO, "a fact statement does not fit its buffer");
	int rc = 0;
	size_t i = 0;
	for (; i + STORE_BATCH <= n && !rc; i += STORE_BATCH)
		rc = facts_insert(s, many, one, file_id, f + i, STORE_BATCH, dup + i, e);
	for (; i < n && !rc; i++)
		rc = facts_insert(s, one, one, file_id, f + i, 1, dup + i, e);
	return rc;
}

/* ---- discrepancies -------------------------------------------------------- */

/* A batch of discrepancies in one statement (arrays.c). Those of a
 * policy name it by its number, read here by its key: a night's hundred
 * thousand findings are not a lookup each from C. */
static const char sql_discrepancies_insert[] =
	"INSERT INTO discrepancies (period, code, severity, channel, file_id, row, reference,\n"
	"                           transaction_id, expected, actual, detail, source, subject)\n"
	"SELECT period, code, severity, channel, file_id, row, ref, transaction_id, expected,\n"
	"       actual, detail, source, CASE WHEN subject_is_reference THEN ref ELSE subject END\n"
	"  FROM (SELECT a.*, coalesce((SELECT p.policy_number FROM policies p\n"
	"                               WHERE p.policy_id = a.policy_id), a.reference) AS ref\n"
	"          FROM kasi_discrepancies(?1) a)";

int store_discrepancies_add(struct store *s, const struct store_discrepancy *d, size_t n,
			    struct err *e)
{
	int rc = 0;
	if (!n)
		return 0;
	sqlite3_stmt *st = db_prep(s, sql_discrepancies_insert, &rc, e);
	db_insert_array(s, st, 1, STORE_DISCREPANCY_ARRAY, d, n, &rc, e, "recording discrepancies");
	/* Ids grow within the statement: the rows just written are one range. */
	int64_t last = sqlite3_last_insert_rowid(s->db);
	return rc ? rc : db_exceptions_seen(s, last - (int64_t)n + 1, last, e);
}

int store_discrepancy_add(struct store *s, const struct store_discrepancy *d, struct err *e)
{
	return store_discrepancies_add(s, d, 1, e);
}

/* ---- status ----------------------------------------------------------------- */

static const char sql_status_files[] =
	"SELECT channel, schema, file_date, count(*), sum(rows), max(applied_at)\n"
	"  FROM files WHERE outcome = 'applied' AND voided IS NULL\n"
	" GROUP BY channel, schema, file_date ORDER BY channel IS NOT NULL, channel, schema,\n"
	"          file_date";

int store_each_applied_file_group(struct store *s,
				  int (*fn)(void *ctx, const struct store_file_summary *f),
				  void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_status_files, &rc, e);
	while (db_step_row(s, st, &rc, e, "listing files")) {
		struct store_file_summary f = {
			.channel = db_col_text(st, 0),
			.schema = db_col_text(st, 1),
			.file_date = db_col_text(st, 2),
			.files = sqlite3_column_int64(st, 3),
			.rows = sqlite3_column_int64(st, 4),
			.last_applied_at = db_col_text(st, 5),
		};
		if (fn(ctx, &f))
			break;
	}
	return rc;
}

static const char sql_status_periods[] =
	"SELECT p.period, p.scheduled_at, p.reconciled_at,\n"
	"       (SELECT count(*) FROM expected e WHERE e.period = p.period),\n"
	"       (SELECT count(*) FROM outcomes o WHERE o.period = p.period)\n"
	"  FROM periods p ORDER BY p.period";

int store_each_period(struct store *s, int (*fn)(void *ctx, const struct store_period_summary *p),
		      void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_status_periods, &rc, e);
	while (db_step_row(s, st, &rc, e, "listing periods")) {
		struct store_period_summary p = {
			.period = db_col_text(st, 0),
			.scheduled_at = db_col_text(st, 1),
			.reconciled_at = db_col_text(st, 2),
			.expected = sqlite3_column_int64(st, 3),
			.outcomes = sqlite3_column_int64(st, 4),
		};
		if ((rc = store_period_files_since_reconciled(s, p.period,
							      &p.files_since_reconciled, e)) ||
		    fn(ctx, &p))
			break;
	}
	return rc;
}

static const char sql_status_discrepancies[] =
	"SELECT period, code, severity, count(*) FROM discrepancies\n"
	" GROUP BY period, code, severity ORDER BY period, code";

int store_each_discrepancy_count(struct store *s,
				 int (*fn)(void *ctx, const struct store_discrepancy_count *c),
				 void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_status_discrepancies, &rc, e);
	while (db_step_row(s, st, &rc, e, "counting discrepancies")) {
		struct store_discrepancy_count c = {
			.period = db_col_text(st, 0),
			.code = db_col_text(st, 1),
			.severity = db_col_text(st, 2),
			.count = sqlite3_column_int64(st, 3),
		};
		if (fn(ctx, &c))
			break;
	}
	return rc;
}

static const char sql_status_outcomes[] = "SELECT outcome, count(*) FROM files GROUP BY outcome";

int store_file_outcome_counts(struct store *s, int64_t *applied, int64_t *rejected,
			      int64_t *duplicate, struct err *e)
{
	int rc = 0;
	*applied = *rejected = *duplicate = 0;
	sqlite3_stmt *st = db_prep(s, sql_status_outcomes, &rc, e);
	while (db_step_row(s, st, &rc, e, "counting files")) {
		const char *o = db_col_text(st, 0);
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
