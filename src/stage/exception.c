/*
 * exception.c — an exception's status, age and money at stake (see
 * exception.h).
 */
#include "core/common.h"
#include "core/arena.h"
#include "core/grow.h"
#include "core/strmap.h"
#include "core/dates.h"
#include "core/money.h"
#include "stage/exception.h"

enum exception_age exception_age_of(const char *first_seen, int64_t now)
{
	int64_t first;
	if (!first_seen || timestamp_parse(first_seen, strlen(first_seen), &first) != DATE_OK)
		return AGE_UNKNOWN;
	int64_t days = now >= first ? (now - first) / 86400 : 0;
	return days <= 1 ? AGE_0_1D : days <= 7 ? AGE_2_7D : days <= 30 ? AGE_8_30D : AGE_OVER_30D;
}

const char *exception_age_name(enum exception_age age)
{
	static const char *const names[] = { "0-1d", "2-7d", "8-30d", ">30d", "?" };
	return names[age];
}

const char *exception_status(const char *cleared_at, bool resolved)
{
	return cleared_at ? "cleared" : resolved ? "resolved" : "open";
}

/* A value the discrepancy wrote as an amount of money ("125.00"). */
static bool as_amount(const char *s, int64_t *cents)
{
	static const struct money_rule rule = { 2, 2, true };
	return s && *s && money_parse(s, strlen(s), &rule, cents) == MONEY_OK;
}

static int magnitude(int64_t v, int64_t *out)
{
	if (v == INT64_MIN)
		return MONEY_ERANGE;
	*out = v < 0 ? -v : v;
	return 0;
}

int exception_at_stake(const struct store_exception *x, int64_t *cents)
{
	int64_t expected, actual, diff;
	*cents = 0;
	if (x->severity && !strcmp(x->severity, "info"))
		return 0; /* recorded, nothing to do: no money at stake */
	bool has_expected = as_amount(x->expected, &expected);
	bool has_actual = as_amount(x->actual, &actual);
	if (has_expected && has_actual)
		return __builtin_sub_overflow(expected, actual, &diff) ? MONEY_ERANGE
								       : magnitude(diff, cents);
	/* The row's own amount before a value that merely reads as one (an
	 * unknown reference's actual is what the customer typed). */
	if (x->has_amount)
		return magnitude(x->amount, cents);
	if (has_expected || has_actual)
		return magnitude(has_expected ? expected : actual, cents);
	return 0;
}

struct list_build {
	struct exception_list *l;
	bool all;
	int64_t now;
	struct err *e;
};

/* The exception's strings copied into the list's arena: the store's are
 * good only until its next row. */
static bool keep_strings(struct arena *a, struct store_exception *x)
{
	const char **fields[] = { &x->period,	  &x->code,	   &x->severity,
				  &x->channel,	  &x->reference,   &x->transaction_id,
				  &x->file,	  &x->expected,	   &x->actual,
				  &x->detail,	  &x->first_seen,  &x->last_seen,
				  &x->cleared_at, &x->resolved_at, &x->resolved_by,
				  &x->note };
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (*fields[i] && !(*fields[i] = arena_strdup(a, *fields[i])))
			return false;
	return true;
}

static int add_total(int64_t *sum, int64_t v, struct err *e)
{
	return money_add(*sum, v, sum)
		       ? err_set(e, KASI_EDATA, "the money at stake passes int64 cents")
		       : 0;
}

static int on_exception(void *ctx, const struct store_exception *x)
{
	struct list_build *b = ctx;
	struct exception_list *l = b->l;
	const char *status = exception_status(x->cleared_at, x->resolved);
	bool open = !strcmp(status, "open");
	l->open += open;
	l->resolved += !strcmp(status, "resolved");
	l->cleared += !strcmp(status, "cleared");
	if (!open && !b->all)
		return 0;
	if (!grow_array((void **)&l->items, &l->cap, l->n + 1, sizeof(*l->items)))
		return err_set(b->e, KASI_EIO, "out of memory");
	struct exception_item *it = &l->items[l->n];
	*it = (struct exception_item){ .x = *x,
				       .status = status,
				       .age = exception_age_of(x->first_seen, b->now) };
	if (exception_at_stake(x, &it->at_stake))
		return err_set(b->e, KASI_EDATA,
			       "exception %" PRId64 ": its amounts pass int64 cents", x->id);
	if (!keep_strings(l->strings, &it->x))
		return err_set(b->e, KASI_EIO, "out of memory");
	l->n++;
	return 0;
}

/* The totals, of the open exceptions only (whatever is listed), by age:
 * a transaction two exceptions name (an unknown reference that is also
 * missing from our ledger) is its money once, at the larger stake; the
 * items are by stake, most first, so its first one counts. */
static int count_totals(struct exception_list *l, struct err *e)
{
	struct strmap *seen = strmap_new();
	if (!seen)
		return err_set(e, KASI_EIO, "out of memory");
	int rc = 0;
	/* The key is the channel and the transaction id whole: two ids cut
	 * to one length would be one transaction, and one's money dropped. */
	char *key = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < l->n && !rc; i++) {
		struct exception_item *it = &l->items[i];
		if (strcmp(it->status, "open"))
			continue;
		struct exception_age_total *t = &l->by_age[it->age];
		t->count++;
		uint32_t v;
		if (it->x.transaction_id && *it->x.transaction_id) {
			size_t cn = strlen(it->x.channel), tn = strlen(it->x.transaction_id);
			size_t n = cn + 1 + tn;
			if (!grow_array((void **)&key, &cap, n, 1)) {
				rc = err_set(e, KASI_EIO, "out of memory");
				break;
			}
			memcpy(key, it->x.channel, cn);
			key[cn] = '\x1f';
			memcpy(key + cn + 1, it->x.transaction_id, tn);
			if (strmap_get(seen, key, n, &v))
				continue; /* its money is counted */
			if (strmap_put(seen, key, n, 1)) {
				rc = err_set(e, KASI_EIO, "out of memory");
				break;
			}
		}
		if (!(rc = add_total(&t->at_stake, it->at_stake, e)))
			rc = add_total(&l->at_stake, it->at_stake, e);
	}
	free(key);
	strmap_free(seen);
	return rc;
}

static int by_stake(const void *a, const void *b)
{
	const struct exception_item *x = a, *y = b;
	if (x->at_stake != y->at_stake)
		return x->at_stake > y->at_stake ? -1 : 1;
	return (x->x.id > y->x.id) - (x->x.id < y->x.id);
}

int exception_list_build(struct store *s, const char *period, bool all, int64_t now,
			 struct exception_list *l, struct err *e)
{
	memset(l, 0, sizeof(*l));
	if (!(l->strings = arena_new()))
		return err_set(e, KASI_EIO, "out of memory");
	struct list_build b = { .l = l, .all = all, .now = now, .e = e };
	int rc = store_each_exception(s, period, on_exception, &b, e);
	if (!rc && l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), by_stake);
	return rc ? rc : count_totals(l, e);
}

void exception_list_release(struct exception_list *l)
{
	free(l->items);
	arena_free(l->strings);
	memset(l, 0, sizeof(*l));
}
