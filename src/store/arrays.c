/*
 * arrays.c — a caller's array of rows, read by SQLite as a table.
 *
 *   INSERT INTO outcomes (...) SELECT ?1, ... FROM kasi_outcomes(?2)
 *
 * with ?2 bound by sqlite3_bind_pointer() to a struct store_array (under
 * the array's pointer type): a table-valued function (an eponymous
 * virtual table) whose rows are the array's. One statement writes
 * thousands of rows, with no parameter bound per row. Each kind of array
 * is a shape below: its columns, and how a row gives each.
 */
#include "core/common.h"
#include "store/db.h"

struct array_shape {
	const char *name;	  /* kasi_outcomes */
	const char *declaration;  /* its columns, then "array HIDDEN" */
	const char *pointer_type; /* what sqlite3_bind_pointer names it */
	int array_column;	  /* the index of the hidden column */
	size_t row_size;
	void (*column)(sqlite3_context *ctx, const void *row, int col);
};

struct array_cursor {
	sqlite3_vtab_cursor base;
	const struct array_shape *shape;
	const char *rows;
	size_t n, i;
};

struct array_vtab {
	sqlite3_vtab base;
	const struct array_shape *shape;
};

static void result_text(sqlite3_context *ctx, const char *s)
{
	if (s && *s)
		sqlite3_result_text(ctx, s, -1, SQLITE_STATIC);
	else
		sqlite3_result_null(ctx);
}

/* ---- the shapes ------------------------------------------------------------ */

static void outcome_column(sqlite3_context *ctx, const void *row, int col)
{
	const struct store_outcome *o = row;
	switch (col) {
	case 0: sqlite3_result_int64(ctx, o->policy_id); break;
	case 1: result_text(ctx, o->status); break;
	case 2: sqlite3_result_int64(ctx, o->expected); break;
	case 3: sqlite3_result_int64(ctx, o->collected); break;
	case 4: sqlite3_result_int64(ctx, o->shortfall); break;
	case 5: sqlite3_result_int64(ctx, o->pending); break;
	case 6: result_text(ctx, o->reason); break;
	case 7: result_text(ctx, o->raw_reason); break;
	default: sqlite3_result_null(ctx); break;
	}
}

static void movement_column(sqlite3_context *ctx, const void *row, int col)
{
	const struct store_movement *m = row;
	switch (col) {
	case 0: sqlite3_result_int64(ctx, m->fact_id); break;
	case 1: result_text(ctx, m->kind); break;
	case 2: sqlite3_result_int64(ctx, m->policy_id); break;
	case 3: result_text(ctx, m->channel); break;
	case 4: result_text(ctx, m->business_date); break;
	case 5: sqlite3_result_int64(ctx, m->amount); break;
	case 6:
		if (m->original)
			sqlite3_result_int64(ctx, m->original);
		else
			sqlite3_result_null(ctx);
		break;
	case 7: sqlite3_result_int64(ctx, m->product_id); break;
	default: sqlite3_result_null(ctx); break;
	}
}

static void line_column(sqlite3_context *ctx, const void *row, int col)
{
	const struct store_settlement_line *l = row;
	switch (col) {
	case 0: sqlite3_result_int64(ctx, l->fact_id); break;
	case 1: result_text(ctx, l->kind); break;
	case 2: sqlite3_result_int64(ctx, l->batch_id); break;
	case 3: sqlite3_result_int64(ctx, l->policy_id); break;
	case 4: result_text(ctx, l->channel); break;
	case 5: result_text(ctx, l->business_date); break;
	case 6: sqlite3_result_int64(ctx, l->amount); break;
	case 7: sqlite3_result_int64(ctx, l->fee); break;
	case 8: sqlite3_result_int64(ctx, l->net); break;
	case 9:
		if (l->original)
			sqlite3_result_int64(ctx, l->original);
		else
			sqlite3_result_null(ctx);
		break;
	default: sqlite3_result_null(ctx); break;
	}
}

/* A text kept as given: "" is a value (a detail may be empty), NULL none. */
static void result_text_kept(sqlite3_context *ctx, const char *s)
{
	if (s)
		sqlite3_result_text(ctx, s, -1, SQLITE_STATIC);
	else
		sqlite3_result_null(ctx);
}

static void discrepancy_column(sqlite3_context *ctx, const void *row, int col)
{
	const struct store_discrepancy *d = row;
	switch (col) {
	case 0: result_text_kept(ctx, d->period); break;
	case 1: result_text_kept(ctx, d->code); break;
	case 2: result_text_kept(ctx, d->severity); break;
	case 3: result_text(ctx, d->channel); break;
	case 4:
		if (d->file_id)
			sqlite3_result_int64(ctx, d->file_id);
		else
			sqlite3_result_null(ctx);
		break;
	case 5:
		if (d->row)
			sqlite3_result_int64(ctx, (int64_t)d->row);
		else
			sqlite3_result_null(ctx);
		break;
	case 6: result_text(ctx, d->reference); break;
	case 7: result_text(ctx, d->transaction_id); break;
	case 8: result_text(ctx, d->expected); break;
	case 9: result_text(ctx, d->actual); break;
	case 10: result_text_kept(ctx, d->detail ? d->detail : ""); break;
	case 11: result_text_kept(ctx, d->source); break;
	case 12: result_text(ctx, d->subject); break;
	case 13: sqlite3_result_int64(ctx, d->policy_id); break;
	case 14: sqlite3_result_int(ctx, d->subject_is_reference); break;
	default: sqlite3_result_null(ctx); break;
	}
}

static const struct array_shape shapes[] = {
	{ "kasi_outcomes",
	  "CREATE TABLE x(policy_id, status, expected, collected, shortfall, pending, reason,"
	  " raw_reason, array HIDDEN)",
	  STORE_OUTCOME_ARRAY, 8, sizeof(struct store_outcome), outcome_column },
	{ "kasi_movements",
	  "CREATE TABLE x(fact_id, kind, policy_id, channel, business_date, amount, original,"
	  " product_id, array HIDDEN)",
	  STORE_MOVEMENT_ARRAY, 8, sizeof(struct store_movement), movement_column },
	{ "kasi_lines",
	  "CREATE TABLE x(fact_id, kind, batch_id, policy_id, channel, business_date, amount, fee,"
	  " net, original, array HIDDEN)",
	  STORE_LINE_ARRAY, 10, sizeof(struct store_settlement_line), line_column },
	{ "kasi_discrepancies",
	  "CREATE TABLE x(period, code, severity, channel, file_id, row, reference,"
	  " transaction_id, expected, actual, detail, source, subject, policy_id,"
	  " subject_is_reference, array HIDDEN)",
	  STORE_DISCREPANCY_ARRAY, 15, sizeof(struct store_discrepancy), discrepancy_column },
};

/* ---- the virtual table ----------------------------------------------------------- */

static int array_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
			 sqlite3_vtab **vtab, char **err)
{
	(void)argc;
	(void)argv;
	(void)err;
	const struct array_shape *shape = aux;
	int rc = sqlite3_declare_vtab(db, shape->declaration);
	if (rc != SQLITE_OK)
		return rc;
	struct array_vtab *v = sqlite3_malloc(sizeof(*v));
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof(*v));
	v->shape = shape;
	*vtab = &v->base;
	return SQLITE_OK;
}

static int array_disconnect(sqlite3_vtab *vtab)
{
	sqlite3_free(vtab);
	return SQLITE_OK;
}

/* Only with its array given: kasi_outcomes(?). */
static int array_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
	const struct array_shape *shape = ((struct array_vtab *)vtab)->shape;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (c->iColumn == shape->array_column && c->op == SQLITE_INDEX_CONSTRAINT_EQ &&
		    c->usable) {
			info->aConstraintUsage[i].argvIndex = 1;
			info->aConstraintUsage[i].omit = 1;
			info->estimatedCost = 1;
			return SQLITE_OK;
		}
	}
	return SQLITE_CONSTRAINT;
}

static int array_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **cur)
{
	struct array_cursor *c = sqlite3_malloc(sizeof(*c));
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	c->shape = ((struct array_vtab *)vtab)->shape;
	*cur = &c->base;
	return SQLITE_OK;
}

static int array_close(sqlite3_vtab_cursor *cur)
{
	sqlite3_free(cur);
	return SQLITE_OK;
}

static int array_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str, int argc,
			sqlite3_value **argv)
{
	(void)idx;
	(void)idx_str;
	struct array_cursor *c = (struct array_cursor *)cur;
	const struct store_array *a =
		argc == 1 ? sqlite3_value_pointer(argv[0], c->shape->pointer_type) : NULL;
	c->rows = a ? a->rows : NULL;
	c->n = a ? a->n : 0;
	c->i = 0;
	return SQLITE_OK;
}

static int array_next(sqlite3_vtab_cursor *cur)
{
	((struct array_cursor *)cur)->i++;
	return SQLITE_OK;
}

static int array_eof(sqlite3_vtab_cursor *cur)
{
	const struct array_cursor *c = (const struct array_cursor *)cur;
	return c->i >= c->n;
}

static int array_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	const struct array_cursor *c = (const struct array_cursor *)cur;
	c->shape->column(ctx, c->rows + c->i * c->shape->row_size, col);
	return SQLITE_OK;
}

static int array_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64)((const struct array_cursor *)cur)->i;
	return SQLITE_OK;
}

static const sqlite3_module array_module = {
	.iVersion = 0,
	.xCreate = NULL, /* eponymous only: kasi_outcomes(?) */
	.xConnect = array_connect,
	.xBestIndex = array_best_index,
	.xDisconnect = array_disconnect,
	.xDestroy = array_disconnect,
	.xOpen = array_open,
	.xClose = array_close,
	.xFilter = array_filter,
	.xNext = array_next,
	.xEof = array_eof,
	.xColumn = array_column,
	.xRowid = array_rowid,
};

int db_register_arrays(struct store *s, struct err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++) {
		int r = sqlite3_create_module_v2(s->db, shapes[i].name, &array_module,
						 (void *)&shapes[i], NULL);
		if (r != SQLITE_OK)
			return db_fail(s, r, e, "registering an array table");
	}
	return 0;
}

int db_insert_array(struct store *s, sqlite3_stmt *st, int param, const char *pointer_type,
		    const void *rows, size_t n, int *rc, struct err *e, const char *what)
{
	struct store_array a = { rows, n };
	if (!*rc && sqlite3_bind_pointer(st, param, &a, pointer_type, NULL) != SQLITE_OK)
		*rc = db_fail(s, sqlite3_errcode(s->db), e, what);
	db_step_done(s, st, rc, e, what);
	if (!*rc && (size_t)sqlite3_changes64(s->db) != n)
		*rc = err_set(e, KASI_EIO, "store '%s': %s: %zu given, %lld recorded", s->path,
			      what, n, (long long)sqlite3_changes64(s->db));
	if (st)
		sqlite3_reset(st); /* the array is the caller's: let go of it */
	return *rc;
}
