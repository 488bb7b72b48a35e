/*
 * summary.c — the store's side of the finance summary (see store.h): a
 * period's outcomes one by one with what groups them, and its money
 * movements by day. A million outcomes are read once, in key order, and
 * summed by the caller: one GROUP BY per grouping would sort them four
 * times over.
 */
#include "core/common.h"
#include "store/db.h"

static const char sql_outcome_cells[] =
	"SELECT o.status, v.provider_code, p.channel, ifnull(p.debit_day, 0),\n"
	"       o.expected, o.collected, o.shortfall, o.pending\n"
	"  FROM outcomes o JOIN policies p USING (policy_id)\n"
	"  JOIN products r USING (product_id) JOIN providers v USING (provider_id)\n"
	" WHERE o.period = ?1";

int store_each_outcome_cell(struct store *s, const char *period,
			    int (*fn)(void *ctx, const struct store_outcome_cell *c), void *ctx,
			    struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_outcome_cells, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	while (db_step_row(s, st, &rc, e, "reading outcomes")) {
		struct store_outcome_cell c = {
			.status = db_col_text(st, 0),
			.provider = db_col_text(st, 1),
			.channel = db_col_text(st, 2),
			.debit_day = sqlite3_column_int(st, 3),
			.expected = sqlite3_column_int64(st, 4),
			.collected = sqlite3_column_int64(st, 5),
			.shortfall = sqlite3_column_int64(st, 6),
			.pending = sqlite3_column_int64(st, 7),
		};
		if ((rc = fn(ctx, &c)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}

/* The policies with an outcome in the period, as a bitmap by policy_id
 * (read in key order: no lookup a movement). */
static const char sql_outcome_policies[] =
	"SELECT policy_id FROM outcomes WHERE period = ?1 ORDER BY policy_id";
static const char sql_movements_of[] =
	"SELECT policy_id, business_date, kind = 'reversal', amount FROM movements\n"
	" WHERE period = ?1";

static int read_scheduled(struct store *s, const char *period, uint8_t **bits, int64_t *nbits,
			  struct err *e)
{
	int rc = 0;
	size_t cap = 0;
	sqlite3_stmt *st = db_prep(s, sql_outcome_policies, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	while (db_step_row(s, st, &rc, e, "reading outcomes")) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id < 0 || id > INT32_MAX)
			continue; /* rowids kasi gives are small; a policy so far out has no bit */
		size_t need = (size_t)(id / 8 + 1);
		if (need > cap) {
			size_t ncap = need * 2;
			uint8_t *nb = realloc(*bits, ncap);
			if (!nb) {
				rc = err_set(e, KASI_EIO, "out of memory");
				break;
			}
			memset(nb + cap, 0, ncap - cap);
			*bits = nb;
			cap = ncap;
		}
		(*bits)[id / 8] |= (uint8_t)(1u << (id % 8));
	}
	if (st)
		sqlite3_reset(st);
	*nbits = (int64_t)cap * 8;
	return rc;
}

int store_each_movement_day(struct store *s, const char *period,
			    int (*fn)(void *ctx, const struct store_movement_day *d), void *ctx,
			    struct err *e)
{
	uint8_t *bits = NULL;
	int64_t nbits = 0;
	int rc = read_scheduled(s, period, &bits, &nbits, e);
	sqlite3_stmt *st = db_prep(s, sql_movements_of, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	while (db_step_row(s, st, &rc, e, "reading movements")) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id < 0 || id >= nbits || !(bits[id / 8] & (1u << (id % 8))))
			continue; /* no outcome: not the month's money */
		int64_t amount = sqlite3_column_int64(st, 3);
		bool reversal = sqlite3_column_int(st, 2) != 0;
		struct store_movement_day d = { .date = db_col_text(st, 1),
						.collected = reversal ? 0 : amount,
						.reversed = reversal ? amount : 0 };
		if ((rc = fn(ctx, &d)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	free(bits);
	return rc;
}
