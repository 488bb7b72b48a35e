/*
 * health.c — the store's side of debit-order health: what each reconcile
 * found of the period's debit instructions (see store.h).
 */
#include "core/common.h"
#include "store/db.h"

static const char sql_debit_results_clear[] = "DELETE FROM debit_results WHERE period = ?1";
static const char sql_debit_result_add[] =
	"INSERT INTO debit_results (period, channel, product_id, raw_reason, instructions,\n"
	"                           unpaids)\n"
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)\n"
	"    ON CONFLICT DO UPDATE SET instructions = instructions + excluded.instructions,\n"
	"                              unpaids = unpaids + excluded.unpaids";

int store_debit_results_write(struct store *s, const char *period,
			      const struct store_debit_result *r, size_t n, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_debit_results_clear, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_step_done(s, st, &rc, e, "clearing debit results");
	for (size_t i = 0; i < n && !rc; i++) {
		st = db_prep(s, sql_debit_result_add, &rc, e);
		db_bind_text(s, st, &rc, e, 1, period);
		db_bind_text(s, st, &rc, e, 2, r[i].channel);
		db_bind_int(s, st, &rc, e, 3, r[i].product_id);
		db_bind_text(s, st, &rc, e, 4, r[i].raw_reason);
		db_bind_int(s, st, &rc, e, 5, r[i].instructions);
		db_bind_int(s, st, &rc, e, 6, r[i].unpaids);
		db_step_done(s, st, &rc, e, "recording debit results");
	}
	return rc;
}

static const char sql_each_debit_result[] =
	"SELECT r.period, r.channel, v.provider_code, r.raw_reason, sum(r.instructions),\n"
	"       sum(r.unpaids)\n"
	"  FROM debit_results r JOIN products p USING (product_id)\n"
	"  JOIN providers v USING (provider_id)\n"
	" WHERE r.period BETWEEN ?1 AND ?2\n"
	" GROUP BY r.channel, v.provider_code, r.period, r.raw_reason\n"
	" ORDER BY r.channel, v.provider_code, r.period, r.raw_reason";

int store_each_debit_result(struct store *s, const char *first, const char *last,
			    int (*fn)(void *ctx, const struct store_debit_row *r), void *ctx,
			    struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_debit_result, &rc, e);
	db_bind_text(s, st, &rc, e, 1, first);
	db_bind_text(s, st, &rc, e, 2, last);
	while (db_step_row(s, st, &rc, e, "reading debit results")) {
		struct store_debit_row r = {
			.period = db_col_text(st, 0),
			.channel = db_col_text(st, 1),
			.provider = db_col_text(st, 2),
			.raw_reason = db_col_text(st, 3),
			.instructions = sqlite3_column_int64(st, 4),
			.unpaids = sqlite3_column_int64(st, 5),
		};
		if ((rc = fn(ctx, &r)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}
