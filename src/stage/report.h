/*
 * report.h — CSV reports for finance: written whole or not at
 * all, mode 0600, safe to open in a spreadsheet.
 */
#ifndef KASI_REPORT_H
#define KASI_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct report;

/* Start a report at path (".gz" appended when gzip is set and path does
 * not end so, nor names a stream; the final name goes to final_path). The
 * file is written under a temporary name and renamed when report_close
 * succeeds: a reader never sees half a report. Created mode 0600. A
 * symbolic link stays one: the file it names is replaced. A stream
 * ("-", a character device such as /dev/null, a FIFO) is written straight
 * through. A directory is -KASI_EUSAGE; anything else, or a link to
 * nothing, -KASI_EIO. Messages name path, never the temporary file. */
int report_open(struct report **out, const char *path, bool gzip, char *final_path,
		size_t final_size, struct err *e);

/* One row of cells; NULL is an empty cell. Cells are quoted as RFC 4180
 * requires, and a cell that a spreadsheet would run as a formula (one
 * starting with = + - @, a tab or a CR, that is not a number) is
 * neutralised with a leading apostrophe. */
int report_row(struct report *r, const char *const *cells, size_t n, struct err *e);

/* Text written as it is (a document that is not CSV: a payout
 * instruction's JSON), with the same guarantees. */
int report_text(struct report *r, const char *text, size_t n, struct err *e);

/* Whether path names standard output ("-"): report_open writes there,
 * gzipped or not, as the rows come (neither whole-or-nothing nor 0600:
 * it is the caller's stream). */
bool report_to_stdout(const char *path);
/* Whether path names a stream report_open writes straight through:
 * standard output, or (through links) a character device or a FIFO. Files
 * written beside a report are not written beside a stream. */
bool report_is_stream(const char *path);

/* Flush, fsync, rename into place. Returns 0 or a negative status; the
 * report is freed either way. */
int report_close(struct report *r, struct err *e);

/* Drop a report that will not be finished (its temporary file removed). */
void report_abort(struct report *r);

/* The neutralised form of one cell into out (exposed for tests). */
size_t report_cell(const char *cell, char *out, size_t size);

#endif
