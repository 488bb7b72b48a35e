/*
 * summary.c — the store's side of the finance summary: a period's
 * outcomes summed by status, provider, channel or due day, and its money
 * movements by day (see store.h). Sums are SQLite's, which fail rather
 * than wrap past 64 bits.
 */
#include "core/common.h"
#include "store/db.h"

#define GROUP_SUMS                                                                        \
	"count(*), sum(o.expected), sum(o.collected), sum(o.shortfall), sum(o.pending)\n" \
	"  FROM outcomes o JOIN policies p USING (policy_id)\n"

static const char sql_by_status[] =
	"SELECT o.status, " GROUP_SUMS " WHERE o.period = ?1 GROUP BY o.status ORDER BY o.status";
static const char sql_by_provider[] =
	"SELECT v.provider_code, " GROUP_SUMS
	"  JOIN products r USING (product_id) JOIN providers v USING (provider_id)\n"
	" WHERE o.period = ?1 GROUP BY v.provider_code ORDER BY v.provider_code";
static const char sql_by_channel[] = "SELECT p.channel, " GROUP_SUMS
				     " WHERE o.period = ?1 GROUP BY p.channel ORDER BY p.channel";
/* A policy's debit day, as text ("" for none: cash, paid any day). */
static const char sql_by_due_day[] =
	"SELECT ifnull(printf('%02d', p.debit_day), ''), " GROUP_SUMS
	" WHERE o.period = ?1 GROUP BY p.debit_day ORDER BY p.debit_day";

int store_each_outcome_group(struct store *s, const char *period, enum store_outcome_group by,
			     int (*fn)(void *ctx, const struct store_outcome_group_row *g),
			     void *ctx, struct err *e)
{
	static const char *const sql[] = { sql_by_status, sql_by_provider, sql_by_channel,
					   sql_by_due_day };
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql[by], &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	while (db_step_row(s, st, &rc, e, "summing outcomes")) {
		struct store_outcome_group_row g = {
			.key = db_col_text(st, 0),
			.policies = sqlite3_column_int64(st, 1),
			.expected = sqlite3_column_int64(st, 2),
			.collected = sqlite3_column_int64(st, 3),
			.shortfall = sqlite3_column_int64(st, 4),
			.pending = sqlite3_column_int64(st, 5),
		};
		if ((rc = fn(ctx, &g)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}

/* Of the policies with an outcome: the money the outcomes count (money
 * for a policy not scheduled, paid after it was cancelled, is its
 * discrepancy's, not the month's). */
static const char sql_movement_days[] =
	"SELECT m.business_date,\n"
	"       sum(CASE m.kind WHEN 'collection' THEN m.amount ELSE 0 END),\n"
	"       sum(CASE m.kind WHEN 'reversal' THEN m.amount ELSE 0 END)\n"
	"  FROM movements m JOIN outcomes o ON o.period = m.period AND o.policy_id = m.policy_id\n"
	" WHERE m.period = ?1 GROUP BY m.business_date ORDER BY m.business_date";

int store_each_movement_day(struct store *s, const char *period,
			    int (*fn)(void *ctx, const struct store_movement_day *d), void *ctx,
			    struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_movement_days, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	while (db_step_row(s, st, &rc, e, "summing movements")) {
		struct store_movement_day d = {
			.date = db_col_text(st, 0),
			.collected = sqlite3_column_int64(st, 1),
			.reversed = sqlite3_column_int64(st, 2),
		};
		if ((rc = fn(ctx, &d)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}
