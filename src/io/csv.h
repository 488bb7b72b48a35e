/*
 * csv.h — the streaming CSV reader: libcsv for RFC 4180, zlib for .gz.
 *
 * A push reader (zsv style): csv_reader_run() hands each record to a
 * callback and keeps nothing once the callback returns, so memory stays
 * bounded whatever the size of the file:
 *
 *   read 256 KiB of content (io/content.h: plain, or every gzip member
 *     decompressed, told apart by the magic bytes)
 *     -> strip a leading UTF-8 BOM; stop at a UTF-16 or UTF-32 one (or
 *        at the NUL bytes that such text puts between ASCII letters)
 *     -> csv_parse (strict: malformed quoting stops the read)
 *     -> per field: copy into the row arena, check UTF-8 and NUL, count
 *        code points
 *     -> per record: call the row callback
 *
 * What counts as a record: every line break outside quotes ends one (LF
 * or CRLF, mixed freely). A carriage return outside quotes that no line
 * feed follows stops the read (CSV_EBARECR); inside quotes it is data. An empty line between records is
 * handed over as a record with no fields, so that the caller can reject
 * it at its row number; empty lines at the end of the file are dropped.
 * Record numbers count from 1 (the header), as a spreadsheet shows them.
 *
 * Nothing is trimmed: spaces are data.
 */
#ifndef KASI_CSV_H
#define KASI_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct csv_field {
	const char *data;    /* not NUL-terminated; valid during the callback */
	uint32_t len;	     /* bytes */
	uint32_t codepoints; /* characters (up to the first bad byte) */
	uint8_t text;	     /* enum text_status: TEXT_OK, TEXT_NUL, TEXT_BAD_UTF8 */
};

struct csv_row {
	uint64_t record; /* 1-based record number; the header is 1 */
	size_t nfields;	 /* fields in the record as written; 0: empty line */
	size_t nstored;	 /* fields in `fields` (fewer when over max_fields) */
	const struct csv_field *fields;
};

struct csv_limits {
	uint64_t max_bytes;	/* content bytes after decompression; 0: none */
	size_t max_field_bytes; /* a longer field stops the read */
	size_t max_fields;	/* fields kept per record; more are only counted */
	bool sha256;		/* hash the content (see csv_reader_sha256) */
};

/* Defaults: fields up to 1 MiB, 1024 fields kept per record. */
#define CSV_DEFAULT_MAX_FIELD_BYTES (1024 * 1024)
#define CSV_DEFAULT_MAX_FIELDS	    1024

/* How a run ended. Values above CSV_STOPPED are problems that stop the
 * read (the file cannot be parsed past them). */
enum csv_result {
	CSV_DONE = 0,	   /* end of input */
	CSV_STOPPED,	   /* the callback asked to stop */
	CSV_EQUOTE,	   /* a quote inside an unquoted field, or text after a closing quote */
	CSV_EUNTERMINATED, /* a quoted field still open at the end of the file */
	CSV_EFIELD,	   /* a field or record over the byte limits */
	CSV_EBYTES,	   /* content over max_bytes */
	CSV_EGZIP,	   /* compressed data corrupt or truncated */
	CSV_EENCODING,	   /* UTF-16 or UTF-32 text, not UTF-8 (nothing is read) */
	CSV_EBARECR,	   /* a CR outside quotes that no LF follows */
	CSV_EREAD,	   /* an I/O error */
	CSV_ENOMEM,
};

struct csv_reader;

/* Return 0 to go on, anything else to stop the run (CSV_STOPPED). */
typedef int (*csv_row_fn)(void *ctx, const struct csv_row *row);

/* Open path for reading. Returns 0, or -KASI_ENOINPUT (missing,
 * unreadable, not a regular file) or -KASI_EIO with a message in e.
 * *out is freed with csv_reader_free. */
int csv_reader_open(struct csv_reader **out, const char *path, const struct csv_limits *limits,
		    struct err *e);

/* As csv_reader_open, on an open descriptor, which the reader then owns
 * (closed by csv_reader_free, also on failure). */
int csv_reader_open_fd(struct csv_reader **out, int fd, const char *name,
		       const struct csv_limits *limits, struct err *e);

/* Read to the end, calling fn for each record. Returns an enum csv_result;
 * for a problem, csv_reader_problem() tells where and what. */
enum csv_result csv_reader_run(struct csv_reader *r, csv_row_fn fn, void *ctx);

/* The record a problem was found in, and a one-line lowercase message. */
uint64_t csv_reader_problem_record(const struct csv_reader *r);
const char *csv_reader_problem(const struct csv_reader *r);

uint64_t csv_reader_bytes(const struct csv_reader *r);	 /* content bytes read */
uint64_t csv_reader_records(const struct csv_reader *r); /* records handed over */
bool csv_reader_compressed(const struct csv_reader *r);

/* After a run to CSV_DONE with limits.sha256 set: the SHA-256 of the
 * decompressed content, every byte of it (a BOM included). Returns false
 * if it was not asked for or the read did not reach the end. */
bool csv_reader_sha256(const struct csv_reader *r, uint8_t digest[32]);
bool csv_reader_had_bom(const struct csv_reader *r);

void csv_reader_free(struct csv_reader *r);

/* The version of libcsv kasi was built against. */
const char *csv_libcsv_version(void);

#endif
