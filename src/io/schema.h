/*
 * schema.h — file kinds described as data.
 *
 * A schema file (schemas/NAME.schema) says how a kind of file is named
 * and what its columns must hold; kasi holds no per-channel code for
 * validation. The language is line-oriented and documented, with an
 * example per check, in schemas/README.md. This module parses it into
 * the model below; stage/validate.c applies it.
 *
 * A schema that cannot be parsed is a configuration error (exit 78)
 * reported as "path:line: message".
 */
#ifndef KASI_SCHEMA_H
#define KASI_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dates.h"
#include "core/err.h"
#include "core/money.h"
#include "core/text.h"
#include "io/regex.h"

enum check_kind {
	CHECK_REQUIRED,		/* the value must not be empty */
	CHECK_EMPTY,		/* the value must be empty */
	CHECK_MAX_LENGTH,	/* at most N characters */
	CHECK_MIN_LENGTH,	/* at least N characters */
	CHECK_PATTERN,		/* matches a PCRE2 pattern (whole value) */
	CHECK_VALUES,		/* one of a list */
	CHECK_LUHN,		/* digits ending in a Luhn check digit */
	CHECK_MONEY,		/* an amount, parsed to cents */
	CHECK_INTEGER,		/* a whole number in a range */
	CHECK_DATE,		/* a date in a named format */
	CHECK_TIME,		/* a time of day, hhmmss */
	CHECK_TIMESTAMP,	/* ISO 8601 with an offset */
	CHECK_WITHIN_FILE_DATE, /* its SAST date is the file name's date */
	CHECK_KIND_COUNT
};

/* "when COL=A|B": the check applies only on rows where column COL holds
 * one of the values (an empty alternative stands for an empty value). */
struct schema_cond {
	size_t column;
	char **values;
	size_t nvalues;
};

struct schema_check {
	enum check_kind kind;
	int line;		  /* in the schema file */
	struct schema_cond *when; /* NULL: on every row */
	union {
		uint32_t length;
		struct regex *pattern;
		struct {
			char **items;
			size_t n;
		} values;
		struct {
			struct money_rule rule;
			bool has_min, has_max;
			int64_t min, max; /* cents */
		} money;
		struct {
			bool has_min, has_max;
			int64_t min, max;
		} integer;
		enum date_format date;
	} u;
};

struct schema_column {
	char *name;
	bool absent_ok; /* the column may be missing from the header */
	bool mask;	/* personal: show only the last 4 characters */
	/* what a person typed (`mask digits`): personal when it holds a run
	 * of digits (core/text.h), a phone or account number in the wrong
	 * place */
	bool mask_digits;
	struct schema_check *checks;
	size_t nchecks;
};

/* Values that must be unique within a file: one column (`unique`) or a
 * composite (`key a b`). */
struct schema_key {
	size_t *columns;
	size_t ncolumns;
	int line;
};

/* The canonical record every channel's rows are mapped onto (`map`). */
enum canon_field {
	CANON_TRANSACTION_ID,
	CANON_REFERENCE,
	CANON_DATE,
	CANON_TIME,
	CANON_AMOUNT,
	CANON_REQUESTED_AMOUNT,
	CANON_STATUS,
	CANON_TYPE,
	CANON_REASON,
	CANON_REASON_TEXT,
	CANON_ORIGINAL_ID,
	CANON_CYCLE_DATE,
	CANON_STATUS_DATE,
	CANON_STATUS_TIME,
	CANON_CHANNEL,
	CANON_CASH_CODE, /* the policy register's: a policy's cash payment code */
	CANON_COUNT
};

/* ---- how a channel's rows become money (schemas/README.md, "Matching") ---- */

/* The generic flows kasi implements once; a channel's schema names one. */
enum flow_type {
	FLOW_NONE,	   /* reference data: no flow */
	FLOW_PAYMENTS,	   /* each row a payment: collected, pending or failed */
	FLOW_DEBITS,	   /* collections, and reversals linked to their original */
	FLOW_INSTRUCTIONS, /* status updates of one instruction; the latest decides */
	FLOW_PAYOUTS,	   /* confirmations of kasi's own payouts: paid, rejected, pending */
};

/* Which of a policy's keys a row's reference names. */
enum policy_key {
	POLICY_KEY_NUMBER,	   /* the policy number */
	POLICY_KEY_COLLECTION_REF, /* the policy's collection_ref, for policies of the channel */
	POLICY_KEY_CASH_CODE,	   /* the policy's cash payment code */
};

/* What a row means, whatever the channel calls it. */
enum fact_kind {
	FACT_COLLECTED, /* money collected */
	FACT_REVERSAL,	/* takes back an earlier collection */
	FACT_PENDING,	/* not final yet: shown, never counted */
	FACT_TRACKING,	/* held for a later attempt: pending, never a reversal */
	FACT_FAILED,	/* nothing collected; its reason is kept */
	FACT_CANCELLED, /* withdrawn: nothing collected */
	FACT_IGNORED,	/* stored and shown, never counted */
	FACT_KIND_COUNT
};

#define KIND_RULE_CONDS 4
/* At most this many `kind` rules: each row is held against them in turn,
 * and a channel's codes fit in a handful. */
#define FLOW_KIND_RULES 64

/* `kind KIND [called WORD] FIELD=A|B ...`: rows whose canonical fields
 * hold those values mean KIND; the first rule that matches wins. */
struct kind_rule {
	enum fact_kind kind;
	int line;
	size_t nconds;
	struct {
		enum canon_field field;
		char **values;
		size_t nvalues;
	} conds[KIND_RULE_CONDS];
};

#define FLOW_FUTURE_RULES 4

struct schema_flow {
	enum flow_type type;
	enum policy_key match;
	char *label;		      /* the channel as people name it: "Softy Comp" */
	char *words[FACT_KIND_COUNT]; /* what the channel calls a kind; NULL: its name */
	struct kind_rule *rules;
	size_t nrules;
	bool link_original;	   /* debits: original_id names the original */
	bool link_pair;		   /* debits: else the same reference and cycle_date */
	bool negative_amounts;	   /* debits: a collection is written negative */
	bool two_sided;		   /* payments: checked against our ledger */
	enum canon_field order[2]; /* instructions: the latest by these decides */
	size_t norder;
	/* `future_dated FIELD [kind=K|K]`: OUT_OF_PERIOD when FIELD's date is
	 * after the file's (only for rows of those kinds: a bit per kind). */
	struct {
		enum canon_field field;
		unsigned kinds; /* 0: every row */
		int line;
	} future[FLOW_FUTURE_RULES];
	size_t nfuture;
	int line; /* of the `flow` directive; 0: none */
};

struct schema {
	char *name; /* the file's stem: "products" for products.schema */
	char *path;
	char *description;
	char *channel; /* NULL for reference data */
	int channel_line;

	struct regex *file_name; /* matched against the base name */
	bool file_dated;	 /* file_name has a (?<date>...) group */
	enum date_format file_date_format;

	uint64_t max_bytes; /* 0: no limit */
	uint64_t max_rows;  /* data rows; 0: no limit */
	bool extra_columns; /* unknown header columns allowed */

	struct schema_column *columns;
	size_t ncolumns;
	struct schema_key *keys;
	size_t nkeys;
	int map[CANON_COUNT]; /* column index, or -1 */
	struct schema_flow flow;
};

struct schema_set {
	char *dir;
	struct schema **items; /* sorted by name */
	size_t n;
};

/* Parse one schema file. Returns 0, or -KASI_ECONFIG with
 * "path:line: message" in e. Freed with schema_free. */
int schema_load(struct schema **out, const char *path, struct err *e);
void schema_free(struct schema *s);

/* Load every *.schema in dir. Returns 0, -KASI_ECONFIG (a bad schema,
 * two schemas of one channel, no schemas, no such directory). Freed with
 * schema_set_free. */
int schema_set_load(struct schema_set **out, const char *dir, struct err *e);
void schema_set_free(struct schema_set *set);
const struct schema *schema_set_find(const struct schema_set *set, const char *name);

enum schema_name_match {
	SCHEMA_NAME_NOMATCH = 0,
	SCHEMA_NAME_MATCH = 1,
	SCHEMA_NAME_BAD_DATE = 2, /* matches, but the date in it is not a real date */
};

/* Match a file's base name against s's file_name pattern; when the
 * schema is dated and the name matches, *file_date gets the date. */
enum schema_name_match schema_match_name(const struct schema *s, struct regex_matcher *m,
					 const char *base, int32_t *file_date);

/* The schemas whose file_name matches base (SCHEMA_NAME_MATCH or
 * BAD_DATE); up to max written to found. Returns how many matched. */
size_t schema_set_match(const struct schema_set *set, struct regex_matcher *m, const char *base,
			const struct schema **found, size_t max);

int schema_column_index(const struct schema *s, const char *name);

/* Read a value the way the column's own checks read it: a date through
 * its `date` or `timestamp` check (a timestamp gives its SAST date), an
 * amount through its `money` check, a time through `time`. Return 0, or
 * -1 when the column has no such check or the value does not parse. */
/* A column's value as kasi shows it outside validation (in a
 * discrepancy, a report): v itself, or, when the column says it is
 * personal (`mask`; `mask digits` and v holds a run of digits), v with
 * all but its last four characters hidden, rendered into out. */
const char *schema_shown_value(const struct schema_column *c, const char *v,
			       char out[TEXT_RENDER_BUFSZ]);

int schema_read_date(const struct schema_column *c, const char *s, size_t n, int32_t *days);
int schema_read_money(const struct schema_column *c, const char *s, size_t n, int64_t *cents);
int schema_read_time(const struct schema_column *c, const char *s, size_t n, int32_t *seconds);
/* What a row means under the schema's kind rules, from its canonical
 * values (values[f]: the value mapped to field f, NULL or "" for none):
 * the first rule that matches, else FACT_IGNORED. */
enum fact_kind schema_fact_kind(const struct schema *s, const char *const values[CANON_COUNT]);

/* The kind's name ("reversal"); the kind named name, or FACT_KIND_COUNT. */
const char *fact_kind_name(enum fact_kind k);
enum fact_kind fact_kind_parse(const char *name);

/* What the channel calls a kind of row ("unpaid"), else the kind's name;
 * the channel's label, else its name. */
const char *schema_kind_word(const struct schema *s, enum fact_kind k);
const char *schema_label(const struct schema *s);

const char *check_kind_name(enum check_kind kind);
const char *canon_field_name(enum canon_field f);

#endif
