/*
 * schema.c — parsing schema files (see schema.h and schemas/README.md).
 *
 * The grammar, one directive per line ('#' starts a comment line; blank
 * lines are ignored; leading white space is ignored):
 *
 *   description TEXT          channel NAME
 *   file_name REGEX           file_date FORMAT
 *   max_bytes SIZE            max_rows N
 *   extra_columns allow|reject
 *   column NAME               then the column's attributes:
 *       required | optional | empty | absent_ok | mask [digits]
 *       max_length N | min_length N | pattern REGEX | values A|B|C
 *       luhn | money OPTS | integer OPTS | date FORMAT | time hhmmss
 *       timestamp | within_file_date | unique
 *       when COL=A|B ATTRIBUTE
 *   key COL COL ...           map FIELD COL
 *
 * and, for a channel, how its rows become money (flow directives):
 *
 *   label TEXT                flow payments|debits|instructions
 *   match policy_number|collection_ref|cash_code
 *   kind KIND [called WORD] FIELD=A|B ...
 *   link original_id          link reference cycle_date
 *   amounts negative|positive ledger two_sided
 *   order FIELD [FIELD]       future_dated FIELD [kind=K|K]
 *
 * Parsing is two passes over the model: lines are read into it as they
 * come, then references between lines (when, key, map, within_file_date)
 * are resolved and checked, each error naming the line it came from.
 */
#include "core/common.h"
#include "core/text.h"
#include "io/input.h"
#include "io/schema.h"

#include <dirent.h>

#define MAX_LINE 4096

static const char *const check_names[CHECK_KIND_COUNT] = {
	[CHECK_REQUIRED] = "required",
	[CHECK_EMPTY] = "empty",
	[CHECK_MAX_LENGTH] = "max_length",
	[CHECK_MIN_LENGTH] = "min_length",
	[CHECK_PATTERN] = "pattern",
	[CHECK_VALUES] = "values",
	[CHECK_LUHN] = "luhn",
	[CHECK_MONEY] = "money",
	[CHECK_INTEGER] = "integer",
	[CHECK_DATE] = "date",
	[CHECK_TIME] = "time",
	[CHECK_TIMESTAMP] = "timestamp",
	[CHECK_WITHIN_FILE_DATE] = "within_file_date",
};

static const char *const canon_names[CANON_COUNT] = {
	[CANON_TRANSACTION_ID] = "transaction_id",
	[CANON_REFERENCE] = "reference",
	[CANON_DATE] = "date",
	[CANON_TIME] = "time",
	[CANON_AMOUNT] = "amount",
	[CANON_REQUESTED_AMOUNT] = "requested_amount",
	[CANON_STATUS] = "status",
	[CANON_TYPE] = "type",
	[CANON_REASON] = "reason",
	[CANON_REASON_TEXT] = "reason_text",
	[CANON_ORIGINAL_ID] = "original_id",
	[CANON_CYCLE_DATE] = "cycle_date",
	[CANON_STATUS_DATE] = "status_date",
	[CANON_STATUS_TIME] = "status_time",
	[CANON_CHANNEL] = "channel",
	[CANON_CASH_CODE] = "cash_code",
};

static const char *const fact_kind_names[FACT_KIND_COUNT] = {
	[FACT_COLLECTED] = "collected", [FACT_REVERSAL] = "reversal",
	[FACT_PENDING] = "pending",	[FACT_TRACKING] = "tracking",
	[FACT_FAILED] = "failed",	[FACT_CANCELLED] = "cancelled",
	[FACT_IGNORED] = "ignored",
};

static const char *const flow_names[] = {
	[FLOW_NONE] = "",	    [FLOW_PAYMENTS] = "payments",
	[FLOW_DEBITS] = "debits",   [FLOW_INSTRUCTIONS] = "instructions",
	[FLOW_PAYOUTS] = "payouts",
};

static const char *const policy_key_names[] = {
	[POLICY_KEY_NUMBER] = "policy_number",
	[POLICY_KEY_COLLECTION_REF] = "collection_ref",
	[POLICY_KEY_CASH_CODE] = "cash_code",
};

/* The kinds each flow gives a meaning to: a bit per kind. */
#define KIND_BIT(k) (1u << (k))
static const unsigned flow_kinds[] = {
	[FLOW_NONE] = 0,
	[FLOW_PAYMENTS] = KIND_BIT(FACT_COLLECTED) | KIND_BIT(FACT_PENDING) |
			  KIND_BIT(FACT_TRACKING) | KIND_BIT(FACT_FAILED) |
			  KIND_BIT(FACT_CANCELLED) | KIND_BIT(FACT_IGNORED),
	[FLOW_DEBITS] = KIND_BIT(FACT_COLLECTED) | KIND_BIT(FACT_REVERSAL) | KIND_BIT(FACT_FAILED) |
			KIND_BIT(FACT_IGNORED),
	[FLOW_INSTRUCTIONS] = KIND_BIT(FACT_COLLECTED) | KIND_BIT(FACT_PENDING) |
			      KIND_BIT(FACT_TRACKING) | KIND_BIT(FACT_FAILED) |
			      KIND_BIT(FACT_CANCELLED) | KIND_BIT(FACT_IGNORED),
	[FLOW_PAYOUTS] = KIND_BIT(FACT_COLLECTED) | KIND_BIT(FACT_PENDING) | KIND_BIT(FACT_FAILED) |
			 KIND_BIT(FACT_IGNORED),
};

const char *fact_kind_name(enum fact_kind k)
{
	return k < FACT_KIND_COUNT ? fact_kind_names[k] : "?";
}

enum fact_kind fact_kind_parse(const char *name)
{
	/* Every stored fact's kind is read back, a million a period: the first
	 * letter (the second for the two c's) picks the one name to compare. */
	enum fact_kind k;
	switch (name[0]) {
	case 'c': k = name[1] == 'o' ? FACT_COLLECTED : FACT_CANCELLED; break;
	case 'r': k = FACT_REVERSAL; break;
	case 'p': k = FACT_PENDING; break;
	case 't': k = FACT_TRACKING; break;
	case 'f': k = FACT_FAILED; break;
	case 'i': k = FACT_IGNORED; break;
	default: return FACT_KIND_COUNT;
	}
	return strcmp(fact_kind_names[k], name) ? FACT_KIND_COUNT : k;
}

const char *schema_kind_word(const struct schema *s, enum fact_kind k)
{
	return k < FACT_KIND_COUNT && s->flow.words[k] ? s->flow.words[k] : fact_kind_name(k);
}

const char *schema_label(const struct schema *s)
{
	return s->flow.label ? s->flow.label : s->channel ? s->channel : s->name;
}

static bool value_in(const char *v, char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(values[i], v))
			return true;
	return false;
}

enum fact_kind schema_fact_kind(const struct schema *s, const char *const values[CANON_COUNT])
{
	for (size_t i = 0; i < s->flow.nrules; i++) {
		const struct kind_rule *r = &s->flow.rules[i];
		size_t c = 0;
		while (c < r->nconds) {
			const char *v = values[r->conds[c].field];
			if (!value_in(v ? v : "", r->conds[c].values, r->conds[c].nvalues))
				break;
			c++;
		}
		if (c == r->nconds)
			return r->kind;
	}
	return FACT_IGNORED;
}

const char *check_kind_name(enum check_kind kind)
{
	return kind < CHECK_KIND_COUNT ? check_names[kind] : "?";
}

const char *canon_field_name(enum canon_field f)
{
	return f < CANON_COUNT ? canon_names[f] : "?";
}

/* Names referenced before the columns they name may be declared; kept
 * with their line until resolve() turns them into indexes. */
struct pending_ref {
	int line;
	char *text;    /* "COL=A|B" for when, "COL COL" for key, "FIELD COL" for map */
	size_t column; /* the column a `when` belongs to */
	size_t check;  /* and the check it guards */
};

/* The directives a schema gives at most once (`link` once per form). */
enum once {
	ONCE_DESCRIPTION,
	ONCE_CHANNEL,
	ONCE_FILE_NAME,
	ONCE_FILE_DATE,
	ONCE_MAX_BYTES,
	ONCE_MAX_ROWS,
	ONCE_EXTRA_COLUMNS,
	ONCE_LABEL,
	ONCE_FLOW,
	ONCE_MATCH,
	ONCE_AMOUNTS,
	ONCE_LEDGER,
	ONCE_ORDER,
	ONCE_LINK_ORIGINAL,
	ONCE_LINK_PAIR,
	ONCE_COUNT
};

static const char *const once_names[ONCE_COUNT] = {
	[ONCE_DESCRIPTION] = "description",
	[ONCE_CHANNEL] = "channel",
	[ONCE_FILE_NAME] = "file_name",
	[ONCE_FILE_DATE] = "file_date",
	[ONCE_MAX_BYTES] = "max_bytes",
	[ONCE_MAX_ROWS] = "max_rows",
	[ONCE_EXTRA_COLUMNS] = "extra_columns",
	[ONCE_LABEL] = "label",
	[ONCE_FLOW] = "flow",
	[ONCE_MATCH] = "match",
	[ONCE_AMOUNTS] = "amounts",
	[ONCE_LEDGER] = "ledger",
	[ONCE_ORDER] = "order",
	[ONCE_LINK_ORIGINAL] = "link original_id",
	[ONCE_LINK_PAIR] = "link reference cycle_date",
};

struct parser {
	struct schema *s;
	const char *path;
	int line;
	struct err *e;
	int seen[ONCE_COUNT]; /* the line each directive given once was on */
	struct pending_ref *whens, *keys, *maps;
	size_t nwhens, nkeys, nmaps;
};

static int perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(struct parser *p, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!p->line)
		return err_set(p->e, KASI_ECONFIG, "%s: %s", p->path, msg);
	return err_set(p->e, KASI_ECONFIG, "%s:%d: %s", p->path, p->line, msg);
}

/* A directive given once: its line noted, or an error the second time. */
static int once(struct parser *p, enum once which)
{
	if (p->seen[which])
		return perr(p, "%s: given twice (first on line %d)", once_names[which],
			    p->seen[which]);
	p->seen[which] = p->line;
	return 0;
}

/* Text kasi prints as it is (a description, a label, what a channel calls
 * a kind): UTF-8 without control characters, which would reach a
 * terminal raw. */
static bool printable(const char *s)
{
	uint32_t cps;
	size_t n = strlen(s);
	if (text_scan(s, n, &cps) != TEXT_OK)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7F ||
		    (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] <= 0x9F)) /* U+0080-9F */
			return false;
	}
	return true;
}

static char *skip_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Split off the first word of *rest (NUL-terminating it); *rest then
 * points at the text after the white space that follows it. */
static char *next_word(char **rest)
{
	char *w = skip_ws(*rest);
	char *end = w;
	while (*end && *end != ' ' && *end != '\t')
		end++;
	char *after = end;
	if (*after) {
		*after++ = '\0';
		after = skip_ws(after);
	}
	*rest = after;
	return w;
}

static bool is_identifier(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static int parse_u64(const char *s, uint64_t *out)
{
	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_i64(const char *s, int64_t *out)
{
	if (!*s || !(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))))
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* "100MB" -> 100000000; suffixes kB MB GB (powers of 1000) and KiB MiB
 * GiB (powers of 1024); no suffix is bytes. */
static int parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "kB", 1000ULL },
		{ "MB", 1000000ULL },
		{ "GB", 1000000000ULL },
		{ "KiB", 1ULL << 10 },
		{ "MiB", 1ULL << 20 },
		{ "GiB", 1ULL << 30 },
		{ "", 1 },
	};
	size_t ndig = strspn(s, "0123456789");
	if (!ndig || ndig > 18)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(s + ndig, units[i].suffix))
			continue;
		uint64_t v = 0;
		for (size_t k = 0; k < ndig; k++)
			v = v * 10 + (uint64_t)(s[k] - '0');
		if (v > UINT64_MAX / units[i].mult)
			return -1;
		*out = v * units[i].mult;
		return 0;
	}
	return -1;
}

/* Split "A|B|C" into a fresh array of fresh strings. */
static int split_bar(const char *s, char ***items, size_t *n)
{
	size_t count = 1;
	for (const char *c = s; *c; c++)
		count += *c == '|';
	char **arr = calloc(count, sizeof(*arr));
	if (!arr)
		return -1;
	const char *start = s;
	for (size_t i = 0; i < count; i++) {
		const char *bar = strchr(start, '|');
		size_t len = bar ? (size_t)(bar - start) : strlen(start);
		arr[i] = strndup(start, len);
		if (!arr[i]) {
			for (size_t k = 0; k < i; k++)
				free(arr[k]);
			free(arr);
			return -1;
		}
		start = bar ? bar + 1 : start + len;
	}
	*items = arr;
	*n = count;
	return 0;
}

static void free_strings(char **items, size_t n)
{
	for (size_t i = 0; items && i < n; i++)
		free(items[i]);
	free(items);
}

static int push_ref(struct parser *p, struct pending_ref **arr, size_t *n, const char *text,
		    size_t column, size_t check)
{
	struct pending_ref *na = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!na)
		return perr(p, "out of memory");
	*arr = na;
	na[*n] = (struct pending_ref){ p->line, strdup(text), column, check };
	if (!na[*n].text)
		return perr(p, "out of memory");
	(*n)++;
	return 0;
}

static struct schema_column *current_column(struct parser *p)
{
	return p->s->ncolumns ? &p->s->columns[p->s->ncolumns - 1] : NULL;
}

static int add_key(struct parser *p, const size_t *cols, size_t n)
{
	struct schema *s = p->s;
	struct schema_key *nk = realloc(s->keys, (s->nkeys + 1) * sizeof(*nk));
	if (!nk)
		return perr(p, "out of memory");
	s->keys = nk;
	size_t *copy = malloc(n * sizeof(*copy));
	if (!copy)
		return perr(p, "out of memory");
	memcpy(copy, cols, n * sizeof(*copy));
	s->keys[s->nkeys++] = (struct schema_key){ copy, n, p->line };
	return 0;
}

/* money decimals=2|0-2 [min=AMOUNT] [max=AMOUNT] */
static int parse_money_opts(struct parser *p, char *args, struct schema_check *c)
{
	bool have_decimals = false;
	c->u.money.rule.allow_negative = true;
	const struct money_rule bound_rule = { 0, 2, true };
	for (char *w; *(w = next_word(&args));) {
		char *eq = strchr(w, '=');
		if (!eq)
			return perr(p, "money: expected name=value, got '%s'", w);
		*eq = '\0';
		const char *v = eq + 1;
		if (!strcmp(w, "decimals")) {
			if (strlen(v) == 1 && v[0] >= '0' && v[0] <= '4') {
				c->u.money.rule.min_decimals = c->u.money.rule.max_decimals =
					(uint8_t)(v[0] - '0');
			} else if (strlen(v) == 3 && v[1] == '-' && v[0] >= '0' && v[0] <= v[2] &&
				   v[2] <= '4') {
				c->u.money.rule.min_decimals = (uint8_t)(v[0] - '0');
				c->u.money.rule.max_decimals = (uint8_t)(v[2] - '0');
			} else {
				return perr(p,
					    "money: decimals must be 0 to 4 or a range like 0-2, "
					    "got '%s'",
					    v);
			}
			have_decimals = true;
		} else if (!strcmp(w, "min") || !strcmp(w, "max")) {
			int64_t cents;
			if (money_parse(v, strlen(v), &bound_rule, &cents) != MONEY_OK)
				return perr(p, "money: %s must be an amount like 0.01, got '%s'", w,
					    v);
			if (w[1] == 'i') {
				c->u.money.has_min = true;
				c->u.money.min = cents;
			} else {
				c->u.money.has_max = true;
				c->u.money.max = cents;
			}
		} else {
			return perr(p, "money: unknown option '%s' (decimals, min, max)", w);
		}
	}
	if (!have_decimals)
		return perr(p, "money: decimals= is required (e.g. decimals=2)");
	if (c->u.money.has_min && c->u.money.has_max && c->u.money.min > c->u.money.max)
		return perr(p, "money: min is above max");
	/* A '-' is allowed only when negative amounts can be in range. */
	c->u.money.rule.allow_negative = !c->u.money.has_min || c->u.money.min < 0;
	return 0;
}

/* integer [min=N] [max=N] */
static int parse_integer_opts(struct parser *p, char *args, struct schema_check *c)
{
	for (char *w; *(w = next_word(&args));) {
		char *eq = strchr(w, '=');
		int64_t v;
		if (!eq)
			return perr(p, "integer: expected min=N or max=N, got '%s'", w);
		*eq = '\0';
		if (parse_i64(eq + 1, &v))
			return perr(p, "integer: %s must be a whole number, got '%s'", w, eq + 1);
		if (!strcmp(w, "min")) {
			c->u.integer.has_min = true;
			c->u.integer.min = v;
		} else if (!strcmp(w, "max")) {
			c->u.integer.has_max = true;
			c->u.integer.max = v;
		} else {
			return perr(p, "integer: unknown option '%s' (min, max)", w);
		}
	}
	if (c->u.integer.has_min && c->u.integer.has_max && c->u.integer.min > c->u.integer.max)
		return perr(p, "integer: min is above max");
	return 0;
}

static int parse_attribute(struct parser *p, char *rest, const char *when);
static void check_release(struct schema_check *c);

static int add_check(struct parser *p, struct schema_check c, const char *when)
{
	struct schema_column *col = current_column(p);
	struct schema_check *nc = realloc(col->checks, (col->nchecks + 1) * sizeof(*nc));
	if (!nc) {
		check_release(&c);
		return perr(p, "out of memory");
	}
	col->checks = nc;
	c.line = p->line;
	nc[col->nchecks++] = c;
	if (when)
		return push_ref(p, &p->whens, &p->nwhens, when, (size_t)(col - p->s->columns),
				col->nchecks - 1);
	return 0;
}

static int parse_attribute(struct parser *p, char *rest, const char *when)
{
	struct schema_column *col = current_column(p);
	char *kw = next_word(&rest);
	struct schema_check c = { 0 };

	if (!strcmp(kw, "when")) {
		if (when)
			return perr(p, "when: cannot be nested");
		char *cond = next_word(&rest);
		if (!strchr(cond, '=') || cond[0] == '=')
			return perr(p, "when: expected COLUMN=VALUE[|VALUE...], got '%s'", cond);
		if (!*rest)
			return perr(p, "when: an attribute must follow the condition");
		return parse_attribute(p, rest, cond);
	}
	bool flag = !strcmp(kw, "optional") || !strcmp(kw, "absent_ok") || !strcmp(kw, "mask") ||
		    !strcmp(kw, "unique");
	if (flag && when)
		return perr(p, "%s: cannot be conditional", kw);
	if (!strcmp(kw, "optional")) {
		/* The default; written for the reader. */
	} else if (!strcmp(kw, "absent_ok")) {
		col->absent_ok = true;
	} else if (!strcmp(kw, "mask")) {
		char *what = next_word(&rest);
		if (!strcmp(what, "digits"))
			col->mask_digits = true;
		else if (!*what)
			col->mask = true;
		else
			return perr(p, "mask: expected nothing, or 'digits', got '%s'", what);
	} else if (!strcmp(kw, "unique")) {
		size_t idx = (size_t)(col - p->s->columns);
		return add_key(p, &idx, 1);
	} else if (!strcmp(kw, "required")) {
		c.kind = CHECK_REQUIRED;
	} else if (!strcmp(kw, "empty")) {
		c.kind = CHECK_EMPTY;
	} else if (!strcmp(kw, "max_length") || !strcmp(kw, "min_length")) {
		uint64_t n;
		char *arg = next_word(&rest);
		if (parse_u64(arg, &n) || n > UINT32_MAX || (kw[1] == 'a' && n == 0))
			return perr(p, "%s: expected a positive whole number, got '%s'", kw, arg);
		c.kind = kw[1] == 'a' ? CHECK_MAX_LENGTH : CHECK_MIN_LENGTH;
		c.u.length = (uint32_t)n;
	} else if (!strcmp(kw, "pattern")) {
		/* The rest of the line, verbatim but for trailing white space. */
		size_t len = strlen(rest);
		while (len && (rest[len - 1] == ' ' || rest[len - 1] == '\t'))
			len--;
		if (!len)
			return perr(p, "pattern: a regular expression must follow");
		struct err re_err = { 0 };
		c.kind = CHECK_PATTERN;
		if (regex_compile(&c.u.pattern, rest, len, &re_err))
			return perr(p, "%s", re_err.msg);
		rest += len;
		*rest = '\0';
	} else if (!strcmp(kw, "values")) {
		char *list = next_word(&rest);
		if (!*list)
			return perr(p, "values: expected A|B|..., got nothing");
		c.kind = CHECK_VALUES;
		if (split_bar(list, &c.u.values.items, &c.u.values.n))
			return perr(p, "out of memory");
	} else if (!strcmp(kw, "luhn")) {
		c.kind = CHECK_LUHN;
	} else if (!strcmp(kw, "money")) {
		c.kind = CHECK_MONEY;
		int rc = parse_money_opts(p, rest, &c);
		if (rc)
			return rc;
		rest = (char *)"";
	} else if (!strcmp(kw, "integer")) {
		c.kind = CHECK_INTEGER;
		int rc = parse_integer_opts(p, rest, &c);
		if (rc)
			return rc;
		rest = (char *)"";
	} else if (!strcmp(kw, "date")) {
		char *fmt = next_word(&rest);
		c.kind = CHECK_DATE;
		if (date_format_from_name(fmt, &c.u.date))
			return perr(p,
				    "date: unknown format '%s' (yyyy-mm-dd, yyyymmdd, "
				    "yyyy-mm-ddThh:mm:ss, yyyy-mm)",
				    fmt);
	} else if (!strcmp(kw, "time")) {
		char *fmt = next_word(&rest);
		if (strcmp(fmt, "hhmmss"))
			return perr(p, "time: unknown format '%s' (hhmmss)", fmt);
		c.kind = CHECK_TIME;
	} else if (!strcmp(kw, "timestamp")) {
		c.kind = CHECK_TIMESTAMP;
	} else if (!strcmp(kw, "within_file_date")) {
		c.kind = CHECK_WITHIN_FILE_DATE;
	} else {
		return perr(p, "unknown column attribute '%s'", kw);
	}
	if (*rest) {
		check_release(&c);
		return perr(p, "%s: unexpected '%s'", kw, rest);
	}
	if (flag)
		return 0;
	return add_check(p, c, when);
}

static int parse_column(struct parser *p, char *rest)
{
	struct schema *s = p->s;
	char *name = next_word(&rest);
	if (!*name || *rest)
		return perr(p, "column: expected one name");
	for (size_t i = 0; i < s->ncolumns; i++)
		if (!strcmp(s->columns[i].name, name))
			return perr(p, "column '%s' is declared twice", name);
	struct schema_column *nc = realloc(s->columns, (s->ncolumns + 1) * sizeof(*nc));
	if (!nc)
		return perr(p, "out of memory");
	s->columns = nc;
	nc[s->ncolumns] = (struct schema_column){ .name = strdup(name) };
	if (!nc[s->ncolumns].name)
		return perr(p, "out of memory");
	s->ncolumns++;
	return 0;
}

/* ---- flow directives --------------------------------------------------- */

static int set_text(struct parser *p, char **field, const char *kw, char *rest);

static bool is_flow_directive(const char *kw)
{
	static const char *const words[] = { "label",	"flow",	  "match", "kind",	  "link",
					     "amounts", "ledger", "order", "future_dated" };
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcmp(kw, words[i]))
			return true;
	return false;
}

static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && *names[i] && !strcmp(names[i], name))
			return (int)i;
	return -1;
}

static int canon_field(struct parser *p, const char *kw, const char *name, enum canon_field *f)
{
	int i = name_index(canon_names, CANON_COUNT, name);
	if (i < 0)
		return perr(p, "%s: unknown field '%s' (a field of the canonical record)", kw,
			    name);
	*f = (enum canon_field)i;
	return 0;
}

static int fact_kind_of(struct parser *p, const char *kw, const char *name, enum fact_kind *k)
{
	*k = fact_kind_parse(name);
	if (*k == FACT_KIND_COUNT)
		return perr(p,
			    "%s: unknown kind '%s' (collected, reversal, pending, tracking, "
			    "failed, cancelled, ignored)",
			    kw, name);
	return 0;
}

static void kind_rule_release(struct kind_rule *r)
{
	for (size_t c = 0; c < r->nconds; c++)
		free_strings(r->conds[c].values, r->conds[c].nvalues);
	r->nconds = 0;
}

/* The conditions FIELD=A|B ... of a kind rule, from the words of rest. */
static int parse_kind_conds(struct parser *p, char *w, char *rest, struct kind_rule *r)
{
	int rc;
	for (; *w; w = next_word(&rest)) {
		char *eq = strchr(w, '=');
		if (!eq)
			return perr(p, "kind: expected FIELD=A|B, got '%s'", w);
		if (r->nconds == KIND_RULE_CONDS)
			return perr(p, "kind: at most %d conditions", KIND_RULE_CONDS);
		*eq = '\0';
		enum canon_field field = CANON_COUNT;
		if ((rc = canon_field(p, "kind", w, &field)))
			return rc;
		r->conds[r->nconds].field = field;
		if (split_bar(eq + 1, &r->conds[r->nconds].values, &r->conds[r->nconds].nvalues))
			return perr(p, "out of memory");
		r->nconds++;
	}
	return 0;
}

/* kind KIND [called WORD] FIELD=A|B ... */
static int parse_kind_rule(struct parser *p, char *rest)
{
	struct schema_flow *f = &p->s->flow;
	struct kind_rule r = { .line = p->line };
	if (f->nrules == FLOW_KIND_RULES)
		return perr(p, "kind: at most %d rules", FLOW_KIND_RULES);
	int rc = fact_kind_of(p, "kind", next_word(&rest), &r.kind);
	if (rc)
		return rc;
	char *w = next_word(&rest);
	if (!strcmp(w, "called")) {
		char *word = next_word(&rest);
		if (!*word)
			return perr(p, "kind: a word must follow 'called'");
		if (!printable(word))
			return perr(p, "kind: what a channel calls a kind is printed as it is: "
				       "control characters (or bytes that are not UTF-8) are not "
				       "allowed");
		if (f->words[r.kind] && strcmp(f->words[r.kind], word))
			return perr(p, "kind: %s is called '%s' already", fact_kind_name(r.kind),
				    f->words[r.kind]);
		if (!f->words[r.kind] && !(f->words[r.kind] = strdup(word)))
			return perr(p, "out of memory");
		w = next_word(&rest);
	}
	struct kind_rule *nr = NULL;
	if (!(rc = parse_kind_conds(p, w, rest, &r)) &&
	    !(nr = realloc(f->rules, (f->nrules + 1) * sizeof(*nr))))
		rc = perr(p, "out of memory");
	if (rc) {
		kind_rule_release(&r);
		return rc;
	}
	f->rules = nr;
	f->rules[f->nrules++] = r;
	return 0;
}

/* future_dated FIELD [kind=K|K] */
static int parse_future(struct parser *p, char *rest)
{
	struct schema_flow *f = &p->s->flow;
	if (f->nfuture == FLOW_FUTURE_RULES)
		return perr(p, "future_dated: at most %d", FLOW_FUTURE_RULES);
	enum canon_field field = CANON_COUNT;
	int rc = canon_field(p, "future_dated", next_word(&rest), &field);
	if (rc)
		return rc;
	unsigned kinds = 0;
	char *w = next_word(&rest);
	if (*w) {
		if (strncmp(w, "kind=", 5) || *rest)
			return perr(p, "future_dated: expected FIELD [kind=K|K]");
		for (char *k = w + 5, *bar; k; k = bar ? bar + 1 : NULL) {
			bar = strchr(k, '|');
			if (bar)
				*bar = '\0';
			enum fact_kind kind;
			if ((rc = fact_kind_of(p, "future_dated", k, &kind)))
				return rc;
			kinds |= KIND_BIT(kind);
		}
	}
	f->future[f->nfuture].field = field;
	f->future[f->nfuture].line = p->line;
	f->future[f->nfuture++].kinds = kinds;
	return 0;
}

static int parse_flow(struct parser *p, const char *kw, char *rest)
{
	struct schema_flow *f = &p->s->flow;
	int i, rc = 0;
	if (!strcmp(kw, "label"))
		return set_text(p, &f->label, kw, rest);
	if (!strcmp(kw, "kind"))
		return parse_kind_rule(p, rest);
	if (!strcmp(kw, "future_dated"))
		return parse_future(p, rest);
	if (!strcmp(kw, "flow")) {
		if ((i = name_index(flow_names, ARRAY_SIZE(flow_names), rest)) < 0)
			return perr(p,
				    "flow: expected payments, debits, instructions or payouts, got "
				    "'%s'",
				    rest);
		f->type = (enum flow_type)i;
		f->line = p->line;
	} else if (!strcmp(kw, "match")) {
		if ((i = name_index(policy_key_names, ARRAY_SIZE(policy_key_names), rest)) < 0)
			return perr(p,
				    "match: expected policy_number, collection_ref or cash_code, "
				    "got '%s'",
				    rest);
		f->match = (enum policy_key)i;
	} else if (!strcmp(kw, "link")) {
		if (!strcmp(rest, "original_id") && !(rc = once(p, ONCE_LINK_ORIGINAL)))
			f->link_original = true;
		else if (!strcmp(rest, "reference cycle_date") && !(rc = once(p, ONCE_LINK_PAIR)))
			f->link_pair = true;
		else if (!rc)
			return perr(p, "link: expected 'original_id' or 'reference cycle_date'");
		return rc;
	} else if (!strcmp(kw, "amounts")) {
		if (strcmp(rest, "negative") && strcmp(rest, "positive"))
			return perr(p, "amounts: expected negative or positive, got '%s'", rest);
		f->negative_amounts = !strcmp(rest, "negative");
	} else if (!strcmp(kw, "ledger")) {
		if (strcmp(rest, "two_sided"))
			return perr(p, "ledger: expected two_sided, got '%s'", rest);
		f->two_sided = true;
	} else if (!strcmp(kw, "order")) {
		for (char *w = next_word(&rest); *w; w = next_word(&rest)) {
			if (f->norder == ARRAY_SIZE(f->order))
				return perr(p, "order: at most two fields (a date, then a time)");
			if ((rc = canon_field(p, "order", w, &f->order[f->norder])))
				return rc;
			f->norder++;
		}
	}
	return 0;
}

/* Each kind rule: a kind its flow has rows of, on fields a stored fact
 * keeps as they came (type, status, reason), mapped to columns. */
static int resolve_kind_rules(struct parser *p)
{
	const struct schema *s = p->s;
	const struct schema_flow *f = &s->flow;
	for (size_t i = 0; i < f->nrules; i++) {
		const struct kind_rule *r = &f->rules[i];
		p->line = r->line;
		if (!(flow_kinds[f->type] & KIND_BIT(r->kind)))
			return perr(p, "kind: a %s flow has no %s rows", flow_names[f->type],
				    fact_kind_names[r->kind]);
		for (size_t c = 0; c < r->nconds; c++) {
			enum canon_field cf = r->conds[c].field;
			if (cf != CANON_TYPE && cf != CANON_STATUS && cf != CANON_REASON)
				return perr(p,
					    "kind: a condition is on type, status or reason, not "
					    "'%s'",
					    canon_names[cf]);
			if (s->map[cf] < 0)
				return perr(p, "kind: field '%s' is not mapped to a column",
					    canon_names[cf]);
		}
	}
	return 0;
}

/* `order` and `future_dated` name dates (and a time) the store keeps,
 * mapped to columns. */
static int resolve_flow_dates(struct parser *p)
{
	const struct schema *s = p->s;
	const struct schema_flow *f = &s->flow;
	p->line = f->line;
	for (size_t i = 0; i < f->nfuture; i++) {
		enum canon_field ff = f->future[i].field;
		unsigned strange = f->future[i].kinds & ~flow_kinds[f->type];
		p->line = f->future[i].line;
		if (strange) {
			int k = 0;
			while (!(strange & KIND_BIT(k)))
				k++;
			return perr(p, "future_dated: a %s flow has no %s rows",
				    flow_names[f->type], fact_kind_names[k]);
		}
		if (ff != CANON_DATE && ff != CANON_STATUS_DATE && ff != CANON_CYCLE_DATE)
			return perr(p, "future_dated: expected date, status_date or cycle_date");
		if (s->map[ff] < 0)
			return perr(p, "future_dated: field '%s' is not mapped to a column",
				    canon_names[ff]);
	}
	p->line = p->seen[ONCE_ORDER] ? p->seen[ONCE_ORDER] : f->line;
	for (size_t i = 0; i < f->norder; i++) {
		enum canon_field of = f->order[i];
		bool ok = i == 0 ? of == CANON_STATUS_DATE || of == CANON_DATE ||
					   of == CANON_CYCLE_DATE
				 : of == CANON_STATUS_TIME;
		if (!ok)
			return perr(p, "order: expected a date (status_date, date or cycle_date), "
				       "then status_time");
		if (s->map[of] < 0)
			return perr(p, "order: field '%s' is not mapped to a column",
				    canon_names[of]);
	}
	return 0;
}

/* A debits flow finds a reversal's original only as its `link`
 * directives say: reversals with no link would each be an orphan, even
 * one that names its original in a mapped original_id. Refused, at the
 * reversal's rule. */
static int reversals_linked(struct parser *p)
{
	const struct schema_flow *f = &p->s->flow;
	if (f->link_original || f->link_pair)
		return 0;
	for (size_t i = 0; i < f->nrules; i++) {
		if (f->rules[i].kind != FACT_REVERSAL)
			continue;
		p->line = f->rules[i].line;
		return perr(p,
			    "kind reversal: a reversal finds its original only through a 'link' "
			    "directive: add 'link original_id'%s, 'link reference cycle_date', or "
			    "both (without one, every reversal is an ORPHAN_REVERSAL)",
			    p->s->map[CANON_ORIGINAL_ID] >= 0 ? " (original_id is mapped)" : "");
	}
	return 0;
}

/* The flow directives make sense together: checked once every line is
 * read and the maps are known. */
static int resolve_flow(struct parser *p)
{
	struct schema *s = p->s;
	struct schema_flow *f = &s->flow;
	bool any = f->nrules || f->label || f->link_original || f->link_pair || f->norder ||
		   f->nfuture || f->two_sided || p->seen[ONCE_AMOUNTS] || p->seen[ONCE_MATCH];
	int rc;
	p->line = f->line;
	if (!f->line) {
		p->line = 0;
		return any ? perr(p, "flow directives without a 'flow'") : 0;
	}
	if (!s->channel)
		return perr(p, "flow: only a channel's schema has one (add 'channel NAME')");
	static const enum canon_field needed[] = { CANON_TRANSACTION_ID, CANON_REFERENCE,
						   CANON_DATE, CANON_AMOUNT };
	for (size_t i = 0; i < ARRAY_SIZE(needed); i++)
		if (s->map[needed[i]] < 0)
			return perr(p, "flow %s: 'map %s COLUMN' is required", flow_names[f->type],
				    canon_names[needed[i]]);
	if (!f->nrules)
		return perr(p, "flow %s: at least one 'kind' rule is required",
			    flow_names[f->type]);
	if ((rc = resolve_kind_rules(p)) || (rc = resolve_flow_dates(p)))
		return rc;
	p->line = f->line;
	if (f->type == FLOW_DEBITS) {
		if (f->link_original && s->map[CANON_ORIGINAL_ID] < 0)
			return perr(p, "link original_id: 'map original_id COLUMN' is required");
		if (f->link_pair && s->map[CANON_CYCLE_DATE] < 0)
			return perr(p, "link reference cycle_date: 'map cycle_date COLUMN' is "
				       "required");
		if ((rc = reversals_linked(p)))
			return rc;
	} else if (f->link_original || f->link_pair || p->seen[ONCE_AMOUNTS]) {
		p->line = p->seen[ONCE_AMOUNTS]		? p->seen[ONCE_AMOUNTS]
			  : p->seen[ONCE_LINK_ORIGINAL] ? p->seen[ONCE_LINK_ORIGINAL]
							: p->seen[ONCE_LINK_PAIR];
		return perr(p, "link and amounts belong to a debits flow");
	}
	bool ordered = f->type == FLOW_INSTRUCTIONS || f->type == FLOW_PAYOUTS;
	if (ordered && !f->norder)
		return perr(p,
			    "flow %s: 'order FIELD [FIELD]' is required (the date, then the "
			    "time, by which the latest status is found)",
			    flow_names[f->type]);
	if (!ordered && f->norder)
		return perr(p, "order belongs to an instructions or payouts flow");
	if (f->two_sided && f->type != FLOW_PAYMENTS)
		return perr(p, "ledger two_sided belongs to a payments flow");
	/* A flow of policies' money says which key of a policy its rows name;
	 * payouts name kasi's own payouts. */
	if (f->type == FLOW_PAYOUTS && p->seen[ONCE_MATCH]) {
		p->line = p->seen[ONCE_MATCH];
		return perr(p, "match: a payouts flow names kasi's own payouts, not policies");
	}
	if (f->type != FLOW_PAYOUTS && !p->seen[ONCE_MATCH])
		return perr(p,
			    "flow %s: 'match policy_number|collection_ref|cash_code' is required "
			    "(which key of a policy its rows name)",
			    flow_names[f->type]);
	return 0;
}

static int set_text(struct parser *p, char **field, const char *kw, char *rest)
{
	if (!*rest)
		return perr(p, "%s: a value must follow", kw);
	if (!printable(rest))
		return perr(p,
			    "%s: control characters (or bytes that are not UTF-8) are not "
			    "allowed: kasi prints it as it is",
			    kw);
	*field = strdup(rest);
	return *field ? 0 : perr(p, "out of memory");
}

/* The directive kw, if it is one given at most once. */
static int once_of(const char *kw)
{
	for (int i = 0; i < ONCE_COUNT; i++)
		if (!strcmp(once_names[i], kw))
			return i;
	return -1;
}

static int parse_line(struct parser *p, char *line)
{
	struct schema *s = p->s;
	char *rest = skip_ws(line);
	size_t len = strlen(rest);
	while (len && (rest[len - 1] == '\n' || rest[len - 1] == '\r'))
		rest[--len] = '\0';
	if (!*rest || *rest == '#')
		return 0;

	char *attr_start = rest;
	char *kw = next_word(&rest);
	int which = once_of(kw), rc;
	if (which >= 0 && (rc = once(p, (enum once)which)))
		return rc;
	if (!strcmp(kw, "description")) {
		return set_text(p, &s->description, kw, rest);
	} else if (!strcmp(kw, "channel")) {
		if (!is_identifier(rest))
			return perr(p, "channel: expected a name, got '%s'", rest);
		s->channel_line = p->line;
		return set_text(p, &s->channel, kw, rest);
	} else if (!strcmp(kw, "file_name")) {
		if (!*rest)
			return perr(p, "file_name: a regular expression must follow");
		struct err re_err = { 0 };
		if (regex_compile(&s->file_name, rest, strlen(rest), &re_err))
			return perr(p, "%s", re_err.msg);
	} else if (!strcmp(kw, "file_date")) {
		if (date_format_from_name(rest, &s->file_date_format) ||
		    s->file_date_format == DATE_FMT_API)
			return perr(
				p, "file_date: unknown format '%s' (yyyymmdd, yyyy-mm-dd, yyyy-mm)",
				rest);
	} else if (!strcmp(kw, "max_bytes")) {
		if (parse_size(rest, &s->max_bytes) || !s->max_bytes)
			return perr(p, "max_bytes: expected a size like 100MB, got '%s'", rest);
	} else if (!strcmp(kw, "max_rows")) {
		if (parse_u64(rest, &s->max_rows) || !s->max_rows)
			return perr(p, "max_rows: expected a positive whole number, got '%s'",
				    rest);
	} else if (!strcmp(kw, "extra_columns")) {
		if (strcmp(rest, "allow") && strcmp(rest, "reject"))
			return perr(p, "extra_columns: expected allow or reject, got '%s'", rest);
		s->extra_columns = !strcmp(rest, "allow");
	} else if (!strcmp(kw, "column")) {
		return parse_column(p, rest);
	} else if (!strcmp(kw, "key")) {
		return push_ref(p, &p->keys, &p->nkeys, rest, 0, 0);
	} else if (!strcmp(kw, "map")) {
		return push_ref(p, &p->maps, &p->nmaps, rest, 0, 0);
	} else if (is_flow_directive(kw)) {
		return parse_flow(p, kw, rest);
	} else {
		if (!current_column(p))
			return perr(p, "unknown directive '%s'", kw);
		/* Restore the split, then parse as a column attribute. */
		if (*rest)
			kw[strlen(kw)] = ' ';
		return parse_attribute(p, attr_start, NULL);
	}
	return 0;
}

static int resolve(struct parser *p)
{
	struct schema *s = p->s;
	int rc;

	p->line = p->seen[ONCE_FILE_NAME];
	if (!s->file_name) {
		p->line = 0;
		return perr(p, "file_name is missing");
	}
	/* A (?<date>...) group makes the schema dated. */
	s->file_dated = regex_has_group(s->file_name, "date");
	if (s->file_dated && !p->seen[ONCE_FILE_DATE])
		return perr(p, "file_name has a (?<date>...) group, so file_date is required");
	if (!s->file_dated && p->seen[ONCE_FILE_DATE]) {
		p->line = p->seen[ONCE_FILE_DATE];
		return perr(p, "file_date is given but file_name has no (?<date>...) group");
	}
	if (!s->ncolumns) {
		p->line = 0;
		return perr(p, "no columns are declared");
	}

	for (size_t i = 0; i < p->nwhens; i++) {
		struct pending_ref *w = &p->whens[i];
		p->line = w->line;
		char *eq = strchr(w->text, '=');
		*eq = '\0';
		int col = schema_column_index(s, w->text);
		if (col < 0)
			return perr(p, "when: no column named '%s'", w->text);
		if ((size_t)col == w->column)
			return perr(p, "when: a column cannot depend on itself");
		struct schema_cond *cond = calloc(1, sizeof(*cond));
		if (!cond)
			return perr(p, "out of memory");
		s->columns[w->column].checks[w->check].when = cond;
		cond->column = (size_t)col;
		if (split_bar(eq + 1, &cond->values, &cond->nvalues))
			return perr(p, "out of memory");
	}

	for (size_t i = 0; i < p->nkeys; i++) {
		struct pending_ref *k = &p->keys[i];
		p->line = k->line;
		size_t cols[16], n = 0;
		char *rest = k->text;
		for (char *w; *(w = next_word(&rest));) {
			if (n == ARRAY_SIZE(cols))
				return perr(p, "key: at most %zu columns", ARRAY_SIZE(cols));
			int col = schema_column_index(s, w);
			if (col < 0)
				return perr(p, "key: no column named '%s'", w);
			cols[n++] = (size_t)col;
		}
		if (!n)
			return perr(p, "key: expected column names");
		if ((rc = add_key(p, cols, n)))
			return rc;
	}

	for (size_t i = 0; i < CANON_COUNT; i++)
		s->map[i] = -1;
	for (size_t i = 0; i < p->nmaps; i++) {
		struct pending_ref *m = &p->maps[i];
		p->line = m->line;
		char *rest = m->text;
		char *field = next_word(&rest);
		char *colname = next_word(&rest);
		if (!*colname || *rest)
			return perr(p, "map: expected FIELD COLUMN");
		size_t f = 0;
		while (f < CANON_COUNT && strcmp(canon_names[f], field))
			f++;
		if (f == CANON_COUNT)
			return perr(p, "map: unknown field '%s'", field);
		if (s->map[f] >= 0)
			return perr(p, "map: '%s' is mapped twice", field);
		int col = schema_column_index(s, colname);
		if (col < 0)
			return perr(p, "map: no column named '%s'", colname);
		s->map[f] = col;
	}

	/* within_file_date needs a dated file and a date or timestamp
	 * check before it on the same column. */
	for (size_t i = 0; i < s->ncolumns; i++) {
		const struct schema_column *col = &s->columns[i];
		bool dated = false;
		for (size_t k = 0; k < col->nchecks; k++) {
			const struct schema_check *c = &col->checks[k];
			p->line = c->line;
			if (c->kind == CHECK_DATE || c->kind == CHECK_TIMESTAMP)
				dated = true;
			if (c->kind != CHECK_WITHIN_FILE_DATE)
				continue;
			if (!s->file_dated)
				return perr(p, "within_file_date: file_name carries no date");
			if (!dated)
				return perr(p, "within_file_date: needs a date or timestamp check "
					       "before it");
		}
	}
	return resolve_flow(p);
}

static void free_refs(struct pending_ref *refs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(refs[i].text);
	free(refs);
}

/* Read a line (its '\n' kept) into buf, NUL-terminated, up to size - 1
 * bytes; the number of bytes read, NUL bytes included (fgets cannot tell
 * them), 0 at the end of the file. */
static size_t read_line(FILE *f, char *buf, size_t size)
{
	size_t n = 0;
	int c;
	while (n + 1 < size && (c = getc_unlocked(f)) != EOF) {
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	buf[n] = '\0';
	return n;
}

int schema_load(struct schema **out, const char *path, struct err *e)
{
	int rc = 0;
	FILE *f = NULL;
	char *line = NULL;
	struct parser p = { .path = path, .e = e };
	struct schema *s = calloc(1, sizeof(*s));
	if (!s) {
		rc = err_set(e, KASI_EIO, "out of memory");
		goto out;
	}
	p.s = s;
	s->path = strdup(path);
	const char *base = base_name(path);
	const char *dot = strrchr(base, '.');
	s->name = strndup(base, dot ? (size_t)(dot - base) : strlen(base));
	line = malloc(MAX_LINE + 2);
	if (!s->path || !s->name || !line) {
		rc = err_set(e, KASI_EIO, "out of memory");
		goto out;
	}
	if (!is_identifier(s->name)) {
		rc = err_set(e, KASI_ECONFIG,
			     "%s: a schema's file name must be NAME.schema "
			     "with NAME made of letters, digits and '_'",
			     path);
		goto out;
	}
	int fd;
	struct err why = { 0 };
	if (input_open(path, &fd, &why)) {
		rc = err_set(e, KASI_ECONFIG, "schema: %s", why.msg);
		goto out;
	}
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		rc = err_sys(e, KASI_ECONFIG, "cannot open schema '%s'", path);
		goto out;
	}
	size_t len;
	while ((len = read_line(f, line, MAX_LINE + 2))) {
		p.line++;
		if (len > MAX_LINE && line[len - 1] != '\n') {
			rc = perr(&p, "line longer than %d characters", MAX_LINE);
			goto out;
		}
		/* A NUL would end the line early for every string function:
		 * what follows it would be silently dropped. */
		if (memchr(line, '\0', len)) {
			rc = perr(&p, "a NUL byte in the line");
			goto out;
		}
		if ((rc = parse_line(&p, line)))
			goto out;
	}
	if (ferror(f)) {
		rc = err_sys(e, KASI_ECONFIG, "cannot read schema '%s'", path);
		goto out;
	}
	rc = resolve(&p);
out:
	if (f)
		fclose(f);
	free(line);
	free_refs(p.whens, p.nwhens);
	free_refs(p.keys, p.nkeys);
	free_refs(p.maps, p.nmaps);
	if (rc) {
		schema_free(s);
		s = NULL;
	}
	*out = s;
	return rc;
}

static void check_release(struct schema_check *c)
{
	if (c->when) {
		free_strings(c->when->values, c->when->nvalues);
		free(c->when);
	}
	if (c->kind == CHECK_PATTERN)
		regex_free(c->u.pattern);
	else if (c->kind == CHECK_VALUES)
		free_strings(c->u.values.items, c->u.values.n);
}

void schema_free(struct schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncolumns; i++) {
		for (size_t k = 0; k < s->columns[i].nchecks; k++)
			check_release(&s->columns[i].checks[k]);
		free(s->columns[i].checks);
		free(s->columns[i].name);
	}
	for (size_t i = 0; i < s->nkeys; i++)
		free(s->keys[i].columns);
	free(s->keys);
	free(s->columns);
	regex_free(s->file_name);
	free(s->name);
	free(s->path);
	free(s->description);
	free(s->channel);
	for (size_t i = 0; i < s->flow.nrules; i++)
		for (size_t c = 0; c < s->flow.rules[i].nconds; c++)
			free_strings(s->flow.rules[i].conds[c].values,
				     s->flow.rules[i].conds[c].nvalues);
	free(s->flow.rules);
	free(s->flow.label);
	for (size_t k = 0; k < FACT_KIND_COUNT; k++)
		free(s->flow.words[k]);
	free(s);
}

int schema_column_index(const struct schema *s, const char *name)
{
	for (size_t i = 0; i < s->ncolumns; i++)
		if (!strcmp(s->columns[i].name, name))
			return (int)i;
	return -1;
}

static int has_schema_suffix(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 7 && !strcmp(d->d_name + n - 7, ".schema") && d->d_name[0] != '.';
}

/* A channel's rows are stored and matched by its name: two schemas that
 * name one channel would mix their facts. */
static int one_schema_a_channel(const struct schema_set *set, struct err *e)
{
	for (size_t i = 0; i < set->n; i++)
		for (size_t j = 0; j < i && set->items[i]->channel; j++)
			if (set->items[j]->channel &&
			    !strcmp(set->items[i]->channel, set->items[j]->channel))
				return err_set(e, KASI_ECONFIG,
					       "%s:%d: channel %s is described by %s:%d already: "
					       "one channel, one schema",
					       set->items[i]->path, set->items[i]->channel_line,
					       set->items[i]->channel, set->items[j]->path,
					       set->items[j]->channel_line);
	return 0;
}

int schema_set_load(struct schema_set **out, const char *dir, struct err *e)
{
	int rc = 0;
	struct dirent **names = NULL;
	int n = -1;
	struct schema_set *set = calloc(1, sizeof(*set));
	if (!set || !(set->dir = strdup(dir))) {
		rc = err_set(e, KASI_EIO, "out of memory");
		goto out;
	}
	n = scandir(dir, &names, has_schema_suffix, alphasort);
	if (n < 0) {
		rc = err_sys(e, KASI_ECONFIG, "cannot read schema directory '%s'", dir);
		goto out;
	}
	if (n == 0) {
		rc = err_set(e, KASI_ECONFIG, "no *.schema files in '%s'", dir);
		goto out;
	}
	set->items = calloc((size_t)n, sizeof(*set->items));
	if (!set->items) {
		rc = err_set(e, KASI_EIO, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if ((rc = schema_load(&set->items[set->n], path, e)))
			goto out;
		set->n++;
	}
	rc = one_schema_a_channel(set, e);
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc) {
		schema_set_free(set);
		set = NULL;
	}
	*out = set;
	return rc;
}

void schema_set_free(struct schema_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		schema_free(set->items[i]);
	free(set->items);
	free(set->dir);
	free(set);
}

const struct schema *schema_set_find(const struct schema_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->items[i]->name, name))
			return set->items[i];
	return NULL;
}

enum schema_name_match schema_match_name(const struct schema *s, struct regex_matcher *m,
					 const char *base, int32_t *file_date)
{
	size_t n = strlen(base);
	uint32_t cps;
	/* A name that is not UTF-8 matches nothing (and must not reach
	 * PCRE2, which was told the subject is valid). */
	if (text_scan(base, n, &cps) != TEXT_OK)
		return SCHEMA_NAME_NOMATCH;
	if (regex_match(s->file_name, m, base, n) != REGEX_MATCH)
		return SCHEMA_NAME_NOMATCH;
	if (!s->file_dated)
		return SCHEMA_NAME_MATCH;
	size_t start, len;
	if (!regex_group(s->file_name, m, "date", &start, &len) ||
	    date_parse(base + start, len, s->file_date_format, file_date) != DATE_OK)
		return SCHEMA_NAME_BAD_DATE;
	return SCHEMA_NAME_MATCH;
}

size_t schema_set_match(const struct schema_set *set, struct regex_matcher *m, const char *base,
			const struct schema **found, size_t max)
{
	size_t count = 0;
	int32_t date;
	for (size_t i = 0; i < set->n; i++) {
		if (schema_match_name(set->items[i], m, base, &date) == SCHEMA_NAME_NOMATCH)
			continue;
		if (count < max)
			found[count] = set->items[i];
		count++;
	}
	return count;
}

const char *schema_shown_value(const struct schema_column *c, const char *v,
			       char out[TEXT_RENDER_BUFSZ])
{
	if (!v || !c || !(c->mask || (c->mask_digits && text_has_digit_run(v, strlen(v)))))
		return v;
	text_render(v, strlen(v), true, out, TEXT_RENDER_BUFSZ);
	return out;
}

int schema_read_date(const struct schema_column *c, const char *s, size_t n, int32_t *days)
{
	for (size_t k = 0; k < c->nchecks; k++) {
		const struct schema_check *ck = &c->checks[k];
		if (ck->kind == CHECK_DATE)
			return date_parse(s, n, ck->u.date, days) == DATE_OK ? 0 : -1;
		if (ck->kind == CHECK_TIMESTAMP) {
			int64_t utc;
			if (timestamp_parse(s, n, &utc) != DATE_OK)
				return -1;
			*days = date_business_of(utc);
			return 0;
		}
	}
	return -1;
}

int schema_read_money(const struct schema_column *c, const char *s, size_t n, int64_t *cents)
{
	for (size_t k = 0; k < c->nchecks; k++)
		if (c->checks[k].kind == CHECK_MONEY)
			return money_parse(s, n, &c->checks[k].u.money.rule, cents) == MONEY_OK
				       ? 0
				       : -1;
	return -1;
}

int schema_read_time(const struct schema_column *c, const char *s, size_t n, int32_t *seconds)
{
	for (size_t k = 0; k < c->nchecks; k++)
		if (c->checks[k].kind == CHECK_TIME)
			return time_parse_hhmmss(s, n, seconds) == DATE_OK ? 0 : -1;
	return -1;
}
