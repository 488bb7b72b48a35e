/*
 * migrations.c — the store's schema, one script per version.
 *
 * PRAGMA user_version holds the version a store is at. `kasi init` runs,
 * in one transaction, every script after it up to STORE_VERSION, so a
 * newer kasi migrates an older store in place, all or nothing. A script,
 * once released, is never edited in what it makes of an existing store: a
 * change is a new script. (Script 1 now names the policies' cash payment
 * code column as version 3 has it, and leaves out an index version 3
 * drops, so that a new store is made as a migrated one ends up; a store
 * made before version 3 is brought there by script 3 and store.c.)
 *
 * Conventions: a CHECK lists its values with OR, never IN (...): SQLite
 * builds a temporary index for an IN list of three or more on every row
 * written. Money is INTEGER cents; dates are TEXT 'YYYY-MM-DD' and
 * periods 'YYYY-MM' (so that an auditor can read the store with the
 * sqlite3 shell); instants are TEXT 'YYYY-MM-DDThh:mm:ssZ' in UTC.
 */
#include "core/common.h"
#include "store/db.h"

/* The indexes of the tables a first load fills (policies, ledger), named
 * here once: the first script creates them, and a first load drops and
 * re-creates them around its inserts (store_defer_indexes). */
#define POLICIES_BY_NUMBER "CREATE UNIQUE INDEX policies_by_number ON policies(policy_number)"
/* Only policies that have the reference are indexed by it (a query for
 * one, `x = ?`, implies x IS NOT NULL, so these serve it). */
#define POLICIES_BY_CASH_CODE                                              \
	"CREATE UNIQUE INDEX policies_by_cash_code ON policies(cash_code)" \
	" WHERE cash_code IS NOT NULL"
#define POLICIES_BY_COLLECTION_REF                                                     \
	"CREATE INDEX policies_by_collection_ref ON policies(channel, collection_ref)" \
	" WHERE collection_ref IS NOT NULL"
#define LEDGER_BY_TRANSACTION \
	"CREATE UNIQUE INDEX ledger_by_transaction ON ledger(channel, transaction_id)"
/* Reconciliation reads a period's ledger from this index alone. */
#define LEDGER_BY_DATE \
	"CREATE INDEX ledger_by_date ON ledger(channel, business_date, transaction_id, status, amount)"

static const char *const scripts[] = {
	/* 1: the first store. */
	"CREATE TABLE files (\n"
	"	file_id     INTEGER PRIMARY KEY,\n"
	"	name        TEXT NOT NULL,\n"
	"	sha256      TEXT NOT NULL,\n"
	"	size        INTEGER NOT NULL,\n"
	"	schema      TEXT NOT NULL,\n"
	"	channel     TEXT,\n"
	"	file_date   TEXT,\n"
	"	rows        INTEGER NOT NULL DEFAULT 0,\n"
	"	outcome     TEXT NOT NULL\n"
	"	            CHECK (outcome = 'applied' OR outcome = 'rejected' OR outcome = 'duplicate'),\n"
	"	received_at TEXT NOT NULL,\n"
	"	applied_at  TEXT,\n"
	/* The business dates an applied channel file's facts span (NULL:
	 * none): reconciliation reads a period's facts file by file. */
	"	first_fact_date TEXT,\n"
	"	last_fact_date  TEXT\n"
	");\n"
	/* A file with data is applied once; a header-only file carries
	 * nothing, so it is never a duplicate. */
	"CREATE UNIQUE INDEX files_applied_once ON files(sha256)\n"
	"	WHERE outcome = 'applied' AND rows > 0;\n"
	"CREATE UNIQUE INDEX files_attempt_once ON files(sha256, name, outcome)\n"
	"	WHERE outcome <> 'applied';\n"
	"CREATE INDEX files_by_channel_date ON files(channel, file_date);\n"

	"CREATE TABLE providers (\n"
	"	provider_id    INTEGER PRIMARY KEY,\n"
	"	provider_code  TEXT NOT NULL UNIQUE,\n"
	"	provider_name  TEXT NOT NULL,\n"
	"	payout_bank_id INTEGER NOT NULL,\n"
	"	payout_account TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE products (\n"
	"	product_id   INTEGER PRIMARY KEY,\n"
	"	product_code TEXT NOT NULL UNIQUE,\n"
	"	product_name TEXT NOT NULL,\n"
	"	provider_id  INTEGER NOT NULL REFERENCES providers(provider_id),\n"
	"	fee_bps      INTEGER NOT NULL CHECK (fee_bps BETWEEN 0 AND 10000),\n"
	"	fee_fixed    INTEGER NOT NULL CHECK (fee_fixed >= 0)\n"
	");\n"

	"CREATE TABLE policies (\n"
	"	policy_id      INTEGER PRIMARY KEY,\n"
	"	policy_number  TEXT NOT NULL,\n"
	"	product_id     INTEGER NOT NULL REFERENCES products(product_id),\n"
	"	customer_name  TEXT NOT NULL,\n"
	"	id_number      TEXT,\n"
	"	premium        INTEGER NOT NULL CHECK (premium > 0),\n"
	"	channel        TEXT NOT NULL,\n"
	"	collection_ref TEXT,\n"
	"	cash_code      TEXT,\n"
	"	debit_day      INTEGER,\n"
	"	status         TEXT NOT NULL\n"
	"	               CHECK (status = 'active' OR status = 'lapsed' OR status = 'cancelled'),\n"
	"	start_date     TEXT NOT NULL,\n"
	"	cancel_date    TEXT,\n"
	/* The file that last changed it; the one that created it, and when
	 * (the start of its history: policy_changes holds every change
	 * after). */
	"	file_id        INTEGER NOT NULL REFERENCES files(file_id),\n"
	"	created_file   INTEGER NOT NULL REFERENCES files(file_id),\n"
	"	created_at     TEXT NOT NULL\n"
	");\n" POLICIES_BY_NUMBER ";\n" POLICIES_BY_CASH_CODE ";\n" POLICIES_BY_COLLECTION_REF ";\n"
	/* Every change to a policy, field by field. */
	"CREATE TABLE policy_changes (\n"
	"	change_id  INTEGER PRIMARY KEY,\n"
	"	policy_id  INTEGER NOT NULL REFERENCES policies(policy_id),\n"
	"	field      TEXT NOT NULL,\n"
	"	old_value  TEXT,\n"
	"	new_value  TEXT,\n"
	"	file_id    INTEGER NOT NULL REFERENCES files(file_id),\n"
	"	changed_at TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX policy_changes_by_policy ON policy_changes(policy_id);\n"

	/* Our own record of real-time callbacks. */
	"CREATE TABLE ledger (\n"
	"	ledger_id      INTEGER PRIMARY KEY,\n"
	"	channel        TEXT NOT NULL,\n"
	"	transaction_id TEXT NOT NULL,\n"
	"	reference      TEXT NOT NULL,\n"
	"	business_date  TEXT NOT NULL,\n"
	"	occurred_at    TEXT NOT NULL,\n"
	"	amount         INTEGER NOT NULL,\n"
	"	status         TEXT NOT NULL,\n"
	"	file_id        INTEGER NOT NULL REFERENCES files(file_id),\n"
	"	row            INTEGER NOT NULL\n"
	");\n" LEDGER_BY_TRANSACTION ";\n" LEDGER_BY_DATE ";\n"

	/* One row per row of an applied channel file. A row whose identity
	 * was stored before is kept for the record with duplicate_of set, and
	 * never counted: the partial index allows one counted row per key.
	 * A fact's id is its place, file_id * 2^32 + row: unique by
	 * construction, in arrival order, and a file's facts are one range
	 * of the table. Its file_id is that of the files row made in the same
	 * transaction, and no file is deleted: it names its file without
	 * REFERENCES (as expected and outcomes name policies, below). */
	"CREATE TABLE facts (\n"
	"	fact_id          INTEGER PRIMARY KEY\n"
	"	                 CHECK (fact_id = file_id * 4294967296 + row),\n"
	"	file_id          INTEGER NOT NULL,\n"
	"	row              INTEGER NOT NULL,\n"
	"	channel          TEXT NOT NULL,\n"
	"	fact_key         TEXT NOT NULL,\n"
	"	transaction_id   TEXT NOT NULL,\n"
	"	reference        TEXT,\n"
	"	business_date    TEXT NOT NULL,\n"
	"	kind             TEXT,\n"
	"	amount           INTEGER,\n"
	"	status           TEXT,\n"
	"	reason           TEXT,\n"
	"	reason_text      TEXT,\n"
	"	original_id      TEXT,\n"
	"	cycle_date       TEXT,\n"
	"	status_date      TEXT,\n"
	"	status_time      INTEGER,\n"
	"	requested_amount INTEGER,\n"
	/* The first 8 bytes of the SHA-256 of its content (all its columns,
	 * in schema order): a repeat with other content is told from one
	 * with the same. */
	"	content_hash     INTEGER NOT NULL,\n"
	"	duplicate_of     INTEGER REFERENCES facts(fact_id)\n"
	");\n"
	"CREATE UNIQUE INDEX facts_counted_once ON facts(channel, fact_key)\n"
	"	WHERE duplicate_of IS NULL;\n"
	/* The indexes reconciliation reads by are keyed by dates, which a
	 * file's rows share: a file's inserts touch a few pages at the
	 * index's end, not the whole index. (A period's facts are read by
	 * file, each file one range of fact ids: no index.) */
	/* A collection by the cycle a reversal without an original names.
	 * (Reversals by date: version 3.) */
	"CREATE INDEX facts_by_cycle ON facts(cycle_date, reference)\n"
	"	WHERE cycle_date IS NOT NULL;\n"

	"CREATE TABLE periods (\n"
	"	period        TEXT PRIMARY KEY,\n"
	"	scheduled_at  TEXT,\n"
	"	reconciled_at TEXT\n"
	");\n"
	/* The premium each policy was expected to pay, as scheduled.
	 * expected and outcomes name policies without REFERENCES: they are
	 * written only from the policies read in the same transaction, and
	 * no policy is ever deleted, so the reference holds by construction;
	 * checking it a row at a time was a fifth of scheduling a million. */
	"CREATE TABLE expected (\n"
	"	period    TEXT NOT NULL,\n"
	"	policy_id INTEGER NOT NULL,\n"
	"	amount    INTEGER NOT NULL,\n"
	"	PRIMARY KEY (period, policy_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE outcomes (\n"
	"	period     TEXT NOT NULL,\n"
	"	policy_id  INTEGER NOT NULL,\n"
	"	status     TEXT NOT NULL,\n"
	"	expected   INTEGER NOT NULL,\n"
	"	collected  INTEGER NOT NULL,\n"
	"	shortfall  INTEGER NOT NULL,\n"
	"	pending    INTEGER NOT NULL,\n"
	"	reason     TEXT,\n"
	"	raw_reason TEXT,\n"
	"	PRIMARY KEY (period, policy_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE discrepancies (\n"
	"	discrepancy_id INTEGER PRIMARY KEY,\n"
	"	period         TEXT NOT NULL,\n"
	"	code           TEXT NOT NULL,\n"
	"	severity       TEXT NOT NULL,\n"
	"	channel        TEXT,\n"
	"	file_id        INTEGER REFERENCES files(file_id),\n"
	"	row            INTEGER,\n"
	"	reference      TEXT,\n"
	"	transaction_id TEXT,\n"
	"	expected       TEXT,\n"
	"	actual         TEXT,\n"
	"	detail         TEXT NOT NULL,\n"
	"	source         TEXT NOT NULL CHECK (source IN ('ingest', 'reconcile'))\n"
	");\n"
	"CREATE INDEX discrepancies_by_period ON discrepancies(period, source);\n",

	/* 2: a reconciliation records the files it saw. The highest file_id
	 * when a period was reconciled tells which files came after it (ids
	 * only grow: no file is deleted, and writers take turns), where
	 * reconciled_at, in whole seconds, cannot. A period reconciled before
	 * this version is given the files applied in a second before its
	 * reconciliation: those it surely saw. A file applied in the same
	 * second counts as after, so such a period may read as out of date
	 * when it is not, never the other way. */
	"ALTER TABLE periods ADD COLUMN reconciled_through_file INTEGER;\n"
	"UPDATE periods SET reconciled_through_file =\n"
	"	(SELECT ifnull(max(file_id), 0) FROM files\n"
	"	  WHERE outcome = 'applied' AND applied_at < periods.reconciled_at)\n"
	" WHERE reconciled_at IS NOT NULL;\n",

	/* 3: channels are data. A fact keeps what it means under its schema's
	 * kind rules (collected, reversal, ...), given at ingest; facts stored
	 * before are given theirs by the migration (store_init's
	 * fact_kind). Reversals are found by date through it, whatever their
	 * channel calls them. (A partial index's WHERE names no column a
	 * query binds: SQLite would re-prepare such a query at every new
	 * binding.) The policies' cash payment code column, named after the
	 * first cash channel in stores of version 1, is renamed in C (see
	 * store.c: rename_cash_code). */
	"ALTER TABLE facts ADD COLUMN canonical_kind TEXT;\n"
	"DROP INDEX IF EXISTS facts_unpaids;\n"
	"CREATE INDEX facts_reversals ON facts(business_date)\n"
	"	WHERE canonical_kind = 'reversal';\n",

	/* 4: settlement. A reconciliation keeps the money movements it found
	 * (collections, and reversals in their original's period): what
	 * settlement reads, never a channel's rows (with the product of their
	 * policy as reconciled: its fees are the ones a settlement charges;
	 * a register load since puts the period out of date). They are replaced with
	 * the period's outcomes; periods.unsettled says whether any of them
	 * may still be unsettled, so that settling reads only those periods.
	 * A settlement line is a movement paid over (or clawed back) once:
	 * its key is the movement's, (fact_id, kind), and no line is ever
	 * deleted. A batch with a positive net gets one payout, whose
	 * reference (remoteReferenceNo) is made from its payout_id:
	 * AUTOINCREMENT never gives an id twice. A payout's state follows
	 * from the confirmations stored as facts; one rejected is carried
	 * into its provider's next batch once (carried_into). */
	"CREATE TABLE movements (\n"
	"	period        TEXT NOT NULL,\n"
	"	fact_id       INTEGER NOT NULL,\n"
	"	kind          TEXT NOT NULL CHECK (kind = 'collection' OR kind = 'reversal'),\n"
	"	policy_id     INTEGER NOT NULL,\n"
	"	product_id    INTEGER NOT NULL,\n"
	"	channel       TEXT NOT NULL,\n"
	"	business_date TEXT NOT NULL,\n"
	"	amount        INTEGER NOT NULL CHECK (amount >= 0),\n"
	"	original      INTEGER,\n"
	"	PRIMARY KEY (period, fact_id, kind)\n"
	") WITHOUT ROWID;\n"
	"ALTER TABLE periods ADD COLUMN unsettled INTEGER NOT NULL DEFAULT 0;\n"
	/* A file of payout confirmations holds no period's facts: no period
	 * reads it, nor goes out of date by it. */
	"ALTER TABLE files ADD COLUMN period_facts INTEGER NOT NULL DEFAULT 1;\n"
	"CREATE TABLE settlements (\n"
	"	through    TEXT PRIMARY KEY,\n"
	"	settled_at TEXT NOT NULL,\n"
	"	batches    INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE settlement_batches (\n"
	"	batch_id        INTEGER PRIMARY KEY,\n"
	"	provider_id     INTEGER NOT NULL REFERENCES providers(provider_id),\n"
	"	through         TEXT NOT NULL REFERENCES settlements(through),\n"
	"	collections     INTEGER NOT NULL,\n"
	"	collected       INTEGER NOT NULL,\n"
	"	reversals       INTEGER NOT NULL,\n"
	"	reversed        INTEGER NOT NULL,\n"
	"	fees            INTEGER NOT NULL,\n"
	"	brought_forward INTEGER NOT NULL,\n"
	"	net             INTEGER NOT NULL,\n"
	"	UNIQUE (provider_id, through)\n"
	");\n"
	"CREATE TABLE settlement_lines (\n"
	"	fact_id       INTEGER NOT NULL,\n"
	"	kind          TEXT NOT NULL CHECK (kind = 'collection' OR kind = 'reversal'),\n"
	"	batch_id      INTEGER NOT NULL REFERENCES settlement_batches(batch_id),\n"
	"	policy_id     INTEGER NOT NULL,\n"
	"	channel       TEXT NOT NULL,\n"
	"	business_date TEXT NOT NULL,\n"
	"	amount        INTEGER NOT NULL,\n"
	"	fee           INTEGER NOT NULL,\n"
	"	net           INTEGER NOT NULL CHECK (net = amount - fee),\n"
	"	original      INTEGER,\n"
	"	PRIMARY KEY (fact_id, kind)\n"
	") WITHOUT ROWID;\n"
	/* No index by batch: a report of a settlement's lines reads them all;
	 * a settlement writes a million lines, each an index entry less. */
	/* A payout's state is the latest confirmation's (by its status date
	 * and time, then arrival), set by the ingest that stores it. */
	"CREATE TABLE payouts (\n"
	"	payout_id     INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	batch_id      INTEGER NOT NULL UNIQUE REFERENCES settlement_batches(batch_id),\n"
	"	reference     TEXT NOT NULL UNIQUE,\n"
	"	amount        INTEGER NOT NULL CHECK (amount > 0),\n"
	"	instructed_at TEXT NOT NULL,\n"
	"	state         TEXT NOT NULL DEFAULT 'instructed'\n"
	"	              CHECK (state = 'instructed' OR state = 'in_progress' OR state = 'paid'\n"
	"	                     OR state = 'mismatch' OR state = 'rejected'),\n"
	"	state_date    TEXT,\n"
	"	state_time    INTEGER,\n"
	"	state_fact    INTEGER,\n"
	"	amount_paid   INTEGER,\n"
	"	carried_into  INTEGER REFERENCES settlement_batches(batch_id)\n"
	");\n",

	/* 5: what a file can change, and every key of a fact. A channel's
	 * file is given, when it is applied, the periods whose outcomes or
	 * discrepancies its facts can change (store_file_period_add): a
	 * period is out of date when a file applied since its reconciliation
	 * has a row here. Files applied before this version are given the
	 * periods already known that the earlier rule gave them (their facts
	 * dated in the period or later, or the file itself); a period known
	 * later is reconciled after them. A reversal's original named by id
	 * is looked up by this index (unpaids that name none are not in it).
	 * A schema may declare more than one key (a wallet's transaction id,
	 * and the request's correlation id): the first is the fact's key, and
	 * each further one is kept in fact_keys, unique per channel, so that
	 * a row repeating one in a later file is a duplicate too. (Facts
	 * stored before keep no further key: their columns were not kept.) */
	"CREATE TABLE file_periods (\n"
	"	period  TEXT NOT NULL,\n"
	"	file_id INTEGER NOT NULL,\n"
	"	PRIMARY KEY (period, file_id)\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO file_periods (period, file_id)\n"
	"SELECT p.period, f.file_id FROM files f JOIN periods p\n"
	" WHERE f.outcome = 'applied' AND f.period_facts = 1 AND f.channel IS NOT NULL\n"
	"   AND (f.last_fact_date >= p.period || '-01' OR f.file_date >= p.period || '-01');\n"
	"CREATE INDEX facts_by_original ON facts(channel, original_id)\n"
	"	WHERE original_id IS NOT NULL;\n"
	"CREATE TABLE fact_keys (\n"
	"	channel TEXT NOT NULL,\n"
	"	key     TEXT NOT NULL,\n"
	"	value   TEXT NOT NULL,\n"
	"	fact_id INTEGER NOT NULL,\n"
	"	PRIMARY KEY (channel, key, value)\n"
	") WITHOUT ROWID;\n",

	/* 6: the nightly job. What each job fetched from its partner: a file
	 * is fetched once (its name, size and modification time), even after
	 * it left the inbox; and the days a job found no file for by the
	 * deadline (MISSING_FILE, once per job and day). */
	"CREATE TABLE fetched (\n"
	"	job        TEXT NOT NULL,\n"
	"	name       TEXT NOT NULL,\n"
	"	size       INTEGER NOT NULL,\n"
	"	mtime      INTEGER NOT NULL,\n"
	"	sha256     TEXT NOT NULL,\n"
	"	fetched_at TEXT NOT NULL,\n"
	"	PRIMARY KEY (job, name, size, mtime)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE job_days (\n"
	"	job        TEXT NOT NULL,\n"
	"	day        TEXT NOT NULL,\n"
	"	missing_at TEXT,\n"
	"	PRIMARY KEY (job, day)\n"
	") WITHOUT ROWID;\n",

	/* 7: settlement, made right. A collection is clawed back at most once,
	 * whichever row reverses it as reconciliation links them now: its
	 * reversal lines are found by their original (the few reversals, in a
	 * partial index). A payout keeps the account it was instructed to, as
	 * the batch was made (a payout of a store made before this version is
	 * given its provider's account as the migration finds it): an
	 * instruction written again never names an account loaded since. A
	 * rejected payout carried into a later batch stays rejected whatever
	 * the switch says after (ingest refuses it); one that an answer after
	 * its carry turned to another state is put back, or its provider
	 * would not balance again. */
	"UPDATE payouts SET state = 'rejected' WHERE carried_into IS NOT NULL AND state <> 'rejected';\n"
	"CREATE INDEX settlement_lines_reversals ON settlement_lines(original)\n"
	"	WHERE kind = 'reversal';\n"
	"ALTER TABLE payouts ADD COLUMN to_bank_id INTEGER;\n"
	"ALTER TABLE payouts ADD COLUMN to_account TEXT;\n"
	"UPDATE payouts SET\n"
	"	to_bank_id = (SELECT v.payout_bank_id FROM settlement_batches b\n"
	"	                JOIN providers v USING (provider_id)\n"
	"	               WHERE b.batch_id = payouts.batch_id),\n"
	"	to_account = (SELECT v.payout_account FROM settlement_batches b\n"
	"	                JOIN providers v USING (provider_id)\n"
	"	               WHERE b.batch_id = payouts.batch_id);\n",

	/* 8: exceptions, the finance team's worklist. A discrepancy is a
	 * problem to be worked: the same problem (its period, code, channel
	 * and subject: its transaction id, else its reference, else its
	 * file's name, else what was expected) is one exception, whose id
	 * survives re-ingests and re-reconciles (an overpayment is its
	 * policy's, whichever payment it names). One a reconcile no longer
	 * finds is cleared (kept, with when); a resolution is kept forever,
	 * with the values it was made on: when they change, the exception is
	 * open again. The discrepancies already stored become exceptions,
	 * first seen when their file arrived or their period was reconciled
	 * (the best this store knows). */
	"ALTER TABLE discrepancies ADD COLUMN subject TEXT;\n"
	"UPDATE discrepancies SET subject = reference WHERE code = 'OVERPAYMENT';\n"
	"CREATE TABLE exceptions (\n"
	"	exception_id   INTEGER PRIMARY KEY,\n"
	"	period         TEXT NOT NULL,\n"
	"	code           TEXT NOT NULL,\n"
	"	channel        TEXT NOT NULL,\n"
	"	subject        TEXT NOT NULL,\n"
	"	source         TEXT NOT NULL CHECK (source = 'ingest' OR source = 'reconcile'),\n"
	"	severity       TEXT NOT NULL,\n"
	"	reference      TEXT,\n"
	"	transaction_id TEXT,\n"
	"	file           TEXT,\n"
	"	row            INTEGER,\n"
	"	expected       TEXT,\n"
	"	actual         TEXT,\n"
	"	amount         INTEGER,\n"
	"	detail         TEXT NOT NULL,\n"
	"	first_seen     TEXT NOT NULL,\n"
	"	last_seen      TEXT NOT NULL,\n"
	"	cleared_at     TEXT,\n"
	"	UNIQUE (period, code, channel, subject)\n"
	");\n"
	"CREATE TABLE exception_resolutions (\n"
	"	resolution_id INTEGER PRIMARY KEY,\n"
	"	exception_id  INTEGER NOT NULL REFERENCES exceptions(exception_id),\n"
	"	resolved_at   TEXT NOT NULL,\n"
	"	resolved_by   TEXT NOT NULL,\n"
	"	note          TEXT NOT NULL,\n"
	"	expected      TEXT,\n"
	"	actual        TEXT,\n"
	"	amount        INTEGER,\n"
	"	detail        TEXT\n"
	");\n"
	"CREATE INDEX exception_resolutions_by_exception\n"
	"	ON exception_resolutions(exception_id, resolution_id);\n"
	/* Debit-order health: each reconcile of a period records, per debit
	 * channel and product, the instructions that reached a final state
	 * and the unpaids among them, by raw reason (a few hundred rows). */
	"CREATE TABLE debit_results (\n"
	"	period       TEXT NOT NULL,\n"
	"	channel      TEXT NOT NULL,\n"
	"	product_id   INTEGER NOT NULL,\n"
	"	raw_reason   TEXT NOT NULL,\n"
	"	instructions INTEGER NOT NULL CHECK (instructions >= 0),\n"
	"	unpaids      INTEGER NOT NULL CHECK (unpaids >= 0),\n"
	"	PRIMARY KEY (period, channel, product_id, raw_reason)\n"
	") WITHOUT ROWID;\n"
	/* A period reconciled before has none until it is reconciled again. */
	"ALTER TABLE periods ADD COLUMN debit_results INTEGER NOT NULL DEFAULT 0;\n"
	"INSERT INTO exceptions (period, code, channel, subject, source, severity, reference,\n"
	"                        transaction_id, file, row, expected, actual, amount, detail,\n"
	"                        first_seen, last_seen)\n"
	"SELECT d.period, d.code, " STORE_EXCEPTION_CHANNEL ", " STORE_EXCEPTION_SUBJECT
	", d.source,\n"
	"       d.severity, d.reference, d.transaction_id, f.name, d.row, d.expected, d.actual,\n"
	"       " STORE_EXCEPTION_AMOUNT ", d.detail,\n"
	"       coalesce(CASE d.source WHEN 'reconcile' THEN p.reconciled_at ELSE f.received_at END,\n"
	"                strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),\n"
	"       coalesce(CASE d.source WHEN 'reconcile' THEN p.reconciled_at ELSE f.received_at END,\n"
	"                strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))\n"
	"  FROM discrepancies d LEFT JOIN files f USING (file_id) LEFT JOIN periods p USING (period)\n"
	" WHERE true ORDER BY d.discrepancy_id\n"
	"    ON CONFLICT DO NOTHING;\n",

	/* 9: withdrawing a file. A partner's wrong file is voided: the file
	 * and its facts are kept, marked with the void (who, when, why), and
	 * no longer count: reconciliation reads none of them, their keys are
	 * free for the corrected file's rows (the indexes that hold a key
	 * once, and a file's bytes once, leave them out), and their further
	 * keys are forgotten. A period is out of date when a void since its
	 * reconciliation names it in file_periods (void_id against
	 * reconciled_through_void, as file_id against
	 * reconciled_through_file). */
	"CREATE TABLE voids (\n"
	"	void_id   INTEGER PRIMARY KEY,\n"
	"	file_id   INTEGER NOT NULL UNIQUE REFERENCES files(file_id),\n"
	"	voided_at TEXT NOT NULL,\n"
	"	voided_by TEXT NOT NULL,\n"
	"	note      TEXT NOT NULL\n"
	");\n"
	"ALTER TABLE files ADD COLUMN voided INTEGER REFERENCES voids(void_id);\n"
	"ALTER TABLE facts ADD COLUMN withdrawn INTEGER;\n"
	"ALTER TABLE periods ADD COLUMN reconciled_through_void INTEGER NOT NULL DEFAULT 0;\n"
	"DROP INDEX files_applied_once;\n"
	"CREATE UNIQUE INDEX files_applied_once ON files(sha256)\n"
	"	WHERE outcome = 'applied' AND rows > 0 AND voided IS NULL;\n"
	"DROP INDEX facts_counted_once;\n"
	"CREATE UNIQUE INDEX facts_counted_once ON facts(channel, fact_key)\n"
	"	WHERE " STORE_COUNTED("") ";\n",

	/* 10: the further keys of rows that do not count. A row stored as a
	 * repeat keeps its further keys here (fact_keys holds a key once,
	 * for the row that counts), and a withdrawn row's move here from
	 * fact_keys: so that a void that makes a repeat count in a withdrawn
	 * row's place counts its further keys too, and a later row repeating
	 * one of them is a repeat of it. (Repeats stored before keep none:
	 * their columns were not kept.) */
	"CREATE TABLE uncounted_keys (\n"
	"	fact_id INTEGER NOT NULL,\n"
	"	channel TEXT NOT NULL,\n"
	"	key     TEXT NOT NULL,\n"
	"	value   TEXT NOT NULL,\n"
	"	PRIMARY KEY (fact_id, key)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX uncounted_keys_by_value ON uncounted_keys(channel, key, value);\n"
	/* Repeats stored before kept no further keys, but a row that repeated
	 * a counted row by a further key holds that row's value of it: when
	 * that row has one further key, it is the repeat's too. (fact_keys
	 * read by fact: the void's lookups, and this.) */
	"CREATE INDEX fact_keys_by_fact ON fact_keys(fact_id);\n"
	"INSERT OR IGNORE INTO uncounted_keys (fact_id, channel, key, value)\n"
	"SELECT r.fact_id, k.channel, k.key, k.value\n"
	"  FROM facts r JOIN facts h ON h.fact_id = r.duplicate_of\n"
	"  JOIN fact_keys k ON k.fact_id = h.fact_id\n"
	" WHERE r.duplicate_of IS NOT NULL AND r.fact_key <> h.fact_key\n"
	"   AND (SELECT count(*) FROM fact_keys o WHERE o.fact_id = h.fact_id) = 1;\n"
	/* A row that counted, made a repeat by a void (decided again as if
	 * the voided file had never come: a row before it holds its key
	 * now): what settlements paid over of it is taken back, as of a
	 * voided file's rows. */
	"CREATE TABLE void_repeats (\n"
	"	fact_id INTEGER PRIMARY KEY,\n"
	"	void_id INTEGER NOT NULL REFERENCES voids(void_id)\n"
	");\n",

	/* 11: who changed the register, and a rejected payout's money at
	 * stake. A policy's creation and each change to it record who loaded
	 * the file ($USER, as a void or a resolution records it); those
	 * recorded before say nobody (NULL: not recorded). An exception of a
	 * rejected payout was given the answer's amount paid out (0.00), not
	 * the amount the payout was instructed for: it is given that now, and
	 * a resolution made on the old amount is given it too (made on the
	 * same answer, it still holds). */
	"ALTER TABLE policies ADD COLUMN created_by TEXT;\n"
	"ALTER TABLE policy_changes ADD COLUMN changed_by TEXT;\n"
	"UPDATE exception_resolutions AS r SET amount = n.amount\n"
	"  FROM (SELECT x.exception_id, x.amount AS old, max(ifnull(x.amount, 0), p.amount) AS amount\n"
	"          FROM exceptions x JOIN payouts p ON p.reference = x.reference\n"
	"         WHERE x.code = 'PAYOUT_REJECTED') AS n\n"
	" WHERE r.exception_id = n.exception_id AND r.amount IS n.old;\n"
	"UPDATE exceptions AS x SET amount = max(ifnull(x.amount, 0), p.amount)\n"
	"  FROM payouts p WHERE p.reference = x.reference AND x.code = 'PAYOUT_REJECTED';\n",

	/* 12: a channel file's content is applied once; reference data's may
	 * be loaded again after other content changed it (a register put
	 * back as it was): an upsert, harmless twice, so the once-only index
	 * holds channel files only (reference files have no channel); content
	 * is looked up by its digest through an index of every file's. */
	"DROP INDEX files_applied_once;\n"
	"CREATE UNIQUE INDEX files_applied_once ON files(sha256)\n"
	"	WHERE outcome = 'applied' AND rows > 0 AND voided IS NULL AND channel IS NOT NULL;\n"
	"CREATE INDEX files_by_content ON files(sha256);\n",

	/* 13: a resolution made by mistake is undone by another entry, a
	 * reopening (who, when, why), kept beside the resolutions: the latest
	 * entry says whether the exception is resolved. */
	"ALTER TABLE exception_resolutions ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0\n"
	"	CHECK (reopened IN (0, 1));\n",
};

static const struct store_index policies_indexes[] = {
	{ "policies_by_number", POLICIES_BY_NUMBER },
	{ "policies_by_cash_code", POLICIES_BY_CASH_CODE },
	{ "policies_by_collection_ref", POLICIES_BY_COLLECTION_REF },
	{ NULL, NULL },
};
static const struct store_index ledger_indexes[] = {
	{ "ledger_by_transaction", LEDGER_BY_TRANSACTION },
	{ "ledger_by_date", LEDGER_BY_DATE },
	{ NULL, NULL },
};

const struct store_index *store_table_indexes(enum store_table t)
{
	return t == STORE_POLICIES ? policies_indexes : ledger_indexes;
}

int store_migration_count(void)
{
	return (int)ARRAY_SIZE(scripts);
}

const char *store_migration(int version)
{
	return version >= 1 && version <= (int)ARRAY_SIZE(scripts) ? scripts[version - 1] : NULL;
}
