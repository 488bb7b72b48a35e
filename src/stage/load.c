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
 * Once a row fails, no more rows are written (the file will be rolled
 * back), but validation goes on, so that the report lists every error.
 */
#include "core/common.h"
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
	struct load_result *res;
	struct err *e;
	bool invalid;
	struct vstrings t;
	int col[16]; /* schema columns used by this kind, by the names below */
	struct provider_seen *providers;
	size_t nproviders;
	bool fresh; /* every policy of this load is new (see fresh_load) */
};

static const char *const product_cols[] = {
	"product_code", "product_name", "provider_code",  "provider_name",
	"fee_bps",	"fee_fixed",	"payout_bank_id", "payout_account",
};
enum { PR_CODE, PR_NAME, PR_PROVIDER, PR_PROVIDER_NAME, PR_BPS, PR_FIXED, PR_BANK, PR_ACCOUNT };

static const char *const policy_cols[] = {
	"policy_number",  "product_code", "customer_name", "id_number", "premium",    "channel",
	"collection_ref", "easypay_code", "debit_day",	   "status",	"start_date", "cancel_date",
};
enum {
	PO_NUMBER,
	PO_PRODUCT,
	PO_NAME,
	PO_ID,
	PO_PREMIUM,
	PO_CHANNEL,
	PO_REF,
	PO_EASYPAY,
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

/* A provider must carry the same details on every row of a load. */
static bool provider_consistent(struct load_run *r, const struct vrow *row)
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
			return true;
		vrow_error(row, r->col[bad], RULE_CONSISTENCY,
			   "the same details on every row of a provider",
			   "provider %s is given other %s on an earlier row", code,
			   product_cols[bad]);
		return false;
	}
	struct provider_seen *np = realloc(r->providers, (r->nproviders + 1) * sizeof(*np));
	if (!np)
		return false;
	r->providers = np;
	np[r->nproviders++] =
		(struct provider_seen){ strdup(code), strdup(name), strdup(bank), strdup(account) };
	return true;
}

static int load_product(struct load_run *r, const struct vrow *row, enum store_upsert *what)
{
	if (!provider_consistent(r, row))
		return KASI_EDATA;
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

static int load_policy(struct load_run *r, const struct vrow *row, enum store_upsert *what)
{
	struct store_policy p = {
		.policy_number = value(r, PO_NUMBER),
		.product_code = value(r, PO_PRODUCT),
		.customer_name = value(r, PO_NAME),
		.id_number = value(r, PO_ID),
		.channel = value(r, PO_CHANNEL),
		.collection_ref = value(r, PO_REF),
		.easypay_code = value(r, PO_EASYPAY),
		.debit_day = whole(value(r, PO_DAY)),
		.status = value(r, PO_STATUS),
		.start_date = value(r, PO_START),
		.cancel_date = value(r, PO_CANCEL),
		.known_new = r->fresh,
	};
	const char *premium = value(r, PO_PREMIUM);
	schema_read_money(&r->schema->columns[r->col[PO_PREMIUM]], premium, strlen(premium),
			  &p.premium);
	const char *field;
	int rc = store_policy_upsert(r->store, &p, r->file_id, r->now, what, &field, r->e);
	if (rc == -KASI_EDATA) {
		int c = schema_column_index(r->schema, field);
		bool product = !strcmp(field, "product_code");
		bool number = !strcmp(field, "policy_number");
		vrow_error(row, c,
			   product  ? RULE_REFERENCE
			   : number ? RULE_UNIQUE
				    : RULE_CONSISTENCY,
			   product			    ? "a product loaded before"
			   : !strcmp(field, "easypay_code") ? "an EasyPay code of this policy's own"
							    : "a policy number once in the file",
			   "%s", r->e->msg);
		err_clear(r->e);
		return KASI_EDATA;
	}
	return rc;
}

static int load_ledger_entry(struct load_run *r, const struct vrow *row, enum store_upsert *what)
{
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
	return store_ledger_upsert(r->store, &l, r->file_id, what, r->e);
}

static int on_row(void *ctx, const struct vrow *row)
{
	struct load_run *r = ctx;
	if (!row->ok || r->invalid) {
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

/* A first load of policies into an empty table, whose schema makes
 * policy numbers and EasyPay codes unique within the file: no policy can
 * exist already, so none is looked up. (The table's UNIQUE constraints
 * still stand behind this.) */
static int fresh_load(struct load_run *r, struct err *e)
{
	int64_t max_id = 0;
	int rc = store_policy_max_id(r->store, &max_id, e);
	r->fresh = !rc && max_id == 0 && unique_column(r->schema, r->col[PO_NUMBER]) &&
		   unique_column(r->schema, r->col[PO_EASYPAY]);
	return rc;
}

/* Every column this kind reads must be in the schema. */
static int resolve_columns(struct load_run *r, struct err *e)
{
	const char *const *names = r->kind == LOAD_PRODUCTS   ? product_cols
				   : r->kind == LOAD_POLICIES ? policy_cols
							      : ledger_cols;
	size_t n = r->kind == LOAD_PRODUCTS   ? ARRAY_SIZE(product_cols)
		   : r->kind == LOAD_POLICIES ? ARRAY_SIZE(policy_cols)
					      : ARRAY_SIZE(ledger_cols);
	for (size_t i = 0; i < n; i++) {
		r->col[i] = schema_column_index(r->schema, names[i]);
		if (r->col[i] < 0)
			return err_set(e, KASI_ECONFIG,
				       "schema %s has no column '%s', which loading %s needs",
				       r->schema->name, names[i], kind_names[r->kind]);
	}
	return 0;
}

int load_file(struct store *s, const struct schema *schema, enum load_kind kind, const char *path,
	      struct load_result *res, struct err *e)
{
	int rc;
	bool in_tx = false;
	struct load_run r = { .store = s, .schema = schema, .kind = kind, .res = res, .e = e };
	memset(res, 0, sizeof(*res));
	store_now(r.now);
	if ((rc = resolve_columns(&r, e)))
		goto out;

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = err_sys(e, KASI_ENOINPUT, "cannot open '%s'", path);
		goto out;
	}
	if ((rc = store_begin(s, e))) {
		close(fd);
		goto out;
	}
	in_tx = true;
	struct store_file f = { .name = base_name(path), .schema = schema->name };
	if ((rc = store_file_apply_begin(s, &f, &r.file_id, e)) ||
	    (kind == LOAD_POLICIES && (rc = fresh_load(&r, e)))) {
		close(fd);
		goto out;
	}
	struct validate_opts opts = { .sha256 = true, .on_row = on_row, .ctx = &r };
	if ((rc = validate_fd(schema, fd, path, &opts, &res->v, e)))
		goto out;

	if (res->v.nerrors) {
		res->rejected = true;
		goto out; /* rolled back below */
	}
	int found = store_file_applied(s, res->v.sha256, &res->previous, e);
	if (found < 0) {
		rc = found;
		goto out;
	}
	if (found) {
		res->same_content = true;
		res->unchanged = res->v.rows;
		res->created = res->updated = 0;
		goto out;
	}
	f.sha256 = res->v.sha256;
	f.size = res->v.bytes;
	f.rows = res->v.rows;
	if (!(rc = store_file_apply_done(s, r.file_id, &f, e)) && !(rc = store_commit(s, e)))
		in_tx = false;
out:
	if (in_tx)
		store_rollback(s);
	vstrings_release(&r.t);
	for (size_t i = 0; i < r.nproviders; i++) {
		free(r.providers[i].code);
		free(r.providers[i].name);
		free(r.providers[i].bank);
		free(r.providers[i].account);
	}
	free(r.providers);
	return rc;
}
