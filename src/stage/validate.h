/*
 * validate.h — the validation stage: one file against one schema.
 *
 * Every error in the file is found and counted by rule; the first
 * VALIDATE_SHOWN (by row, then column) are kept in full — file, row,
 * column, rule, what was expected, and the value as received (masked
 * where the column is personal). A file is valid when it has no error.
 */
#ifndef KASI_VALIDATE_H
#define KASI_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "io/schema.h"

#define VALIDATE_SHOWN 100

/* What was broken. The names (validate_rule_name) are stable: they
 * appear in reports, JSON and tests. Schema checks keep the name of the
 * schema attribute that failed. */
enum rule {
	RULE_FILE_NAME,		 /* name does not match the schema, or its date is not real */
	RULE_HEADER,		 /* no header row */
	RULE_MISSING_COLUMN,	 /* a schema column absent from the header */
	RULE_UNKNOWN_COLUMN,	 /* a header column the schema does not know */
	RULE_DUPLICATE_COLUMN,	 /* a header column named twice */
	RULE_MAX_BYTES,		 /* file over the schema's byte limit */
	RULE_MAX_ROWS,		 /* file over the schema's row limit */
	RULE_QUOTING,		 /* malformed quoting (stops the read) */
	RULE_UNTERMINATED_QUOTE, /* quote still open at the end (stops the read) */
	RULE_FIELD_TOO_LONG,	 /* a field over the reader's hard limit (stops the read) */
	RULE_GZIP,		 /* corrupt, cut or trailed compressed data (stops the read) */
	RULE_ENCODING,		 /* UTF-16 or UTF-32, not UTF-8 (stops the read) */
	RULE_BARE_CR,		 /* a line ended by a CR alone (stops the read) */
	RULE_BLANK_LINE,	 /* an empty line between records */
	RULE_FIELD_COUNT,	 /* a record with more or fewer fields than the header */
	RULE_UTF8,		 /* not UTF-8 */
	RULE_NUL_BYTE,		 /* a NUL byte in a field */
	RULE_REGEX_LIMIT,	 /* pattern matching hit its limits */
	RULE_UNIQUE,		 /* a key seen earlier in the file */
	RULE_REFERENCE,		 /* a value that must name a known record does not */
	RULE_CONSISTENCY,	 /* rows of the file contradict each other */
	RULE_CHECK_BASE,	 /* schema checks follow, in enum check_kind order */
	RULE_COUNT = RULE_CHECK_BASE + CHECK_KIND_COUNT
};

struct verror {
	uint64_t row;  /* record number, header = 1; 0: the file as a whole */
	long position; /* header position of the column; -1: none */
	enum rule rule;
	char *column;	/* NULL when not about one column */
	char *message;	/* what is wrong */
	char *expected; /* what the rule wants */
	char *received; /* the value, rendered (masked when personal); may be NULL */
};

struct validation {
	char *file; /* as named by the caller */
	const struct schema *schema;
	bool dated; /* file_date holds the date in the file name */
	int32_t file_date;
	uint64_t rows;	/* data rows read (not the header, not blank lines) */
	uint64_t bytes; /* content bytes read (after decompression) */
	bool compressed, bom;
	bool have_sha256; /* asked for, and the read reached the end */
	char sha256[65];  /* hex */
	bool stopped;	  /* a problem stopped the read before the end */
	uint64_t nerrors;
	uint64_t by_rule[RULE_COUNT];
	struct verror *shown; /* the first VALIDATE_SHOWN errors, by (row, position) */
	size_t nshown;
	void *lock; /* internal: guards the errors while a row thread runs */
};

struct vcol;

/* A data row, as validated: what validate_opts.on_row receives. */
struct vrow {
	const struct schema *schema;
	const struct csv_row *csv;
	const long *field_of_col; /* schema column -> header position, or -1 */
	uint64_t record;	  /* as in error reports: the header is 1 */
	bool ok;		  /* the row raised no error (so far: a duplicate key
					 * found only at the end can still reject the file) */
	struct validation *v;
	/* On the row thread, the values are copies: csv is NULL. */
	const struct vcol *packed;
	const char *packed_base;
	/* validate_opts.row_sha256: the SHA-256 of every column's value in
	 * schema order, each behind its length as a 32-bit number (all ones:
	 * the column is absent): the row's content, whatever the column order
	 * of its file. NULL otherwise. */
	const uint8_t *sha256;
};

/* Called for every data row once its checks have run; a non-zero return
 * (a negative status) stops the run, and validate_fd() returns it.
 * Never called for a file whose header failed (no header, or a column
 * missing, unknown or named twice): its rows are still checked and their
 * errors reported, but a handler may count on every column the schema
 * requires being in the file. */
typedef int (*validate_row_fn)(void *ctx, const struct vrow *row);

struct validate_opts {
	size_t keyset_budget;	/* 0: the default */
	bool sha256;		/* compute the content's SHA-256 (v->sha256) */
	validate_row_fn on_row; /* NULL: none */
	void *ctx;
	/* Call on_row on a thread of its own, while the next rows are
	 * checked: rows reach it in order, their values copied, a few hundred
	 * rows behind. vrow_error() stays safe; on_row must not touch what
	 * the checking thread uses. validate_fd() returns once every row has
	 * been through on_row. */
	bool row_thread;
	bool row_sha256; /* give each row its content's SHA-256 (vrow.sha256) */
};

/* The value of schema column `column` on the row (not NUL-terminated);
 * false when the column is absent from the file. */
bool vrow_value(const struct vrow *r, int column, const char **data, size_t *len);

/* Every schema column's value on a row, NUL-terminated: col[i] is NULL
 * when column i is absent from the file, "" when empty. One buffer, grown
 * once per row, so the pointers stay valid until the next call. */
struct vstrings {
	char *buf;
	size_t cap;
	const char **col;
	size_t ncol;
};

int vrow_strings(const struct vrow *r, struct vstrings *t);
void vstrings_release(struct vstrings *t);

/* Add an error of a later stage's to the report, at this row and column
 * (column -1: the row as a whole), in the report's usual form. */
void vrow_error(const struct vrow *r, int column, enum rule rule, const char *expected,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Validate the file at path against s into *v (initialised here; release
 * with validation_release). Returns 0 when the file was read to a verdict
 * (v->nerrors says valid or not), or -KASI_ENOINPUT / -KASI_EIO when it
 * could not be read, with a message in e. */
int validate_file(const struct schema *s, const char *path, const struct validate_opts *opts,
		  struct validation *v, struct err *e);

/* As validate_file, on an open descriptor it takes ownership of. */
int validate_fd(const struct schema *s, int fd, const char *name, const struct validate_opts *opts,
		struct validation *v, struct err *e);

void validation_release(struct validation *v);

const char *validate_rule_name(enum rule r);

/* The report: one line per shown error, a line for the rest, and a
 * one-line verdict ("valid: ..." or "invalid: ..."). */
void validation_print_text(const struct validation *v, FILE *out);

/* The same as one JSON document (errors in the collections API's error shape). */
void validation_print_json(const struct validation *v, FILE *out);

#endif
