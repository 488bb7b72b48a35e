/*
 * arrays.c — a caller's array of outcomes, read by SQLite as a table.
 *
 *   INSERT INTO outcomes (...) SELECT ?1, ... FROM kasi_outcomes(?2)
 *
 * with ?2 bound by sqlite3_bind_pointer() to a struct outcome_array:
 * a table-valued function (an eponymous virtual table) whose rows are the
 * array's. One statement writes thousands of outcomes, with no
 * parameter bound per row.
 */
#include "core/common.h"
#include "store/db.h"

struct outcomes_cursor {
	sqlite3_vtab_cursor base;
	const struct store_outcome *o;
	size_t n, i;
};

enum {
	C_POLICY_ID,
	C_STATUS,
	C_EXPECTED,
	C_COLLECTED,
	C_SHORTFALL,
	C_PENDING,
	C_REASON,
	C_RAW_REASON,
	C_ARRAY
};

static int outcomes_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
			    sqlite3_vtab **vtab, char **err)
{
	(void)aux;
	(void)argc;
	(void)argv;
	(void)err;
	int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(policy_id, status, expected, collected,"
					  " shortfall, pending, reason, raw_reason, array HIDDEN)");
	if (rc != SQLITE_OK)
		return rc;
	*vtab = sqlite3_malloc(sizeof(**vtab));
	if (!*vtab)
		return SQLITE_NOMEM;
	memset(*vtab, 0, sizeof(**vtab));
	return SQLITE_OK;
}

static int outcomes_disconnect(sqlite3_vtab *vtab)
{
	sqlite3_free(vtab);
	return SQLITE_OK;
}

/* Only with its array given: kasi_outcomes(?). */
static int outcomes_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
	(void)vtab;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (c->iColumn == C_ARRAY && c->op == SQLITE_INDEX_CONSTRAINT_EQ && c->usable) {
			info->aConstraintUsage[i].argvIndex = 1;
			info->aConstraintUsage[i].omit = 1;
			info->estimatedCost = 1;
			return SQLITE_OK;
		}
	}
	return SQLITE_CONSTRAINT;
}

static int outcomes_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **cur)
{
	(void)vtab;
	struct outcomes_cursor *c = sqlite3_malloc(sizeof(*c));
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	*cur = &c->base;
	return SQLITE_OK;
}

static int outcomes_close(sqlite3_vtab_cursor *cur)
{
	sqlite3_free(cur);
	return SQLITE_OK;
}

static int outcomes_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str, int argc,
			   sqlite3_value **argv)
{
	(void)idx;
	(void)idx_str;
	struct outcomes_cursor *c = (struct outcomes_cursor *)cur;
	const struct store_outcome_array *a =
		argc == 1 ? sqlite3_value_pointer(argv[0], STORE_OUTCOME_ARRAY) : NULL;
	c->o = a ? a->o : NULL;
	c->n = a ? a->n : 0;
	c->i = 0;
	return SQLITE_OK;
}

static int outcomes_next(sqlite3_vtab_cursor *cur)
{
	((struct outcomes_cursor *)cur)->i++;
	return SQLITE_OK;
}

static int outcomes_eof(sqlite3_vtab_cursor *cur)
{
	const struct outcomes_cursor *c = (const struct outcomes_cursor *)cur;
	return c->i >= c->n;
}

static void result_text(sqlite3_context *ctx, const char *s)
{
	if (s && *s)
		sqlite3_result_text(ctx, s, -1, SQLITE_STATIC);
	else
		sqlite3_result_null(ctx);
}

static int outcomes_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	const struct outcomes_cursor *c = (const struct outcomes_cursor *)cur;
	const struct store_outcome *o = &c->o[c->i];
	switch (col) {
	case C_POLICY_ID: sqlite3_result_int64(ctx, o->policy_id); break;
	case C_STATUS: result_text(ctx, o->status); break;
	case C_EXPECTED: sqlite3_result_int64(ctx, o->expected); break;
	case C_COLLECTED: sqlite3_result_int64(ctx, o->collected); break;
	case C_SHORTFALL: sqlite3_result_int64(ctx, o->shortfall); break;
	case C_PENDING: sqlite3_result_int64(ctx, o->pending); break;
	case C_REASON: result_text(ctx, o->reason); break;
	case C_RAW_REASON: result_text(ctx, o->raw_reason); break;
	default: sqlite3_result_null(ctx); break;
	}
	return SQLITE_OK;
}

static int outcomes_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64)((const struct outcomes_cursor *)cur)->i;
	return SQLITE_OK;
}

static const sqlite3_module outcomes_module = {
	.iVersion = 0,
	.xCreate = NULL, /* eponymous only: kasi_outcomes(?) */
	.xConnect = outcomes_connect,
	.xBestIndex = outcomes_best_index,
	.xDisconnect = outcomes_disconnect,
	.xDestroy = outcomes_disconnect,
	.xOpen = outcomes_open,
	.xClose = outcomes_close,
	.xFilter = outcomes_filter,
	.xNext = outcomes_next,
	.xEof = outcomes_eof,
	.xColumn = outcomes_column,
	.xRowid = outcomes_rowid,
};

int db_register_arrays(struct store *s, struct err *e)
{
	int r = sqlite3_create_module_v2(s->db, "kasi_outcomes", &outcomes_module, NULL, NULL);
	return r == SQLITE_OK ? 0 : db_fail(s, r, e, "registering kasi_outcomes");
}
