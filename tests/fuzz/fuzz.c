/*
 * fuzz.c — what the fuzz targets share (see fuzz.h).
 *
 * The store digest reads SQLite directly: it is the test's own look at
 * the file, not kasi's way in.
 */
#include "fuzz.h"
#include "io/input.h"
#include "stage/ingest.h"
#include "stage/load.h"

#include <sqlite3.h>
#include <sys/mman.h>

static struct schema_set *schemas;
static FILE *devnull;
/* Short paths: $TMPDIR/kasi-fuzz-XXXXXX/template-N.db and the like. */
#define FUZZ_PATH 1024
static char tmpdir[FUZZ_PATH];
static char templates[FUZZ_STORE_COUNT][FUZZ_PATH + 32];
static char work[FUZZ_PATH + 32];

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static const char *root(void)
{
	const char *r = getenv("KASI_ROOT");
	return r && *r ? r : ".";
}

const struct schema_set *fuzz_schemas(void)
{
	if (schemas)
		return schemas;
	char dir[PATH_MAX];
	const char *env = getenv("KASI_SCHEMAS");
	snprintf(dir, sizeof(dir), "%s/schemas", root());
	struct err e = { 0 };
	if (schema_set_load(&schemas, env && *env ? env : dir, &e) != 0)
		fuzz_fail("%s", e.msg);
	return schemas;
}

const char *fuzz_name_for(const struct schema *s)
{
	static const char *const names[] = {
		"easypay_recon_20261005.csv",
		"softycomp_transactions_20261005.csv",
		"collexia_results_20261005.csv",
		"products.csv",
		"policies.csv",
		"ledger.csv",
		"unpaid_reasons.csv",
	};
	struct regex_matcher *m = regex_matcher_new();
	const char *found = "unknown.csv";
	int32_t date;
	for (size_t i = 0; m && i < ARRAY_SIZE(names); i++) {
		if (schema_match_name(s, m, names[i], &date) == SCHEMA_NAME_MATCH) {
			found = names[i];
			break;
		}
	}
	regex_matcher_free(m);
	return found;
}

int fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		fuzz_fail("memfd_create: %s", strerror(errno));
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0)
			fuzz_fail("write: %s", strerror(errno));
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		fuzz_fail("lseek: %s", strerror(errno));
	return fd;
}

FILE *fuzz_devnull(void)
{
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		fuzz_fail("cannot open /dev/null");
	return devnull;
}

/* ---- stores ------------------------------------------------------------ */

/* Remove a store and the files SQLite keeps beside it. */
static void remove_db(const char *db)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; *db && i < ARRAY_SIZE(suffixes); i++) {
		char path[FUZZ_PATH + 64];
		snprintf(path, sizeof(path), "%s%s", db, suffixes[i]);
		unlink(path);
	}
}

static void remove_tmpdir(void)
{
	for (int t = 0; t < FUZZ_STORE_COUNT; t++)
		remove_db(templates[t]);
	remove_db(work);
	rmdir(tmpdir);
}

static void load_world(struct store *s, const char *kind)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/fixtures/world/%s.csv", root(), kind);
	enum load_kind k;
	struct err e = { 0 };
	int fd;
	if (load_kind_from_name(kind, &k) || input_open(path, &fd, &e))
		fuzz_fail("cannot open %s: %s", path, e.msg);
	const struct schema *schema = schema_set_find(fuzz_schemas(), load_kind_schema(k));
	struct load_result res;
	int rc = load_file(s, schema, k, fd, path, "fuzz", &res, &e);
	if (rc || res.rejected)
		fuzz_fail("loading %s: %s", path, rc ? e.msg : "rejected");
	validation_release(&res.v);
}

static void ingest_world(struct store *s)
{
	static const char *const files[] = {
		"easypay_recon_20261005.csv",	       "easypay_recon_20261020.csv",
		"easypay_recon_20261021.csv",	       "softycomp_transactions_20261001.csv",
		"softycomp_transactions_20261002.csv", "softycomp_transactions_20261006.csv",
		"softycomp_transactions_20261025.csv", "softycomp_transactions_20261103.csv",
		"collexia_results_20261015.csv",       "collexia_results_20261017.csv",
	};
	struct regex_matcher *m = regex_matcher_new();
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/fixtures/world/%s", root(), files[i]);
		const struct schema *found[2];
		if (schema_set_match(fuzz_schemas(), m, files[i], found, 2) != 1)
			fuzz_fail("no one schema for %s", files[i]);
		struct err e = { 0 };
		int fd;
		if (input_open(path, &fd, &e))
			fuzz_fail("%s", e.msg);
		struct ingest_result res;
		if (ingest_file(s, found[0], fd, path, &res, &e))
			fuzz_fail("ingesting %s: %s", path, e.msg);
		ingest_result_release(&res);
	}
	regex_matcher_free(m);
}

static void build_template(enum fuzz_store which)
{
	snprintf(templates[which], sizeof(templates[which]), "%s/template-%d.db", tmpdir,
		 (int)which);
	struct err e = { 0 };
	int from;
	struct store *s = NULL;
	if (store_init(templates[which], NULL, &from, &e) || store_open(&s, templates[which], &e))
		fuzz_fail("%s", e.msg);
	if (which >= FUZZ_STORE_PRODUCTS)
		load_world(s, "products");
	if (which >= FUZZ_STORE_REGISTERS) {
		load_world(s, "policies");
		load_world(s, "ledger");
	}
	if (which >= FUZZ_STORE_CHANNELS)
		ingest_world(s);
	store_close(s); /* the last connection: the WAL is folded into the file */
}

static void copy_file(const char *from, const char *to)
{
	char buf[64 * 1024];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in < 0 || out < 0)
		fuzz_fail("cannot copy %s to %s: %s", from, to, strerror(errno));
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			fuzz_fail("cannot write %s: %s", to, strerror(errno));
	close(in);
	close(out);
}

struct store *fuzz_store_copy(enum fuzz_store which, const char **path)
{
	if (!*tmpdir) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/kasi-fuzz-XXXXXX",
			 base && *base ? base : "/tmp");
		if (!mkdtemp(tmpdir))
			fuzz_fail("mkdtemp: %s", strerror(errno));
		atexit(remove_tmpdir);
		snprintf(work, sizeof(work), "%s/work.db", tmpdir);
	}
	if (!*templates[which])
		build_template(which);
	remove_db(work);
	copy_file(templates[which], work);
	struct store *s = NULL;
	struct err e = { 0 };
	if (store_open(&s, work, &e))
		fuzz_fail("%s", e.msg);
	*path = work;
	return s;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

uint64_t fuzz_store_digest(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *tables = NULL;
	uint64_t h = 14695981039346656037ULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
		    db,
		    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
		    "LIKE 'sqlite_%' AND name NOT IN ('files', 'discrepancies', 'exceptions') "
		    "ORDER BY name",
		    -1, &tables, NULL) != SQLITE_OK)
		fuzz_fail("digest of %s: %s", path, sqlite3_errmsg(db));
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(tables, 0);
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", name);
		sqlite3_stmt *rows = NULL;
		if (sqlite3_prepare_v2(db, sql, -1, &rows, NULL) != SQLITE_OK)
			fuzz_fail("digest of %s: %s", name, sqlite3_errmsg(db));
		/* Rows in any order: the sum of each row's hash. */
		uint64_t sum = 0;
		while (sqlite3_step(rows) == SQLITE_ROW) {
			uint64_t r = fnv(14695981039346656037ULL, name, strlen(name) + 1);
			for (int c = 0; c < sqlite3_column_count(rows); c++) {
				const void *v = sqlite3_column_blob(rows, c);
				int n = sqlite3_column_bytes(rows, c);
				r = fnv(r, &n, sizeof(n));
				if (v)
					r = fnv(r, v, (size_t)n);
			}
			sum += r;
		}
		h = fnv(h, &sum, sizeof(sum));
		sqlite3_finalize(rows);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	return h;
}
