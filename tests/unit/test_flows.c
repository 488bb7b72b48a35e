/* Unit tests for the matching flows (stage/flow_*.c, stage/match.c): each
 * rule on small cases held in memory. No store is opened: what a flow
 * looks up comes from the arrays below, so that a later store backend
 * cannot change these rules silently. */
#include "unit.h"
#include "stage/discrepancy.h"
#include "stage/match.h"
#include "stage/outcome.h"

/* ---- schemas of three imaginary channels ---------------------------------- */

static const char *const debits_text =
	"channel deb\n"
	"file_name ^deb_(?<date>[0-9]{8})\\.csv$\n"
	"file_date yyyymmdd\n"
	"column id\ncolumn t\ncolumn ref\ncolumn d\n\tdate yyyy-mm-dd\n"
	"column amt\n\tmoney decimals=0-2\ncolumn cyc\n\tdate yyyy-mm-dd\ncolumn orig\ncolumn why\n"
	"map transaction_id id\nmap type t\nmap reference ref\nmap date d\nmap amount amt\n"
	"map cycle_date cyc\nmap original_id orig\nmap reason why\n"
	"label Deb\nflow debits\nmatch collection_ref\n"
	"kind collected type=C\nkind reversal called unpaid type=R\nkind ignored type=N\n"
	"link original_id\nlink reference cycle_date\namounts negative\n";

static const char *const instructions_text =
	"channel ins\n"
	"file_name ^ins_(?<date>[0-9]{8})\\.csv$\n"
	"file_date yyyymmdd\n"
	"column id\ncolumn ref\ncolumn d\n\tdate yyyy-mm-dd\ncolumn st\ncolumn sd\n\tdate "
	"yyyy-mm-dd\ncolumn tm\n\ttime hhmmss\n"
	"column paid\n\tmoney decimals=2\ncolumn asked\n\tmoney decimals=2\ncolumn code\n"
	"map transaction_id id\nmap reference ref\nmap date d\nmap status st\nmap status_date sd\n"
	"map status_time tm\nmap amount paid\nmap requested_amount asked\nmap reason code\n"
	"label Ins\nflow instructions\nmatch collection_ref\norder status_date status_time\n"
	"kind collected called completion status=3\n"
	"kind tracking status=4|7 reason=99\n"
	"kind failed status=4|7\nkind pending status=1|2|6\nkind cancelled status=5\n";

static const char *const payments_text =
	"channel pay\n"
	"file_name ^pay_(?<date>[0-9]{8})\\.csv$\n"
	"file_date yyyymmdd\n"
	"column id\ncolumn code\ncolumn d\n\tdate yyyy-mm-dd\ncolumn t\ncolumn st\ncolumn amt\n"
	"\tmoney decimals=2\ncolumn why\n"
	"map transaction_id id\nmap reference code\nmap date d\nmap type t\nmap status st\n"
	"map amount amt\nmap reason why\n"
	"label Pay\nflow payments\nmatch cash_code\nledger two_sided\n"
	"kind ignored called cashout type=out\nkind collected status=ok\n"
	"kind pending status=wait\nkind failed status=bad\n";

static struct schema *schemas[3];
static struct schema_set set = { .dir = "(memory)", .items = schemas, .n = 3 };

static int load_schemas(void **state)
{
	if (unit_tmpdir_setup(state))
		return -1;
	static const char *const texts[] = { debits_text, instructions_text, payments_text };
	static const char *const names[] = { "deb.schema", "ins.schema", "pay.schema" };
	for (int i = 0; i < 3; i++) {
		struct err e = { 0 };
		if (schema_load(&schemas[i], unit_write_str(names[i], texts[i]), &e)) {
			fprintf(stderr, "%s\n", e.msg);
			return -1;
		}
	}
	return 0;
}

static int free_schemas(void **state)
{
	for (int i = 0; i < 3; i++)
		schema_free(schemas[i]);
	return unit_tmpdir_teardown(state);
}

/* ---- what the store would hold ----------------------------------------------- */

#define MAX_STORED 16

static struct store_fact_row stored[MAX_STORED]; /* counted facts, by arrival */
static size_t nstored;
static struct store_ledger_row ledger[MAX_STORED];
static size_t nledger;

static int fact_by_key(void *ctx, const char *channel, const char *key,
		       int (*fn)(void *, const struct store_fact_row *), void *fn_ctx,
		       struct err *e)
{
	(void)ctx, (void)e;
	for (size_t i = 0; i < nstored; i++)
		if (!strcmp(stored[i].channel, channel) && !strcmp(stored[i].transaction_id, key))
			return fn(fn_ctx, &stored[i]) ? -1 : 1;
	return 0;
}

static int facts_on_cycle(void *ctx, const char *channel, const char *reference,
			  const char *cycle_date, const char *kind,
			  int (*fn)(void *, const struct store_fact_row *), void *fn_ctx,
			  struct err *e)
{
	(void)ctx, (void)e;
	for (size_t i = 0; i < nstored; i++) {
		const struct store_fact_row *f = &stored[i];
		if (!strcmp(f->channel, channel) && f->reference &&
		    !strcmp(f->reference, reference) && f->cycle_date &&
		    !strcmp(f->cycle_date, cycle_date) && !strcmp(f->canonical_kind, kind) &&
		    fn(fn_ctx, f))
			return -1;
	}
	return 0;
}

static int fact_at(void *ctx, int64_t id, int (*fn)(void *, const struct store_fact_row *),
		   void *fn_ctx, struct err *e)
{
	(void)ctx, (void)e;
	for (size_t i = 0; i < nstored; i++)
		if (stored[i].fact_id == id)
			return fn(fn_ctx, &stored[i]) ? -1 : 1;
	return 0;
}

static int ledger_find(void *ctx, const char *channel, const char *txn,
		       int (*fn)(void *, const struct store_ledger_row *), void *fn_ctx,
		       struct err *e)
{
	(void)ctx, (void)e;
	for (size_t i = 0; i < nledger; i++)
		if (!strcmp(ledger[i].channel, channel) && !strcmp(ledger[i].transaction_id, txn))
			return fn(fn_ctx, &ledger[i]) ? -1 : 1;
	return 0;
}

static int ledger_get(void *ctx, int64_t id, int (*fn)(void *, const struct store_ledger_row *),
		      void *fn_ctx, struct err *e)
{
	(void)ctx, (void)e;
	for (size_t i = 0; i < nledger; i++)
		if (ledger[i].ledger_id == id)
			return fn(fn_ctx, &ledger[i]) ? -1 : 1;
	return 0;
}

static const struct match_lookup lookup = {
	.fact_by_key = fact_by_key,
	.facts_on_cycle = facts_on_cycle,
	.fact_at = fact_at,
	.ledger_find = ledger_find,
	.ledger_get = ledger_get,
};

/* ---- a matcher over three policies ------------------------------------------- */

static struct matcher m;
static struct err e;

/* Policy i (0..2) of channel `channel`: collection_ref R<i>, cash code
 * K<i>, number P<i>, 100.00 expected. */
static void start(const char *channel)
{
	memset(&e, 0, sizeof(e));
	nstored = nledger = 0;
	assert_int_equal(matcher_init(&m, &set, "2026-10", &lookup, &e), 0);
	for (int i = 0; i < 3; i++) {
		char ref[8], code[8], number[8];
		snprintf(ref, sizeof(ref), "R%d", i);
		snprintf(code, sizeof(code), "K%d", i);
		snprintf(number, sizeof(number), "P%d", i);
		struct store_policy_row p = {
			.policy_id = 100 + i,
			.policy_number = number,
			.channel = channel,
			.collection_ref = ref,
			.cash_code = code,
			.status = "active",
			.scheduled = true,
			.expected = 10000,
		};
		assert_int_equal(matcher_add_policy(&m, &p), 0);
	}
}

static void stop(void)
{
	matcher_release(&m);
}

/* A fact of the channel, row `row` of file 1. */
static struct store_fact_row fact(const char *channel, uint64_t row, const char *txn,
				  const char *kind, const char *type, const char *reference,
				  const char *date, int64_t amount)
{
	return (struct store_fact_row){
		.fact_id = store_fact_id(1, row),
		.file_id = 1,
		.row = row,
		.channel = channel,
		.transaction_id = txn,
		.reference = reference,
		.business_date = date,
		.kind = type,
		.canonical_kind = kind,
		.has_amount = true,
		.amount = amount,
		.status_time = -1,
	};
}

static const struct channel *channel(const char *name)
{
	const struct channel *c = matcher_channel(&m, name);
	assert_non_null(c);
	return c;
}

static size_t count_findings(const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < m.nfindings; i++)
		n += !strcmp(m.findings[i].code, code);
	return n;
}

/* ---- debits -------------------------------------------------------------------- */

static void test_debits_collection_sign(void **state)
{
	(void)state;
	start("deb");
	/* As on the client's account: -150.00 collects R150.00. */
	struct store_fact_row f =
		fact("deb", 2, "T1", "collected", "C", "R0", "2026-10-01", -15000);
	assert_int_equal(flow_debits_fact(&m, channel("deb"), &f), 0);
	assert_int_equal(m.nmoves, 1);
	assert_int_equal(m.moves[0].kind, MOVE_COLLECTED);
	assert_int_equal(m.moves[0].amount, 15000);
	assert_int_equal(m.moves[0].policy, 0);
	stop();

	/* A schema that writes collections positive collects them as written. */
	start("deb");
	schemas[0]->flow.negative_amounts = false;
	f.amount = 15000;
	assert_int_equal(flow_debits_fact(&m, channel("deb"), &f), 0);
	assert_int_equal(m.moves[0].amount, 15000);
	schemas[0]->flow.negative_amounts = true;
	stop();
}

static void test_debits_ignored_and_unknown(void **state)
{
	(void)state;
	start("deb");
	struct store_fact_row note = fact("deb", 2, "T1", "ignored", "N", "R0", "2026-10-01", -500);
	assert_int_equal(flow_debits_fact(&m, channel("deb"), &note), 0);
	assert_int_equal(m.nmoves, 0);
	assert_int_equal(m.nfindings, 0);
	struct store_fact_row lost =
		fact("deb", 3, "T2", "collected", "C", "R9", "2026-10-01", -500);
	assert_int_equal(flow_debits_fact(&m, channel("deb"), &lost), 0);
	assert_int_equal(m.nmoves, 0);
	assert_int_equal(count_findings(D_UNKNOWN_REFERENCE), 1);
	assert_string_equal(m.findings[0].detail, "no Deb policy has collection_ref R9");
	/* A reversal is left to the second pass. */
	struct store_fact_row back =
		fact("deb", 4, "T3", "reversal", "R", "R0", "2026-10-06", -500);
	assert_int_equal(flow_debits_fact(&m, channel("deb"), &back), 0);
	assert_int_equal(m.nmoves, 0);
	stop();
}

static void test_debits_link_by_id(void **state)
{
	(void)state;
	start("deb");
	stored[nstored++] = fact("deb", 2, "T1", "collected", "C", "R1", "2026-10-01", -10000);
	struct store_fact_row u = fact("deb", 3, "U1", "reversal", "R", "R1", "2026-11-03", -10000);
	u.original_id = "T1";
	u.reason = "Account Closed";
	assert_int_equal(flow_debits_reversal(&m, channel("deb"), &u), 0);
	assert_int_equal(m.nmoves, 1);
	const struct movement *mv = &m.moves[0];
	assert_int_equal(mv->kind, MOVE_REVERSAL);
	assert_int_equal(mv->amount, 10000);
	assert_int_equal(mv->policy, 1);
	assert_int_equal(mv->original, store_fact_id(1, 2));
	/* On its own date, in the original's period. */
	assert_int_equal(mv->day, match_day("2026-11-03"));
	assert_int_not_equal(m.policies[1].fail, 0);
	assert_string_equal(m.fails[m.policies[1].fail - 1].raw, "Account Closed");
	/* The same original again: an orphan, never a second reversal. Its
	 * original is found: the orphan is the original's period's
	 * (October's), though it is dated in November and names no cycle. */
	struct store_fact_row again = u;
	again.transaction_id = "U2";
	again.cycle_date = NULL;
	again.row = 4;
	again.fact_id = store_fact_id(1, 4);
	assert_int_equal(flow_debits_reversal(&m, channel("deb"), &again), 0);
	assert_int_equal(m.nmoves, 1);
	assert_int_equal(count_findings(D_ORPHAN_REVERSAL), 1);
	stop();
}

static void test_debits_link_by_pair(void **state)
{
	(void)state;
	start("deb");
	/* Two collections of R2 on the same cycle: each unpaid without an
	 * original takes back the first not taken back yet. */
	stored[nstored] = fact("deb", 2, "T1", "collected", "C", "R2", "2026-10-01", -4000);
	stored[nstored++].cycle_date = "2026-10-01";
	stored[nstored] = fact("deb", 3, "T2", "collected", "C", "R2", "2026-10-01", -6000);
	stored[nstored++].cycle_date = "2026-10-01";
	for (int i = 0; i < 2; i++) {
		struct store_fact_row u = fact("deb", 10 + (uint64_t)i, i ? "U2" : "U1", "reversal",
					       "R", "R2", "2026-10-08", -5000);
		u.cycle_date = "2026-10-01";
		assert_int_equal(flow_debits_reversal(&m, channel("deb"), &u), 0);
	}
	assert_int_equal(m.nmoves, 2);
	assert_int_equal(m.moves[0].original, store_fact_id(1, 2));
	assert_int_equal(m.moves[1].original, store_fact_id(1, 3));
	/* A third finds none left: an orphan. */
	struct store_fact_row u = fact("deb", 12, "U3", "reversal", "R", "R2", "2026-10-09", -5000);
	u.cycle_date = "2026-10-01";
	assert_int_equal(flow_debits_reversal(&m, channel("deb"), &u), 0);
	assert_int_equal(m.nmoves, 2);
	assert_int_equal(count_findings(D_ORPHAN_REVERSAL), 1);
	assert_string_equal(
		m.findings[0].detail,
		"unpaid U3: no collection with ref R2 and cyc 2026-10-01 is left to take "
		"back");
	/* With no original found, an orphan is its own date's period's: one
	 * dated in November is not October's, though its cycle is. */
	u = fact("deb", 13, "U4", "reversal", "R", "R2", "2026-11-02", -5000);
	u.cycle_date = "2026-10-01";
	assert_int_equal(flow_debits_reversal(&m, channel("deb"), &u), 0);
	assert_int_equal(count_findings(D_ORPHAN_REVERSAL), 1);
	stop();
}

static void test_debits_orphans(void **state)
{
	(void)state;
	start("deb");
	stored[nstored++] = fact("deb", 2, "N1", "ignored", "N", "R0", "2026-10-01", -100);
	/* A named original that is not stored is an orphan, never guessed
	 * by the cycle date. */
	struct store_fact_row u = fact("deb", 3, "U1", "reversal", "R", "R0", "2026-10-06", 100);
	u.original_id = "NOPE";
	u.cycle_date = "2026-10-01";
	assert_int_equal(flow_debits_reversal(&m, channel("deb"), &u), 0);
	/* One that is not a collection is an orphan too. */
	u.original_id = "N1";
	assert_int_equal(flow_debits_reversal(&m, channel("deb"), &u), 0);
	/* And one that names nothing at all. */
	u.original_id = NULL;
	u.cycle_date = NULL;
	assert_int_equal(flow_debits_reversal(&m, channel("deb"), &u), 0);
	assert_int_equal(m.nmoves, 0);
	assert_int_equal(count_findings(D_ORPHAN_REVERSAL), 3);
	/* Its amount is taken back by its absolute value, whatever its sign. */
	assert_string_equal(m.findings[0].actual, "1.00");
	/* With no original found, an orphan is its own date's period's,
	 * whatever its cycle date: October's, though its cycle is
	 * September's... */
	u.cycle_date = "2026-09-01";
	u.original_id = "NOPE";
	assert_int_equal(flow_debits_reversal(&m, channel("deb"), &u), 0);
	assert_int_equal(count_findings(D_ORPHAN_REVERSAL), 4);
	/* ...and not October's when dated in November, its cycle October's. */
	u.business_date = "2026-11-02";
	u.cycle_date = "2026-10-01";
	assert_int_equal(flow_debits_reversal(&m, channel("deb"), &u), 0);
	assert_int_equal(count_findings(D_ORPHAN_REVERSAL), 4);
	stop();
}

/* ---- instructions -------------------------------------------------------------- */

static struct store_fact_row step(uint64_t row, const char *txn, const char *status,
				  const char *kind, const char *status_date, int64_t time,
				  int64_t paid, const char *code)
{
	struct store_fact_row f = fact("ins", row, txn, kind, NULL, "R0", "2026-10-15", paid);
	f.status = status;
	f.status_date = status_date;
	f.status_time = time;
	f.reason = code;
	f.has_requested = true;
	f.requested_amount = 30000;
	return f;
}

static void feed(struct store_fact_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(flow_instructions_fact(&m, channel("ins"), &rows[i]), 0);
	flow_instructions_finish(&m);
}

static void test_instructions_completion_then_failure(void **state)
{
	(void)state;
	start("ins");
	/* Read in any order: the statuses are ordered by date and time. */
	struct store_fact_row rows[] = {
		step(4, "I1", "7", "failed", "2026-10-17", 90000, 0, "30"),
		step(2, "I1", "6", "pending", "2026-10-14", 180500, 0, ""),
		step(3, "I1", "3", "collected", "2026-10-15", 141000, 30000, "0"),
	};
	feed(rows, 3);
	assert_int_equal(m.nmoves, 2);
	assert_int_equal(m.moves[0].kind, MOVE_COLLECTED);
	assert_int_equal(m.moves[0].amount, 30000);
	assert_int_equal(m.moves[0].day, match_day("2026-10-15"));
	assert_int_equal(m.moves[1].kind, MOVE_REVERSAL);
	/* The reversal counts on its own status date. */
	assert_int_equal(m.moves[1].day, match_day("2026-10-17"));
	assert_int_equal(m.moves[1].original, store_fact_id(1, 3));
	assert_string_equal(m.fails[m.policies[0].fail - 1].raw, "30");
	stop();
}

static void test_instructions_tracking_never_reverses(void **state)
{
	(void)state;
	start("ins");
	struct store_fact_row rows[] = {
		step(2, "I1", "3", "collected", "2026-10-15", 100000, 30000, "0"),
		step(3, "I1", "4", "tracking", "2026-10-16", 100000, 0, "99"),
	};
	feed(rows, 2);
	assert_int_equal(m.nmoves, 1);
	assert_int_equal(m.moves[0].kind, MOVE_COLLECTED);
	stop();

	/* Without a completion, tracking is pending, with its code as a reason. */
	start("ins");
	struct store_fact_row held[] = {
		step(2, "I2", "4", "tracking", "2026-10-16", 100000, 0, "99"),
	};
	feed(held, 1);
	assert_int_equal(m.nmoves, 1);
	assert_int_equal(m.moves[0].kind, MOVE_PENDING);
	assert_int_equal(m.moves[0].amount, 30000);
	assert_string_equal(m.fails[m.policies[0].fail - 1].raw, "99");
	stop();
}

static void test_instructions_latest_wins_ties_by_arrival(void **state)
{
	(void)state;
	start("ins");
	/* Same date and time: the later arrival is the latest. */
	struct store_fact_row rows[] = {
		step(3, "I1", "4", "failed", "2026-10-16", 100000, 0, "02"),
		step(2, "I1", "6", "pending", "2026-10-16", 100000, 0, ""),
	};
	feed(rows, 2);
	assert_int_equal(m.nmoves, 0); /* failed: nothing collected, nothing pending */
	assert_string_equal(m.fails[m.policies[0].fail - 1].raw, "02");
	stop();

	start("ins");
	struct store_fact_row other[] = {
		step(2, "I1", "4", "failed", "2026-10-16", 100000, 0, "02"),
		step(3, "I1", "6", "pending", "2026-10-16", 100000, 0, ""),
	};
	feed(other, 2);
	assert_int_equal(m.nmoves, 1);
	assert_int_equal(m.moves[0].kind, MOVE_PENDING);
	/* A row with no status date sorts first, whatever its arrival. */
	stop();
	start("ins");
	struct store_fact_row undated[] = {
		step(2, "I1", "4", "failed", "2026-10-16", 100000, 0, "02"),
		step(3, "I1", "1", "pending", NULL, -1, 0, ""),
	};
	feed(undated, 2);
	assert_int_equal(m.nmoves, 0);
	stop();
}

static void test_instructions_unknown_reference(void **state)
{
	(void)state;
	start("ins");
	struct store_fact_row rows[] = {
		step(2, "I1", "3", "collected", "2026-10-15", 100000, 30000, "0"),
	};
	rows[0].reference = "";
	feed(rows, 1);
	assert_int_equal(m.nmoves, 0);
	assert_int_equal(count_findings(D_UNKNOWN_REFERENCE), 1);
	assert_string_equal(m.findings[0].detail, "no Ins policy has collection_ref (none)");
	stop();
}

/* A policy's reason is its latest failure's, by business date, whatever
 * the channel: an instruction's rows are dated by their action date, not
 * by the status date (which only orders an instruction's own rows). */
static void test_latest_failure_by_business_date(void **state)
{
	(void)state;
	start("ins");
	struct store_fact_row rows[] = {
		step(2, "I1", "4", "failed", "2026-10-25", 100000, 0, "02"),
	};
	feed(rows, 1); /* action date 15 October, rejected on the 25th */
	struct store_fact_row bad = fact("pay", 3, "E1", "failed", "in", "K0", "2026-10-20", 100);
	bad.status = "bad";
	bad.reason = "NoMoney";
	schemas[2]->flow.two_sided = false;
	assert_int_equal(flow_payments_fact(&m, channel("pay"), &bad), 0);
	schemas[2]->flow.two_sided = true;
	assert_string_equal(m.fails[m.policies[0].fail - 1].raw, "NoMoney");
	stop();
}

/* ---- payments ---------------------------------------------------------------------- */

static void test_payments_kinds(void **state)
{
	(void)state;
	start("pay");
	struct store_fact_row ok =
		fact("pay", 2, "E1", "collected", "in", "K0", "2026-10-05", 5000);
	ok.status = "ok";
	struct store_fact_row wait = fact("pay", 3, "E2", "pending", "in", "K0", "2026-10-05", 700);
	wait.status = "wait";
	struct store_fact_row bad = fact("pay", 4, "E3", "failed", "in", "K1", "2026-10-05", 800);
	bad.status = "bad";
	bad.reason = "NoMoney";
	struct store_fact_row out = fact("pay", 5, "E4", "ignored", "out", "K9", "2026-10-05", 900);
	out.status = "ok";
	struct store_fact_row lost = fact("pay", 6, "E5", "collected", "in", "K9", "2026-10-05", 1);
	lost.status = "ok";
	struct store_fact_row *all[] = { &ok, &wait, &bad, &out, &lost };
	/* The ledger knows all of them, as they are. */
	for (size_t i = 0; i < 5; i++) {
		struct store_ledger_row l = {
			.ledger_id = (int64_t)i + 1,
			.channel = "pay",
			.transaction_id = all[i]->transaction_id,
			.reference = all[i]->reference,
			.business_date = "2026-10-05",
			.status = all[i]->status,
			.amount = all[i]->amount,
		};
		assert_int_equal(flow_payments_ledger(&m, channel("pay"), &l), 0);
	}
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(flow_payments_fact(&m, channel("pay"), all[i]), 0);
	assert_int_equal(flow_payments_finish(&m), 0);
	assert_int_equal(m.nmoves, 2);
	assert_int_equal(m.moves[0].kind, MOVE_COLLECTED);
	assert_int_equal(m.moves[0].amount, 5000);
	assert_int_equal(m.moves[1].kind, MOVE_PENDING);
	/* A failure's reason is its reason field, else its status. */
	assert_string_equal(m.fails[m.policies[1].fail - 1].raw, "NoMoney");
	/* A cashout of an unknown code names no policy: never UNKNOWN_REFERENCE;
	 * a payment of one does. */
	assert_int_equal(count_findings(D_UNKNOWN_REFERENCE), 1);
	assert_string_equal(m.findings[0].txn, "E5");
	assert_int_equal(m.nfindings, 1);
	stop();
}

static void test_payments_two_sided(void **state)
{
	(void)state;
	start("pay");
	const struct channel *c = channel("pay");
	/* Ledger records of the period: E1 100.00 settled ("ok"), E2 50.00,
	 * E3 80.00, E9 40.00 that no file holds; E5 is of another period. */
	struct store_ledger_row l[] = {
		{ .ledger_id = 1,
		  .channel = "pay",
		  .transaction_id = "E1",
		  .reference = "K0",
		  .business_date = "2026-10-05",
		  .status = "ok",
		  .amount = 10000 },
		{ .ledger_id = 2,
		  .channel = "pay",
		  .transaction_id = "E2",
		  .reference = "K1",
		  .business_date = "2026-10-05",
		  .status = "ok",
		  .amount = 5000 },
		{ .ledger_id = 3,
		  .channel = "pay",
		  .transaction_id = "E3",
		  .reference = "K2",
		  .business_date = "2026-10-05",
		  .status = "ok",
		  .amount = 8000 },
		{ .ledger_id = 4,
		  .channel = "pay",
		  .transaction_id = "E9",
		  .reference = "K2",
		  .business_date = "2026-10-05",
		  .status = "ok",
		  .amount = 4000 },
	};
	for (size_t i = 0; i < 4; i++) {
		ledger[nledger++] = l[i];
		assert_int_equal(flow_payments_ledger(&m, c, &l[i]), 0);
	}
	ledger[nledger++] = (struct store_ledger_row){ .ledger_id = 5,
						       .channel = "pay",
						       .transaction_id = "E5",
						       .reference = "K0",
						       .business_date = "2026-09-30",
						       .status = "ok",
						       .amount = 3000 };
	flow_payments_applied(&m, c, "2026-10-05");
	/* E1 off by exactly R0.01: within tolerance. E2 off by R0.02: a
	 * mismatch. E3 failed where the ledger says ok. E4 unknown to the
	 * ledger. E5 matches a record of another date, found later. */
	struct store_fact_row f[] = {
		fact("pay", 2, "E1", "collected", "in", "K0", "2026-10-05", 9999),
		fact("pay", 3, "E2", "collected", "in", "K1", "2026-10-05", 5002),
		fact("pay", 4, "E3", "failed", "in", "K2", "2026-10-05", 8000),
		fact("pay", 5, "E4", "collected", "in", "K2", "2026-10-05", 100),
		fact("pay", 6, "E5", "collected", "in", "K0", "2026-10-05", 3000),
	};
	const char *statuses[] = { "ok", "ok", "bad", "ok", "ok" };
	for (size_t i = 0; i < 5; i++) {
		f[i].status = statuses[i];
		assert_int_equal(flow_payments_fact(&m, c, &f[i]), 0);
	}
	assert_int_equal(flow_payments_finish(&m), 0);
	assert_int_equal(count_findings(D_AMOUNT_MISMATCH), 1);
	assert_int_equal(count_findings(D_STATUS_MISMATCH), 1);
	assert_int_equal(count_findings(D_MISSING_FROM_LEDGER), 1);
	assert_int_equal(count_findings(D_MISSING_FROM_FILE), 1);
	assert_int_equal(m.nfindings, 4);
	for (size_t i = 0; i < m.nfindings; i++) {
		const struct finding *d = &m.findings[i];
		/* Every one names the policy whose code it carries. */
		assert_int_not_equal(d->policy_id, 0);
		if (!strcmp(d->code, D_AMOUNT_MISMATCH))
			assert_string_equal(d->txn, "E2");
		if (!strcmp(d->code, D_MISSING_FROM_FILE))
			assert_string_equal(d->txn, "E9");
		if (!strcmp(d->code, D_MISSING_FROM_LEDGER))
			assert_string_equal(
				d->detail,
				"Pay reports ok in E4 of 1.00; our ledger has no record of it");
	}
	stop();
}

/* ---- outcomes ------------------------------------------------------------------------ */

static void test_outcomes_from_movements(void **state)
{
	(void)state;
	start("deb");
	/* P0: collected, taken back, collected again; P1: collected 99.99 of
	 * 100.00; P2: pending only. */
	struct where w = { "deb", 1, 2, "T", "2026-10-01" };
	matcher_collect(&m, 0, &w, match_day("2026-10-01"), 10000, "x");
	matcher_take_back(&m, 0, &w, match_day("2026-10-06"), 10000, 1, "x");
	matcher_collect(&m, 0, &w, match_day("2026-10-20"), 6000, "x");
	matcher_collect(&m, 1, &w, match_day("2026-10-01"), 9999, "x");
	matcher_pending(&m, 2, &w, match_day("2026-10-01"), 10000, "x");
	struct policy_money *money = NULL;
	assert_int_equal(outcome_tally(&m, &money, &e), 0);
	struct store_outcome o;
	assert_int_equal(outcome_decide(&m, NULL, 0, &money[0], &o), PAID_PARTIAL);
	assert_int_equal(o.collected, 6000);
	assert_int_equal(o.shortfall, 4000);
	assert_int_equal(outcome_decide(&m, NULL, 1, &money[1], &o), PAID_FULL);
	assert_int_equal(o.shortfall, 0);
	free(money);
	stop();
}

/* ---- the movements in the store's order ----------------------------------------------- */

/* runs ordered runs of per movements each, their rows interleaved (each
 * run's between the others'): merged, every movement comes out once, in
 * order. */
static void check_merge(size_t runs, size_t per)
{
	size_t n = runs * per;
	struct movement *moves = calloc(n, sizeof(*moves));
	assert_non_null(moves);
	for (size_t k = 0; k < runs; k++)
		for (size_t i = 0; i < per; i++)
			moves[k * per + i] = (struct movement){
				.fact_id = (int64_t)(i * runs + (runs - 1 - k)),
				.kind = k % 2 ? MOVE_REVERSAL : MOVE_COLLECTED,
				.amount = (int64_t)(k * per + i + 1),
			};
	int64_t sum = 0, want = (int64_t)(n * (n + 1) / 2);
	size_t seen = 0;
	struct moves_merge g;
	moves_merge_begin(&g, moves, n);
	assert_true(g.nruns == (runs <= MOVES_MERGE_RUNS ? runs : 1));
	const struct movement *prev = NULL, *mv;
	while ((mv = moves_merge_next(&g))) {
		if (prev)
			assert_true(movement_order(prev, mv) < 0);
		sum += mv->amount;
		seen++;
		prev = mv;
	}
	assert_int_equal(seen, n);
	assert_int_equal(sum, want);
	free(moves);
}

static void test_movements_merged_in_order(void **state)
{
	(void)state;
	check_merge(0, 0);
	check_merge(1, 5);
	check_merge(3, 1000); /* the passes of a run: facts, reversals, instructions */
	check_merge(MOVES_MERGE_RUNS, 7);
	check_merge(MOVES_MERGE_RUNS + 1, 7); /* sorted first */
	/* one run, a collection and a reversal of one row */
	struct movement two[] = { { .fact_id = 5, .kind = MOVE_COLLECTED },
				  { .fact_id = 5, .kind = MOVE_REVERSAL } };
	struct moves_merge g;
	moves_merge_begin(&g, two, 2);
	assert_int_equal(g.nruns, 1);
	assert_ptr_equal(moves_merge_next(&g), &two[0]);
	assert_ptr_equal(moves_merge_next(&g), &two[1]);
	assert_null(moves_merge_next(&g));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debits_collection_sign),
		cmocka_unit_test(test_debits_ignored_and_unknown),
		cmocka_unit_test(test_debits_link_by_id),
		cmocka_unit_test(test_debits_link_by_pair),
		cmocka_unit_test(test_debits_orphans),
		cmocka_unit_test(test_instructions_completion_then_failure),
		cmocka_unit_test(test_instructions_tracking_never_reverses),
		cmocka_unit_test(test_instructions_latest_wins_ties_by_arrival),
		cmocka_unit_test(test_instructions_unknown_reference),
		cmocka_unit_test(test_latest_failure_by_business_date),
		cmocka_unit_test(test_payments_kinds),
		cmocka_unit_test(test_payments_two_sided),
		cmocka_unit_test(test_outcomes_from_movements),
		cmocka_unit_test(test_movements_merged_in_order),
	};
	return cmocka_run_group_tests(tests, load_schemas, free_schemas);
}
