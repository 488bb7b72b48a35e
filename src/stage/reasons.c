/*
 * reasons.c — loading and looking up the unpaid-reason mapping.
 *
 * Keys are "channel\x1f" + the raw reason, lowercased and trimmed, so that
 * "PAAF INSUFFICIENT FUNDS " finds "PAAF Insufficient Funds": a bureau's
 * capitalisation is not a reason to lose the reason.
 */
#include "core/common.h"
#include "core/strmap.h"
#include "stage/reasons.h"
#include "stage/validate.h"

/* A map value: the index into names, and whether the reason is a
 * dispute. */
#define DISPUTE_BIT 0x80000000u

struct reasons {
	struct strmap *map; /* key -> index into names | DISPUTE_BIT */
	char **names;	    /* normalised reasons, one copy each */
	size_t nnames;
	struct vstrings t;
	int col_channel, col_raw, col_reason, col_dispute; /* col_dispute -1: none */
	struct err *e;
};

/* channel + '\x1f' + lower(trim(raw)) into buf; its length. */
static size_t make_key(const char *channel, const char *raw, char *buf, size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "%s\x1f", channel);
	while (*raw == ' ' || *raw == '\t')
		raw++;
	size_t len = strlen(raw);
	while (len && (raw[len - 1] == ' ' || raw[len - 1] == '\t'))
		len--;
	for (size_t i = 0; i < len && n + 1 < size; i++)
		buf[n++] = (char)tolower((unsigned char)raw[i]);
	buf[n] = '\0';
	return n;
}

static int name_index(struct reasons *r, const char *name, uint32_t *idx)
{
	for (size_t i = 0; i < r->nnames; i++) {
		if (!strcmp(r->names[i], name)) {
			*idx = (uint32_t)i;
			return 0;
		}
	}
	char *copy = strdup(name);
	char **nn = copy ? realloc(r->names, (r->nnames + 1) * sizeof(*nn)) : NULL;
	if (!nn) {
		free(copy);
		return -1;
	}
	r->names = nn;
	nn[r->nnames] = copy;
	*idx = (uint32_t)r->nnames++;
	return 0;
}

static int on_row(void *ctx, const struct vrow *row)
{
	struct reasons *r = ctx;
	if (!row->ok)
		return 0;
	if (vrow_strings(row, &r->t))
		return err_set(r->e, KASI_EIO, "out of memory");
	char key[512];
	size_t n = make_key(r->t.col[r->col_channel], r->t.col[r->col_raw], key, sizeof(key));
	uint32_t idx;
	if (name_index(r, r->t.col[r->col_reason], &idx))
		return err_set(r->e, KASI_EIO, "out of memory");
	if (r->col_dispute >= 0 && !strcmp(r->t.col[r->col_dispute], "yes"))
		idx |= DISPUTE_BIT;
	if (strmap_put(r->map, key, n, idx))
		return err_set(r->e, KASI_EIO, "out of memory");
	return 0;
}

/* Read DIR/NAME.csv, validated by the set's NAME schema, row by row
 * through opts->on_row. -KASI_ECONFIG if either is missing or the file is
 * invalid: kasi's data, not a partner's. */
static int load_data(const struct schema *s, const struct schema_set *set, const char *what,
		     struct validate_opts *opts, struct err *e)
{
	char path[PATH_MAX];
	struct validation v = { 0 };
	snprintf(path, sizeof(path), "%s/%s.csv", set->dir, s->name);
	int rc = validate_file(s, path, opts, &v, e);
	if (rc == -KASI_ENOINPUT) {
		char why[sizeof(e->msg)];
		snprintf(why, sizeof(why), "%s", e->msg);
		rc = err_set(e, KASI_ECONFIG, "%s file is missing: %s", what, why);
	} else if (!rc && v.nerrors) {
		rc = err_set(e, KASI_ECONFIG,
			     "%s is invalid (%" PRIu64 " %s; kasi validate shows them)", path,
			     v.nerrors, v.nerrors == 1 ? "error" : "errors");
	}
	validation_release(&v);
	return rc;
}

int reasons_load(struct reasons **out, const struct schema_set *set, struct err *e)
{
	int rc = 0;
	struct reasons *r = calloc(1, sizeof(*r));
	*out = r;
	if (!r || !(r->map = strmap_new()))
		return err_set(e, KASI_EIO, "out of memory");
	r->e = e;
	const struct schema *s = schema_set_find(set, "unpaid_reasons");
	if (!s)
		return err_set(e, KASI_ECONFIG, "no unpaid_reasons schema in '%s'", set->dir);
	r->col_channel = schema_column_index(s, "channel");
	r->col_raw = schema_column_index(s, "raw_reason");
	r->col_reason = schema_column_index(s, "reason");
	r->col_dispute = schema_column_index(s, "dispute");
	if (r->col_channel < 0 || r->col_raw < 0 || r->col_reason < 0)
		return err_set(e, KASI_ECONFIG,
			       "the unpaid_reasons schema lacks channel, raw_reason or reason");
	struct validate_opts opts = { .on_row = on_row, .ctx = r };
	rc = load_data(s, set, "the unpaid reason mapping", &opts, e);
	vstrings_release(&r->t);
	return rc;
}

void reasons_free(struct reasons *r)
{
	if (!r)
		return;
	strmap_free(r->map);
	for (size_t i = 0; i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
	vstrings_release(&r->t);
	free(r);
}

const char *reasons_normalise(const struct reasons *r, const char *channel, const char *raw)
{
	char key[512];
	uint32_t idx;
	if (!raw || !*raw)
		return REASON_OTHER;
	size_t n = make_key(channel, raw, key, sizeof(key));
	return strmap_get(r->map, key, n, &idx) ? r->names[idx & ~DISPUTE_BIT] : REASON_OTHER;
}

bool reasons_is_dispute(const struct reasons *r, const char *channel, const char *raw)
{
	char key[512];
	uint32_t idx;
	if (!raw || !*raw)
		return false;
	size_t n = make_key(channel, raw, key, sizeof(key));
	return strmap_get(r->map, key, n, &idx) && (idx & DISPUTE_BIT);
}

/* ---- the limits ---------------------------------------------------------- */

struct limits_load {
	struct debit_limits *out;
	struct vstrings t;
	int col_measure, col_limit;
	bool seen_unpaids, seen_disputes;
	struct err *e;
};

static int on_limit(void *ctx, const struct vrow *row)
{
	struct limits_load *l = ctx;
	if (!row->ok)
		return 0;
	if (vrow_strings(row, &l->t))
		return err_set(l->e, KASI_EIO, "out of memory");
	/* Checked again, whatever the schema lets through: a share is 0 to
	 * 10000 basis points, of one of the two measures. */
	const char *measure = l->t.col[l->col_measure], *limit = l->t.col[l->col_limit];
	char *end;
	errno = 0;
	long long bps = strtoll(limit, &end, 10);
	bool unpaids = !strcmp(measure, "unpaids"), disputes = !strcmp(measure, "disputes");
	if (errno || end == limit || *end || bps < 0 || bps > 10000 || !(unpaids || disputes))
		return err_set(l->e, KASI_ECONFIG,
			       "debit_limits.csv row %" PRIu64
			       ": a limit is unpaids or disputes, 0 to "
			       "10000 basis points",
			       row->record);
	*(unpaids ? &l->out->unpaids_bps : &l->out->disputes_bps) = bps;
	*(unpaids ? &l->seen_unpaids : &l->seen_disputes) = true;
	return 0;
}

int reasons_limits_load(const struct schema_set *set, struct debit_limits *out, struct err *e)
{
	const struct schema *s = schema_set_find(set, "debit_limits");
	if (!s)
		return err_set(e, KASI_ECONFIG, "no debit_limits schema in '%s'", set->dir);
	struct limits_load l = { .out = out,
				 .col_measure = schema_column_index(s, "measure"),
				 .col_limit = schema_column_index(s, "limit_bps"),
				 .e = e };
	if (l.col_measure < 0 || l.col_limit < 0)
		return err_set(e, KASI_ECONFIG,
			       "the debit_limits schema lacks measure or limit_bps");
	struct validate_opts opts = { .on_row = on_limit, .ctx = &l };
	int rc = load_data(s, set, "the debit-order limits", &opts, e);
	vstrings_release(&l.t);
	if (!rc && !(l.seen_unpaids && l.seen_disputes))
		rc = err_set(e, KASI_ECONFIG,
			     "%s/debit_limits.csv must give both limits, unpaids and disputes",
			     set->dir);
	return rc;
}
