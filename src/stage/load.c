/*
 * load.c — loading reference data (see load.h).
 *
 *   BEGIN
 *   files row (outcome 'applied', digest pending)
 *   validate, and for each valid row: upsert (product+provider, policy
 *     with its change history, or ledger record)
 *   any error          -> ROLLBACK: nothing loaded
 *   same digest loaded -> ROLLBACK: nothing to do
 *   else               -> record the digest, COMMIT
 *
 * Once a row fails, the file will be rolled back, but every later row is
 * still checked, load's own checks included (a product loaded before, a
 * provider's details the same on every row), so that the report lists
 * every error, as validate's does. Products and ledger records are no
 * longer written then; a register's rows still go to the store, inside
 * the transaction that will be rolled back, because whether a cash payment
 * code is another policy's depends on the rows before it.
 */
#include "core/common.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/text.h"
#include "stage/load.h"

static const char *const kind_names[] = { "products", "policies", "ledger" };

int load_kind_from_name(const char *name, enum load_kind *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++) {
		if (!strcmp(name, kind_names[i])) {
			*kind = (enum load_kind)i;
			return 0;
		}
	}
	return -1;
}

const char *load_kind_schema(enum load_kind kind)
{
	return kind_names[kind];
}

/* A provider's details as the first row of this load gave them. */
struct provider_seen {
	char *code, *name, *bank, *account;
};

struct load_run {
	struct store *store;
	const struct schema *schema;
	enum load_kind kind;
	int64_t file_id;
	char now[32];
	const char *by; /* who loads it, for the register's history */
	struct load_result *res;
	struct err *e;
	bool invalid;
	struct vstrings t;
	int col[16]; /* schema columns used by this kind, by the names below */
	struct provider_seen *providers;
	size_t nproviders;
	/* A first load (see fresh_load): rows are held, their strings in
	 * held_strings, and inserted STORE_BATCH at a time. */
	bool fresh;
	bool refused; /* the store refused a held row */
	struct store_policy held_policies[STORE_BATCH];
	struct store_ledger_entry held_ledger[STORE_BATCH];
	size_t nheld;
	struct arena *held_strings;
	bool oom;
};

static const char *const product_cols[] = {
	"product_code", "product_name", "provider_code",  "provider_name",
	"fee_bps",	"fee_fixed",	"payout_bank_id", "payout_account",
};
enum { PR_CODE, PR_NAME, PR_PROVIDER, PR_PROVIDER_NAME, PR_BPS, PR_FIXED, PR_BANK, PR_ACCOUNT };

static const char *const policy_cols[] = {
	"policy_number", "product_code", "customer_name",  "id_number",
	"premium",	 "channel",	 "collection_ref", NULL /* the cash code: mapped */,
	"debit_day",	 "status",	 "start_date",	   "cancel_date",
};
enum {
	PO_NUMBER,
	PO_PRODUCT,
	PO_NAME,
	PO_ID,
	PO_PREMIUM,
	PO_CHANNEL,
	PO_REF,
	PO_CASH_CODE,
	PO_DAY,
	PO_STATUS,
	PO_START,
	PO_CANCEL
};

static const char *const ledger_cols[] = {
	"transaction_id", "channel", "reference", "transaction_timestamp", "amount", "status",
};
enum { LE_ID, LE_CHANNEL, LE_REFERENCE, LE_TIMESTAMP, LE_AMOUNT, LE_STATUS };

static int64_t whole(const char *s)
{
	return s && *s ? strtoll(s, NULL, 10) : 0;
}

static const char *value(const struct load_run *r, int which)
{
	int c = r->col[which];
	return c >= 0 ? r->t.col[c] : NULL;
}

static void count(struct load_result *res, enum store_upsert what)
{
	if (what == STORE_CREATED)
		res->created++;
	else if (what == STORE_UPDATED)
		res->updated++;
	else
		res->unchanged++;
}

/* A provider must carry the same details on every row of a load: 0, or
 * KASI_EDATA (reported on the row), or a negative status. */
static int provider_consistent(struct load_run *r, const struct vrow *row)
{
	const char *code = value(r, PR_PROVIDER), *name = value(r, PR_PROVIDER_NAME);
	const char *bank = value(r, PR_BANK), *account = value(r, PR_ACCOUNT);
	for (size_t i = 0; i < r->nproviders; i++) {
		struct provider_seen *p = &r->providers[i];
		if (strcmp(p->code, code))
			continue;
		int bad = strcmp(p->name, name)		? PR_PROVIDER_NAME
			  : strcmp(p->bank, bank)	? PR_BANK
			  : strcmp(p->account, account) ? PR_ACCOUNT
							: -1;
		if (bad < 0)
			return 0;
		char shown[TEXT_RENDER_BUFSZ];
		vrow_error(row, r->col[bad], RULE_CONSISTENCY,
			   "the same details on every row of a provider",
			   "provider %s is given other %s on an earlier row",
			   text_value(code, shown), product_cols[bad]);
		return KASI_EDATA;
	}
	struct provider_seen *np = realloc(r->providers, (r->nproviders + 1) * sizeof(*np));
	if (!np)
		return err_set(r->e, KASI_EIO, "out of memory");
	r->providers = np;
	struct provider_seen *p = &np[r->nproviders++];
	*p = (struct provider_seen){ strdup(code), strdup(name), strdup(bank), strdup(account) };
	if (!p->code || !p->name || !p->bank || !p->account)
		return err_set(r->e, KASI_EIO, "out of memory");
	return 0;
}

static int load_product(struct load_run *r, const struct vrow *row, enum store_upsert *what)
{
	int rc = provider_consistent(r, row);
	if (rc || r->invalid)
		return rc;
	struct store_product p = {
		.product_code = value(r, PR_CODE),
		.product_name = value(r, PR_NAME),
		.provider_code = value(r, PR_PROVIDER),
		.provider_name = value(r, PR_PROVIDER_NAME),
		.fee_bps = whole(value(r, PR_BPS)),
		.payout_bank_id = whole(value(r, PR_BANK)),
		.payout_account = value(r, PR_ACCOUNT),
	};
	const char *fixed = value(r, PR_FIXED);
	schema_read_money(&r->schema->columns[r->col[PR_FIXED]], fixed, strlen(fixed),
			  &p.fee_fixed);
	return store_product_upsert(r->store, &p, what, r->e);
}

static const char *hold(struct load_run *r, const char *s)
{
	const char *c = s ? arena_strdup(r->held_strings, s) : NULL;
	if (s && !c)
		r->oom = true;
	return c;
}

/* Insert the held rows. A row the store refuses (a repeat the file's own
 * check has not reported yet: it spills very large files' keys to disk
 * and reports at the end) stops the writing; the check will report it. */
static int insert_held(struct load_run *r)
{
	int rc =
		r->kind == LOAD_POLICIES
			? store_policies_insert(r->store, r->held_policies, r->nheld, r->file_id,
						r->now, r->by, r->e)
			: store_ledger_insert(r->store, r->held_ledger, r->nheld, r->file_id, r->e);
	r->nheld = 0;
	arena_reset(r->held_strings);
	if (rc == -KASI_EDATA) {
		r->refused = r->invalid = true;
		err_clear(r->e);
		return 0;
	}
	return rc;
}

static int hold_policy(struct load_run *r, const struct vrow *row, const struct store_policy *p,
		       enum store_upsert *what)
{
	int64_t product_id;
	int rc = store_product_id(r->store, p->product_code, &product_id, r->e);
	if (rc)
		return rc;
	if (!product_id) {
		char shown[TEXT_RENDER_BUFSZ];
		vrow_error(row, r->col[PO_PRODUCT], RULE_REFERENCE, "a product loaded before",
			   "'%s' is not a known product (load products first)",
			   text_value(p->product_code, shown));
		return KASI_EDATA;
	}
	if (r->invalid) /* checked; nothing more to hold */
		return 0;
	struct store_policy *h = &r->held_policies[r->nheld++];
	*h = (struct store_policy){
		.policy_number = hold(r, p->policy_number),
		.product_code = hold(r, p->product_code),
		.customer_name = hold(r, p->customer_name),
		.id_number = hold(r, p->id_number),
		.premium = p->premium,
		.channel = hold(r, p->channel),
		.collection_ref = hold(r, p->collection_ref),
		.cash_code = hold(r, p->cash_code),
		.debit_day = p->debit_day,
		.status = hold(r, p->status),
		.start_date = hold(r, p->start_date),
		.cancel_date = hold(r, p->cancel_date),
	};
	*what = STORE_CREATED;
	if (r->oom)
		return err_set(r->e, KASI_EIO, "out of memory");
	return r->nheld == STORE_BATCH ? insert_held(r) : 0;
}

static int hold_ledger_entry(struct load_run *r, const struct store_ledger_entry *l,
			     enum store_upsert *what)
{
	struct store_ledger_entry *h = &r->held_ledger[r->nheld++];
	*h = (struct store_ledger_entry){
		.channel = hold(r, l->channel),
		.transaction_id = hold(r, l->transaction_id),
		.reference = hold(r, l->reference),
		.business_date = hold(r, l->business_date),
		.occurred_at = hold(r, l->occurred_at),
		.status = hold(r, l->status),
		.amount = l->amount,
		.row = l->row,
	};
	*what = STORE_CREATED;
	if (r->oom)
		return err_set(r->e, KASI_EIO, "out of memory");
	return r->nheld == STORE_BATCH ? insert_held(r) : 0;
}

static int load_policy(struct load_run *r, const struct vrow *row, enum store_upsert *what)
{
	struct store_policy p = {
		.policy_number = value(r, PO_NUMBER),
		.product_code = value(r, PO_PRODUCT),
		.customer_name = value(r, PO_NAME),
		.id_number = value(r, PO_ID),
		.channel = value(r, PO_CHANNEL),
		.collection_ref = value(r, PO_REF),
		.cash_code = value(r, PO_CASH_CODE),
		.debit_day = whole(value(r, PO_DAY)),
		.status = value(r, PO_STATUS),
		.start_date = value(r, PO_START),
		.cancel_date = value(r, PO_CANCEL),
	};
	const char *premium = value(r, PO_PREMIUM);
	schema_read_money(&r->schema->columns[r->col[PO_PREMIUM]], premium, strlen(premium),
			  &p.premium);
	if (r->fresh)
		return hold_policy(r, row, &p, what);
	const char *field;
	int rc = store_policy_upsert(r->store, &p, r->file_id, r->now, r->by, what, &field, r->e);
	if (rc == -KASI_EDATA) {
		int c = !strcmp(field, "cash_code") ? r->col[PO_CASH_CODE]
						    : schema_column_index(r->schema, field);
		bool product = !strcmp(field, "product_code");
		vrow_error(row, c, product ? RULE_REFERENCE : RULE_CONSISTENCY,
			   product ? "a product loaded before"
				   : "a cash payment code of this policy's own",
			   "%s", r->e->msg);
		err_clear(r->e);
		return KASI_EDATA;
	}
	return rc;
}

static int load_ledger_entry(struct load_run *r, const struct vrow *row, enum store_upsert *what)
{
	if (r->invalid) /* a ledger record has no check of load's own */
		return 0;
	const char *ts = value(r, LE_TIMESTAMP), *amount = value(r, LE_AMOUNT);
	int32_t day;
	char date[DATE_BUFSZ];
	struct store_ledger_entry l = {
		.channel = value(r, LE_CHANNEL),
		.transaction_id = value(r, LE_ID),
		.reference = value(r, LE_REFERENCE),
		.occurred_at = ts,
		.status = value(r, LE_STATUS),
		.row = row->record,
	};
	schema_read_date(&r->schema->columns[r->col[LE_TIMESTAMP]], ts, strlen(ts), &day);
	date_format_iso(day, date);
	l.business_date = date;
	schema_read_money(&r->schema->columns[r->col[LE_AMOUNT]], amount, strlen(amount),
			  &l.amount);
	if (r->fresh)
		return hold_ledger_entry(r, &l, what);
	return store_ledger_upsert(r->store, &l, r->file_id, what, r->e);
}

static int on_row(void *ctx, const struct vrow *row)
{
	struct load_run *r = ctx;
	if (!row->ok) { /* its values broke the schema: nothing more to check */
		r->invalid = true;
		return 0;
	}
	if (vrow_strings(row, &r->t))
		return err_set(r->e, KASI_EIO, "out of memory");
	enum store_upsert what = STORE_UNCHANGED;
	int rc = r->kind == LOAD_PRODUCTS   ? load_product(r, row, &what)
		 : r->kind == LOAD_POLICIES ? load_policy(r, row, &what)
					    : load_ledger_entry(r, row, &what);
	if (rc == KASI_EDATA) { /* reported in the validation; nothing more to write */
		r->invalid = true;
		return 0;
	}
	if (rc)
		return rc;
	count(r->res, what);
	return 0;
}

/* Whether the schema makes a single column unique within a file. */
static bool unique_column(const struct schema *s, int column)
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (s->keys[i].ncolumns == 1 && (int)s->keys[i].columns[0] == column)
			return true;
	return false;
}

static enum store_table fresh_table(const struct load_run *r)
{
	return r->kind == LOAD_POLICIES ? STORE_POLICIES : STORE_LEDGER;
}

/* A first load of policies or ledger records into an empty table, from a
 * file whose schema makes their keys unique within it (policy numbers and
 * cash payment codes; transaction ids): no row can exist already, so none is
 * looked up, and rows go in many to a statement. (The table's UNIQUE
 * constraints still stand behind this.) */
static int fresh_load(struct load_run *r, struct err *e)
{
	bool empty = false;
	int rc = 0;
	if (r->kind == LOAD_POLICIES) {
		rc = store_is_empty(r->store, STORE_POLICIES, &empty, e);
		r->fresh = !rc && empty && unique_column(r->schema, r->col[PO_NUMBER]) &&
			   unique_column(r->schema, r->col[PO_CASH_CODE]);
	} else if (r->kind == LOAD_LEDGER) {
		rc = store_is_empty(r->store, STORE_LEDGER, &empty, e);
		r->fresh = !rc && empty && unique_column(r->schema, r->col[LE_ID]);
	}
	if (r->fresh && !(r->held_strings = arena_new()))
		return err_set(e, KASI_EIO, "out of memory");
	if (r->fresh)
		rc = store_defer_indexes(r->store, fresh_table(r), e);
	return rc;
}

/* Every column this kind reads must be in the schema, and in every file
 * it accepts: the row handlers read each one on every row. */
static int resolve_columns(struct load_run *r, struct err *e)
{
	const char *const *names = r->kind == LOAD_PRODUCTS   ? product_cols
				   : r->kind == LOAD_POLICIES ? policy_cols
							      : ledger_cols;
	size_t n = r->kind == LOAD_PRODUCTS   ? ARRAY_SIZE(product_cols)
		   : r->kind == LOAD_POLICIES ? ARRAY_SIZE(policy_cols)
					      : ARRAY_SIZE(ledger_cols);
	for (size_t i = 0; i < n; i++) {
		/* The register names its cash payment code column as it likes:
		 * the schema maps it (`map cash_code COLUMN`). */
		r->col[i] = names[i] ? schema_column_index(r->schema, names[i])
				     : r->schema->map[CANON_CASH_CODE];
		if (r->col[i] < 0)
			return err_set(e, KASI_ECONFIG,
				       "schema %s has no column '%s', which loading %s needs",
				       r->schema->name, names[i] ? names[i] : "cash_code (map)",
				       kind_names[r->kind]);
		if (r->schema->columns[r->col[i]].absent_ok)
			return err_set(e, KASI_ECONFIG,
				       "schema %s lets column '%s' be absent, but loading %s "
				       "needs it on every row",
				       r->schema->name, r->schema->columns[r->col[i]].name,
				       kind_names[r->kind]);
	}
	return 0;
}

int load_file(struct store *s, const struct schema *schema, enum load_kind kind, int fd,
	      const char *path, const char *by, struct load_result *res, struct err *e)
{
	int rc;
	bool in_tx = false;
	struct load_run r = {
		.store = s, .schema = schema, .kind = kind, .by = by, .res = res, .e = e
	};
	int64_t started = clock_us();
	memset(res, 0, sizeof(*res));
	store_now(r.now);
	if ((rc = resolve_columns(&r, e)))
		goto out;
	if ((rc = store_begin(s, e)))
		goto out;
	in_tx = true;
	struct store_file f = { .name = base_name(path), .schema = schema->name };
	if ((rc = store_file_apply_begin(s, &f, &r.file_id, e)) || (rc = fresh_load(&r, e)))
		goto out;
	struct validate_opts opts = {
		.sha256 = true, .on_row = on_row, .ctx = &r, .row_thread = true
	};
	rc = validate_fd(schema, fd, path, &opts, &res->v, e);
	fd = -1; /* validate_fd's now */
	if (rc)
		goto out;
	if (!res->v.nerrors && !r.invalid && r.nheld && (rc = insert_held(&r)))
		goto out;
	log_debug("load: %s: checked and stored in %" PRId64 " ms", kind_names[kind],
		  (clock_us() - started) / 1000);
	if (!res->v.nerrors && !r.invalid && r.fresh) {
		int64_t t = clock_us();
		rc = store_restore_indexes(s, fresh_table(&r), e);
		log_debug("load: %s: indexes built in %" PRId64 " ms", kind_names[kind],
			  (clock_us() - t) / 1000);
		if (rc == -KASI_EDATA)
			r.refused = true;
		else if (rc)
			goto out;
	}
	if (r.refused && !res->v.nerrors) {
		rc = err_set(e, KASI_EIO, "the store refused a row of '%s' that its checks passed",
			     path);
		goto out;
	}

	if (res->v.nerrors) {
		res->rejected = true;
		goto out; /* rolled back below */
	}
	int found = store_file_applied(s, res->v.sha256, &res->previous, e);
	if (found < 0) {
		rc = found;
		goto out;
	}
	/* Content loaded before is skipped when it changes nothing; when a
	 * later load changed what it set (a register put back as it was),
	 * it is loaded again. */
	if (found && !res->created && !res->updated) {
		res->same_content = true;
		res->unchanged = res->v.rows;
		res->created = res->updated = 0;
		goto out;
	}
	f.sha256 = res->v.sha256;
	f.size = res->v.bytes;
	f.rows = res->v.rows;
	int64_t t = clock_us();
	if (!(rc = store_file_apply_done(s, r.file_id, &f, e)) && !(rc = store_commit(s, e)))
		in_tx = false;
	log_debug("load: %s: committed in %" PRId64 " ms", kind_names[kind],
		  (clock_us() - t) / 1000);
out:
	if (fd >= 0)
		close(fd);
	if (in_tx)
		store_rollback(s);
	vstrings_release(&r.t);
	arena_free(r.held_strings);
	for (size_t i = 0; i < r.nproviders; i++) {
		free(r.providers[i].code);
		free(r.providers[i].name);
		free(r.providers[i].bank);
		free(r.providers[i].account);
	}
	free(r.providers);
	return rc;
}
