/*
 * rewrite.c — a period's outcomes and movements written again, as changes.
 *
 * Every night reconciles the month again, and most of a million outcomes
 * and movements come out as they were. Deleting them all and inserting
 * them again costs SQLite a B-tree taken apart and built again; here the
 * new rows, which come in key order a batch at a time, are merged with
 * the stored ones of the same key range (read, then let go of, before
 * anything is written): a stored row the same as its new one is left as
 * it is, a changed or new row is written (INSERT OR REPLACE, one
 * statement a batch, arrays.c), and a stored row no new row has is
 * deleted. What the table holds at the end is exactly the new rows.
 */
#include "core/common.h"
#include "core/grow.h"
#include "store/db.h"

/* A row's key (struct rewrite_key, store.h): the policy (outcomes); the
 * row and kind (movements). */
struct rewrite_shape {
	int nkey; /* key columns, each bound as a parameter: 1 or 2 */
	/* ?1 the period; the key after which (?2..), and through which
	 * (?2+nkey..) the stored rows are read, in key order, the key first */
	const char *sql_range;
	const char *sql_delete; /* ?1 the period, ?2.. the key */
	const char *sql_tail;	/* ?1 the period, ?2.. the key after which all go */
	const char *sql_write;	/* ?1 the period, ?2 the array */
	const char *pointer_type;
	size_t row_size;
	/* A new row's key: its id, and (nkey 2) its kind. */
	int64_t (*id_of)(const void *row);
	const char *(*kind_of)(const void *row);
	/* Whether the stored row at st (its key first) is the new row. */
	bool (*same)(sqlite3_stmt *st, const void *row);
};

/* -1, 0 or 1 as the stored row at st sorts before, with or after the new
 * row: compared where they are (a million rows a night, none copied). */
static int stored_cmp(const struct rewrite_shape *sh, sqlite3_stmt *st, const void *row)
{
	int64_t a = sqlite3_column_int64(st, 0), b = sh->id_of(row);
	if (a != b)
		return a < b ? -1 : 1;
	return sh->nkey > 1 ? strcmp(db_col_text(st, 1), sh->kind_of(row)) : 0;
}

/* A key kept past its row: the last one put, a stored one to delete. */
static void key_of_row(const struct rewrite_shape *sh, const void *row, struct rewrite_key *k)
{
	k->id = sh->id_of(row);
	snprintf(k->kind, sizeof(k->kind), "%s", sh->nkey > 1 ? sh->kind_of(row) : "");
}

static void key_of_stored(const struct rewrite_shape *sh, sqlite3_stmt *st, struct rewrite_key *k)
{
	k->id = sqlite3_column_int64(st, 0);
	snprintf(k->kind, sizeof(k->kind), "%s", sh->nkey > 1 ? db_col_text(st, 1) : "");
}

static void bind_key(struct store *s, sqlite3_stmt *st, int *rc, struct err *e, int param, int nkey,
		     const struct rewrite_key *k)
{
	db_bind_int(s, st, rc, e, param, k->id);
	if (nkey > 1)
		db_bind_text(s, st, rc, e, param + 1, k->kind);
}

/* Texts equal as stored: an empty text is stored as none. */
static bool same_text(sqlite3_stmt *st, int col, const char *v)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	return !strcmp(t ? t : "", v ? v : "");
}

/* ---- the shapes --------------------------------------------------------------- */

static int64_t outcome_id(const void *row)
{
	return ((const struct store_outcome *)row)->policy_id;
}

static bool outcome_same(sqlite3_stmt *st, const void *row)
{
	const struct store_outcome *o = row;
	return same_text(st, 1, o->status) && sqlite3_column_int64(st, 2) == o->expected &&
	       sqlite3_column_int64(st, 3) == o->collected &&
	       sqlite3_column_int64(st, 4) == o->shortfall &&
	       sqlite3_column_int64(st, 5) == o->pending && same_text(st, 6, o->reason) &&
	       same_text(st, 7, o->raw_reason);
}

static const struct rewrite_shape outcomes_shape = {
	.nkey = 1,
	.sql_range = "SELECT policy_id, status, expected, collected, shortfall, pending, reason,\n"
		     "       raw_reason\n"
		     "  FROM outcomes WHERE period = ?1 AND policy_id > ?2 AND policy_id <= ?3\n"
		     " ORDER BY policy_id",
	.sql_delete = "DELETE FROM outcomes WHERE period = ?1 AND policy_id = ?2",
	.sql_tail = "DELETE FROM outcomes WHERE period = ?1 AND policy_id > ?2",
	.sql_write = "INSERT OR REPLACE INTO outcomes (period, policy_id, status, expected,\n"
		     "                                 collected, shortfall, pending, reason,\n"
		     "                                 raw_reason)\n"
		     "SELECT ?1, policy_id, status, expected, collected, shortfall, pending,\n"
		     "       reason, raw_reason\n"
		     "  FROM kasi_outcomes(?2)",
	.pointer_type = STORE_OUTCOME_ARRAY,
	.row_size = sizeof(struct store_outcome),
	.id_of = outcome_id,
	.same = outcome_same,
};

static int64_t movement_id(const void *row)
{
	return ((const struct store_movement *)row)->fact_id;
}

static const char *movement_kind(const void *row)
{
	return ((const struct store_movement *)row)->kind;
}

static bool movement_same(sqlite3_stmt *st, const void *row)
{
	const struct store_movement *m = row;
	return sqlite3_column_int64(st, 2) == m->policy_id &&
	       sqlite3_column_int64(st, 3) == m->product_id && same_text(st, 4, m->channel) &&
	       same_text(st, 5, m->business_date) && sqlite3_column_int64(st, 6) == m->amount &&
	       sqlite3_column_int64(st, 7) == m->original;
}

/* (A row value against the primary key: SQLite reads the range by it.) */
static const struct rewrite_shape movements_shape = {
	.nkey = 2,
	.sql_range =
		"SELECT fact_id, kind, policy_id, product_id, channel, business_date, amount,\n"
		"       ifnull(original, 0)\n"
		"  FROM movements\n"
		" WHERE period = ?1 AND (fact_id, kind) > (?2, ?3) AND (fact_id, kind) <= (?4, ?5)\n"
		" ORDER BY fact_id, kind",
	.sql_delete = "DELETE FROM movements WHERE period = ?1 AND fact_id = ?2 AND kind = ?3",
	.sql_tail = "DELETE FROM movements WHERE period = ?1 AND (fact_id, kind) > (?2, ?3)",
	.sql_write = "INSERT OR REPLACE INTO movements (period, fact_id, kind, policy_id,\n"
		     "                                  product_id, channel, business_date,\n"
		     "                                  amount, original)\n"
		     "SELECT ?1, fact_id, kind, policy_id, product_id, channel, business_date,\n"
		     "       amount, original\n"
		     "  FROM kasi_movements(?2)",
	.pointer_type = STORE_MOVEMENT_ARRAY,
	.row_size = sizeof(struct store_movement),
	.id_of = movement_id,
	.kind_of = movement_kind,
	.same = movement_same,
};

/* ---- the merge -------------------------------------------------------------------- */

void store_rewrite_begin(struct store_rewrite *w, enum store_rewrite_table table,
			 const char *period)
{
	*w = (struct store_rewrite){
		.shape = table == STORE_REWRITE_OUTCOMES ? &outcomes_shape : &movements_shape,
		.period = period,
	};
}

void store_rewrite_release(struct store_rewrite *w)
{
	free(w->changed);
	free(w->gone);
	w->changed = NULL;
	w->gone = NULL;
}

/* Read the stored rows of the batch's key range beside the batch: which
 * of its rows change (w->changed), which stored keys go (w->gone). */
static int merge_range(struct store *s, struct store_rewrite *w, const char *rows, size_t n,
		       size_t *nchanged, size_t *ngone, struct err *e)
{
	const struct rewrite_shape *sh = w->shape;
	struct rewrite_key last;
	key_of_row(sh, rows + (n - 1) * sh->row_size, &last);
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sh->sql_range, &rc, e);
	db_bind_text(s, st, &rc, e, 1, w->period);
	bind_key(s, st, &rc, e, 2, sh->nkey, &w->after);
	bind_key(s, st, &rc, e, 2 + sh->nkey, sh->nkey, &last);
	bool more = db_step_row(s, st, &rc, e, "reading what was recorded");
	for (size_t i = 0; i < n && !rc; i++) {
		const char *row = rows + i * sh->row_size;
		int c = -1;
		while (more && (c = stored_cmp(sh, st, row)) < 0) {
			if (!grow_array((void **)&w->gone, &w->gone_cap, *ngone + 1,
					sizeof(*w->gone)))
				rc = err_set(e, KASI_EIO, "out of memory");
			else
				key_of_stored(sh, st, &w->gone[(*ngone)++]);
			more = db_step_row(s, st, &rc, e, "reading what was recorded");
		}
		if (rc)
			break;
		bool same = more && c == 0 && sh->same(st, row);
		if (more && c == 0)
			more = db_step_row(s, st, &rc, e, "reading what was recorded");
		if (same)
			continue;
		memcpy((char *)w->changed + *nchanged * sh->row_size, row, sh->row_size);
		++*nchanged;
	}
	if (st)
		sqlite3_reset(st);
	w->after = last;
	return rc;
}

static int delete_keys(struct store *s, struct store_rewrite *w, const char *sql,
		       const struct rewrite_key *keys, size_t n, struct err *e)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		sqlite3_stmt *st = db_prep(s, sql, &rc, e);
		db_bind_text(s, st, &rc, e, 1, w->period);
		bind_key(s, st, &rc, e, 2, w->shape->nkey, &keys[i]);
		db_step_done(s, st, &rc, e, "deleting what changed");
	}
	return rc;
}

int store_rewrite_put(struct store *s, struct store_rewrite *w, const void *rows, size_t n,
		      struct err *e)
{
	const struct rewrite_shape *sh = w->shape;
	if (!n)
		return 0;
	if (n > w->changed_cap) {
		void *p = realloc(w->changed, n * sh->row_size);
		if (!p)
			return err_set(e, KASI_EIO, "out of memory");
		w->changed = p;
		w->changed_cap = n;
	}
	size_t nchanged = 0, ngone = 0;
	int rc = merge_range(s, w, rows, n, &nchanged, &ngone, e);
	if (!rc)
		rc = delete_keys(s, w, sh->sql_delete, w->gone, ngone, e);
	if (!rc && nchanged) {
		sqlite3_stmt *st = db_prep(s, sh->sql_write, &rc, e);
		db_bind_text(s, st, &rc, e, 1, w->period);
		db_insert_array(s, st, 2, sh->pointer_type, w->changed, nchanged, &rc, e,
				"recording what changed");
	}
	w->rows += (int64_t)n;
	return rc;
}

int store_rewrite_end(struct store *s, struct store_rewrite *w, struct err *e)
{
	/* Before the first row, every key: fact ids and policy ids are > 0. */
	int rc = delete_keys(s, w, w->shape->sql_tail, &w->after, 1, e);
	store_rewrite_release(w);
	return rc;
}
