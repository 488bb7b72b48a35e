/*
 * settle.c — the store's side of settlement: money movements, batches,
 * lines and payouts (see store.h).
 *
 * Exactly once is the schema's: a settlement line's key is its
 * movement's, (fact_id, kind), and no line is ever deleted, so a
 * movement is paid over at most once whatever runs; a settlement through
 * a day is recorded once (its through date is a key). Everything a settle
 * writes is in its caller's one transaction.
 */
#include "core/common.h"
#include "core/grow.h"
#include "core/strmap.h"
#include "store/db.h"

/* ---- movements ------------------------------------------------------------ */

static const char sql_period_unsettled[] = "UPDATE periods SET unsettled = 1 WHERE period = ?1";

int store_period_unsettled(struct store *s, const char *period, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_period_unsettled, &rc, e);
	db_bind_text(s, st, &rc, e, 1, period);
	db_step_done(s, st, &rc, e, "marking a period unsettled");
	return rc;
}

/* What settling a movement needs of its policy's product: its provider
 * and fees, now; by product_id (a few products; a million movements). */
struct fee_table {
	struct product_fees {
		int64_t provider_id, fee_bps, fee_fixed;
		bool known;
	} * products;
	int64_t nproducts;
};

static const char sql_products_fees[] =
	"SELECT product_id, provider_id, fee_bps, fee_fixed FROM products ORDER BY product_id";
static const char sql_max_product[] = "SELECT ifnull(max(product_id), 0) FROM products";

static int fee_table_load(struct store *s, struct fee_table *t, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_max_product, &rc, e);
	if (db_step_row(s, st, &rc, e, "reading products"))
		t->nproducts = sqlite3_column_int64(st, 0) + 1;
	if (st)
		sqlite3_reset(st);
	if (rc)
		return rc;
	if (!(t->products = calloc((size_t)t->nproducts, sizeof(*t->products))))
		return err_set(e, KASI_EIO, "out of memory");
	st = db_prep(s, sql_products_fees, &rc, e);
	while (db_step_row(s, st, &rc, e, "reading products")) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id >= 0 && id < t->nproducts)
			t->products[id] =
				(struct product_fees){ sqlite3_column_int64(st, 1),
						       sqlite3_column_int64(st, 2),
						       sqlite3_column_int64(st, 3), true };
	}
	return rc;
}

static void fee_table_release(struct fee_table *t)
{
	free(t->products);
}

static const char sql_unsettled_periods[] =
	"SELECT period FROM periods WHERE unsettled = 1 ORDER BY period";
/* A period's movements and the settlement lines from its first row on,
 * both in key order: read side by side, a movement that meets its line is
 * settled (no lookup a movement). */
static const char sql_period_movements[] =
	"SELECT fact_id, kind, policy_id, channel, business_date, amount, ifnull(original, 0),\n"
	"       product_id\n"
	"  FROM movements WHERE period = ?1 AND business_date <= ?2 ORDER BY fact_id, kind";
static const char sql_lines_from[] =
	"SELECT fact_id, kind, ifnull(original, 0),\n"
	/* (looked up for a reversal's line only: a settlement reads a
	 * million collection lines here) */
	"       CASE WHEN original IS NULL THEN 0\n"
	"            ELSE (SELECT withdrawn IS NOT NULL FROM facts o\n"
	"                   WHERE o.fact_id = settlement_lines.original) END\n"
	"  FROM settlement_lines\n"
	" WHERE fact_id >= (SELECT ifnull(min(fact_id), 0) FROM movements WHERE period = ?1)\n"
	" ORDER BY fact_id, kind";
/* A reversal's original, when it was settled: its fee and its provider. */
static const char sql_original_line[] =
	"SELECT l.fee, b.provider_id FROM settlement_lines l JOIN settlement_batches b\n"
	"    USING (batch_id) WHERE l.fact_id = ?1 AND l.kind = 'collection'";
/* A collection of a voided file taken back: the fee left of its line
 * (what reversal lines did not take off already) and to whom. */
/* clang-format off */
static const char sql_take_back_line[] =
	"SELECT " STORE_LEFT_OF("fee", "?2") ", b.provider_id\n"
	"  FROM settlement_lines l JOIN settlement_batches b USING (batch_id)\n"
	" WHERE l.fact_id = ?1 AND l.kind = 'collection'";
/* clang-format on */
/* A reversal of a voided file given back: the line that clawed it back,
 * its fee and to whom. */
static const char sql_reversal_line[] =
	"SELECT l.fee, b.provider_id FROM settlement_lines l JOIN settlement_batches b\n"
	"    USING (batch_id) WHERE l.fact_id = ?1 AND l.kind = 'reversal'";
/* ... when it was not: its amount, as reconciliation found it. */
static const char sql_original_movement[] =
	"SELECT amount FROM movements WHERE period = ?1 AND fact_id = ?2 AND kind = 'collection'";
/* The reversal lines whose original may be one of a period's movements:
 * a collection is clawed back once, whichever row reverses it now. */
/* (One given back, or to be given back by this settlement, claws back
 * nothing; a void's take-back is no reversal of the collection by
 * another row.) */
/* clang-format off */
static const char sql_reversal_lines[] =
	"SELECT r.original, r.fact_id, r.fee FROM settlement_lines r\n"
	" WHERE r.kind = 'reversal' AND r.fact_id <> r.original\n"
	"   AND r.original BETWEEN (SELECT ifnull(min(fact_id), 0) FROM movements WHERE period = ?1)\n"
	"                      AND (SELECT ifnull(max(fact_id), -1) FROM movements WHERE period = ?1)\n"
	"   AND NOT " STORE_GIVEN_BACK("r") "\n"
	"   AND NOT EXISTS (SELECT 1 FROM movements g WHERE g.period = ?1 AND g.fact_id = r.fact_id\n"
	"                      AND g.kind = 'collection' AND g.original IS NOT NULL\n"
	"                      AND g.business_date <= ?2)";
/* clang-format on */

/* -1, 0 or 1 as (fact_id, kind) a sorts before, with or after b. */
static int key_cmp(int64_t fa, const char *ka, int64_t fb, const char *kb)
{
	return fa != fb ? (fa < fb ? -1 : 1) : strcmp(ka, kb);
}

/* The reversal lines of a period's originals, by original. */
struct clawbacks {
	struct strmap *by_original;
	struct clawback {
		int64_t fact_id, fee;
	} * lines;
	size_t n, cap;
};

struct unsettled_run {
	struct store *s;
	struct err *e;
	const struct fee_table *fees;
	struct clawbacks claws;
	int (*fn)(void *ctx, const struct store_unsettled *u);
	void *ctx;
};

static int clawbacks_load(struct unsettled_run *u, const char *period, const char *through)
{
	struct clawbacks *c = &u->claws;
	strmap_free(c->by_original);
	c->n = 0;
	if (!(c->by_original = strmap_new()))
		return err_set(u->e, KASI_EIO, "out of memory");
	int rc = 0;
	sqlite3_stmt *st = db_prep(u->s, sql_reversal_lines, &rc, u->e);
	db_bind_text(u->s, st, &rc, u->e, 1, period);
	db_bind_text(u->s, st, &rc, u->e, 2, through);
	while (db_step_row(u->s, st, &rc, u->e, "reading reversal lines")) {
		int64_t original = sqlite3_column_int64(st, 0);
		if (!grow_array((void **)&c->lines, &c->cap, c->n + 1, sizeof(*c->lines)) ||
		    strmap_put(c->by_original, (const char *)&original, sizeof(original),
			       (uint32_t)c->n)) {
			rc = err_set(u->e, KASI_EIO, "out of memory");
			break;
		}
		c->lines[c->n++] = (struct clawback){ sqlite3_column_int64(st, 1),
						      sqlite3_column_int64(st, 2) };
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}

/* The reversal line that claws back `original`, or NULL. */
static const struct clawback *clawback_of(const struct clawbacks *c, int64_t original)
{
	uint32_t i;
	if (!c->n || !strmap_get(c->by_original, (const char *)&original, sizeof(original), &i))
		return NULL;
	return &c->lines[i];
}

/* What settling a reversal needs of its original: the fee its line was
 * charged and to whom, or (not settled yet) its amount. What giving back
 * a reversal needs of its own line: the same. */
static int original_of(struct unsettled_run *u, const char *period, struct store_unsettled *m)
{
	int rc = 0;
	bool give_back = !strcmp(m->kind, "collection"), take_back = m->original == m->fact_id;
	const char *sql = give_back   ? sql_reversal_line
			  : take_back ? sql_take_back_line
				      : sql_original_line;
	sqlite3_stmt *st = db_prep(u->s, sql, &rc, u->e);
	db_bind_int(u->s, st, &rc, u->e, 1, give_back ? m->fact_id : m->original);
	if (take_back)
		db_bind_text(u->s, st, &rc, u->e, 2, period);
	if (db_step_row(u->s, st, &rc, u->e, "reading a settled line")) {
		m->original_settled = true;
		m->original_fee = sqlite3_column_int64(st, 0);
		m->original_provider_id = sqlite3_column_int64(st, 1);
	}
	if (st)
		sqlite3_reset(st);
	if (rc || m->original_settled || give_back || take_back)
		return rc;
	st = db_prep(u->s, sql_original_movement, &rc, u->e);
	db_bind_text(u->s, st, &rc, u->e, 1, period);
	db_bind_int(u->s, st, &rc, u->e, 2, m->original);
	if (db_step_row(u->s, st, &rc, u->e, "reading a movement"))
		m->original_amount = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return rc;
}

/* The movement's provider and fees: its policy's product's, now. */
static int product_of(struct unsettled_run *u, int64_t product, struct store_unsettled *m)
{
	if (product < 0 || product >= u->fees->nproducts || !u->fees->products[product].known)
		return err_set(u->e, KASI_EIO,
			       "store '%s': movement %" PRId64 " names no known product",
			       u->s->path, m->fact_id);
	const struct product_fees *pf = &u->fees->products[product];
	m->provider_id = pf->provider_id;
	m->fee_bps = pf->fee_bps;
	m->fee_fixed = pf->fee_fixed;
	return 0;
}

/* A movement no line holds by its key: what the lines already say of it
 * (a collection clawed back before it was paid; a reversal of a
 * collection clawed back already, by another row), and its fees. */
static int describe(struct unsettled_run *u, const char *period, struct store_unsettled *m)
{
	bool reversal = !strcmp(m->kind, "reversal");
	const struct clawback *c = clawback_of(&u->claws, reversal ? m->original : m->fact_id);
	if ((!reversal && m->original) || (reversal && m->original == m->fact_id))
		return original_of(u, period, m); /* a void's give-back or take-back */
	if (!reversal) {
		m->reversed_first = c != NULL;
		m->reversal_fee = c ? c->fee : 0;
		return 0;
	}
	if (c) {
		m->relink = STORE_RELINK_SETTLED;
		m->settled_as = c->fact_id;
		return 0;
	}
	return m->original ? original_of(u, period, m) : 0;
}

static int unsettled_of_period(struct unsettled_run *u, const char *period, const char *through)
{
	struct store *s = u->s;
	int rc = clawbacks_load(u, period, through);
	sqlite3_stmt *lines = rc ? NULL : db_prep(s, sql_lines_from, &rc, u->e);
	db_bind_text(s, lines, &rc, u->e, 1, period);
	bool more = db_step_row(s, lines, &rc, u->e, "reading settlement lines");
	sqlite3_stmt *st = db_prep(s, sql_period_movements, &rc, u->e);
	db_bind_text(s, st, &rc, u->e, 1, period);
	db_bind_text(s, st, &rc, u->e, 2, through);
	while (db_step_row(s, st, &rc, u->e, "reading movements to settle")) {
		struct store_unsettled m = {
			.period = period,
			.fact_id = sqlite3_column_int64(st, 0),
			.kind = db_col_text(st, 1),
			.policy_id = sqlite3_column_int64(st, 2),
			.channel = db_col_text(st, 3),
			.business_date = db_col_text(st, 4),
			.amount = sqlite3_column_int64(st, 5),
			.original = sqlite3_column_int64(st, 6),
			.original_amount = -1,
		};
		int c = 1;
		while (more && (c = key_cmp(sqlite3_column_int64(lines, 0), db_col_text(lines, 1),
					    m.fact_id, m.kind)) < 0)
			more = db_step_row(s, lines, &rc, u->e, "reading settlement lines");
		if (rc)
			break;
		if (more && c == 0) {
			/* Settled already; unless reconciliation has since linked
			 * this reversal to another collection that no line claws
			 * back: its line cannot be written twice. */
			int64_t was = sqlite3_column_int64(lines, 2);
			bool was_voided = sqlite3_column_int(lines, 3) != 0;
			/* (A line whose original was voided serves the new one.) */
			if (strcmp(m.kind, "reversal") || was == m.original || was_voided ||
			    clawback_of(&u->claws, m.original))
				continue;
			m.relink = STORE_RELINK_HELD;
			m.settled_as = was;
		}
		if ((rc = product_of(u, sqlite3_column_int64(st, 7), &m)) ||
		    (!m.relink && (rc = describe(u, period, &m))) || (rc = u->fn(u->ctx, &m)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	if (lines)
		sqlite3_reset(lines);
	return rc;
}

int store_each_unsettled_movement(struct store *s, const char *through,
				  int (*fn)(void *ctx, const struct store_unsettled *u), void *ctx,
				  struct err *e)
{
	struct fee_table fees = { 0 };
	struct unsettled_run u = { .s = s, .e = e, .fees = &fees, .fn = fn, .ctx = ctx };
	char(*periods)[16] = NULL;
	size_t n = 0, cap = 0;
	int rc = fee_table_load(s, &fees, e);
	sqlite3_stmt *st = rc ? NULL : db_prep(s, sql_unsettled_periods, &rc, e);
	while (db_step_row(s, st, &rc, e, "reading periods")) {
		if (n == cap) {
			void *np = realloc(periods, (cap = cap ? 2 * cap : 16) * sizeof(*periods));
			if (!np) {
				rc = err_set(e, KASI_EIO, "out of memory");
				break;
			}
			periods = np;
		}
		snprintf(periods[n++], sizeof(*periods), "%s", db_col_text(st, 0));
	}
	if (st)
		sqlite3_reset(st);
	for (size_t i = 0; i < n && !rc; i++)
		rc = unsettled_of_period(&u, periods[i], through);
	free(periods);
	fee_table_release(&fees);
	strmap_free(u.claws.by_original);
	free(u.claws.lines);
	return rc;
}

static const char sql_settlement_find[] = "SELECT 1 FROM settlements WHERE through = ?1";

int store_settlement_find(struct store *s, const char *through, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_settlement_find, &rc, e);
	db_bind_text(s, st, &rc, e, 1, through);
	bool found = db_step_row(s, st, &rc, e, "reading settlements");
	if (st)
		sqlite3_reset(st);
	return rc ? rc : found;
}

static const char sql_last_settlement[] =
	"SELECT ifnull(max(through), '') FROM settlements WHERE through <= ?1";

int store_last_settlement(struct store *s, const char *today, char out[16], struct err *e)
{
	int rc = 0;
	out[0] = '\0';
	sqlite3_stmt *st = db_prep(s, sql_last_settlement, &rc, e);
	db_bind_text(s, st, &rc, e, 1, today);
	if (db_step_row(s, st, &rc, e, "reading settlements"))
		snprintf(out, 16, "%s", db_col_text(st, 0));
	if (st)
		sqlite3_reset(st);
	return rc;
}

static const char sql_each_fact_span[] =
	"SELECT schema, first_fact_date, last_fact_date, file_id FROM files\n"
	" WHERE outcome = 'applied' AND channel IS NOT NULL AND period_facts = 1\n"
	"   AND first_fact_date <= ?1\n"
	" ORDER BY first_fact_date, file_id";

int store_each_fact_span(struct store *s, const char *through,
			 int (*fn)(void *ctx, const char *schema, const char *first,
				   const char *last, int64_t file_id),
			 void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_fact_span, &rc, e);
	db_bind_text(s, st, &rc, e, 1, through);
	while (db_step_row(s, st, &rc, e, "reading files"))
		if ((rc = fn(ctx, db_col_text(st, 0), db_col_text(st, 1), db_col_text(st, 2),
			     sqlite3_column_int64(st, 3))))
			break;
	if (st)
		sqlite3_reset(st);
	return rc;
}

/* A file's facts are one range of fact ids: read by their key, not an
 * index by date. */
static const char sql_file_periods[] =
	"SELECT DISTINCT substr(business_date, 1, 7) FROM facts\n"
	" WHERE fact_id BETWEEN ?1 * 4294967296 AND ?1 * 4294967296 + 4294967295\n"
	"   AND business_date <= ?2\n"
	" ORDER BY 1";

int store_each_file_period(struct store *s, int64_t file_id, const char *through,
			   int (*fn)(void *ctx, const char *period), void *ctx, struct err *e)
{
	int rc = 0;
	char(*periods)[16] = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = db_prep(s, sql_file_periods, &rc, e);
	db_bind_int(s, st, &rc, e, 1, file_id);
	db_bind_text(s, st, &rc, e, 2, through);
	while (db_step_row(s, st, &rc, e, "reading a file's facts")) {
		if (!grow_array((void **)&periods, &cap, n + 1, sizeof(*periods))) {
			rc = err_set(e, KASI_EIO, "out of memory");
			break;
		}
		snprintf(periods[n++], sizeof(*periods), "%s", db_col_text(st, 0));
	}
	if (st)
		sqlite3_reset(st);
	/* Called once the statement is done: fn reads the store. */
	for (size_t i = 0; i < n && !rc; i++)
		rc = fn(ctx, periods[i]);
	free(periods);
	return rc;
}

/* ---- batches, lines, payouts ------------------------------------------------- */

static const char sql_settlement_add[] =
	"INSERT INTO settlements (through, settled_at, batches) VALUES (?1, ?2, 0)";
static const char sql_batch_add[] =
	"INSERT INTO settlement_batches (provider_id, through, collections, collected,\n"
	"                                reversals, reversed, fees, brought_forward, net)\n"
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char sql_settlement_count[] =
	"UPDATE settlements SET batches = batches + 1 WHERE through = ?1";

int store_settlement_add(struct store *s, const char *through, const char *now, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_settlement_add, &rc, e);
	db_bind_text(s, st, &rc, e, 1, through);
	db_bind_text(s, st, &rc, e, 2, now);
	db_step_done(s, st, &rc, e, "recording a settlement");
	return rc;
}

int store_batch_add(struct store *s, const char *through, struct store_batch *b, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_batch_add, &rc, e);
	db_bind_int(s, st, &rc, e, 1, b->provider_id);
	db_bind_text(s, st, &rc, e, 2, through);
	db_bind_int(s, st, &rc, e, 3, b->collections);
	db_bind_int(s, st, &rc, e, 4, b->collected);
	db_bind_int(s, st, &rc, e, 5, b->reversals);
	db_bind_int(s, st, &rc, e, 6, b->reversed);
	db_bind_int(s, st, &rc, e, 7, b->fees);
	db_bind_int(s, st, &rc, e, 8, b->brought_forward);
	db_bind_int(s, st, &rc, e, 9, b->net);
	db_step_done(s, st, &rc, e, "recording a settlement batch");
	b->batch_id = rc ? 0 : sqlite3_last_insert_rowid(s->db);
	st = db_prep(s, sql_settlement_count, &rc, e);
	db_bind_text(s, st, &rc, e, 1, through);
	db_step_done(s, st, &rc, e, "counting a settlement's batches");
	return rc;
}

static const char sql_lines_add[] =
	"INSERT INTO settlement_lines (fact_id, kind, batch_id, policy_id, channel, business_date,\n"
	"                              amount, fee, net, original)\n"
	"SELECT fact_id, kind, batch_id, policy_id, channel, business_date, amount, fee, net,\n"
	"       original\n"
	"  FROM kasi_lines(?1)";

int store_lines_add(struct store *s, const struct store_settlement_line *l, size_t n, struct err *e)
{
	int rc = 0;
	if (!n)
		return 0;
	sqlite3_stmt *st = db_prep(s, sql_lines_add, &rc, e);
	return db_insert_array(s, st, 1, STORE_LINE_ARRAY, l, n, &rc, e,
			       "recording settlement lines");
}

static const char sql_last_net[] =
	"SELECT net FROM settlement_batches WHERE provider_id = ?1 ORDER BY batch_id DESC LIMIT 1";
/* What a payout leaves owed: all of it when rejected; the difference
 * when paid other than instructed (negative: paid too much). */
#define PAYOUT_OWED                                    \
	"CASE p.state WHEN 'rejected' THEN p.amount\n" \
	"             WHEN 'mismatch' THEN p.amount - p.amount_paid ELSE 0 END"
/* ... and what it paid out. */
#define PAYOUT_PAID                             \
	"CASE p.state WHEN 'rejected' THEN 0\n" \
	"             WHEN 'mismatch' THEN p.amount_paid ELSE p.amount END"
static const char sql_owed_open[] = "SELECT ifnull(sum(" PAYOUT_OWED "), 0)\n"
				    "  FROM payouts p JOIN settlement_batches b USING (batch_id)\n"
				    " WHERE b.provider_id = ?1 AND p.carried_into IS NULL\n"
				    "   AND (p.state = 'rejected' OR p.state = 'mismatch')";

int store_provider_carry(struct store *s, int64_t provider_id, int64_t *last_net, int64_t *owed,
			 struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_last_net, &rc, e);
	db_bind_int(s, st, &rc, e, 1, provider_id);
	*last_net = db_step_row(s, st, &rc, e, "reading a provider's last batch")
			    ? sqlite3_column_int64(st, 0)
			    : 0;
	if (st)
		sqlite3_reset(st);
	st = db_prep(s, sql_owed_open, &rc, e);
	db_bind_int(s, st, &rc, e, 1, provider_id);
	*owed = db_step_row(s, st, &rc, e, "reading payouts owed still")
			? sqlite3_column_int64(st, 0)
			: 0;
	if (st)
		sqlite3_reset(st);
	return rc;
}

static const char sql_providers_owed[] =
	"SELECT DISTINCT b.provider_id FROM payouts p JOIN settlement_batches b USING (batch_id)\n"
	" WHERE p.carried_into IS NULL AND (p.state = 'rejected' OR p.state = 'mismatch')\n"
	" ORDER BY b.provider_id";

int store_each_provider_owed(struct store *s, int (*fn)(void *ctx, int64_t provider_id), void *ctx,
			     struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_providers_owed, &rc, e);
	while (db_step_row(s, st, &rc, e, "reading payouts owed still"))
		if ((rc = fn(ctx, sqlite3_column_int64(st, 0))))
			break;
	if (st)
		sqlite3_reset(st);
	return rc;
}

static const char sql_payouts_carry[] =
	"UPDATE payouts SET carried_into = ?2\n"
	" WHERE (state = 'rejected' OR state = 'mismatch') AND carried_into IS NULL\n"
	"   AND batch_id IN (SELECT batch_id FROM settlement_batches WHERE provider_id = ?1)";

int store_payouts_carry(struct store *s, int64_t provider_id, int64_t batch_id, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_payouts_carry, &rc, e);
	db_bind_int(s, st, &rc, e, 1, provider_id);
	db_bind_int(s, st, &rc, e, 2, batch_id);
	db_step_done(s, st, &rc, e, "carrying payouts owed still");
	return rc;
}

/* The account is the provider's as the batch is made, kept with the
 * payout: an instruction written again names the same. */
static const char sql_payout_add[] =
	"INSERT INTO payouts (batch_id, reference, amount, instructed_at, to_bank_id, to_account)\n"
	"SELECT ?1, 'new:' || ?1, ?2, ?3, v.payout_bank_id, v.payout_account\n"
	"  FROM settlement_batches b JOIN providers v USING (provider_id) WHERE b.batch_id = ?1";
static const char sql_payout_reference[] = "UPDATE payouts SET reference = ?2 WHERE payout_id = ?1";

int store_payout_add(struct store *s, int64_t batch_id, int64_t amount, const char *now,
		     char reference[16], struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_payout_add, &rc, e);
	db_bind_int(s, st, &rc, e, 1, batch_id);
	db_bind_int(s, st, &rc, e, 2, amount);
	db_bind_text(s, st, &rc, e, 3, now);
	db_step_done(s, st, &rc, e, "recording a payout");
	if (rc)
		return rc;
	if (sqlite3_changes(s->db) != 1)
		return err_set(e, KASI_EIO, "store '%s': batch %" PRId64 " has no provider",
			       s->path, batch_id);
	int64_t id = sqlite3_last_insert_rowid(s->db);
	/* 14 alphanumerics: "KP" and the payout's id in 12 digits. */
	if (id < 0 || id > 999999999999LL)
		return err_set(e, KASI_EIO, "store '%s': payout ids are exhausted", s->path);
	snprintf(reference, 16, "KP%012" PRId64, id);
	st = db_prep(s, sql_payout_reference, &rc, e);
	db_bind_int(s, st, &rc, e, 1, id);
	db_bind_text(s, st, &rc, e, 2, reference);
	db_step_done(s, st, &rc, e, "naming a payout");
	return rc;
}

static const char sql_payout_find[] =
	"SELECT amount, state, ifnull(state_date, ''), ifnull(state_time, -1),\n"
	"       ifnull(state_fact, 0), ifnull(amount_paid, 0), ifnull(carried_into, 0)\n"
	"  FROM payouts WHERE reference = ?1";
static const char sql_payout_confirm[] =
	"UPDATE payouts SET state = ?2, state_date = ?3, state_time = ?4, state_fact = ?5,\n"
	"       amount_paid = ?6\n"
	" WHERE reference = ?1";

int store_payout_find(struct store *s, const char *reference, struct store_payout *p, struct err *e)
{
	int rc = 0;
	memset(p, 0, sizeof(*p));
	sqlite3_stmt *st = db_prep(s, sql_payout_find, &rc, e);
	db_bind_text(s, st, &rc, e, 1, reference);
	bool found = db_step_row(s, st, &rc, e, "reading a payout");
	if (found) {
		p->amount = sqlite3_column_int64(st, 0);
		snprintf(p->state, sizeof(p->state), "%s", db_col_text(st, 1));
		snprintf(p->state_date, sizeof(p->state_date), "%s", db_col_text(st, 2));
		p->state_time = sqlite3_column_int64(st, 3);
		p->state_fact = sqlite3_column_int64(st, 4);
		p->amount_paid = sqlite3_column_int64(st, 5);
		p->carried_into = sqlite3_column_int64(st, 6);
	}
	if (st)
		sqlite3_reset(st);
	return rc ? rc : found;
}

int store_payout_confirm(struct store *s, const char *reference, const char *state,
			 const char *date, int64_t time, int64_t fact_id, int64_t amount_paid,
			 struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_payout_confirm, &rc, e);
	db_bind_text(s, st, &rc, e, 1, reference);
	db_bind_text(s, st, &rc, e, 2, state);
	db_bind_text(s, st, &rc, e, 3, date);
	db_bind_int(s, st, &rc, e, 4, time);
	db_bind_int(s, st, &rc, e, 5, fact_id);
	db_bind_int(s, st, &rc, e, 6, amount_paid);
	db_step_done(s, st, &rc, e, "recording a payout's confirmation");
	return rc;
}

/* Settled through a day, a period's movements dated after it are all it
 * may still hold unsettled. */
static const char sql_periods_settled[] =
	"UPDATE periods SET unsettled = 0\n"
	" WHERE unsettled = 1 AND NOT EXISTS (\n"
	"   SELECT 1 FROM movements m WHERE m.period = periods.period AND m.business_date > ?1)";

int store_periods_settled(struct store *s, const char *through, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_periods_settled, &rc, e);
	db_bind_text(s, st, &rc, e, 1, through);
	db_step_done(s, st, &rc, e, "marking periods settled");
	return rc;
}

/* Over a provider's batches: Σ (collected - reversed - fees); what left,
 * or is leaving: what its payouts paid out (a rejected one nothing, a
 * mismatched one what the switch says it paid); what is carried open:
 * the last batch's net when negative, and what payouts left owed and no
 * batch has brought forward yet. A payout's state never changes once it
 * is carried (ingest refuses it), so each sum holds for good. */
static const char sql_batches_net[] =
	"SELECT ifnull(sum(collected - reversed - fees), 0) FROM settlement_batches\n"
	" WHERE provider_id = ?1";
static const char sql_paid_out[] =
	"SELECT ifnull(sum(" PAYOUT_PAID "), 0)\n"
	"  FROM settlement_batches b JOIN payouts p USING (batch_id) WHERE b.provider_id = ?1";
int store_settlement_balance(struct store *s, int64_t provider_id, int64_t *lines,
			     int64_t *paid_and_carried, struct err *e)
{
	int rc = 0;
	int64_t paid = 0, last_net = 0, owed = 0;
	sqlite3_stmt *st = db_prep(s, sql_batches_net, &rc, e);
	db_bind_int(s, st, &rc, e, 1, provider_id);
	*lines = db_step_row(s, st, &rc, e, "summing settlement batches")
			 ? sqlite3_column_int64(st, 0)
			 : 0;
	if (st)
		sqlite3_reset(st);
	st = db_prep(s, sql_paid_out, &rc, e);
	db_bind_int(s, st, &rc, e, 1, provider_id);
	paid = db_step_row(s, st, &rc, e, "summing payouts") ? sqlite3_column_int64(st, 0) : 0;
	if (st)
		sqlite3_reset(st);
	if (!rc)
		rc = store_provider_carry(s, provider_id, &last_net, &owed, e);
	if (!rc && (__builtin_add_overflow(paid, last_net < 0 ? last_net : 0, paid_and_carried) ||
		    __builtin_add_overflow(*paid_and_carried, owed, paid_and_carried)))
		rc = err_set(e, KASI_EDATA, "a provider's settled money passes int64 cents");
	return rc;
}

/* A collection clawed back twice: a reversal line of a batch from
 * first_batch on whose original another reversal line claws back too. */
/* clang-format off */
static const char sql_clawed_twice[] =
	"SELECT r.original, r.fact_id, o.fact_id FROM settlement_lines r\n"
	"  JOIN settlement_lines o ON o.original = r.original AND o.kind = 'reversal'\n"
	" WHERE r.kind = 'reversal' AND r.batch_id >= ?1 AND o.fact_id <> r.fact_id\n"
	"   AND r.fact_id <> r.original AND o.fact_id <> o.original\n"
	"   AND NOT " STORE_GIVEN_BACK("r") " AND NOT " STORE_GIVEN_BACK("o") " LIMIT 1";
/* clang-format on */

int store_settlement_clawed_twice(struct store *s, int64_t first_batch, int64_t found[3],
				  struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_clawed_twice, &rc, e);
	db_bind_int(s, st, &rc, e, 1, first_batch);
	bool twice = db_step_row(s, st, &rc, e, "checking reversal lines");
	for (int i = 0; i < 3; i++)
		found[i] = twice ? sqlite3_column_int64(st, i) : 0;
	if (st)
		sqlite3_reset(st);
	return rc ? rc : twice;
}

static const char sql_last_batch[] = "SELECT ifnull(max(batch_id), 0) FROM settlement_batches";

int store_last_batch(struct store *s, int64_t *batch_id, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_last_batch, &rc, e);
	*batch_id = db_step_row(s, st, &rc, e, "reading batches") ? sqlite3_column_int64(st, 0) : 0;
	if (st)
		sqlite3_reset(st);
	return rc;
}

static const char sql_each_settled_provider[] =
	"SELECT DISTINCT b.provider_id, v.provider_code\n"
	"  FROM settlement_batches b JOIN providers v USING (provider_id) ORDER BY v.provider_code";

int store_each_settled_provider(struct store *s,
				int (*fn)(void *ctx, int64_t provider_id, const char *provider),
				void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_each_settled_provider, &rc, e);
	while (db_step_row(s, st, &rc, e, "reading providers"))
		if ((rc = fn(ctx, sqlite3_column_int64(st, 0), db_col_text(st, 1))))
			break;
	if (st)
		sqlite3_reset(st);
	return rc;
}

static const char sql_provider_code[] =
	"SELECT provider_code FROM providers WHERE provider_id = ?1";

int store_provider_code(struct store *s, int64_t provider_id, char out[32], struct err *e)
{
	int rc = 0;
	out[0] = '\0';
	sqlite3_stmt *st = db_prep(s, sql_provider_code, &rc, e);
	db_bind_int(s, st, &rc, e, 1, provider_id);
	if (db_step_row(s, st, &rc, e, "reading a provider"))
		snprintf(out, 32, "%s", db_col_text(st, 0));
	if (st)
		sqlite3_reset(st);
	return rc;
}

/* ---- reading batches back ------------------------------------------------------ */

#define BATCH_COLUMNS                                                                             \
	"SELECT b.batch_id, v.provider_code, v.provider_name, b.through, b.collections,\n"        \
	"       b.collected, b.reversals, b.reversed, b.fees, b.brought_forward, b.net,\n"        \
	"       p.reference, p.state, p.instructed_at, p.state_date, ifnull(p.amount, 0),\n"      \
	"       ifnull(p.amount_paid, -1), ifnull(p.carried_into, 0), ifnull(p.to_bank_id, 0),\n" \
	"       ifnull(p.to_account, '')\n"                                                       \
	"  FROM settlement_batches b JOIN providers v USING (provider_id)\n"                      \
	"  LEFT JOIN payouts p USING (batch_id)\n"
static const char sql_batches_through[] =
	BATCH_COLUMNS " WHERE b.through = ?1 ORDER BY v.provider_code, b.batch_id";
static const char sql_batches_all[] = BATCH_COLUMNS " ORDER BY b.batch_id DESC";

int store_each_batch(struct store *s, const char *through,
		     int (*fn)(void *ctx, const struct store_batch_row *b), void *ctx,
		     struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, through ? sql_batches_through : sql_batches_all, &rc, e);
	if (through)
		db_bind_text(s, st, &rc, e, 1, through);
	while (db_step_row(s, st, &rc, e, "reading settlement batches")) {
		struct store_batch_row b = {
			.batch_id = sqlite3_column_int64(st, 0),
			.provider_code = db_col_text(st, 1),
			.provider_name = db_col_text(st, 2),
			.through = db_col_text(st, 3),
			.collections = sqlite3_column_int64(st, 4),
			.collected = sqlite3_column_int64(st, 5),
			.reversals = sqlite3_column_int64(st, 6),
			.reversed = sqlite3_column_int64(st, 7),
			.fees = sqlite3_column_int64(st, 8),
			.brought_forward = sqlite3_column_int64(st, 9),
			.net = sqlite3_column_int64(st, 10),
			.reference = db_col_text(st, 11),
			.state = db_col_text(st, 12),
			.instructed_at = db_col_text(st, 13),
			.state_date = db_col_text(st, 14),
			.payout_amount = sqlite3_column_int64(st, 15),
			.amount_paid = sqlite3_column_int64(st, 16),
			.carried_into = sqlite3_column_int64(st, 17),
			.payout_bank_id = sqlite3_column_int64(st, 18),
			.payout_account = db_col_text(st, 19),
		};
		if ((rc = fn(ctx, &b)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}

/* Lines are not indexed by batch: a settlement's are read with every
 * line, once (CROSS JOIN keeps the lines outermost), its batches found by
 * their key. */
#define LINE_COLUMNS                                                                                \
	"SELECT l.batch_id, l.fact_id, l.amount, l.fee, l.net, v.provider_code,\n"                  \
	"       y.policy_number, l.channel, f.transaction_id, l.business_date, l.kind, b.through\n" \
	"  FROM settlement_lines l CROSS JOIN settlement_batches b USING (batch_id)\n"              \
	"  JOIN providers v ON v.provider_id = b.provider_id\n"                                     \
	"  JOIN policies y ON y.policy_id = l.policy_id\n"                                          \
	"  LEFT JOIN facts f ON f.fact_id = l.fact_id\n"
static const char sql_lines_through[] = LINE_COLUMNS
	" WHERE b.through = ?1 ORDER BY l.batch_id, l.business_date, l.fact_id, l.kind";
/* A policy's movements of a period, each with its line when settled; a
 * reversal whose original another row's line claws back, with that line
 * (and that row's id). */
/* clang-format off */
static const char sql_policy_lines[] =
	"SELECT ifnull(l.batch_id, ifnull(r.batch_id, 0)), m.fact_id,\n"
	"       CASE m.kind WHEN 'reversal' THEN -m.amount ELSE m.amount END,\n"
	"       ifnull(l.fee, ifnull(r.fee, 0)), ifnull(l.net, ifnull(r.net, 0)), v.provider_code,\n"
	"       y.policy_number, m.channel, f.transaction_id, m.business_date, m.kind, b.through,\n"
	"       CASE WHEN l.batch_id IS NULL THEN g.transaction_id END, f.withdrawn IS NOT NULL\n"
	"  FROM movements m JOIN policies y ON y.policy_id = m.policy_id\n"
	/* (a reversal's line settled against a collection since voided
	 * serves the row that took the collection's place, as settlement
	 * has it) */
	"  LEFT JOIN settlement_lines l ON l.fact_id = m.fact_id AND l.kind = m.kind\n"
	"                              AND (ifnull(l.original, 0) = ifnull(m.original, 0)\n"
	"                                   OR EXISTS (SELECT 1 FROM facts o WHERE o.fact_id = l.original\n"
	"                                                 AND o.withdrawn IS NOT NULL))\n"
	"  LEFT JOIN settlement_lines r ON m.kind = 'reversal' AND r.kind = 'reversal'\n"
	"                              AND r.original = m.original AND r.fact_id <> m.fact_id\n"
	"                              AND NOT " STORE_GIVEN_BACK("r") "\n"
	"  LEFT JOIN settlement_batches b ON b.batch_id = ifnull(l.batch_id, r.batch_id)\n"
	"  LEFT JOIN providers v ON v.provider_id = b.provider_id\n"
	"  LEFT JOIN facts f ON f.fact_id = m.fact_id\n"
	"  LEFT JOIN facts g ON g.fact_id = r.fact_id\n"
	" WHERE m.period = ?2 AND m.policy_id = ?1\n"
	/* and the lines of its rows of voided files dated in the period, which
	 * are movements no more (what was paid over, and what undid it) */
	"UNION ALL\n"
	"SELECT l.batch_id, l.fact_id, l.amount, l.fee, l.net, v.provider_code, y.policy_number,\n"
	"       l.channel, f.transaction_id, l.business_date, l.kind, b.through, NULL, 1\n"
	"  FROM voids w\n"
	"  JOIN settlement_lines l ON l.fact_id BETWEEN w.file_id * 4294967296\n"
	"                                           AND w.file_id * 4294967296 + 4294967295\n"
	"  JOIN policies y ON y.policy_id = l.policy_id\n"
	"  JOIN settlement_batches b ON b.batch_id = l.batch_id\n"
	"  JOIN providers v ON v.provider_id = b.provider_id\n"
	"  LEFT JOIN facts f ON f.fact_id = l.fact_id\n"
	" WHERE l.policy_id = ?1 AND substr(l.business_date, 1, 7) = ?2\n"
	"   AND NOT EXISTS (SELECT 1 FROM movements m WHERE m.period = ?2\n"
	"                      AND m.fact_id = l.fact_id AND m.kind = l.kind)\n"
	/* and of its rows a void made repeats (their file not voided) */
	"UNION ALL\n"
	"SELECT l.batch_id, l.fact_id, l.amount, l.fee, l.net, v.provider_code, y.policy_number,\n"
	"       l.channel, f.transaction_id, l.business_date, l.kind, b.through, NULL, 2\n"
	"  FROM void_repeats w JOIN facts f ON f.fact_id = w.fact_id AND f.withdrawn IS NULL\n"
	"  JOIN settlement_lines l ON l.fact_id = w.fact_id\n"
	"  JOIN policies y ON y.policy_id = l.policy_id\n"
	"  JOIN settlement_batches b ON b.batch_id = l.batch_id\n"
	"  JOIN providers v ON v.provider_id = b.provider_id\n"
	" WHERE l.policy_id = ?1 AND substr(l.business_date, 1, 7) = ?2\n"
	"   AND NOT EXISTS (SELECT 1 FROM movements m WHERE m.period = ?2\n"
	"                      AND m.fact_id = l.fact_id AND m.kind = l.kind)\n"
	" ORDER BY 10, 2, 11";
/* clang-format on */

static void line_row(sqlite3_stmt *st, struct store_line_row *l)
{
	*l = (struct store_line_row){
		.batch_id = sqlite3_column_int64(st, 0),
		.fact_id = sqlite3_column_int64(st, 1),
		.amount = sqlite3_column_int64(st, 2),
		.fee = sqlite3_column_int64(st, 3),
		.net = sqlite3_column_int64(st, 4),
		.provider_code = db_col_text(st, 5),
		.policy_number = db_col_text(st, 6),
		.channel = db_col_text(st, 7),
		.transaction_id = db_col_text(st, 8),
		.business_date = db_col_text(st, 9),
		.kind = db_col_text(st, 10),
	};
}

int store_each_line(struct store *s, const char *through,
		    int (*fn)(void *ctx, const struct store_line_row *l), void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_lines_through, &rc, e);
	db_bind_text(s, st, &rc, e, 1, through);
	while (db_step_row(s, st, &rc, e, "reading settlement lines")) {
		struct store_line_row l;
		line_row(st, &l);
		if ((rc = fn(ctx, &l)))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}

int store_each_policy_line(struct store *s, int64_t policy_id, const char *period,
			   int (*fn)(void *ctx, const struct store_line_row *l,
				     const char *through),
			   void *ctx, struct err *e)
{
	int rc = 0;
	sqlite3_stmt *st = db_prep(s, sql_policy_lines, &rc, e);
	db_bind_int(s, st, &rc, e, 1, policy_id);
	db_bind_text(s, st, &rc, e, 2, period);
	while (db_step_row(s, st, &rc, e, "reading a policy's settlement lines")) {
		struct store_line_row l;
		line_row(st, &l);
		l.settled_as = db_col_text(st, 12);
		l.uncounted = sqlite3_column_int(st, 13);
		if ((rc = fn(ctx, &l, db_col_text(st, 11))))
			break;
	}
	if (st)
		sqlite3_reset(st);
	return rc;
}
