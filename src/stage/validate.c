/*
 * validate.c — applying a schema to a file (see validate.h).
 *
 * One pass over the file through the CSV reader:
 *
 *   file name  -> the schema's pattern and the date it carries
 *   header     -> each schema column found by name (order is free)
 *   each row   -> field count, then per column: text (UTF-8, NUL),
 *                 presence (required / empty, possibly conditional),
 *                 then the column's checks in the order the schema
 *                 lists them, stopping at the first failure; then the
 *                 row's keys go into their keysets
 *   the end    -> reader problems, row limit, deferred duplicates
 *
 * At most one error is raised per field, so counts by rule read as "how
 * many values broke this rule". Errors are counted as they come; only
 * those that will be shown (the first VALIDATE_SHOWN by row and column)
 * are rendered into strings, so a file with a million bad rows costs no
 * more memory than one with a hundred.
 */
#include "core/common.h"
#include "core/log.h"
#include "core/grow.h"
#include "core/json.h"
#include "core/luhn.h"
#include "core/money.h"
#include "core/text.h"
#include "io/csv.h"
#include "io/digest.h"
#include "io/input.h"
#include "io/keyset.h"
#include "stage/validate.h"

#include <pthread.h>
#include <stdatomic.h>

#include "core/relay.h"

static const char *const rule_names[RULE_CHECK_BASE] = {
	[RULE_FILE_NAME] = "file_name",
	[RULE_HEADER] = "header",
	[RULE_MISSING_COLUMN] = "missing_column",
	[RULE_UNKNOWN_COLUMN] = "unknown_column",
	[RULE_DUPLICATE_COLUMN] = "duplicate_column",
	[RULE_MAX_BYTES] = "max_bytes",
	[RULE_MAX_ROWS] = "max_rows",
	[RULE_QUOTING] = "quoting",
	[RULE_UNTERMINATED_QUOTE] = "unterminated_quote",
	[RULE_FIELD_TOO_LONG] = "field_too_long",
	[RULE_GZIP] = "gzip",
	[RULE_ENCODING] = "encoding",
	[RULE_BARE_CR] = "bare_cr",
	[RULE_BLANK_LINE] = "blank_line",
	[RULE_FIELD_COUNT] = "field_count",
	[RULE_UTF8] = "utf8",
	[RULE_NUL_BYTE] = "nul_byte",
	[RULE_REGEX_LIMIT] = "regex_limit",
	[RULE_UNIQUE] = "unique",
	[RULE_REFERENCE] = "reference",
	[RULE_CONSISTENCY] = "consistency",
};

const char *validate_rule_name(enum rule r)
{
	if (r < RULE_CHECK_BASE)
		return rule_names[r];
	if (r < RULE_COUNT)
		return check_kind_name((enum check_kind)(r - RULE_CHECK_BASE));
	return "?";
}

/* Rows handed to on_row on a second thread (validate_opts.row_thread):
 * each row's column values, copied (NUL-terminated) into a block. */
#define VBLOCKS	     4
#define VBLOCK_ROWS  256
#define VBLOCK_BYTES (64 * 1024)

struct vcol {
	uint32_t off, len; /* off UINT32_MAX: the column is absent */
};

struct vpacked {
	uint64_t record;
	bool ok;
	uint8_t sha256[SHA256_BYTES];
};

struct vblock {
	struct relay_block b; /* b.n rows; their values in b.bytes */
	struct vpacked *rows;
	struct vcol *cols; /* ncolumns per row */
};

/* State of one validation run. */
struct vrun {
	const struct validate_opts *opts;
	const struct schema *s;
	struct validation *v;
	struct regex_matcher *matcher;
	struct err *e;
	int fatal; /* a keyset failure: stop and report */

	bool have_header;
	/* The header named every column once and nothing else: only then
	 * do rows reach validate_opts.on_row, which may count on each
	 * schema column being there. */
	bool header_ok;
	size_t nheader;	    /* fields in the header */
	long *field_of_col; /* schema column -> header position, or -1 */

	struct keyset **keysets; /* one per schema key */
	char *keybuf;		 /* composite keys are assembled here */
	size_t keybuf_cap;

	/* The row thread, when asked for. Its on_row status goes to
	 * sink_rc; errors found on either thread go in under `lock`. */
	struct relay *relay;
	struct vblock blocks[VBLOCKS];
	struct relay_block *cur;
	pthread_t sink;
	bool sink_running;
	atomic_int sink_rc;
	pthread_mutex_t lock;
	bool have_lock;

	/* validate_opts.row_sha256 */
	struct sha256 *row_hash;
	uint8_t *content;
	size_t content_cap;
};

/* ---- recording errors ------------------------------------------------ */

static void verror_release(struct verror *ve)
{
	free(ve->column);
	free(ve->message);
	free(ve->expected);
	free(ve->received);
}

static bool sorts_before(uint64_t row, long pos, const struct verror *b)
{
	return row < b->row || (row == b->row && pos < b->position);
}

/* Count an error; keep it in full if it is among the first shown. The
 * value (raw bytes, NULL for none) is rendered here, masked if asked. */
static void add_error(struct validation *v, uint64_t row, long position, enum rule rule,
		      const char *column, const char *value, size_t value_len, bool mask,
		      const char *expected, const char *fmt, ...)
	__attribute__((format(printf, 10, 11)));

static void add_error_locked(struct validation *v, uint64_t row, long position, enum rule rule,
			     const char *column, const char *value, size_t value_len, bool mask,
			     const char *expected, const char *msg);

/* Errors added by this thread: whether a row raised one, whatever the row
 * thread adds meanwhile. */
static _Thread_local uint64_t errors_here;

static void add_error(struct validation *v, uint64_t row, long position, enum rule rule,
		      const char *column, const char *value, size_t value_len, bool mask,
		      const char *expected, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errors_here++;
	pthread_mutex_t *lock = v->lock;
	if (lock)
		pthread_mutex_lock(lock);
	add_error_locked(v, row, position, rule, column, value, value_len, mask, expected, msg);
	if (lock)
		pthread_mutex_unlock(lock);
}

static void add_error_locked(struct validation *v, uint64_t row, long position, enum rule rule,
			     const char *column, const char *value, size_t value_len, bool mask,
			     const char *expected, const char *msg)
{
	v->nerrors++;
	v->by_rule[rule]++;
	if (v->nshown == VALIDATE_SHOWN && !sorts_before(row, position, &v->shown[v->nshown - 1]))
		return;

	struct verror ve = { .row = row, .position = position, .rule = rule };
	ve.message = strdup(msg);
	ve.column = column ? strdup(column) : NULL;
	ve.expected = expected ? strdup(expected) : NULL;
	if (value) {
		char buf[TEXT_RENDER_BUFSZ];
		text_render(value, value_len, mask, buf, sizeof(buf));
		ve.received = strdup(buf);
	}
	if (!ve.message) { /* out of memory: counted, not shown */
		verror_release(&ve);
		return;
	}

	if (!v->shown) {
		v->shown = calloc(VALIDATE_SHOWN, sizeof(*v->shown));
		if (!v->shown) {
			verror_release(&ve);
			return;
		}
	}
	if (v->nshown == VALIDATE_SHOWN) {
		verror_release(&v->shown[--v->nshown]);
	}
	/* Errors nearly always arrive in order; late ones (deferred
	 * duplicates) are slotted in. */
	size_t at = v->nshown;
	while (at > 0 && sorts_before(row, position, &v->shown[at - 1]))
		at--;
	memmove(&v->shown[at + 1], &v->shown[at], (v->nshown - at) * sizeof(*v->shown));
	v->shown[at] = ve;
	v->nshown++;
}

/* ---- the header ------------------------------------------------------ */

static int column_by_name(const struct schema *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->ncolumns; i++)
		if (strlen(s->columns[i].name) == len && !memcmp(s->columns[i].name, name, len))
			return (int)i;
	return -1;
}

static void read_header(struct vrun *r, const struct csv_row *row)
{
	const struct schema *s = r->s;
	struct validation *v = r->v;
	r->have_header = true;
	r->nheader = row->nfields;
	uint64_t errors_before = v->nerrors;

	for (size_t i = 0; i < row->nstored; i++) {
		const struct csv_field *f = &row->fields[i];
		char name[TEXT_RENDER_BUFSZ];
		text_render(f->data, f->len, false, name, sizeof(name));
		int c = f->text == TEXT_OK ? column_by_name(s, f->data, f->len) : -1;
		if (c < 0) {
			if (!s->extra_columns)
				add_error(v, row->record, (long)i, RULE_UNKNOWN_COLUMN, name,
					  f->data, f->len, false, "a column of the schema",
					  "column '%s' is not in schema %s", name, s->name);
		} else if (r->field_of_col[c] >= 0) {
			add_error(v, row->record, (long)i, RULE_DUPLICATE_COLUMN, name, f->data,
				  f->len, false, "each column once",
				  "column '%s' appears more than once", name);
		} else {
			r->field_of_col[c] = (long)i;
		}
	}
	for (size_t c = 0; c < s->ncolumns; c++) {
		if (r->field_of_col[c] < 0 && !s->columns[c].absent_ok)
			add_error(v, row->record, -1, RULE_MISSING_COLUMN, s->columns[c].name, NULL,
				  0, false, "the column in the header",
				  "column '%s' is missing from the header", s->columns[c].name);
	}
	r->header_ok = v->nerrors == errors_before;
}

/* ---- one field ------------------------------------------------------- */

static const struct csv_field *field_at(const struct vrun *r, const struct csv_row *row, size_t col)
{
	long pos = r->field_of_col[col];
	if (pos < 0 || (size_t)pos >= row->nstored)
		return NULL;
	return &row->fields[pos];
}

static bool cond_holds(const struct vrun *r, const struct csv_row *row,
		       const struct schema_cond *cond)
{
	if (!cond)
		return true;
	const struct csv_field *f = field_at(r, row, cond->column);
	if (!f)
		return false;
	for (size_t i = 0; i < cond->nvalues; i++)
		if (strlen(cond->values[i]) == f->len && !memcmp(cond->values[i], f->data, f->len))
			return true;
	return false;
}

/* Parse an optional '-' and digits into *out; false on anything else or
 * on overflow. */
static bool parse_integer(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = n && s[0] == '-';
	i += neg;
	if (i == n)
		return false;
	int64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, neg ? -(s[i] - '0') : (s[i] - '0'), &v))
			return false;
	}
	*out = v;
	return true;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static void list_values(const struct schema_check *c, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < c->u.values.n && len < size; i++) {
		int k = snprintf(buf + len, size - len, "%s%s", i ? ", " : "one of: ",
				 c->u.values.items[i][0] ? c->u.values.items[i] : "(empty)");
		if (k < 0)
			break;
		len += (size_t)k;
	}
}

/* What a check expects; for a conditional one, with the condition that
 * made it apply ("at most 0.00 on a row whose transactionTypeId is 4"),
 * into buf. */
static const char *expected_here(const struct vrun *r, const struct csv_row *row,
				 const struct schema_check *c, const char *exp, char *buf,
				 size_t size)
{
	if (!c->when)
		return exp;
	const struct schema_column *cc = &r->s->columns[c->when->column];
	const struct csv_field *f = field_at(r, row, c->when->column);
	if (!f || !f->len || cc->mask) /* the value is one the schema lists */
		snprintf(buf, size, "%s on this row (by its %s)", exp, cc->name);
	else
		snprintf(buf, size, "%s on a row whose %s is %.*s", exp, cc->name, (int)f->len,
			 f->data);
	return buf;
}

/* Run one check on a non-empty value. Returns true if it passes;
 * otherwise raises the error. *date carries the business date found by
 * a date or timestamp check to a later within_file_date. */
static bool run_check(struct vrun *r, const struct csv_row *row, size_t ci,
		      const struct schema_check *c, const struct csv_field *f, bool *have_date,
		      int32_t *date)
{
	const struct schema_column *col = &r->s->columns[ci];
	struct validation *v = r->v;
	long pos = r->field_of_col[ci];
	enum rule rule = (enum rule)(RULE_CHECK_BASE + c->kind);
	char expected[512], here[640];

#define FAIL(exp, ...)                                                                      \
	do {                                                                                \
		add_error(v, row->record, pos, rule, col->name, f->data, f->len, col->mask, \
			  expected_here(r, row, c, exp, here, sizeof(here)), __VA_ARGS__);  \
		return false;                                                               \
	} while (0)

	switch (c->kind) {
	case CHECK_REQUIRED:
	case CHECK_EMPTY:
	case CHECK_KIND_COUNT: return true;
	case CHECK_MAX_LENGTH:
		if (f->codepoints <= c->u.length)
			return true;
		snprintf(expected, sizeof(expected), "at most %" PRIu32 " characters", c->u.length);
		FAIL(expected, "%" PRIu32 " characters, longer than %" PRIu32, f->codepoints,
		     c->u.length);
	case CHECK_MIN_LENGTH:
		if (f->codepoints >= c->u.length)
			return true;
		snprintf(expected, sizeof(expected), "at least %" PRIu32 " characters",
			 c->u.length);
		FAIL(expected, "%" PRIu32 " characters, shorter than %" PRIu32, f->codepoints,
		     c->u.length);
	case CHECK_PATTERN: {
		enum regex_result m = regex_match(c->u.pattern, r->matcher, f->data, f->len);
		if (m == REGEX_MATCH)
			return true;
		snprintf(expected, sizeof(expected), "a value matching %s",
			 regex_source(c->u.pattern));
		if (m == REGEX_NOMATCH)
			FAIL(expected, "does not match the pattern");
		rule = RULE_REGEX_LIMIT;
		FAIL(expected, "pattern matching gave up (match limits reached)");
	}
	case CHECK_VALUES:
		for (size_t i = 0; i < c->u.values.n; i++)
			if (strlen(c->u.values.items[i]) == f->len &&
			    !memcmp(c->u.values.items[i], f->data, f->len))
				return true;
		list_values(c, expected, sizeof(expected));
		FAIL(expected, "not one of the allowed values");
	case CHECK_LUHN:
		if (luhn_valid(f->data, f->len))
			return true;
		FAIL("digits ending in a valid Luhn check digit",
		     all_digits(f->data, f->len) ? "check digit is wrong" : "not all digits");
	case CHECK_MONEY: {
		int64_t cents;
		const struct money_rule *mr = &c->u.money.rule;
		int rc = money_parse(f->data, f->len, mr, &cents);
		char lim[MONEY_BUFSZ];
		if (rc != MONEY_OK) {
			if (mr->min_decimals == mr->max_decimals)
				snprintf(expected, sizeof(expected),
					 "an amount like %s with exactly %d decimal%s",
					 mr->min_decimals
						 ? (mr->min_decimals == 2 ? "150.00" : "150.0")
						 : "150",
					 mr->min_decimals, mr->min_decimals == 1 ? "" : "s");
			else
				snprintf(expected, sizeof(expected),
					 "an amount with %d to %d decimals", mr->min_decimals,
					 mr->max_decimals);
			FAIL(expected, "%s", money_strerror(rc));
		}
		if (c->u.money.has_min && cents < c->u.money.min) {
			money_format(c->u.money.min, lim);
			snprintf(expected, sizeof(expected), "at least %s", lim);
			FAIL(expected, "below the minimum %s", lim);
		}
		if (c->u.money.has_max && cents > c->u.money.max) {
			money_format(c->u.money.max, lim);
			snprintf(expected, sizeof(expected), "at most %s", lim);
			FAIL(expected, "above the maximum %s", lim);
		}
		return true;
	}
	case CHECK_INTEGER: {
		int64_t n;
		if (!parse_integer(f->data, f->len, &n))
			FAIL("a whole number", "not a whole number");
		if ((c->u.integer.has_min && n < c->u.integer.min) ||
		    (c->u.integer.has_max && n > c->u.integer.max)) {
			if (c->u.integer.has_min && c->u.integer.has_max)
				snprintf(expected, sizeof(expected),
					 "a whole number from %" PRId64 " to %" PRId64,
					 c->u.integer.min, c->u.integer.max);
			else if (c->u.integer.has_min)
				snprintf(expected, sizeof(expected),
					 "a whole number of at least %" PRId64, c->u.integer.min);
			else
				snprintf(expected, sizeof(expected),
					 "a whole number of at most %" PRId64, c->u.integer.max);
			FAIL(expected, "out of range");
		}
		return true;
	}
	case CHECK_DATE: {
		int rc = date_parse(f->data, f->len, c->u.date, date);
		if (rc == DATE_OK) {
			*have_date = true;
			return true;
		}
		snprintf(expected, sizeof(expected), "a date as %s", date_format_name(c->u.date));
		FAIL(expected, "%s", date_strerror(rc));
	}
	case CHECK_TIME: {
		int32_t secs;
		int rc = time_parse_hhmmss(f->data, f->len, &secs);
		if (rc == DATE_OK)
			return true;
		FAIL("a time as hhmmss", "%s", date_strerror(rc));
	}
	case CHECK_TIMESTAMP: {
		int64_t utc;
		int rc = timestamp_parse(f->data, f->len, &utc);
		if (rc == DATE_OK) {
			*have_date = true;
			*date = date_business_of(utc);
			return true;
		}
		FAIL("an ISO 8601 timestamp with an offset, like 2026-01-16T13:40:33+02:00", "%s",
		     date_strerror(rc));
	}
	case CHECK_WITHIN_FILE_DATE: {
		/* Without a date in the file name (already an error) there is
		 * nothing to compare with. */
		if (!v->dated || !*have_date || *date == v->file_date)
			return true;
		char want[DATE_BUFSZ], got[DATE_BUFSZ];
		date_format_iso(v->file_date, want);
		date_format_iso(*date, got);
		snprintf(expected, sizeof(expected), "a SAST date of %s (the file's date)", want);
		FAIL(expected, "SAST date %s is not the file's date %s", got, want);
	}
	}
#undef FAIL
	return true;
}

static void check_field(struct vrun *r, const struct csv_row *row, size_t ci,
			const struct csv_field *f)
{
	const struct schema_column *col = &r->s->columns[ci];
	struct validation *v = r->v;
	long pos = r->field_of_col[ci];

	if (f->text == TEXT_NUL) {
		add_error(v, row->record, pos, RULE_NUL_BYTE, col->name, f->data, f->len, col->mask,
			  "text without NUL bytes", "contains a NUL byte");
		return;
	}
	if (f->text == TEXT_BAD_UTF8) {
		add_error(v, row->record, pos, RULE_UTF8, col->name, f->data, f->len, col->mask,
			  "UTF-8 text", "not valid UTF-8");
		return;
	}

	bool required = false, must_be_empty = false;
	for (size_t k = 0; k < col->nchecks; k++) {
		const struct schema_check *c = &col->checks[k];
		if (c->kind == CHECK_REQUIRED && !required)
			required = cond_holds(r, row, c->when);
		else if (c->kind == CHECK_EMPTY && !must_be_empty)
			must_be_empty = cond_holds(r, row, c->when);
	}
	if (f->len == 0) {
		if (required)
			add_error(v, row->record, pos, RULE_CHECK_BASE + CHECK_REQUIRED, col->name,
				  f->data, 0, false, "a value", "a value is required");
		return;
	}
	if (must_be_empty) {
		add_error(v, row->record, pos, RULE_CHECK_BASE + CHECK_EMPTY, col->name, f->data,
			  f->len, col->mask, "an empty value", "must be empty on this row");
		return;
	}
	bool have_date = false;
	int32_t date = 0;
	for (size_t k = 0; k < col->nchecks; k++) {
		const struct schema_check *c = &col->checks[k];
		if (c->kind == CHECK_REQUIRED || c->kind == CHECK_EMPTY)
			continue;
		if (c->when && !cond_holds(r, row, c->when))
			continue;
		if (!run_check(r, row, ci, c, f, &have_date, &date))
			return;
	}
}

/* ---- keys -------------------------------------------------------------- */

/* A composite key is its values, each preceded by its length, so that
 * ("ab","c") and ("a","bc") differ. */
static bool key_of_row(struct vrun *r, const struct csv_row *row, const struct schema_key *key,
		       const char **out, size_t *len)
{
	if (key->ncolumns == 1) {
		const struct csv_field *f = field_at(r, row, key->columns[0]);
		if (!f || !f->len || f->text != TEXT_OK)
			return false;
		*out = f->data;
		*len = f->len;
		return true;
	}
	size_t need = 0;
	for (size_t i = 0; i < key->ncolumns; i++) {
		const struct csv_field *f = field_at(r, row, key->columns[i]);
		if (!f || !f->len || f->text != TEXT_OK)
			return false;
		need += 4 + f->len;
	}
	if (!grow_array((void **)&r->keybuf, &r->keybuf_cap, need, 1))
		return false;
	size_t at = 0;
	for (size_t i = 0; i < key->ncolumns; i++) {
		const struct csv_field *f = field_at(r, row, key->columns[i]);
		uint32_t flen = f->len;
		memcpy(r->keybuf + at, &flen, 4);
		memcpy(r->keybuf + at + 4, f->data, f->len);
		at += 4 + f->len;
	}
	*out = r->keybuf;
	*len = at;
	return true;
}

/* Name and value of a key for a message: "a+b" and "A, B". */
static void describe_key(const struct vrun *r, const struct schema_key *key, const char *bytes,
			 size_t n, char *name, size_t name_size, char *value, size_t value_size)
{
	size_t nl = 0, vl = 0, at = 0;
	name[0] = value[0] = '\0';
	for (size_t i = 0; i < key->ncolumns; i++) {
		const struct schema_column *col = &r->s->columns[key->columns[i]];
		const char *part = bytes;
		size_t plen = n;
		if (key->ncolumns > 1) {
			uint32_t l;
			if (at + 4 > n)
				break;
			memcpy(&l, bytes + at, 4);
			part = bytes + at + 4;
			plen = l;
			at += 4 + l;
		}
		char rendered[TEXT_RENDER_BUFSZ];
		text_render(part, plen, col->mask, rendered, sizeof(rendered));
		int k = snprintf(name + nl, name_size - nl, "%s%s", i ? "+" : "", col->name);
		if (k > 0 && (size_t)k < name_size - nl)
			nl += (size_t)k;
		k = snprintf(value + vl, value_size - vl, "%s%s", i ? ", " : "", rendered);
		if (k > 0 && (size_t)k < value_size - vl)
			vl += (size_t)k;
	}
}

static void report_duplicate(struct vrun *r, const struct schema_key *key, uint64_t first_row,
			     uint64_t row, const char *bytes, size_t n)
{
	char name[256], value[TEXT_RENDER_BUFSZ * 2];
	describe_key(r, key, bytes, n, name, sizeof(name), value, sizeof(value));
	/* The value is rendered already (and masked where personal). */
	add_error(r->v, row, r->field_of_col[key->columns[0]], RULE_UNIQUE, name, value,
		  strlen(value), false, "a value not seen earlier in the file",
		  "duplicate of row %" PRIu64, first_row);
}

struct deferred_ctx {
	struct vrun *r;
	const struct schema_key *key;
};

static void on_deferred_dup(void *ctx, uint64_t first_row, uint64_t row, const void *key, size_t n)
{
	struct deferred_ctx *d = ctx;
	report_duplicate(d->r, d->key, first_row, row, key, n);
}

static void check_keys(struct vrun *r, const struct csv_row *row)
{
	for (size_t k = 0; k < r->s->nkeys && !r->fatal; k++) {
		const struct schema_key *key = &r->s->keys[k];
		const char *bytes;
		size_t n;
		uint64_t first;
		if (!key_of_row(r, row, key, &bytes, &n))
			continue;
		int rc = keyset_add(r->keysets[k], bytes, n, row->record, &first, r->e);
		if (rc < 0)
			r->fatal = rc;
		else if (rc == KEYSET_DUP)
			report_duplicate(r, key, first, row->record, bytes, n);
	}
}

/* ---- the row thread ------------------------------------------------------ */

/* The row thread: on_row for each row handed over, in order. */
static void *sink_main(void *arg)
{
	struct vrun *r = arg;
	int rc = 0;
	for (;;) {
		struct vblock *b = relay_take_full(r->relay);
		for (size_t i = 0; i < b->b.n && !rc; i++) {
			struct vrow vr = {
				.schema = r->s,
				.field_of_col = r->field_of_col,
				.record = b->rows[i].record,
				.ok = b->rows[i].ok,
				.v = r->v,
				.packed = b->cols + i * r->s->ncolumns,
				.packed_base = b->b.bytes,
				.sha256 = r->opts->row_sha256 ? b->rows[i].sha256 : NULL,
			};
			if ((rc = r->opts->on_row(r->opts->ctx, &vr))) {
				atomic_store(&r->sink_rc, rc);
				relay_stop(r->relay);
			}
		}
		bool last = b->b.last;
		relay_give_back(r->relay, b);
		if (last)
			break;
	}
	return NULL;
}

static int start_sink(struct vrun *r)
{
	size_t ncol = r->s->ncolumns ? r->s->ncolumns : 1;
	void *blocks[VBLOCKS];
	for (size_t i = 0; i < VBLOCKS; i++) {
		struct vblock *b = &r->blocks[i];
		b->rows = malloc(VBLOCK_ROWS * sizeof(*b->rows));
		b->cols = malloc(VBLOCK_ROWS * ncol * sizeof(*b->cols));
		b->b.bytes = malloc(VBLOCK_BYTES);
		b->b.cap = VBLOCK_BYTES;
		if (!b->rows || !b->cols || !b->b.bytes)
			return -1;
		blocks[i] = &b->b;
	}
	if (pthread_mutex_init(&r->lock, NULL))
		return -1;
	r->have_lock = true;
	if (!(r->relay = relay_new(blocks, VBLOCKS)))
		return -1;
	r->cur = relay_begin(r->relay);
	r->v->lock = &r->lock;
	if (pthread_create(&r->sink, NULL, sink_main, r)) {
		r->v->lock = NULL;
		relay_give_back(r->relay, r->cur);
		relay_free(r->relay);
		r->relay = NULL;
		return -1;
	}
	r->sink_running = true;
	return 0;
}

/* The last block, then wait for the row thread to be done with it. */
static void finish_sink(struct vrun *r)
{
	if (!r->sink_running)
		return;
	relay_end(r->relay, r->cur);
	pthread_join(r->sink, NULL);
	r->sink_running = false;
	r->v->lock = NULL;
	if (!r->fatal)
		r->fatal = atomic_load(&r->sink_rc);
}

static void free_sink(struct vrun *r)
{
	relay_free(r->relay);
	for (size_t i = 0; i < VBLOCKS; i++) {
		free(r->blocks[i].rows);
		free(r->blocks[i].cols);
		free(r->blocks[i].b.bytes);
	}
	if (r->have_lock)
		pthread_mutex_destroy(&r->lock);
}

/* Copy a row's values into the current block for the row thread. */
static int hand_over(struct vrun *r, const struct vrow *vr)
{
	size_t ncol = r->s->ncolumns, need = 0;
	for (size_t c = 0; c < ncol; c++) {
		const char *data;
		size_t len;
		if (vrow_value(vr, (int)c, &data, &len))
			need += len + 1;
	}
	if (!relay_room(r->relay, &r->cur, VBLOCK_ROWS, need))
		return err_set(r->e, KASI_EIO, "out of memory");
	struct relay_block *rb = r->cur;
	struct vblock *b = (struct vblock *)rb;
	struct vcol *cols = b->cols + rb->n * ncol;
	for (size_t c = 0; c < ncol; c++) {
		const char *data;
		size_t len;
		if (!vrow_value(vr, (int)c, &data, &len)) {
			cols[c] = (struct vcol){ UINT32_MAX, 0 };
			continue;
		}
		memcpy(rb->bytes + rb->used, data, len);
		rb->bytes[rb->used + len] = '\0';
		cols[c] = (struct vcol){ (uint32_t)rb->used, (uint32_t)len };
		rb->used += len + 1;
	}
	struct vpacked *p = &b->rows[rb->n++];
	p->record = vr->record;
	p->ok = vr->ok;
	if (vr->sha256)
		memcpy(p->sha256, vr->sha256, SHA256_BYTES);
	return 0;
}

/* The row's content hash (vrow.sha256) into out; false when out of
 * memory. */
static bool row_sha256(struct vrun *r, const struct vrow *vr, uint8_t out[SHA256_BYTES])
{
	size_t need = 0, ncol = r->s->ncolumns;
	for (size_t c = 0; c < ncol; c++) {
		const char *data;
		size_t len;
		need += sizeof(uint32_t) + (vrow_value(vr, (int)c, &data, &len) ? len : 0);
	}
	if (!grow_array((void **)&r->content, &r->content_cap, need, 1))
		return false;
	size_t at = 0;
	for (size_t c = 0; c < ncol; c++) {
		const char *data;
		size_t n = 0;
		bool present = vrow_value(vr, (int)c, &data, &n);
		uint32_t len = present ? (uint32_t)n : UINT32_MAX;
		memcpy(r->content + at, &len, sizeof(len));
		at += sizeof(len);
		if (present && n)
			memcpy(r->content + at, data, n);
		at += present ? n : 0;
	}
	sha256_update(r->row_hash, r->content, at);
	sha256_final(r->row_hash, out);
	return true;
}

/* ---- rows -------------------------------------------------------------- */

static int on_row(void *ctx, const struct csv_row *row)
{
	struct vrun *r = ctx;
	struct validation *v = r->v;

	if (row->nfields == 0) {
		add_error(v, row->record, -1, RULE_BLANK_LINE, NULL, NULL, 0, false, "a record",
			  "empty line");
		return 0;
	}
	if (!r->have_header) {
		read_header(r, row);
		return 0;
	}
	if ((++v->rows & 0xFFFF) == 0) /* every 65,536 rows */
		log_progress(v->rows);
	uint64_t errors_before = errors_here;
	if (row->nfields != r->nheader) {
		char expected[64], got[32];
		snprintf(expected, sizeof(expected), "%zu fields, as in the header", r->nheader);
		snprintf(got, sizeof(got), "%zu fields", row->nfields);
		add_error(v, row->record, -1, RULE_FIELD_COUNT, NULL, got, strlen(got), false,
			  expected, "%zu fields where the header has %zu", row->nfields,
			  r->nheader);
	} else {
		for (size_t ci = 0; ci < r->s->ncolumns; ci++) {
			const struct csv_field *f = field_at(r, row, ci);
			if (f)
				check_field(r, row, ci, f);
		}
		check_keys(r, row);
	}
	if (!r->fatal && r->opts->on_row && r->header_ok) {
		struct vrow vr = {
			.schema = r->s,
			.csv = row,
			.field_of_col = r->field_of_col,
			.record = row->record,
			.ok = errors_here == errors_before,
			.v = v,
		};
		uint8_t digest[SHA256_BYTES];
		int rc = 0;
		if (r->row_hash && vr.ok) {
			if (row_sha256(r, &vr, digest))
				vr.sha256 = digest;
			else
				rc = err_set(r->e, KASI_EIO, "out of memory");
		}
		if (!rc)
			rc = r->relay ? hand_over(r, &vr) : r->opts->on_row(r->opts->ctx, &vr);
		if (rc)
			r->fatal = rc;
	}
	if (r->relay && !r->fatal && atomic_load(&r->sink_rc))
		r->fatal = atomic_load(&r->sink_rc);
	return r->fatal;
}

bool vrow_value(const struct vrow *r, int column, const char **data, size_t *len)
{
	if (column < 0)
		return false;
	if (r->packed) {
		const struct vcol *c = &r->packed[column];
		if (c->off == UINT32_MAX)
			return false;
		*data = r->packed_base + c->off;
		*len = c->len;
		return true;
	}
	long pos = r->field_of_col[column];
	if (pos < 0 || (size_t)pos >= r->csv->nstored)
		return false;
	*data = r->csv->fields[pos].data;
	*len = r->csv->fields[pos].len;
	return true;
}

int vrow_strings(const struct vrow *r, struct vstrings *t)
{
	size_t n = r->schema->ncolumns;
	if (!grow_array((void **)&t->col, &t->ncol, n, sizeof(*t->col)))
		return -1;
	if (r->packed) { /* NUL-terminated in their block already */
		for (size_t c = 0; c < n; c++)
			t->col[c] = r->packed[c].off == UINT32_MAX
					    ? NULL
					    : r->packed_base + r->packed[c].off;
		return 0;
	}
	size_t need = n;
	for (size_t i = 0; i < r->csv->nstored; i++)
		need += r->csv->fields[i].len + 1;
	if (!grow_array((void **)&t->buf, &t->cap, need, 1))
		return -1;
	size_t at = 0;
	for (size_t c = 0; c < n; c++) {
		const char *data;
		size_t len;
		if (!vrow_value(r, (int)c, &data, &len)) {
			t->col[c] = NULL;
			continue;
		}
		memcpy(t->buf + at, data, len);
		t->buf[at + len] = '\0';
		t->col[c] = t->buf + at;
		at += len + 1;
	}
	return 0;
}

void vstrings_release(struct vstrings *t)
{
	free(t->buf);
	free(t->col);
	memset(t, 0, sizeof(*t));
}

void vrow_error(const struct vrow *r, int column, enum rule rule, const char *expected,
		const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char *data = NULL;
	size_t len = 0;
	const struct schema_column *col = column >= 0 ? &r->schema->columns[column] : NULL;
	if (col)
		vrow_value(r, column, &data, &len);
	add_error(r->v, r->record, col ? r->field_of_col[column] : -1, rule, col ? col->name : NULL,
		  data, len, col && col->mask, expected, "%s", msg);
}

/* ---- the file ---------------------------------------------------------- */

static void check_file_name(struct vrun *r, const char *name)
{
	const struct schema *s = r->s;
	struct validation *v = r->v;
	if (!s->file_dated)
		return;
	const char *base = base_name(name);
	char expected[512];
	snprintf(expected, sizeof(expected), "a name matching %s", regex_source(s->file_name));
	switch (schema_match_name(s, r->matcher, base, &v->file_date)) {
	case SCHEMA_NAME_MATCH: v->dated = true; return;
	case SCHEMA_NAME_NOMATCH:
		add_error(v, 0, -1, RULE_FILE_NAME, NULL, base, strlen(base), false, expected,
			  "file name does not match schema %s", s->name);
		return;
	case SCHEMA_NAME_BAD_DATE:
		add_error(v, 0, -1, RULE_FILE_NAME, NULL, base, strlen(base), false,
			  "a real calendar date in the name",
			  "the date in the file name is not a real date");
		return;
	}
}

/* Turn a reader problem into an error (or, for I/O, a failure). */
static int reader_problem(struct vrun *r, struct csv_reader *reader, enum csv_result res)
{
	struct validation *v = r->v;
	uint64_t at = csv_reader_problem_record(reader);
	const char *msg = csv_reader_problem(reader);
	enum rule rule;
	const char *expected;
	switch (res) {
	case CSV_DONE:
	case CSV_STOPPED: return 0;
	case CSV_EQUOTE:
		rule = RULE_QUOTING;
		expected = "RFC 4180 quoting: quotes only around a whole field, \"\" inside";
		break;
	case CSV_EUNTERMINATED:
		rule = RULE_UNTERMINATED_QUOTE;
		expected = "a closing quote";
		break;
	case CSV_EFIELD:
		rule = RULE_FIELD_TOO_LONG;
		expected = "fields of a sane length";
		break;
	case CSV_EBYTES:
		rule = RULE_MAX_BYTES;
		expected = "a smaller file";
		at = 0;
		break;
	case CSV_EGZIP:
		rule = RULE_GZIP;
		expected = "complete gzip members and nothing after them";
		at = 0;
		break;
	case CSV_EENCODING:
		rule = RULE_ENCODING;
		expected = "UTF-8 text";
		at = 0;
		break;
	case CSV_EBARECR:
		rule = RULE_BARE_CR;
		expected = "lines ending in LF or CRLF";
		break;
	case CSV_EREAD:
	case CSV_ENOMEM:
	default: return err_set(r->e, KASI_EIO, "cannot read '%s': %s", v->file, msg);
	}
	v->stopped = true;
	add_error(v, at, -1, rule, NULL, NULL, 0, false, expected, "%s%s", msg,
		  res == CSV_EENCODING ? "" : " (the rest of the file was not read)");
	return 0;
}

int validate_fd(const struct schema *s, int fd, const char *name, const struct validate_opts *opts,
		struct validation *v, struct err *e)
{
	int rc = 0;
	struct csv_reader *reader = NULL;
	static const struct validate_opts no_opts;
	if (!opts)
		opts = &no_opts;
	struct vrun r = { .s = s, .v = v, .e = e, .opts = opts };

	memset(v, 0, sizeof(*v));
	v->schema = s;
	v->file = strdup(name);
	r.matcher = regex_matcher_new();
	r.field_of_col = malloc(s->ncolumns * sizeof(*r.field_of_col));
	r.keysets = calloc(s->nkeys ? s->nkeys : 1, sizeof(*r.keysets));
	if (!v->file || !r.matcher || !r.field_of_col || !r.keysets) {
		if (fd >= 0)
			close(fd);
		rc = err_set(e, KASI_EIO, "out of memory");
		goto out;
	}
	for (size_t c = 0; c < s->ncolumns; c++)
		r.field_of_col[c] = -1;
	for (size_t k = 0; k < s->nkeys; k++) {
		if ((rc = keyset_new(&r.keysets[k], opts->keyset_budget, e))) {
			if (fd >= 0)
				close(fd);
			goto out;
		}
	}

	struct csv_limits lim = { .max_bytes = s->max_bytes, .sha256 = opts->sha256 };
	if ((rc = csv_reader_open_fd(&reader, fd, name, &lim, e)))
		goto out;
	if (opts->on_row && opts->row_sha256 && !(r.row_hash = sha256_new())) {
		rc = err_set(e, KASI_EIO, "out of memory");
		goto out;
	}
	if (opts->on_row && opts->row_thread && start_sink(&r)) {
		rc = err_set(e, KASI_EIO, "cannot start the row thread");
		goto out;
	}

	check_file_name(&r, name);
	enum csv_result res = csv_reader_run(reader, on_row, &r);
	finish_sink(&r);
	v->bytes = csv_reader_bytes(reader);
	v->compressed = csv_reader_compressed(reader);
	v->bom = csv_reader_had_bom(reader);
	uint8_t digest[SHA256_BYTES];
	if (csv_reader_sha256(reader, digest)) {
		sha256_hex(digest, v->sha256);
		v->have_sha256 = true;
	}
	if (r.fatal) {
		rc = r.fatal;
		goto out;
	}
	if ((rc = reader_problem(&r, reader, res)))
		goto out;

	if (!r.have_header && !v->stopped)
		add_error(v, 0, -1, RULE_HEADER, NULL, NULL, 0, false, "a header row",
			  "the file is empty: a header row is required");
	if (s->max_rows && v->rows > s->max_rows) {
		char expected[64];
		snprintf(expected, sizeof(expected), "at most %" PRIu64 " data rows", s->max_rows);
		add_error(v, 0, -1, RULE_MAX_ROWS, NULL, NULL, 0, false, expected,
			  "%" PRIu64 " data rows, more than the limit of %" PRIu64, v->rows,
			  s->max_rows);
	}
	for (size_t k = 0; k < s->nkeys; k++) {
		struct deferred_ctx d = { &r, &s->keys[k] };
		if ((rc = keyset_finish(r.keysets[k], on_deferred_dup, &d, e)))
			goto out;
	}
out:
	finish_sink(&r);
	free_sink(&r);
	sha256_free(r.row_hash);
	free(r.content);
	csv_reader_free(reader);
	for (size_t k = 0; r.keysets && k < s->nkeys; k++)
		keyset_free(r.keysets[k]);
	free(r.keysets);
	free(r.field_of_col);
	free(r.keybuf);
	regex_matcher_free(r.matcher);
	return rc;
}

int validate_file(const struct schema *s, const char *path, const struct validate_opts *opts,
		  struct validation *v, struct err *e)
{
	int fd;
	int rc = input_open(path, &fd, e);
	if (rc) {
		memset(v, 0, sizeof(*v));
		return rc;
	}
	return validate_fd(s, fd, path, opts, v, e);
}

void validation_release(struct validation *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nshown; i++)
		verror_release(&v->shown[i]);
	free(v->shown);
	free(v->file);
	memset(v, 0, sizeof(*v));
}

/* ---- printing ---------------------------------------------------------- */

/* A path and a column name are shown as text_name escapes them: a name
 * from outside (a partner's file, its header) cannot colour a terminal
 * or break a line. */
static void print_location(FILE *out, const struct validation *v, const struct verror *ve)
{
	char name[TEXT_NAME_BUFSZ];
	fprintf(out, "%s: ", text_name(v->file, name));
	if (ve->row)
		fprintf(out, "row %" PRIu64 ", ", ve->row);
	if (ve->column)
		fprintf(out, "column '%s', ", text_name(ve->column, name));
}

/* "luhn 2, required 5" into buf. */
static void rule_counts(const struct validation *v, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int r = 0; r < RULE_COUNT; r++) {
		if (!v->by_rule[r])
			continue;
		int k = snprintf(buf + len, size - len, "%s%s %" PRIu64, len ? ", " : "",
				 validate_rule_name((enum rule)r), v->by_rule[r]);
		if (k < 0 || (size_t)k >= size - len)
			break;
		len += (size_t)k;
	}
}

static void describe_file(FILE *out, const struct validation *v)
{
	fprintf(out, "%" PRIu64 " row%s, %" PRIu64 " bytes%s, schema %s", v->rows,
		v->rows == 1 ? "" : "s", v->bytes, v->compressed ? " (gzip)" : "", v->schema->name);
	if (v->dated) {
		char d[DATE_BUFSZ];
		date_format_iso(v->file_date, d);
		fprintf(out, ", date %s", d);
	}
}

void validation_print_text(const struct validation *v, FILE *out)
{
	char file[TEXT_NAME_BUFSZ];
	text_name(v->file, file);
	for (size_t i = 0; i < v->nshown; i++) {
		const struct verror *ve = &v->shown[i];
		print_location(out, v, ve);
		fprintf(out, "%s: %s", validate_rule_name(ve->rule), ve->message);
		if (ve->expected || ve->received) {
			fputs(" (", out);
			if (ve->expected)
				fprintf(out, "expected %s", ve->expected);
			if (ve->received)
				fprintf(out, "%sgot '%s'", ve->expected ? "; " : "", ve->received);
			fputc(')', out);
		}
		fputc('\n', out);
	}
	if (v->nerrors > v->nshown)
		fprintf(out, "%s: ... and %" PRIu64 " more errors\n", file, v->nerrors - v->nshown);
	if (v->nerrors == 0) {
		fprintf(out, "%s: valid: ", file);
		describe_file(out, v);
	} else {
		char counts[1024];
		rule_counts(v, counts, sizeof(counts));
		fprintf(out, "%s: invalid: %" PRIu64 " error%s (%s) in ", file, v->nerrors,
			v->nerrors == 1 ? "" : "s", counts);
		describe_file(out, v);
		if (v->stopped)
			fputs("; reading stopped early", out);
	}
	fputc('\n', out);
}

void validation_print_json(const struct validation *v, FILE *out)
{
	fputs("{\n  \"file\": ", out);
	json_str(out, v->file);
	fputs(",\n  \"schema\": ", out);
	json_str(out, v->schema->name);
	fputs(",\n  \"file_date\": ", out);
	if (v->dated) {
		char d[DATE_BUFSZ];
		date_format_iso(v->file_date, d);
		json_str(out, d);
	} else {
		fputs("null", out);
	}
	fprintf(out,
		",\n  \"valid\": %s,\n  \"rows\": %" PRIu64 ",\n  \"bytes\": %" PRIu64
		",\n  \"compressed\": %s,\n  \"complete\": %s,\n  \"error_count\": %" PRIu64
		",\n  \"errors_by_rule\": {",
		v->nerrors ? "false" : "true", v->rows, v->bytes, v->compressed ? "true" : "false",
		v->stopped ? "false" : "true", v->nerrors);
	bool first = true;
	for (int r = 0; r < RULE_COUNT; r++) {
		if (!v->by_rule[r])
			continue;
		fprintf(out, "%s\n    ", first ? "" : ",");
		json_str(out, validate_rule_name((enum rule)r));
		fprintf(out, ": %" PRIu64, v->by_rule[r]);
		first = false;
	}
	fprintf(out, "%s},\n  \"errors_shown\": %zu,\n  \"errors\": [", first ? "" : "\n  ",
		v->nshown);
	for (size_t i = 0; i < v->nshown; i++) {
		const struct verror *ve = &v->shown[i];
		fprintf(out, "%s\n    {\"code\": \"VALIDATION_ERROR\", \"rule\": ", i ? "," : "");
		json_str(out, validate_rule_name(ve->rule));
		fputs(", \"message\": ", out);
		json_str(out, ve->message);
		fputs(", \"row\": ", out);
		if (ve->row)
			fprintf(out, "%" PRIu64, ve->row);
		else
			fputs("null", out);
		fputs(", \"column\": ", out);
		json_str(out, ve->column);
		fputs(",\n     \"details\": {\"field\": ", out);
		json_str(out, ve->column);
		fputs(", \"expected\": ", out);
		json_str(out, ve->expected);
		fputs(", \"received\": ", out);
		json_str(out, ve->received);
		fputs("}}", out);
	}
	fprintf(out, "%s]\n}\n", v->nshown ? "\n  " : "");
}
