/*
 * db.h — what the store's own files share: the connection, a cache of
 * prepared statements, and the sticky-error helpers. Not for use outside
 * src/store/.
 *
 * Each statement is a `static const char sql[]` beside the function that
 * runs it; db_prep() prepares it once per connection (keyed by the
 * string's address) and afterwards resets and unbinds it. The helpers do
 * nothing once *rc is non-zero, as in SQLite's own shell, so a sequence
 * of binds and steps needs one check at its end.
 */
#ifndef KASI_STORE_DB_H
#define KASI_STORE_DB_H

#include <sqlite3.h>

#include "store/store.h"

struct db_cached {
	const char *sql;
	sqlite3_stmt *st;
};

/* Products by code, as looked up by loading policies (a register names a
 * few dozen products a million times); forgotten on rollback. */
#define DB_PRODUCTS_CACHED 64

struct db_product {
	char code[32];
	int64_t id;
};

struct store {
	sqlite3 *db;
	char *path;
	bool readonly; /* the file cannot be written by this process: read only */
	struct db_cached *cache;
	size_t ncache, cache_cap;
	struct db_product products[DB_PRODUCTS_CACHED];
	size_t nproducts;
};

/* A fact counts (reconciliation reads it, its key is taken) unless it
 * repeats a fact counted before or its file was voided. t is a table's
 * alias with its dot, or "". The text is that of facts_counted_once's
 * WHERE: a lookup by key that says it uses that index. */
#define STORE_COUNTED(t) t "duplicate_of IS NULL AND " t "withdrawn IS NULL"

/* A reversal line (alias t) given back since: a reversal of a voided file
 * that a settlement clawed back is paid over again by a collection line
 * of the same fact that names an original (an ordinary collection line
 * names none). It claws back nothing any more. */
#define STORE_GIVEN_BACK(t)                                                        \
	"EXISTS (SELECT 1 FROM settlement_lines g WHERE g.fact_id = " t ".fact_id" \
	" AND g.kind = 'collection' AND g.original IS NOT NULL)"

/* A reversal line (alias t) whose own row reconciliation now links to
 * another collection, in period p (an SQL expression): its line claws
 * back the one it was settled against no more, for a void's accounts
 * (that collection withdrawn, the line serves the row's new original). */
#define STORE_RELINKED(t, p)                                                          \
	"EXISTS (SELECT 1 FROM movements m WHERE m.period = " p " AND m.fact_id = " t \
	".fact_id AND m.kind = 'reversal' AND m.original IS NOT " t ".original)"
/* What is left to take back of a voided collection's line (alias l) in
 * period p: its amount less what reversal lines still claw back of it
 * (neither given back nor serving another collection). A take-back's own
 * line is one of them: once written, nothing is left. */
#define STORE_LEFT_OF(field, p)                                                             \
	"l." field " + ifnull((SELECT sum(r." field ") FROM settlement_lines r\n"           \
	"                  INDEXED BY settlement_lines_reversals\n"                         \
	"                 WHERE r.original = l.fact_id AND r.kind = 'reversal'\n"           \
	"                   AND NOT " STORE_GIVEN_BACK("r") " AND NOT " STORE_RELINKED("r", \
										       p) "), 0)"

/* What makes a discrepancy (d, its file f) the exception it is, beside
 * its period, code and channel: the subject its stage gave it (a policy's
 * month: the policy), else its transaction id, else its reference,
 * else its file's name, else what was expected (a missing file: the day).
 * And the amount of the channel row that raised it, when one did. */
#define STORE_EXCEPTION_SUBJECT                                                       \
	"coalesce(d.subject, nullif(d.transaction_id, ''), nullif(d.reference, ''), " \
	"f.name, d.expected, '')"
/* Its channel, as the exception's key has it: none for a problem of a
 * policy's month (its subject given), whichever channel's row it names
 * last. */
#define STORE_EXCEPTION_CHANNEL "CASE WHEN d.subject IS NULL THEN ifnull(d.channel, '') ELSE '' END"
/* The larger of the row's amount and the amount it was for, as a size: an
 * instruction that failed moved nothing but asked for its premium; a
 * payout's answer that gave the payout its state (a rejection paid out
 * 0.00) was for the amount the payout was instructed for. */
#define STORE_EXCEPTION_AMOUNT                                                        \
	"(SELECT max(abs(ifnull(t.amount, 0)), abs(ifnull(t.requested_amount, 0)),\n" \
	"           ifnull(p.amount, 0))\n"                                           \
	"   FROM facts t LEFT JOIN payouts p\n"                                       \
	"     ON p.reference = t.reference AND p.state_fact = t.fact_id\n"            \
	"  WHERE t.fact_id = d.file_id * 4294967296 + d.row)"

/* The discrepancies of ids first..last, just recorded, seen as their
 * exceptions, in one statement (exceptions.c). */
int db_exceptions_seen(struct store *s, int64_t first, int64_t last, struct err *e);
/* A period's exceptions a reconcile made, cleared before it records what
 * it finds now. */
int db_exceptions_clear(struct store *s, const char *period, struct err *e);

/* Whether a resolution r still holds for its exception x: made on the
 * values x has now (expected, actual, the amount of its row, its detail:
 * a repeat with another amount, a file rejected again for other errors, is
 * open again). */
#define STORE_RESOLUTION_HOLDS                                                       \
	"(NOT r.reopened AND r.expected IS x.expected AND r.actual IS x.actual AND " \
	"r.amount IS x.amount AND r.detail IS x.detail)"

/* The array-as-table functions of arrays.c, on this connection. */
int db_register_arrays(struct store *s, struct err *e);

/* What kasi_outcomes(?), kasi_movements(?), kasi_lines(?) and
 * kasi_discrepancies(?) read: an array bound with sqlite3_bind_pointer()
 * under its type's name. */
#define STORE_OUTCOME_ARRAY	"kasi-outcome-array"
#define STORE_MOVEMENT_ARRAY	"kasi-movement-array"
#define STORE_LINE_ARRAY	"kasi-line-array"
#define STORE_DISCREPANCY_ARRAY "kasi-discrepancy-array"
struct store_array {
	const void *rows;
	size_t n;
};

/* Bind rows[0..n) to parameter `param` of st (an INSERT ... SELECT FROM
 * kasi_X(?param)), run it, and check that n rows went in. Sticky rc. */
int db_insert_array(struct store *s, sqlite3_stmt *st, int param, const char *pointer_type,
		    const void *rows, size_t n, int *rc, struct err *e, const char *what);

/* The columns of a fact (alias a: "f.") that store_fact_values keeps, in
 * the order db_fact_values reads them from column at. */
#define STORE_FACT_VALUES(a)                                                               \
	a "transaction_id, " a "reference, " a "business_date, " a "kind, " a "amount, " a \
	  "status, " a "reason"
void db_fact_values(sqlite3_stmt *st, int at, struct store_fact_values *v);

/* Whether a field recorded in policy_changes holds money (cents). */
bool db_policy_field_is_amount(const char *field);

/* -KASI_ELOCKED for a busy store, else -KASI_EIO, naming `what`. */
int db_fail(struct store *s, int code, struct err *e, const char *what);

sqlite3_stmt *db_prep(struct store *s, const char *sql, int *rc, struct err *e);
void db_bind_text(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int i, const char *v);
/* An empty string binds as NULL: "no value". */
void db_bind_opt_text(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int i,
		      const char *v);
void db_bind_int(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int i, int64_t v);
/* Step once: true for a row, false when done or after an error. */
bool db_step_row(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, const char *what);
/* Step a statement that returns no row. */
void db_step_done(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, const char *what);
const char *db_col_text(sqlite3_stmt *st, int i);
/* NULL and "" are the same: no value. */
bool db_same_text(const char *a, const char *b);
/* The text of an INSERT of `rows` rows at once: head (up to "VALUES "),
 * then for each row "(" shared, its `per_row` parameters numbered on from
 * ?first, ")", joined by ", "; then tail. Written into buf once (buf
 * should be static: its address keys the statement cache); NULL if buf
 * is too small. Built from constants only, never from input. */
const char *db_rows_sql(char *buf, size_t size, const char *head, const char *shared, int first,
			int per_row, int rows, const char *tail);

/* How db_insert_rows binds: the parameters every row shares (?1 ..), and
 * row i's, from parameter ?at on. */
struct db_rows {
	const char *one, *many; /* db_rows_sql texts for one row and STORE_BATCH rows */
	int per_row;		/* parameters a row */
	void (*bind_shared)(struct store *s, sqlite3_stmt *st, int *rc, struct err *e,
			    const void *ctx);
	void (*bind_row)(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int at,
			 const void *ctx, size_t i);
	const void *ctx;
	const char *what; /* for errors: "saving policies" */
};

/* Insert n rows: STORE_BATCH to a statement, the rest one by one. */
int db_insert_rows(struct store *s, const struct db_rows *rows, int first, size_t n, struct err *e);

/* Run SQL with no parameters (pragmas, transactions, migrations), never
 * text from input. */
int db_exec(struct store *s, const char *sql, struct err *e, const char *what);

#endif
