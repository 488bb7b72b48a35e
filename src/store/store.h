/*
 * store.h — the store: kasi's SQLite database, behind verbs in the
 * business's words.
 *
 * Every SQL statement and every sqlite3_* call of kasi lives in
 * src/store/; the rest of kasi sees files, policies, facts, periods and
 * discrepancies. (A deployment that outgrows one machine would put a
 * PostgreSQL backend behind this same interface, SPEC §12.)
 *
 * The store is opened in WAL mode with synchronous=FULL (a commit is on
 * disk before kasi says so, SPEC §2.8), foreign keys on, and a busy
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

#define STORE_VERSION 1

struct store;

/* Create the store at path, or migrate it to STORE_VERSION, in one
 * transaction. *from gets the version it was at (0: new). Returns 0, or
 * -KASI_ECONFIG for a store newer than this kasi, -KASI_EIO. */
int store_init(const char *path, int *from, struct err *e);

/* Open an existing store at STORE_VERSION. -KASI_ENOINPUT if there is
 * none ("run kasi init"), -KASI_ECONFIG if it is at another version.
 * Freed with store_close. */
int store_open(struct store **out, const char *path, struct err *e);
void store_close(struct store *s);

/* BEGIN IMMEDIATE: the write lock, or -KASI_ELOCKED after the busy timeout. */
int store_begin(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
void store_rollback(struct store *s);

/* The script that takes a store from version - 1 to version (migrations.c). */
int store_migration_count(void);
const char *store_migration(int version);

/* "YYYY-MM-DDThh:mm:ssZ" for now (or $KASI_NOW, for reproducible runs). */
void store_now(char buf[32]);

/* ---- files ---------------------------------------------------------- */

struct store_file {
	const char *name;   /* as given */
	const char *sha256; /* hex */
	uint64_t size;	    /* content bytes */
	const char *schema;
	const char *channel;   /* NULL for reference data */
	const char *file_date; /* NULL when undated */
	uint64_t rows;
};

struct store_applied {
	int64_t file_id;
	char name[512];
	char applied_at[32];
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
 * content under the same name is recorded once: *file_id is 0 when it
 * was recorded before. */
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

struct store_policy {
	const char *policy_number, *product_code, *customer_name, *id_number;
	int64_t premium;
	const char *channel, *collection_ref, *easypay_code;
	int64_t debit_day;			       /* 0: none */
	const char *status, *start_date, *cancel_date; /* NULL or "" for none */
};

/* Upsert a policy by number, recording each changed field (old, new,
 * file, time) in policy_changes. -KASI_EDATA with a message, and *field
 * naming the column at fault, when its product is unknown or its EasyPay
 * code belongs to another policy. */
int store_policy_upsert(struct store *s, const struct store_policy *p, int64_t file_id,
			const char *now, enum store_upsert *what, const char **field,
			struct err *e);

/* The number of the policy a channel's reference names (Softy Comp and
 * Collexia: the policy's collection_ref; EasyPay: its easypay_code), into
 * out; 1 if there is one, 0 if not, or a negative status. */
int store_policy_for_reference(struct store *s, const char *channel, const char *reference,
			       char out[64], struct err *e);

struct store_ledger_entry {
	const char *channel, *transaction_id, *reference, *business_date, *occurred_at, *status;
	int64_t amount;
	uint64_t row;
};

/* Upsert a ledger record by (channel, transaction_id). */
int store_ledger_upsert(struct store *s, const struct store_ledger_entry *l, int64_t file_id,
			enum store_upsert *what, struct err *e);

/* ---- facts ---------------------------------------------------------- */

struct store_fact {
	uint64_t row;
	const char *channel, *fact_key, *transaction_id, *reference, *business_date, *kind;
	bool has_amount;
	int64_t amount;
	const char *status, *reason, *reason_text, *original_id, *cycle_date, *status_date;
	int64_t status_time; /* seconds since midnight, or -1 */
	bool has_requested;
	int64_t requested_amount;
	uint8_t content_hash[32];
};

/* What store_fact_insert found when the fact's key was stored before. */
struct store_duplicate {
	bool duplicate; /* the key was stored before (this row is not counted) */
	bool same_content;
	char file[512]; /* where the counted one came from */
	uint64_t row;
};

int store_fact_insert(struct store *s, int64_t file_id, const struct store_fact *f,
		      struct store_duplicate *dup, struct err *e);

/* ---- discrepancies -------------------------------------------------- */

struct store_discrepancy {
	const char *period, *code, *severity, *channel;
	int64_t file_id; /* 0: none */
	uint64_t row;	 /* 0: none */
	const char *reference, *transaction_id, *expected, *actual, *detail;
	const char *source; /* "ingest" or "reconcile" */
};

int store_discrepancy_add(struct store *s, const struct store_discrepancy *d, struct err *e);

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

#endif
