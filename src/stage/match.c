/*
 * match.c — the matcher the flows share (see match.h): policies found by
 * their keys, and what matching finds — movements, failures, findings and
 * the trace of one policy.
 *
 * A policy's keys live in one hash map: a byte for the kind of key ('c' a
 * collection_ref, then the channel's byte; 'k' a cash payment code; 'n' a
 * policy number), then the key itself. A collection_ref names a policy
 * only for the channel the policy is collected by.
 */
#include "core/common.h"
#include "core/grow.h"
#include "core/money.h"
#include "stage/discrepancy.h"
#include "stage/match.h"

#define KEY_MAX 80

/* Room for one more element after the n in *arr. */
static bool push(void **arr, size_t *n, size_t *cap, size_t elem)
{
	return grow_array(arr, cap, *n + 1, elem);
}

int32_t match_day(const char *iso)
{
	int32_t d;
	return iso && date_parse(iso, strlen(iso), DATE_FMT_ISO, &d) == DATE_OK ? d : MATCH_NO_DAY;
}

struct where match_where(const struct store_fact_row *f)
{
	return (struct where){ f->channel, f->file_id, f->row, f->transaction_id,
			       f->business_date };
}

enum fact_kind match_fact_kind(const struct store_fact_row *f)
{
	enum fact_kind k = f->canonical_kind ? fact_kind_parse(f->canonical_kind) : FACT_IGNORED;
	return k == FACT_KIND_COUNT ? FACT_IGNORED : k;
}

bool matcher_in_period(const struct matcher *m, int32_t day)
{
	return day >= m->first_day && day <= m->last_day;
}

/* ---- set up ------------------------------------------------------------- */

int matcher_init(struct matcher *m, const struct schema_set *set, const char *period,
		 const struct match_lookup *lookup, struct err *e)
{
	memset(m, 0, sizeof(*m));
	m->lookup = lookup;
	m->e = e;
	int32_t p;
	if (period_parse(period, strlen(period), &p) != DATE_OK)
		return err_set(e, KASI_EUSAGE, "'%s' is not a period (YYYY-MM)", period);
	period_format(p, m->period);
	m->first_day = period_first_day(p);
	m->last_day = period_last_day(p);
	date_format_iso(m->first_day, m->first);
	date_format_iso(m->last_day, m->last);
	m->strings = arena_new();
	m->reversed = strmap_new();
	m->ledger_by_txn = strmap_new();
	m->tally_by_key = strmap_new();
	if (!m->strings || !m->reversed || !m->ledger_by_txn || !m->tally_by_key)
		return err_set(e, KASI_EIO, "out of memory");
	for (size_t i = 0; set && i < set->n; i++) {
		const struct schema *s = set->items[i];
		if (s->flow.type == FLOW_NONE)
			continue;
		if (m->nchannels == MATCH_CHANNELS)
			return err_set(e, KASI_ECONFIG, "more than %d channels in '%s'",
				       MATCH_CHANNELS, set->dir);
		if (matcher_channel(m, s->channel))
			return err_set(e, KASI_ECONFIG,
				       "schemas %s and another both describe channel %s: one "
				       "channel, one flow",
				       s->name, s->channel);
		m->channels[m->nchannels] =
			(struct channel){ s, s->channel, (uint8_t)m->nchannels };
		m->by_number |= s->flow.match == POLICY_KEY_NUMBER;
		m->nchannels++;
	}
	return 0;
}

void matcher_release(struct matcher *m)
{
	arena_free(m->strings);
	strmap_free(m->by_key);
	strmap_free(m->reversed);
	strmap_free(m->ledger_by_txn);
	strmap_free(m->tally_by_key);
	free(m->tallies);
	free(m->policies);
	free(m->moves);
	free(m->fails);
	free(m->findings);
	free(m->ledger);
	free(m->deferred);
	free(m->instructions);
	memset(m, 0, sizeof(*m));
}

void matcher_release_maps(struct matcher *m)
{
	strmap_free(m->by_key);
	strmap_free(m->reversed);
	strmap_free(m->ledger_by_txn);
	strmap_free(m->tally_by_key);
	m->by_key = m->reversed = m->ledger_by_txn = m->tally_by_key = NULL;
	free(m->instructions);
	free(m->deferred);
	m->instructions = NULL;
	m->deferred = NULL;
	m->ninstructions = m->instructions_cap = m->ndeferred = m->deferred_cap = 0;
}

const struct channel *matcher_channel(const struct matcher *m, const char *name)
{
	/* Asked for every policy and fact: the first letter rules most out. */
	for (size_t i = 0; name && i < m->nchannels; i++)
		if (m->channels[i].name[0] == name[0] && !strcmp(m->channels[i].name, name))
			return &m->channels[i];
	return NULL;
}

bool matcher_needs_numbers(const struct matcher *m)
{
	return m->by_number;
}

void matcher_skip_numbers(struct matcher *m)
{
	m->by_number = false;
}

/* ---- policies and their keys --------------------------------------------- */

/* A key in by_key: its kind, the channel for a collection_ref, the key;
 * 0 if it does not fit or there is none. */
static size_t key_of(char key[KEY_MAX], char kind, uint8_t channel, const char *ref)
{
	size_t n = ref ? strlen(ref) : 0;
	size_t at = kind == 'c' ? 2 : 1;
	if (!n || n + at > KEY_MAX)
		return 0;
	key[0] = kind;
	key[1] = (char)channel;
	memcpy(key + at, ref, n);
	return n + at;
}

static char key_kind(enum policy_key k)
{
	return k == POLICY_KEY_COLLECTION_REF ? 'c' : k == POLICY_KEY_CASH_CODE ? 'k' : 'n';
}

static int put_key(struct matcher *m, char kind, uint8_t channel, const char *ref, uint32_t idx)
{
	char key[KEY_MAX];
	size_t n = key_of(key, kind, channel, ref);
	if (n && strmap_put(m->by_key, key, n, idx))
		return err_set(m->e, KASI_EIO, "out of memory");
	return 0;
}

int matcher_add_policy(struct matcher *m, const struct store_policy_row *p)
{
	if (!m->by_key && !(m->by_key = strmap_new_sized(m->policies_cap + m->policies_cap / 4)))
		return err_set(m->e, KASI_EIO, "out of memory");
	if (!push((void **)&m->policies, &m->npolicies, &m->policies_cap, sizeof(*m->policies)))
		return err_set(m->e, KASI_EIO, "out of memory");
	uint32_t idx = (uint32_t)m->npolicies++;
	m->policies[idx] = (struct match_policy){
		.id = p->policy_id,
		.expected = p->expected,
		.scheduled = p->scheduled,
		.product_id = (int32_t)p->product_id,
		.cancel_day = p->cancel_date ? match_day(p->cancel_date) : MATCH_NO_DAY,
		.state = !strcmp(p->status, "lapsed")	   ? POLICY_LAPSED
			 : !strcmp(p->status, "cancelled") ? POLICY_CANCELLED
							   : POLICY_ACTIVE,
	};
	const struct channel *c = matcher_channel(m, p->channel);
	int rc = c ? put_key(m, 'c', c->id, p->collection_ref, idx) : 0;
	if (!rc)
		rc = put_key(m, 'k', 0, p->cash_code, idx);
	if (!rc && m->by_number)
		rc = put_key(m, 'n', 0, p->policy_number, idx);
	return rc;
}

void matcher_prefetch_policy(const struct matcher *m, const struct store_policy_row *p)
{
	char key[KEY_MAX];
	const struct channel *c = matcher_channel(m, p->channel);
	size_t n;
	if (!m->by_key)
		return;
	if (c && (n = key_of(key, 'c', c->id, p->collection_ref)))
		strmap_prefetch(m->by_key, key, n);
	if ((n = key_of(key, 'k', 0, p->cash_code)))
		strmap_prefetch(m->by_key, key, n);
}

uint32_t matcher_policy(const struct matcher *m, const struct channel *c, const char *reference)
{
	char key[KEY_MAX];
	uint32_t idx;
	size_t n = key_of(key, key_kind(c->schema->flow.match), c->id, reference);
	return n && m->by_key && strmap_get(m->by_key, key, n, &idx) ? idx : MATCH_NONE;
}

void matcher_prefetch_reference(const struct matcher *m, const struct channel *c,
				const char *reference)
{
	char key[KEY_MAX];
	size_t n = key_of(key, key_kind(c->schema->flow.match), c->id, reference);
	if (n && m->by_key)
		strmap_prefetch(m->by_key, key, n);
}

void matcher_prefetch_named(const struct matcher *m, const struct channel *c, const char *reference)
{
	uint32_t idx = matcher_policy(m, c, reference);
	if (idx != MATCH_NONE)
		__builtin_prefetch(&m->policies[idx]);
}

/* ---- strings --------------------------------------------------------------- */

const char *matcher_keep(struct matcher *m, const char *s)
{
	const char *c = s ? arena_strdup(m->strings, s) : NULL;
	if (s && !c)
		m->oom = true;
	return c;
}

/* A finding's words are formatted whole, however long the values and
 * column names a schema gives them: a short one in place, a long one in
 * a buffer of its own size. */
static const char *vfmt(struct matcher *m, const char *f, va_list ap)
{
	char buf[512], *big;
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(buf, sizeof(buf), f, ap);
	const char *s = buf;
	if (n >= (int)sizeof(buf)) {
		if (!(big = malloc((size_t)n + 1))) {
			va_end(again);
			m->oom = true;
			return NULL;
		}
		vsnprintf(big, (size_t)n + 1, f, again);
		s = matcher_keep(m, big);
		free(big);
	} else if (n >= 0) {
		s = matcher_keep(m, buf);
	} else {
		s = matcher_keep(m, "");
	}
	va_end(again);
	return s;
}

const char *matcher_fmt(struct matcher *m, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	const char *s = vfmt(m, f, ap);
	va_end(ap);
	return s;
}

const char *matcher_reference(struct matcher *m, const struct channel *c, const char *reference)
{
	char buf[TEXT_RENDER_BUFSZ];
	int col = c->schema->map[CANON_REFERENCE];
	const char *v =
		schema_shown_value(col >= 0 ? &c->schema->columns[col] : NULL, reference, buf);
	return v == buf ? matcher_keep(m, buf) : reference;
}

const char *matcher_money(struct matcher *m, int64_t cents)
{
	char buf[MONEY_BUFSZ];
	money_format(cents, buf);
	return matcher_keep(m, buf);
}

/* ---- the trace -------------------------------------------------------------- */

bool matcher_traced(const struct matcher *m, uint32_t pol)
{
	return m->trace && pol != MATCH_NONE && m->policies[pol].id == m->trace_policy_id;
}

static void vtrace(struct matcher *m, uint32_t pol, enum trace_kind kind, const struct where *w,
		   bool has_amount, int64_t amount, const char *f, va_list ap)
{
	const char *detail = vfmt(m, f, ap);
	struct trace_event ev = {
		.kind = kind,
		.channel = w ? w->channel : NULL,
		.file_id = w ? w->file_id : 0,
		.row = w ? w->row : 0,
		.transaction_id = w ? w->txn : NULL,
		.date = w ? w->date : NULL,
		.amount = amount,
		.has_amount = has_amount,
		.detail = detail,
	};
	(void)pol;
	m->trace(m->trace_ctx, &ev);
}

void matcher_trace(struct matcher *m, uint32_t pol, enum trace_kind kind, const struct where *w,
		   bool has_amount, int64_t amount, const char *f, ...)
{
	if (!matcher_traced(m, pol))
		return;
	va_list ap;
	va_start(ap, f);
	vtrace(m, pol, kind, w, has_amount, amount, f, ap);
	va_end(ap);
}

/* ---- movements -------------------------------------------------------------- */

static void move(struct matcher *m, enum movement_kind kind, uint32_t pol, const struct where *w,
		 int32_t day, int64_t amount, int64_t original)
{
	if (!push((void **)&m->moves, &m->nmoves, &m->moves_cap, sizeof(*m->moves))) {
		m->oom = true;
		return;
	}
	const struct channel *c = matcher_channel(m, w->channel);
	m->moves[m->nmoves++] = (struct movement){
		.fact_id = store_fact_id(w->file_id, w->row),
		.amount = amount,
		.original = original,
		.policy = pol,
		.day = day,
		.kind = (uint8_t)kind,
		.channel = c ? c->id : 0,
	};
}

/* ---- the movements, in the store's order ------------------------------------- */

int movement_order(const void *a, const void *b)
{
	const struct movement *x = a, *y = b;
	if (x->fact_id != y->fact_id)
		return x->fact_id < y->fact_id ? -1 : 1;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

void moves_merge_begin(struct moves_merge *g, struct movement *moves, size_t n)
{
	*g = (struct moves_merge){ .moves = moves };
	for (size_t i = 0; i < n; i++) {
		if (i && movement_order(&moves[i - 1], &moves[i]) <= 0)
			continue;
		if (g->nruns == MOVES_MERGE_RUNS) {
			qsort(moves, n, sizeof(*moves), movement_order);
			g->nruns = 1;
			g->at[0] = 0;
			break;
		}
		if (g->nruns)
			g->end[g->nruns - 1] = i;
		g->at[g->nruns++] = i;
	}
	if (g->nruns)
		g->end[g->nruns - 1] = n;
}

const struct movement *moves_merge_next(struct moves_merge *g)
{
	size_t best = MOVES_MERGE_RUNS;
	for (size_t k = 0; k < g->nruns; k++)
		if (g->at[k] < g->end[k] &&
		    (best == MOVES_MERGE_RUNS ||
		     movement_order(&g->moves[g->at[k]], &g->moves[g->at[best]]) < 0))
			best = k;
	return best == MOVES_MERGE_RUNS ? NULL : &g->moves[g->at[best]++];
}

/* Whether amount, money for a policy, is not negative; else
 * UNEXPECTED_SIGN (what: "a collection", "a pending payment"). */
static bool signed_right(struct matcher *m, uint32_t pol, const struct where *w, int64_t amount,
			 const char *what)
{
	if (amount >= 0)
		return true;
	const struct channel *c = matcher_channel(m, w->channel);
	const char *money = matcher_money(m, amount);
	matcher_find(m, D_UNEXPECTED_SIGN, w, pol, NULL, "0.00 or more", money,
		     matcher_fmt(m,
				 "%s of %s, read by the %s schema's sign rule, would count "
				 "negative money: not counted (its channel sends no such row; "
				 "was the schema's 'amounts' changed?)",
				 what, money, c ? schema_label(c->schema) : w->channel));
	return false;
}

bool matcher_collect(struct matcher *m, uint32_t pol, const struct where *w, int32_t day,
		     int64_t amount, const char *what, ...)
{
	if (!signed_right(m, pol, w, amount, "a collection"))
		return false;
	move(m, MOVE_COLLECTED, pol, w, day, amount, 0);
	if (!matcher_traced(m, pol))
		return true;
	va_list ap;
	va_start(ap, what);
	vtrace(m, pol, TRACE_COLLECTION, w, true, amount, what, ap);
	va_end(ap);
	return true;
}

void matcher_take_back(struct matcher *m, uint32_t pol, const struct where *w, int32_t day,
		       int64_t amount, int64_t original, const char *what, ...)
{
	if (amount < 0)
		return; /* its collection was not counted (UNEXPECTED_SIGN) */
	move(m, MOVE_REVERSAL, pol, w, day, amount, original);
	if (!matcher_traced(m, pol))
		return;
	va_list ap;
	va_start(ap, what);
	/* amount cannot be INT64_MIN: it is a money column's, under its ceiling */
	vtrace(m, pol, TRACE_REVERSAL, w, true, -amount, what, ap);
	va_end(ap);
}

bool matcher_pending(struct matcher *m, uint32_t pol, const struct where *w, int32_t day,
		     int64_t amount, const char *what, ...)
{
	if (!signed_right(m, pol, w, amount, "a pending payment"))
		return false;
	move(m, MOVE_PENDING, pol, w, day, amount, 0);
	if (!matcher_traced(m, pol))
		return true;
	va_list ap;
	va_start(ap, what);
	vtrace(m, pol, TRACE_PENDING, w, true, amount, what, ap);
	va_end(ap);
	return true;
}

/* The tally of (channel, policy's product, raw reason), made when new. */
static struct debit_tally *tally(struct matcher *m, uint32_t pol, const struct channel *c,
				 const char *raw)
{
	char key[8 + 256];
	int32_t product = m->policies[pol].product_id;
	key[0] = (char)c->id;
	memcpy(key + 1, &product, sizeof(product));
	size_t n = 1 + sizeof(product);
	n += (size_t)snprintf(key + n, sizeof(key) - n, "%s", raw ? raw : "");
	n = n < sizeof(key) ? n : sizeof(key) - 1;
	uint32_t idx;
	if (strmap_get(m->tally_by_key, key, n, &idx))
		return &m->tallies[idx];
	if (!push((void **)&m->tallies, &m->ntallies, &m->tallies_cap, sizeof(*m->tallies)) ||
	    strmap_put(m->tally_by_key, key, n, (uint32_t)m->ntallies)) {
		m->oom = true;
		return NULL;
	}
	struct debit_tally *t = &m->tallies[m->ntallies++];
	*t = (struct debit_tally){ .channel = c->id,
				   .product_id = product,
				   .raw = matcher_keep(m, raw ? raw : "") };
	return t;
}

void matcher_debit_instruction(struct matcher *m, uint32_t pol, const struct channel *c)
{
	struct debit_tally *t = tally(m, pol, c, NULL);
	if (t)
		t->instructions++;
}

void matcher_debit_unpaid(struct matcher *m, uint32_t pol, const struct channel *c, const char *raw)
{
	struct debit_tally *t = tally(m, pol, c, raw);
	if (t)
		t->unpaids++;
}

void matcher_failure(struct matcher *m, uint32_t pol, const char *channel, int32_t day,
		     int32_t time, int64_t seq, const char *raw)
{
	struct match_policy *p = &m->policies[pol];
	if (!p->fail) {
		if (!push((void **)&m->fails, &m->nfails, &m->fails_cap, sizeof(*m->fails))) {
			m->oom = true;
			return;
		}
		p->fail = (uint32_t)++m->nfails;
	} else {
		const struct failure *f = &m->fails[p->fail - 1];
		if (f->day > day ||
		    (f->day == day && (f->time > time || (f->time == time && f->seq > seq))))
			return;
	}
	const struct channel *c = matcher_channel(m, channel);
	m->fails[p->fail - 1] =
		(struct failure){ day, time, seq, c ? c->name : matcher_keep(m, channel),
				  matcher_keep(m, raw) };
}

/* ---- findings ----------------------------------------------------------------- */

void matcher_find(struct matcher *m, const char *code, const struct where *w, uint32_t pol,
		  const char *reference, const char *expected, const char *actual,
		  const char *detail)
{
	if (!push((void **)&m->findings, &m->nfindings, &m->findings_cap, sizeof(*m->findings))) {
		m->oom = true;
		return;
	}
	m->findings[m->nfindings++] = (struct finding){
		.code = code,
		.channel = w ? matcher_keep(m, w->channel) : NULL,
		.reference = matcher_keep(m, reference),
		.txn = w ? matcher_keep(m, w->txn) : NULL,
		.expected = matcher_keep(m, expected),
		.actual = matcher_keep(m, actual),
		.detail = matcher_keep(m, detail),
		.file_id = w ? w->file_id : 0,
		.row = w ? w->row : 0,
		.policy_id = pol != MATCH_NONE ? m->policies[pol].id : 0,
	};
	matcher_trace(m, pol, TRACE_DISCREPANCY, w, false, 0, "%s: %s", code, detail);
}

void matcher_check_inactive(struct matcher *m, uint32_t pol, const struct where *w, int32_t day)
{
	const struct match_policy *p = &m->policies[pol];
	if (p->state != POLICY_LAPSED && (p->cancel_day == MATCH_NO_DAY || day <= p->cancel_day))
		return;
	char d[DATE_BUFSZ], c[DATE_BUFSZ];
	date_format_iso(day, d);
	if (p->state == POLICY_LAPSED) {
		matcher_find(m, D_PAYMENT_ON_INACTIVE_POLICY, w, pol, NULL, "an active policy",
			     "lapsed",
			     matcher_fmt(m,
					 "money collected on %s for a lapsed policy; arrange a "
					 "refund",
					 d));
		return;
	}
	date_format_iso(p->cancel_day, c);
	matcher_find(m, D_PAYMENT_ON_INACTIVE_POLICY, w, pol, NULL,
		     matcher_fmt(m, "on or before %s", c), d,
		     matcher_fmt(m,
				 "money collected on %s, after the policy was cancelled on %s; "
				 "arrange a refund",
				 d, c));
}
