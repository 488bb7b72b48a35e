/*
 * store.h — the store: kasi's SQLite database, behind verbs in the
 * business's words.
 *
 * Every SQL statement and every sqlite3_* call of kasi lives in
 * src/store/; the rest of kasi sees files, policies, facts, periods and
 * discrepancies. (A deployment that outgrows one machine would put a
 * PostgreSQL backend behind this same interface.)
 *
 * The store is opened in WAL mode with synchronous=FULL (a commit is on
 * disk before kasi says so), foreign keys on, and a busy
 * timeout; every statement is prepared once and bound, never built from
 * input. A file is loaded inside one store_begin() .. store_commit().
 *
 * Values cross this interface as text where the store keeps text: dates
 * 'YYYY-MM-DD', periods 'YYYY-MM', amounts as int64_t cents.
 */
#ifndef KASI_STORE_H
#define KASI_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

#define STORE_VERSION 13

struct store;

/* What migrating a store needs from above it. Since version 3 a fact
 * keeps what it means under its schema's kind rules; a fact stored before
 * is given its meaning by fact_kind: the canonical kind name ("collected")
 * of a fact of `schema` with these raw values (any may be NULL), into
 * *kind. Returns 0, or a negative status with a message in e. */
struct store_upgrade {
	void *ctx;
	int (*fact_kind)(void *ctx, const char *schema, const char *type, const char *status,
			 const char *reason, const char **kind, struct err *e);
};

/* Create the store at path, or migrate it to STORE_VERSION, in one
 * transaction. *from gets the version it was at (0: new). Returns 0, or
 * -KASI_ECONFIG for a store newer than this kasi (or facts the upgrade
 * cannot give a meaning), -KASI_EIO. */
int store_init(const char *path, const struct store_upgrade *up, int *from, struct err *e);

/* Open an existing store at STORE_VERSION. -KASI_ENOINPUT if there is
 * none ("run kasi init"), -KASI_ECONFIG if it is at another version.
 * Freed with store_close. */
int store_open(struct store **out, const char *path, struct err *e);
void store_close(struct store *s);

/* BEGIN IMMEDIATE: the write lock, or -KASI_ELOCKED after the busy timeout. */
int store_begin(struct store *s, struct err *e);
/* BEGIN: a consistent snapshot to read, without the write lock. */
int store_begin_read(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
void store_rollback(struct store *s);

/* The script that takes a store from version - 1 to version (migrations.c). */
/* The indexes of a table a first load fills, NULL-terminated. */
struct store_index {
	const char *name, *create;
};
enum store_table { STORE_POLICIES, STORE_LEDGER };
const struct store_index *store_table_indexes(enum store_table t);

/* In the caller's transaction, drop a table's indexes before a first load
 * fills it, and build them again after: sorting the keys once is cheaper
 * than keeping the index in order row by row. The table's uniqueness is
 * checked again when they are built (-KASI_EDATA if it fails). */
int store_defer_indexes(struct store *s, enum store_table t, struct err *e);
int store_restore_indexes(struct store *s, enum store_table t, struct err *e);

/* Set the connection up for sorting millions of rows (true: on two
 * threads, its runs in temporary files) or back to everyday work. */
int store_big_sorts(struct store *s, bool on, struct err *e);

/* SQLite's page cache for this connection, in KiB (64 MiB by default). */
int store_cache_kib(struct store *s, int kib, struct err *e);

int store_migration_count(void);
const char *store_migration(int version);

/* "YYYY-MM-DDThh:mm:ssZ" for now (or $KASI_NOW, for reproducible runs). */
void store_now(char buf[32]);

/* The version of SQLite in use ("3.40.1"). */
const char *store_library_version(void);

/* ---- files ---------------------------------------------------------- */

struct store_file {
	const char *name;   /* as given */
	const char *sha256; /* hex */
	uint64_t size;	    /* content bytes */
	const char *schema;
	const char *channel;   /* NULL for reference data */
	const char *file_date; /* NULL when undated */
	uint64_t rows;
	/* The business dates its facts span; NULL: none, or not a channel's. */
	const char *first_fact_date, *last_fact_date;
	/* Its facts are confirmations of kasi's payouts, not money of a
	 * period: no period reads them, nor goes out of date by them. */
	bool payouts;
};

struct store_applied {
	int64_t file_id;
	char name[512];
	char applied_at[32];
	char schema[64];
	char file_date[16]; /* "" when its name has none */
};

/* Was content with this SHA-256 applied before? 1 (and *found filled), 0,
 * or a negative status. */
int store_file_applied(struct store *s, const char *sha256, struct store_applied *found,
		       struct err *e);

/* Start applying a file: a files row with outcome 'applied' and no rows
 * yet; the content's digest is filled in by store_file_applied_done. */
int store_file_apply_begin(struct store *s, const struct store_file *f, int64_t *file_id,
			   struct err *e);
int store_file_apply_done(struct store *s, int64_t file_id, const struct store_file *f,
			  struct err *e);

/* Record a rejected or duplicate attempt ('rejected', 'duplicate'). The same
 * content under the same name is recorded once. Returns 1 recorded now,
 * 0 recorded before (either way its row into *file_id), or a negative
 * status. */
int store_file_attempt(struct store *s, const struct store_file *f, const char *outcome,
		       int64_t *file_id, struct err *e);

/* ---- reference data ------------------------------------------------- */

enum store_upsert { STORE_UNCHANGED, STORE_CREATED, STORE_UPDATED };

struct store_product {
	const char *product_code, *product_name;
	const char *provider_code, *provider_name;
	int64_t fee_bps, fee_fixed, payout_bank_id;
	const char *payout_account;
};

/* Upsert a product and its provider (the newer details win; a load that
 * gives one provider two sets of details is the caller's to refuse). */
int store_product_upsert(struct store *s, const struct store_product *p, enum store_upsert *what,
			 struct err *e);

/* Rows to a statement when many are inserted at once: a statement's own
 * cost, paid once a row, was more than the row's. */
#define STORE_BATCH 32

struct store_policy {
	const char *policy_number, *product_code, *customer_name, *id_number;
	int64_t premium;
	const char *channel, *collection_ref, *cash_code;
	int64_t debit_day;			       /* 0: none */
	const char *status, *start_date, *cancel_date; /* NULL or "" for none */
};

/* A product's id by its code into *id; 0 when there is none. */
int store_product_id(struct store *s, const char *code, int64_t *id, struct err *e);

/* Upsert a policy by number, recording who created it (by: the operator,
 * as cmd_operator gives it), or each changed field (old, new, file, time,
 * who) in policy_changes. -KASI_EDATA with a message, and *field
 * naming the field at fault ("product_code", "cash_code"), when its product
 * is unknown or its cash payment code belongs to another policy. */
int store_policy_upsert(struct store *s, const struct store_policy *p, int64_t file_id,
			const char *now, const char *by, enum store_upsert *what,
			const char **field, struct err *e);

/* Which of a policy's keys a reference is. */
enum store_policy_key {
	STORE_KEY_NUMBER,	  /* its policy number */
	STORE_KEY_COLLECTION_REF, /* its collection_ref, among the channel's policies */
	STORE_KEY_CASH_CODE,	  /* its cash payment code */
};

/* The number of the policy a reference names, into out; 1 if there is
 * one, 0 if not, or a negative status. (channel: for a collection_ref.) */
int store_policy_for_key(struct store *s, enum store_policy_key key, const char *channel,
			 const char *reference, char out[64], struct err *e);

struct store_ledger_entry {
	const char *channel, *transaction_id, *reference, *business_date, *occurred_at, *status;
	int64_t amount;
	uint64_t row;
};

/* Insert rows that cannot exist yet, n of them, best STORE_BATCH at a
 * time (one statement): policies into an empty table from a file whose
 * numbers and cash payment codes are unique, whose products exist; ledger
 * records likewise. Nothing is looked up first; the table's constraints
 * still stand, and a row they refuse is -KASI_EDATA. */
int store_policies_insert(struct store *s, const struct store_policy *p, size_t n, int64_t file_id,
			  const char *now, const char *by, struct err *e);
int store_ledger_insert(struct store *s, const struct store_ledger_entry *l, size_t n,
			int64_t file_id, struct err *e);

/* Whether a table has no row yet. */
int store_is_empty(struct store *s, enum store_table t, bool *empty, struct err *e);

/* Upsert a ledger record by (channel, transaction_id). */
int store_ledger_upsert(struct store *s, const struct store_ledger_entry *l, int64_t file_id,
			enum store_upsert *what, struct err *e);

/* ---- facts ---------------------------------------------------------- */

/* A fact's keys past the first it may have (struct store_fact). */
#define STORE_MORE_KEYS 4

struct store_fact {
	uint64_t row;
	const char *channel, *fact_key, *transaction_id, *reference, *business_date, *kind;
	bool has_amount;
	int64_t amount;
	const char *status, *reason, *reason_text, *original_id, *cycle_date, *status_date;
	int64_t status_time; /* seconds since midnight, or -1 */
	bool has_requested;
	int64_t requested_amount;
	int64_t content_hash;	    /* its content's SHA-256, first 8 bytes (store_content_hash) */
	const char *canonical_kind; /* what it means under its schema's kind rules */
	/* Its further identities, when its schema declares more than one key
	 * (a wallet's transaction id, and the request's correlation id): each
	 * key's name and its value in the row ("" or NULL: none). A row
	 * repeating one counted before in the channel is a duplicate. */
	const char *const *key_names;
	const char *key_values[STORE_MORE_KEYS];
	size_t nkeys;
};

/* The values kasi keeps of a fact that tell two copies of a transaction
 * apart, as stored ("": none). */
struct store_fact_values {
	char transaction_id[128], reference[256], business_date[16], kind[64], status[64],
		reason[64];
	bool has_amount;
	int64_t amount;
};
/* A fact's values, as store_fact_values keeps them. */
void store_fact_values_of(const struct store_fact *f, struct store_fact_values *v);

/* What store_facts_insert found when a fact's key was stored before. */
struct store_duplicate {
	bool duplicate; /* the key was stored before (this row is not counted) */
	bool same_content;
	char file[512]; /* where the counted one came from */
	uint64_t row;
	char key[64];			  /* the further key repeated; "": the fact's own */
	struct store_fact_values counted; /* the counted one's */
};

/* A fact's content hash: the first 8 bytes of its content's SHA-256, as a
 * number (big-endian). */
static inline int64_t store_content_hash(const uint8_t sha256[32])
{
	uint64_t h = 0;
	for (int i = 0; i < 8; i++)
		h = h << 8 | sha256[i];
	return (int64_t)h;
}

/* A fact's id is its place: file_id * 2^32 + row (row <= STORE_MAX_ROW). */
#define STORE_MAX_ROW UINT32_MAX

static inline int64_t store_fact_id(int64_t file_id, uint64_t row)
{
	return (int64_t)(((uint64_t)file_id << 32) | row);
}

/* Store rows' facts, f[0..n): best STORE_BATCH at a time (one
 * statement). A fact whose key was counted before (or earlier in f), or
 * one of whose further keys was (in an earlier file), is stored as a
 * duplicate, and dup[i] says of what. A row past STORE_MAX_ROW is
 * -KASI_EDATA. */
int store_facts_insert(struct store *s, int64_t file_id, const struct store_fact *f, size_t n,
		       struct store_duplicate *dup, struct err *e);

/* ---- discrepancies -------------------------------------------------- */

struct store_discrepancy {
	const char *period, *code, *severity, *channel;
	int64_t file_id; /* 0: none */
	uint64_t row;	 /* 0: none */
	const char *reference, *transaction_id, *expected, *actual, *detail;
	const char *source; /* "ingest" or "reconcile" */
	/* What makes it the exception it is, beside its period, code and
	 * channel; NULL: its transaction id, else reference, else file. */
	const char *subject;
	/* The policy it is of (0: none): its reference is then the policy's
	 * number, read by the statement that records it; and with
	 * subject_is_reference, so is its subject. */
	int64_t policy_id;
	bool subject_is_reference;
};

/* Record discrepancies, each seen as its exception (made, or seen again),
 * the n of them in one statement. */
int store_discrepancies_add(struct store *s, const struct store_discrepancy *d, size_t n,
			    struct err *e);
int store_discrepancy_add(struct store *s, const struct store_discrepancy *d, struct err *e);

/* ---- exceptions: the finance team's worklist ------------------------ */

/* A problem to be worked: the same period, code, channel and subject (the
 * transaction id, else the reference, else the file's name) across
 * re-ingests and re-reconciles. Its values are its latest discrepancy's. */
struct store_exception {
	int64_t id;
	const char *period, *code, *severity, *channel, *reference, *transaction_id, *file;
	uint64_t row; /* 0: none */
	const char *expected, *actual, *detail;
	bool has_amount; /* the channel row that raised it had an amount */
	int64_t amount;
	const char *first_seen, *last_seen, *cleared_at; /* cleared_at NULL: not cleared */
	const char *resolved_at, *resolved_by, *note;	 /* the latest resolution, or NULL */
	bool resolved; /* that resolution was made on the values it has now */
	bool reopened; /* the latest entry is a reopening: the resolution undone */
};

/* Every exception (of period, unless NULL), by id. */
int store_each_exception(struct store *s, const char *period,
			 int (*fn)(void *ctx, const struct store_exception *x), void *ctx,
			 struct err *e);
/* One exception: 1 through fn (when not NULL), or 0 when there is none of
 * that id. */
int store_exception_find(struct store *s, int64_t id,
			 int (*fn)(void *ctx, const struct store_exception *x), void *ctx,
			 struct err *e);
/* Clear the exception of (period, code, channel, subject), when open: a
 * problem gone that no reconcile looks for again (a missing file that came
 * after all). Returns 1 when one was cleared, 0 when none, or a negative
 * status. */
int store_exception_clear(struct store *s, const char *period, const char *code,
			  const char *channel, const char *subject, struct err *e);
/* Record who resolved exception id, when and why, on its values now (one
 * transaction); or (reopen) who undid its resolution, when and why: it is
 * open again. -KASI_ENOINPUT when there is no such exception; a reopening
 * of an exception not resolved is -KASI_EDATA, with why (never resolved,
 * reopened already, or its values changed since). */
int store_exception_resolve(struct store *s, int64_t id, const char *who, const char *note,
			    bool reopen, struct err *e);

/* ---- debit-order health ---------------------------------------------- */

/* A debit channel's instructions of a period that reached a final state,
 * for one product, and its unpaids with one raw reason ("": none given;
 * the instructions are counted under ""). */
struct store_debit_result {
	const char *channel;
	int64_t product_id;
	const char *raw_reason;
	int64_t instructions, unpaids;
};

/* Replace the period's debit results (in the reconcile's transaction). */
int store_debit_results_write(struct store *s, const char *period,
			      const struct store_debit_result *r, size_t n, struct err *e);

/* The periods' results, first..last, summed by provider: by channel,
 * provider code, period, raw reason. */
struct store_debit_row {
	const char *period, *channel, *provider, *raw_reason;
	int64_t instructions, unpaids;
};
int store_each_debit_result(struct store *s, const char *first, const char *last,
			    int (*fn)(void *ctx, const struct store_debit_row *r), void *ctx,
			    struct err *e);

/* ---- the finance summary ----------------------------------------------- */

/* A period's outcomes, one by one, with what the summary groups them by:
 * the policy's provider, channel and debit day (0: none, paid any day). */
struct store_outcome_cell {
	const char *status, *provider, *channel;
	int debit_day;
	int64_t expected, collected, shortfall, pending;
};
int store_each_outcome_cell(struct store *s, const char *period,
			    int (*fn)(void *ctx, const struct store_outcome_cell *c), void *ctx,
			    struct err *e);

/* The money movements of the period's outcomes (of policies scheduled in
 * it), one by one: its business date, and what it collected or took back
 * (a reversal on its own date, which may be after the period). They add
 * up to the outcomes' collected. */
struct store_movement_day {
	const char *date;
	int64_t collected, reversed;
};
int store_each_movement_day(struct store *s, const char *period,
			    int (*fn)(void *ctx, const struct store_movement_day *d), void *ctx,
			    struct err *e);

/* ---- status --------------------------------------------------------- */

struct store_file_summary {
	const char *channel, *schema, *file_date; /* channel NULL for reference data */
	int64_t files, rows;
	const char *last_applied_at;
};

struct store_period_summary {
	const char *period, *scheduled_at, *reconciled_at;
	int64_t expected;
	int64_t outcomes;
	int64_t files_since_reconciled; /* see struct store_period */
};

struct store_discrepancy_count {
	const char *period, *code, *severity;
	int64_t count;
};

/* Walk the summaries; each callback returns 0 to go on. */
int store_each_applied_file_group(struct store *s,
				  int (*fn)(void *ctx, const struct store_file_summary *f),
				  void *ctx, struct err *e);
int store_each_period(struct store *s, int (*fn)(void *ctx, const struct store_period_summary *p),
		      void *ctx, struct err *e);
int store_each_discrepancy_count(struct store *s,
				 int (*fn)(void *ctx, const struct store_discrepancy_count *c),
				 void *ctx, struct err *e);
/* Counts of files by outcome ('applied', 'rejected', 'duplicate'). */
int store_file_outcome_counts(struct store *s, int64_t *applied, int64_t *rejected,
			      int64_t *duplicate, struct err *e);

/* ---- periods: scheduling ------------------------------------------------ */

/* A reconciled period is out of date when a file applied since it was
 * reconciled could change its outcomes or discrepancies: a channel's file
 * that reaches it (given, when it was applied, the periods its facts can
 * change: store_file_period_add), or a load of the policy register or
 * of the ledger (the product catalogue changes no outcome). A rejected or
 * duplicate file changes nothing. files_since_reconciled counts those
 * files: 0 when the period is up to date, or not reconciled. */
struct store_period {
	char scheduled_at[32], reconciled_at[32]; /* "" when not yet */
	int64_t files_since_reconciled;
	bool debit_results; /* its last reconcile recorded them (store version 8 on) */
};
/* The number of policies a period expects a premium of. */
int store_period_expected(struct store *s, const char *period, int64_t *n, struct err *e);

/* The period's record: 1 (filled in) if it was scheduled, 0 if not. */
int store_period_get(struct store *s, const char *period, struct store_period *out, struct err *e);
/* The files applied since the period was reconciled that could change it
 * (the rule above); 0 when there are none, or it was never reconciled. */
int store_period_files_since_reconciled(struct store *s, const char *period, int64_t *files,
					struct err *e);

/* What a channel's file can change, worked out when it is applied: the
 * periods of its facts' dates and cycle dates and of its own date, and
 * those each of the following gives (each through fn, as "YYYY-MM"). A
 * period is recorded, for the file, with store_file_period_add. */
int store_file_period_add(struct store *s, int64_t file_id, const char *period, struct err *e);
/* Its reversals' (a debits flow): what they may take back or compete for
 * with other reversals — the facts of the pairs of reference and cycle
 * date they link by, the originals they name and their pairs, the
 * reversals that name any of those by id. */
int store_each_period_linked(struct store *s, const char *channel, int64_t file_id,
			     int (*fn)(void *ctx, const char *period), void *ctx, struct err *e);
/* The reversals stored before that name one of its facts by id, or share
 * the reference and cycle date of one of its collections (each was an
 * orphan, or is one now). */
int store_each_period_naming(struct store *s, const char *channel, int64_t file_id,
			     int (*fn)(void *ctx, const char *period), void *ctx, struct err *e);
/* What the rows of the channel a void decided again (a repeat that counts
 * now, a row that counts no more) can change: their own dates' and cycle
 * dates' periods, and what the three queries above give for a file's
 * rows. Read within the void, after store_file_void. */
int store_each_period_void_changed(struct store *s, const char *channel,
				   int (*fn)(void *ctx, const char *period), void *ctx,
				   struct err *e);
/* The ledger records its facts hold (a two-sided payments flow): a record
 * of another day held by a file is not missing from that day's file. */
int store_each_period_ledger_held(struct store *s, const char *channel, int64_t file_id,
				  int (*fn)(void *ctx, const char *period), void *ctx,
				  struct err *e);

/* Snapshot, in the caller's transaction, the premium of every policy
 * active in the period (started by its last day, not lapsed, not
 * cancelled before its first day) as its expected amount. */
int store_schedule_period(struct store *s, const char *period, const char *first_day,
			  const char *last_day, int64_t *scheduled, struct err *e);

/* ---- periods: what reconciliation reads ---------------------------------- */

/* Strings in these rows are valid during the callback only. In
 * store_each_policy_for_period's rows (read for matching), policy_number,
 * product_code and start_date are NULL and premium 0. */
struct store_policy_row {
	int64_t policy_id, premium;
	int64_t product_id; /* store_each_policy_for_period only */
	const char *policy_number, *product_code, *channel, *collection_ref, *cash_code;
	const char *status, *start_date, *cancel_date;
	bool scheduled;	  /* store_each_policy_for_period: expected in the period */
	int64_t expected; /* ... and the amount */
};

struct store_fact_row {
	int64_t fact_id, file_id;
	uint64_t row;
	const char *channel, *transaction_id, *reference, *business_date, *kind, *status;
	const char *reason, *reason_text, *original_id, *cycle_date, *status_date;
	const char *canonical_kind; /* "collected", "reversal", ... (schema.h: fact_kind) */
	bool has_amount, has_requested;
	int64_t amount, requested_amount;
	int64_t status_time; /* -1: none */
};

struct store_ledger_row {
	int64_t ledger_id, file_id;
	uint64_t row;
	const char *channel, *transaction_id, *reference, *business_date, *status;
	int64_t amount;
};

/* Whether an applied file of the channel has facts dated first..last day. */
int store_channel_has_facts(struct store *s, const char *channel, const char *first_day,
			    const char *last_day, bool *any, struct err *e);
/* The largest policy_id (0: none): a size hint for the maps of matching. */
int store_policy_max_id(struct store *s, int64_t *max, struct err *e);
/* Every policy, by policy_id, with what the period expected of it (and
 * its number, with_numbers). */
int store_each_policy_for_period(struct store *s, const char *period, bool with_numbers,
				 int (*fn)(void *ctx, const struct store_policy_row *p), void *ctx,
				 struct err *e);
/* Counted facts dated first..last day, in the order they arrived (file by
 * file, row by row); without reason_text, original_id and cycle_date
 * (NULL). */
int store_each_fact_between(struct store *s, const char *first_day, const char *last_day,
			    int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx,
			    struct err *e);
/* store_each_policy_for_period and store_each_fact_between, run on a
 * second thread: fn receives the rows a block at a time (up to 512),
 * copies whose strings stay valid until fn returns, while the next block
 * is read. fn must not use the store meanwhile. */
int store_read_policies_for_period(struct store *s, const char *period, bool with_numbers,
				   int (*fn)(void *ctx, const struct store_policy_row *rows,
					     size_t n),
				   void *ctx, struct err *e);
int store_read_facts_between(struct store *s, const char *first_day, const char *last_day,
			     int (*fn)(void *ctx, const struct store_fact_row *rows, size_t n),
			     void *ctx, struct err *e);

/* Every counted reversal (canonical kind "reversal") of every channel,
 * by date then arrival: which original each takes back depends on the
 * reversals before it, whatever their period. */
int store_each_reversal(struct store *s, int (*fn)(void *ctx, const struct store_fact_row *f),
			void *ctx, struct err *e);
/* The fact with this id (file_id * 2^32 + row): 1 through fn, or 0. */
int store_fact_at(struct store *s, int64_t fact_id,
		  int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx, struct err *e);
/* A counted fact by its key: 1 through fn, or 0. */
int store_fact_find(struct store *s, const char *channel, const char *fact_key,
		    int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx, struct err *e);
/* Counted facts of a channel with this reference and cycle date, of this
 * canonical kind ("collected"), by arrival. */
int store_each_fact_on_cycle(struct store *s, const char *channel, const char *reference,
			     const char *cycle_date, const char *canonical_kind,
			     int (*fn)(void *ctx, const struct store_fact_row *f), void *ctx,
			     struct err *e);
/* A channel's ledger records dated first..last day, by date then
 * transaction id: id, transaction id, date, status and amount only (no
 * file, row or reference). */
int store_each_ledger_between(struct store *s, const char *channel, const char *first_day,
			      const char *last_day,
			      int (*fn)(void *ctx, const struct store_ledger_row *l), void *ctx,
			      struct err *e);
/* A ledger record by its channel and transaction id, or by its id: 1
 * through fn, or 0. */
int store_ledger_find(struct store *s, const char *channel, const char *transaction_id,
		      int (*fn)(void *ctx, const struct store_ledger_row *l), void *ctx,
		      struct err *e);
int store_ledger_get(struct store *s, int64_t ledger_id,
		     int (*fn)(void *ctx, const struct store_ledger_row *l), void *ctx,
		     struct err *e);
/* The dates first..last day on which a file of the channel was applied. */
int store_each_applied_date(struct store *s, const char *channel, const char *first_day,
			    const char *last_day, int (*fn)(void *ctx, const char *date), void *ctx,
			    struct err *e);
/* A policy's number into out: 1, or 0 when there is none. */
int store_policy_find_number(struct store *s, int64_t policy_id, char out[64], struct err *e);

/* ---- periods: what reconciliation writes --------------------------------- */

/* The rule that decided an outcome is not stored: it follows from the
 * status and the amounts, and kasi explain states it. */
struct store_outcome {
	int64_t policy_id;
	const char *status;
	int64_t expected, collected, shortfall, pending;
	const char *reason, *raw_reason;
};

/* Forget the discrepancies reconciliation found in the period (those
 * ingest recorded stay), in the caller's transaction. */
int store_reconcile_clear(struct store *s, const char *period, struct err *e);
/* Outcomes go in a few thousand at a time (store_rewrite_put). */
#define STORE_OUTCOMES_AT_ONCE 4096

/* A period's outcomes, or movements, written again (rewrite.c): the new
 * rows, in key order (outcomes by policy id; movements by fact id, a
 * collection before a reversal), any number of puts, then end. What was
 * stored is kept where a new row is the same, replaced where it changed,
 * and deleted where no new row has its key: at the end the period holds
 * exactly the rows put. In the caller's transaction. */
enum store_rewrite_table { STORE_REWRITE_OUTCOMES, STORE_REWRITE_MOVEMENTS };
struct store_rewrite {
	const struct rewrite_shape *shape;
	const char *period;
	struct rewrite_key {
		int64_t id;
		char kind[16];
	} after;       /* the last key put */
	void *changed; /* a batch's changed rows */
	size_t changed_cap;
	struct rewrite_key *gone; /* a batch's stored keys no row has */
	size_t gone_cap;
	int64_t rows; /* put */
};
void store_rewrite_begin(struct store_rewrite *w, enum store_rewrite_table table,
			 const char *period);
/* rows: struct store_outcome or struct store_movement, as the table. */
int store_rewrite_put(struct store *s, struct store_rewrite *w, const void *rows, size_t n,
		      struct err *e);
int store_rewrite_end(struct store *s, struct store_rewrite *w, struct err *e);
/* Let go of a rewrite not ended (after a failure). */
void store_rewrite_release(struct store_rewrite *w);
/* Record the period as reconciled now, through the files applied so far. */
int store_period_reconciled(struct store *s, const char *period, struct err *e);
/* The period's discrepancies, from ingest and reconciliation; or only
 * those of one source ("ingest", "reconcile"). */
int store_discrepancy_total(struct store *s, const char *period, int64_t *n, struct err *e);
int store_discrepancy_total_from(struct store *s, const char *period, const char *source,
				 int64_t *n, struct err *e);

/* ---- money movements and settlement ------------------------------------------ */

/* Money for a policy that settlement reads: a collection, or a reversal
 * of one (in its original's period). Amounts are cents, >= 0. */
struct store_movement {
	int64_t fact_id, policy_id, product_id, amount;
	int64_t original; /* a reversal: the fact id of the collection; 0: none */
	const char *kind; /* "collection" or "reversal" */
	const char *channel, *business_date;
};

/* A period's movements are written by store_rewrite_*, in the
 * transaction that writes its outcomes; a period given movements is then
 * marked as holding some that may be unsettled (store_period_unsettled). */

/* A movement no settlement line holds yet, dated through the day asked,
 * with what settling it needs. */
enum store_relink {
	STORE_RELINK_NONE,
	/* a reversal whose original a line claws back already, by another
	 * row (settled_as): reconciliation linked another row to it since */
	STORE_RELINK_SETTLED,
	/* a reversal whose own row was settled as the reversal of another
	 * collection (settled_as), and whose original no line claws back */
	STORE_RELINK_HELD,
};
struct store_unsettled {
	const char *period; /* the movements' it is one of */
	int64_t fact_id, policy_id, amount, original;
	const char *kind, *channel, *business_date;
	int64_t provider_id, fee_bps, fee_fixed; /* of the policy's product, now */
	/* a reversal whose original is settled already: that line's fee and
	 * the provider it was paid to; not yet: the original's amount (-1
	 * unknown) */
	bool original_settled;
	int64_t original_fee, original_provider_id, original_amount;
	/* a collection clawed back before it was paid: its reversal line's fee */
	bool reversed_first;
	int64_t reversal_fee;
	enum store_relink relink;
	int64_t settled_as;
};

/* Each movement of the periods marked unsettled, dated through `through`,
 * that no settlement line holds, period by period, each by fact (a
 * collection before a reversal of the same row); with a reversal that
 * reconciliation linked anew after settlement (relink): one whose original
 * a line claws back already, or one whose own line claws back another. */
int store_each_unsettled_movement(struct store *s, const char *through,
				  int (*fn)(void *ctx, const struct store_unsettled *u), void *ctx,
				  struct err *e);

/* Whether a settlement through that day was made: 1, 0, or a negative
 * status. */
int store_settlement_find(struct store *s, const char *through, struct err *e);
/* The latest settlement's through date, of those through today or
 * before, into out ("" when none). (A settlement through a day to come,
 * which kasi once allowed, does not stop the days before it.) */
int store_last_settlement(struct store *s, const char *today, char out[16], struct err *e);

/* Each applied channel file whose facts begin on or before `through`:
 * its schema, the business dates its facts span, and its id. */
int store_each_fact_span(struct store *s, const char *through,
			 int (*fn)(void *ctx, const char *schema, const char *first,
				   const char *last, int64_t file_id),
			 void *ctx, struct err *e);
/* Each period ("YYYY-MM") a file has facts dated in, through `through`. */
int store_each_file_period(struct store *s, int64_t file_id, const char *through,
			   int (*fn)(void *ctx, const char *period), void *ctx, struct err *e);

struct store_batch {
	int64_t batch_id; /* set by store_batch_add */
	int64_t provider_id;
	int64_t collections, collected, reversals, reversed, fees, brought_forward, net;
};

struct store_settlement_line {
	int64_t fact_id, batch_id, policy_id;
	int64_t amount; /* a collection's > 0; a reversal's < 0 */
	int64_t fee;	/* a reversal's: minus its original's */
	int64_t net;	/* amount - fee */
	int64_t original;
	const char *kind, *channel, *business_date;
};

/* Record a settlement through a day (before its batches). */
int store_settlement_add(struct store *s, const char *through, const char *now, struct err *e);
int store_batch_add(struct store *s, const char *through, struct store_batch *b, struct err *e);
int store_lines_add(struct store *s, const struct store_settlement_line *l, size_t n,
		    struct err *e);
/* What a provider's next batch brings forward: its last batch's net when
 * negative (*last_net, whatever its sign), and what its payouts left owed
 * that no batch brought forward yet (*owed: a rejected payout's amount, a
 * mismatched one's difference). */
int store_provider_carry(struct store *s, int64_t provider_id, int64_t *last_net, int64_t *owed,
			 struct err *e);
/* Each provider with a payout that left money owed not brought forward yet. */
int store_each_provider_owed(struct store *s, int (*fn)(void *ctx, int64_t provider_id), void *ctx,
			     struct err *e);
/* Mark the provider's payouts that left money owed, not carried yet, as
 * carried into batch_id. */
int store_payouts_carry(struct store *s, int64_t provider_id, int64_t batch_id, struct err *e);
/* A payout for a batch: its reference (remoteReferenceNo, 14
 * alphanumerics) made from an id that is never given twice; the account
 * it is to be paid to, the provider's now, is kept with it. */
int store_payout_add(struct store *s, int64_t batch_id, int64_t amount, const char *now,
		     char reference[16], struct err *e);
/* A payout as its confirmations left it. */
struct store_payout {
	int64_t amount, amount_paid;
	char state[16];	     /* instructed, in_progress, paid, mismatch, rejected */
	char state_date[16]; /* "" when none */
	int64_t state_time, state_fact;
	int64_t carried_into; /* the batch that brought what it left owed forward; 0 */
};
/* The payout with this reference into *p: 1, 0 (none), or a negative
 * status. */
int store_payout_find(struct store *s, const char *reference, struct store_payout *p,
		      struct err *e);
/* Give the payout a state ("paid", "mismatch", "rejected",
 * "in_progress") from a confirmation (its date, time and fact). */
int store_payout_confirm(struct store *s, const char *reference, const char *state,
			 const char *date, int64_t time, int64_t fact_id, int64_t amount_paid,
			 struct err *e);
/* Clear the unsettled mark of periods whose every movement is settled,
 * once every movement through `through` is. */
int store_periods_settled(struct store *s, const char *through, struct err *e);
/* Mark a period as holding movements that may be unsettled (one held
 * back; or given movements by reconciliation). */
int store_period_unsettled(struct store *s, const char *period, struct err *e);

/* The money invariant of a provider's batches: Σ (collected - reversed -
 * fees) over its batches (*lines), and what its payouts paid out plus what
 * it carries open (*paid_and_carried). */
int store_settlement_balance(struct store *s, int64_t provider_id, int64_t *lines,
			     int64_t *paid_and_carried, struct err *e);
/* Whether a reversal line of a batch from first_batch on claws back a
 * collection another reversal line claws back too: 1 with found[] its
 * original and the two reversing rows, 0, or a negative status. */
int store_settlement_clawed_twice(struct store *s, int64_t first_batch, int64_t found[3],
				  struct err *e);
/* The highest batch id given so far (0: none). */
int store_last_batch(struct store *s, int64_t *batch_id, struct err *e);

/* A batch as reports show it, with its provider and payout. */
struct store_batch_row {
	int64_t batch_id;
	const char *provider_code, *provider_name, *through;
	int64_t collections, collected, reversals, reversed, fees, brought_forward, net;
	/* its payout (reference NULL: none) */
	const char *reference, *state, *instructed_at, *state_date;
	int64_t payout_amount, amount_paid, carried_into; /* amount_paid -1: none */
	/* the account it is paid to, as its batch was made */
	int64_t payout_bank_id;
	const char *payout_account;
};

/* The batches of the settlement through that day, by provider code; or
 * (through NULL) every batch, latest first. */
int store_each_batch(struct store *s, const char *through,
		     int (*fn)(void *ctx, const struct store_batch_row *b), void *ctx,
		     struct err *e);

struct store_line_row {
	int64_t batch_id, fact_id, amount, fee, net;
	const char *provider_code, *policy_number, *channel, *transaction_id, *business_date, *kind;
	/* a reversal settled as another row's line (the original it
	 * reverses was clawed back by that row): that row's id; else NULL */
	const char *settled_as;
	int uncounted; /* 1: a row of a voided file; 2: a row a void made a repeat (explain) */
};

/* The lines of the batches through that day, by batch, date and row. */
int store_each_line(struct store *s, const char *through,
		    int (*fn)(void *ctx, const struct store_line_row *l), void *ctx, struct err *e);

/* A policy's movements of a period as its last reconciliation kept them,
 * each with its settlement line when one holds it (batch_id 0 and through
 * NULL: not settled yet; amount negative for a reversal); a reversal
 * whose original another row's line clawed back, with that line; and the
 * lines of its rows dated in the period that count no more: of voided
 * files, and that a void made repeats (uncounted). */
int store_each_policy_line(struct store *s, int64_t policy_id, const char *period,
			   int (*fn)(void *ctx, const struct store_line_row *l,
				     const char *through),
			   void *ctx, struct err *e);

/* A provider's code by its id into out ("" when none). */
int store_provider_code(struct store *s, int64_t provider_id, char out[32], struct err *e);
/* Each provider that has a settlement batch: its id and code. */
int store_each_settled_provider(struct store *s,
				int (*fn)(void *ctx, int64_t provider_id, const char *provider),
				void *ctx, struct err *e);

/* ---- voids: withdrawing a file ------------------------------------------------- */

/* An applied file (with rows), as a void finds it; void_id 0 and the
 * voided_* fields NULL while it is not voided. */
struct store_voidable {
	int64_t file_id, rows, void_id;
	const char *name, *schema, *channel, *applied_at; /* channel NULL: reference data */
	bool period_facts;				  /* false: payout confirmations */
	const char *voided_at, *voided_by, *note;
};
/* The applied files of that name, by file_id; 1 when fn saw one, 0 when
 * none. */
int store_each_applied_file(struct store *s, const char *name,
			    int (*fn)(void *ctx, const struct store_voidable *f), void *ctx,
			    struct err *e);
/* The applied file of that id as a void finds it (voided or not). */
int store_file_void_of(struct store *s, int64_t file_id,
		       int (*fn)(void *ctx, const struct store_voidable *f), void *ctx,
		       struct err *e);

struct store_void_result {
	int64_t void_id;
	int64_t facts, collections, reversals; /* its rows; the money ones counted */
	int64_t exceptions_cleared;	       /* those its ingest raised */
	int64_t repeats_counted; /* rows of later files that repeated its rows, counted now */
	int64_t counted_repeat;	 /* rows of later files counted, repeats now of rows before them */
	/* paid over already, and clawed back by nothing: to take back */
	int64_t settled_collections, settled_collected;
	/* clawed back already, of collections that still count: to give back */
	int64_t settled_reversals, settled_reversed;
};
/* Withdraw the file, in the caller's transaction: the void recorded (by,
 * note; now), the file and its facts marked, their further keys
 * forgotten, the discrepancies its ingest raised dropped and their
 * exceptions cleared (but one another file raises too). The caller adds the periods it reaches to file_periods
 * first (store_file_period_add): with the void they are out of date. */
int store_file_void(struct store *s, int64_t file_id, const char *by, const char *note,
		    struct store_void_result *out, struct err *e);
/* A row of another file that the last void decided again and that is a
 * repeat now of another row than before (dup: the row it repeats). */
struct store_decided_row {
	const char *channel, *schema, *transaction_id, *reference, *period;
	int64_t file_id;
	uint64_t row;
};
struct store_repeat_decided {
	struct store_decided_row at;
	struct store_fact_values values; /* its own */
	struct store_duplicate dup;
};
/* Each of them, after store_file_void, in its transaction. */
int store_each_repeat_decided(struct store *s,
			      int (*fn)(void *ctx, const struct store_repeat_decided *r), void *ctx,
			      struct err *e);
/* A row a void made count in a withdrawn row's place, that was a repeat:
 * what deciding its findings needs (dates as stored, ISO; NULL: none). */
struct store_promoted_row {
	struct store_decided_row at;
	const char *kind; /* canonical kind */
	const char *business_date, *status_date, *cycle_date, *file_date;
};
/* Each of them, after store_file_void, in its transaction. */
int store_each_promoted_row(struct store *s,
			    int (*fn)(void *ctx, const struct store_promoted_row *r), void *ctx,
			    struct err *e);
/* The reconciled periods the file reaches (file_periods), in order. */
int store_each_reconciled_period_of_file(struct store *s, int64_t file_id,
					 int (*fn)(void *ctx, const char *period), void *ctx,
					 struct err *e);
/* Every voided file, the latest void first. */
int store_each_void(struct store *s, int (*fn)(void *ctx, const struct store_voidable *f),
		    void *ctx, struct err *e);
/* A withdrawn fact, for explain: where it came from, what it was, and its
 * void. */
struct store_withdrawn {
	const char *file, *transaction_id, *business_date, *kind;
	int64_t row, amount; /* amount as the file wrote it */
	const char *voided_at, *voided_by, *note;
};
/* The withdrawn facts dated first..last_day that name the policy. */
int store_each_withdrawn_fact(struct store *s, int64_t policy_id, const char *first_day,
			      const char *last_day,
			      int (*fn)(void *ctx, const struct store_withdrawn *w), void *ctx,
			      struct err *e);
/* Reconciliation's part, for the period: each collection of a voided
 * file dated first..last_day that a settlement paid over and no line
 * claws back yet becomes a reversal movement (*taken of them), and each
 * reversal of a voided file that a settlement clawed back, whose
 * collection (paid over in the period) still counts, and that no line
 * gives back yet, a collection movement that names it (*given). */
int store_void_movements_add(struct store *s, const char *period, const char *first_day,
			     const char *last_day, int64_t *taken, int64_t *given, struct err *e);

/* ---- the nightly job ---------------------------------------------------------- */

/* Whether the job fetched a file of this name, size and modification
 * time before: 1 (its SHA-256 into sha256), 0, or a negative status. */
int store_fetched_find(struct store *s, const char *job, const char *name, uint64_t size,
		       int64_t mtime, char sha256[65], struct err *e);
/* Whether the job fetched a file of this name and content before (under
 * another modification time): 1, 0, or a negative status. */
int store_fetched_content(struct store *s, const char *job, const char *name, const char *sha256,
			  struct err *e);
/* Record that the job fetched it (in a transaction of its own). */
int store_fetched_add(struct store *s, const char *job, const char *name, uint64_t size,
		      int64_t mtime, const char *sha256, struct err *e);

/* The job's first day (YYYY-MM-DD) into first: the one recorded at its
 * first run, else day, recorded now as the first. A later run, whatever
 * day it is for, never moves it. */
int store_job_first_day(struct store *s, const char *job, const char *day, char first[16],
			struct err *e);
/* Whether a file of the schema dated day came (applied, rejected or a
 * duplicate): 1, 0, or a negative status. */
int store_file_arrived(struct store *s, const char *schema, const char *day, struct err *e);
/* Raise d, a MISSING_FILE of the job's day, once: 1 raised now, 0 raised
 * before, or a negative status. */
int store_job_missing(struct store *s, const char *job, const char *day,
		      const struct store_discrepancy *d, struct err *e);

/* ---- reports and explanations -------------------------------------------- */

struct store_outcome_row {
	const char *policy_number, *product_code, *status, *reason, *raw_reason;
	int64_t policy_id, expected, collected, shortfall, pending;
};

struct store_discrepancy_row {
	const char *code, *severity, *channel, *file, *reference, *transaction_id;
	const char *expected, *actual, *detail;
	uint64_t row;	      /* 0: none */
	int64_t file_id;      /* the file's row in the store; 0: none */
	int64_t exception_id; /* the exception it is */
	const char *first_seen;
	bool resolved; /* its exception's latest resolution holds */
};

/* The period's outcomes by policy number; its discrepancies by code, file
 * and row. */
int store_each_outcome(struct store *s, const char *period,
		       int (*fn)(void *ctx, const struct store_outcome_row *o), void *ctx,
		       struct err *e);
int store_each_discrepancy(struct store *s, const char *period,
			   int (*fn)(void *ctx, const struct store_discrepancy_row *d), void *ctx,
			   struct err *e);
/* The period's discrepancies ingest raised of rows naming the policy (by
 * their reference, the policy's number), by file and row. */
int store_each_ingest_discrepancy_of(struct store *s, const char *period, const char *policy_number,
				     int (*fn)(void *ctx, const struct store_discrepancy_row *d),
				     void *ctx, struct err *e);
/* One policy's outcome for the period: 1 through fn, or 0. */
int store_outcome_find(struct store *s, const char *period, int64_t policy_id,
		       int (*fn)(void *ctx, const struct store_outcome_row *o), void *ctx,
		       struct err *e);
/* A policy by number: 1 through fn, or 0. */
int store_policy_find(struct store *s, const char *policy_number,
		      int (*fn)(void *ctx, const struct store_policy_row *p), void *ctx,
		      struct err *e);
/* The expected amount of a policy for a period: 1 (filled in) or 0. */
int store_expected_find(struct store *s, const char *period, int64_t policy_id, int64_t *amount,
			struct err *e);
/* One change to a policy (field "policy": its creation). A field that is
 * money (the premium) comes as cents in old_amount and new_amount, its
 * text NULL or not as the value was; any other as text. */
struct store_policy_change {
	const char *field, *old_value, *new_value, *file, *changed_at;
	const char *by; /* who loaded the file; NULL: not recorded (a store before version 11) */
	bool amount;
	int64_t old_amount, new_amount;
};
int store_each_policy_change(struct store *s, int64_t policy_id,
			     int (*fn)(void *ctx, const struct store_policy_change *c), void *ctx,
			     struct err *e);
/* A file's name into out (512 bytes); "" when unknown. */
int store_file_name(struct store *s, int64_t file_id, char out[512], struct err *e);

#endif
