/*
 * csv.c — streaming CSV reader (see csv.h).
 *
 * Two threads, so that parsing overlaps the caller's work on the second
 * core:
 *
 *   producer (reader thread)              consumer (caller of csv_reader_run)
 *   content -> BOM -> csv_parse             pop a full batch
 *   on_field: copy into the batch           for each record: check UTF-8
 *   on_row:   close the record; when          and NUL, build the csv_row,
 *             the batch is full, push it      call fn()
 *                                           give the batch back
 *
 * Batches circulate through a relay (core/relay.h), NBATCH of them in
 * all, so memory is bounded: NBATCH batches of about BATCH_BYTES
 * (more only while a single record is larger), plus libcsv's field
 * buffer (stopped at max_field_bytes) and the read buffer. A record never
 * spans two batches. The producer ends with a batch marked `last` that
 * carries how the read ended; a callback asking to stop stops the relay,
 * which the producer sees after its current chunk, and the consumer then
 * drains it until that last batch.
 *
 * libcsv is driven with CSV_STRICT | CSV_STRICT_FINI (RFC 4180 quoting,
 * an open quote at the end is an error) and CSV_REPALL_NL (every line
 * break is reported, even on an empty line), with a space function that
 * never answers "space", so no field is ever trimmed.
 *
 * CSV_REPALL_NL reports CR and LF separately, so "a,b\r\n" arrives as a
 * record ended by '\r' and then an empty record ended by '\n'. on_row()
 * folds that LF into the CRLF; a CR followed by anything else (or by the
 * end of the file) is a bare CR, which lines may not end with: it stops
 * the read (CSV_EBARECR) at the record it ended. (A CR inside quotes is
 * data, and never reaches on_row.) Any other empty record is an empty line,
 * held back in `pending_blank` until a real record follows (it is then
 * handed over, so the caller can reject it) or the file ends (it is then
 * dropped: trailing empty lines are allowed).
 */
#include "core/common.h"
#include "core/grow.h"
#include "core/relay.h"
#include "core/text.h"
#include "io/content.h"
#include "io/csv.h"
#include "io/digest.h"
#include "io/input.h"

#include <csv.h>
#include <pthread.h>

#define READ_CHUNK	 (256 * 1024)
#define LIBCSV_BLOCK	 (16 * 1024)
#define ROW_BYTES_FACTOR 4
#define NBATCH		 4
#define BATCH_BYTES	 (128 * 1024)
#define BATCH_ROWS	 2048

/* A batch's arena never passes BATCH_BYTES plus one record (at most
 * ROW_BYTES_FACTOR * max_field_bytes), so 32-bit offsets suffice. */
struct field_span {
	uint32_t off; /* into the batch's arena */
	uint32_t len;
};

struct batch_row {
	uint64_t record;
	size_t nfields, nstored;
	size_t first_span;
};

/* Each batch header on its own cache line: the producer updates its
 * batch's lengths once per field while the consumer reads another's. */
struct batch {
	_Alignas(64) char *arena;
	size_t arena_len, arena_cap;
	struct field_span *spans;
	size_t nspans, spans_cap;
	struct batch_row *rows;
	size_t nrows, rows_cap;
	bool last; /* the producer's final batch */
};

struct csv_reader {
	struct content *in; /* the file's bytes, decompressed */
	struct csv_parser parser;
	bool parser_ready;
	struct csv_limits lim;
	size_t max_row_bytes;
	char *name;

	/* Producer state. */
	char *buf;	     /* READ_CHUNK bytes */
	uint64_t bytes;	     /* content bytes read */
	struct sha256 *hash; /* of the content, when asked for */
	uint8_t digest[SHA256_BYTES];
	bool have_digest;
	bool first_chunk, had_bom, compressed;
	struct batch *cur; /* the batch being filled */
	size_t row_start;  /* arena offset where the current record began */
	size_t row_first_span;
	size_t cur_nfields;
	bool row_overflow;  /* the record passed max_row_bytes */
	bool cr_open;	    /* the last record ended with a CR: an LF must follow */
	uint64_t cr_record; /* the record that CR ended */
	uint64_t pending_blank;
	uint64_t record; /* records closed so far */
	enum csv_result problem;
	uint64_t problem_record;
	char problem_msg[256];

	/* Shared. */
	_Alignas(64) struct batch batches[NBATCH];
	struct relay *relay;

	/* Consumer state, off the producer's cache lines. */
	_Alignas(64) struct csv_field *fields;
	size_t fields_cap;
};

static int never_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void set_problem(struct csv_reader *r, enum csv_result res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_problem(struct csv_reader *r, enum csv_result res, const char *fmt, ...)
{
	if (r->problem)
		return;
	r->problem = res;
	/* The record being read when the problem was found. */
	r->problem_record = r->record + r->pending_blank + 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->problem_msg, sizeof(r->problem_msg), fmt, ap);
	va_end(ap);
}

/* ---- producer ------------------------------------------------------------ */

/* Hand the filled batch over and start an empty one. The record in
 * progress (fields after row_start) moves to the new batch. */
static void ship_batch(struct csv_reader *r, bool last)
{
	struct batch *full = r->cur;
	full->last = last;
	relay_pass(r->relay, full);
	if (last) {
		r->cur = NULL;
		return;
	}
	r->cur = relay_take_empty(r->relay);
	r->cur->arena_len = r->cur->nspans = r->cur->nrows = 0;
	r->cur->last = false;
	r->row_start = 0;
	r->row_first_span = 0;
}

/* The rare cases of on_field: over the limits, or out of room. */
static __attribute__((noinline)) void on_field_slow(struct csv_reader *r, const void *s, size_t len)
{
	struct batch *b = r->cur;
	if (r->problem || r->cur_nfields > r->lim.max_fields || r->row_overflow)
		return;
	if (len > r->lim.max_field_bytes) {
		set_problem(r, CSV_EFIELD, "field %zu is longer than %zu bytes", r->cur_nfields,
			    r->lim.max_field_bytes);
		return;
	}
	if (b->arena_len - r->row_start + len > r->max_row_bytes) {
		r->row_overflow = true;
		return;
	}
	if (!grow_array((void **)&b->spans, &b->spans_cap, b->nspans + 1, sizeof(*b->spans)) ||
	    !grow_array((void **)&b->arena, &b->arena_cap, b->arena_len + len, 1)) {
		set_problem(r, CSV_ENOMEM, "out of memory");
		return;
	}
	b->spans[b->nspans++] = (struct field_span){ (uint32_t)b->arena_len, (uint32_t)len };
	memcpy(b->arena + b->arena_len, s, len);
	b->arena_len += len;
}

/* libcsv's field callback: the producer's hot path, once per field. */
static void on_field(void *s, size_t len, void *data)
{
	struct csv_reader *r = data;
	struct batch *b = r->cur;
	r->cur_nfields++;
	if (__builtin_expect(r->cur_nfields > r->lim.max_fields || r->row_overflow || r->problem ||
				     b->nspans == b->spans_cap || len > r->lim.max_field_bytes ||
				     len > b->arena_cap - b->arena_len ||
				     b->arena_len - r->row_start + len > r->max_row_bytes,
			     0)) {
		on_field_slow(r, s, len);
		return;
	}
	b->spans[b->nspans++] = (struct field_span){ (uint32_t)b->arena_len, (uint32_t)len };
	memcpy(b->arena + b->arena_len, s, len);
	b->arena_len += len;
}

static bool add_row(struct csv_reader *r, size_t nfields, size_t nstored)
{
	struct batch *b = r->cur;
	if (!grow_array((void **)&b->rows, &b->rows_cap, b->nrows + 1, sizeof(*b->rows))) {
		set_problem(r, CSV_ENOMEM, "out of memory");
		return false;
	}
	b->rows[b->nrows++] = (struct batch_row){
		.record = ++r->record,
		.nfields = nfields,
		.nstored = nstored,
		.first_span = r->row_first_span,
	};
	return true;
}

static void bare_cr(struct csv_reader *r)
{
	set_problem(r, CSV_EBARECR, "a carriage return not followed by a line feed ends the line");
	r->problem_record = r->cr_record;
}

static void on_row(int c, void *data)
{
	struct csv_reader *r = data;
	if (r->problem)
		return;
	if (r->cr_open) {
		r->cr_open = false;
		if (c == '\n' && r->cur_nfields == 0)
			return; /* the LF of a CRLF */
		bare_cr(r);
		return;
	}
	if (r->cur_nfields == 0) {
		r->pending_blank++;
		if (c == '\r') {
			r->cr_open = true;
			r->cr_record = r->record + r->pending_blank;
		}
		return;
	}
	if (r->row_overflow) {
		set_problem(r, CSV_EFIELD, "record longer than %zu bytes", r->max_row_bytes);
		return;
	}
	while (r->pending_blank) {
		r->pending_blank--;
		if (!add_row(r, 0, 0))
			return;
	}
	size_t nstored = r->cur_nfields < r->lim.max_fields ? r->cur_nfields : r->lim.max_fields;
	if (!add_row(r, r->cur_nfields, nstored))
		return;
	if (c == '\r') {
		r->cr_open = true;
		r->cr_record = r->record;
	}
	r->cur_nfields = 0;
	r->row_start = r->cur->arena_len;
	r->row_first_span = r->cur->nspans;
	if (r->cur->arena_len >= BATCH_BYTES || r->cur->nrows >= BATCH_ROWS)
		ship_batch(r, false);
}

/* Read the next chunk of content into r->buf; returns its length, 0 at
 * the end, -1 after recording a problem. */
static ssize_t read_chunk(struct csv_reader *r)
{
	ssize_t n = content_read(r->in, r->buf, READ_CHUNK);
	if (n < 0) {
		const char *msg;
		enum content_problem p = content_problem(r->in, &msg);
		set_problem(r,
			    p == CONTENT_EGZIP	 ? CSV_EGZIP
			    : p == CONTENT_EREAD ? CSV_EREAD
						 : CSV_ENOMEM,
			    "%s", msg);
		return -1;
	}
	if (r->first_chunk) {
		r->first_chunk = false;
		r->compressed = content_compressed(r->in);
	}
	r->bytes += (uint64_t)n;
	if (r->hash)
		sha256_update(r->hash, r->buf, (size_t)n);
	if (r->lim.max_bytes && r->bytes > r->lim.max_bytes) {
		set_problem(r, CSV_EBYTES, "content is larger than the %" PRIu64 "-byte limit",
			    r->lim.max_bytes);
		return -1;
	}
	return n;
}

/* The encoding of text that is not UTF-8 but UTF-16 or UTF-32, from
 * its first bytes: a byte order mark, or else the NUL bytes such text
 * puts beside every ASCII character (a header starts with one). NULL
 * for anything else, which the UTF-8 checks then judge. */
static const char *wide_encoding(const unsigned char *p, size_t len)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *name;
	} marks[] = {
		/* UTF-32LE first: its mark begins with UTF-16LE's. */
		{ "\xFF\xFE\x00\x00", 4, "UTF-32 (little-endian)" },
		{ "\x00\x00\xFE\xFF", 4, "UTF-32 (big-endian)" },
		{ "\xFF\xFE", 2, "UTF-16 (little-endian)" },
		{ "\xFE\xFF", 2, "UTF-16 (big-endian)" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
		if (len >= marks[i].len && !memcmp(p, marks[i].bytes, marks[i].len))
			return marks[i].name;
	if (len < 4)
		return NULL;
	bool z[4] = { !p[0], !p[1], !p[2], !p[3] };
	if (!z[0] && z[1] && z[2] && z[3])
		return "UTF-32 (little-endian)";
	if (z[0] && z[1] && z[2] && !z[3])
		return "UTF-32 (big-endian)";
	if (!z[0] && z[1] && !z[2] && z[3])
		return "UTF-16 (little-endian)";
	if (z[0] && !z[1] && z[2] && !z[3])
		return "UTF-16 (big-endian)";
	return NULL;
}

/* Parse the whole input into batches; returns how the read ended. */
static enum csv_result produce(struct csv_reader *r)
{
	bool at_start = true;
	for (;;) {
		if (relay_stopped(r->relay))
			return CSV_STOPPED;
		ssize_t n = read_chunk(r);
		if (n < 0)
			return r->problem;
		if (n == 0)
			break;
		const char *p = r->buf;
		size_t len = (size_t)n;
		if (at_start) {
			at_start = false;
			if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
				r->had_bom = true;
				p += 3;
				len -= 3;
			}
			const char *wide = wide_encoding((const unsigned char *)p, len);
			if (wide) {
				set_problem(r, CSV_EENCODING,
					    "the file is %s, not UTF-8: save it as UTF-8", wide);
				r->problem_record = 0;
				return r->problem;
			}
		}
		size_t used = csv_parse(&r->parser, p, len, on_field, on_row, r);
		if (r->problem)
			return r->problem;
		if (used != len) {
			if (csv_error(&r->parser) == CSV_EPARSE)
				set_problem(r, CSV_EQUOTE,
					    "malformed quoting in field %zu: a quote inside an "
					    "unquoted field, or text after a closing quote",
					    r->cur_nfields + 1);
			else
				set_problem(r, CSV_ENOMEM, "out of memory");
			return r->problem;
		}
		if (csv_get_buffer_size(&r->parser) > r->lim.max_field_bytes) {
			set_problem(r, CSV_EFIELD,
				    "field %zu is longer than %zu bytes (an unclosed quote?)",
				    r->cur_nfields + 1, r->lim.max_field_bytes);
			return r->problem;
		}
	}
	if (csv_fini(&r->parser, on_field, on_row, r) != 0) {
		set_problem(r, CSV_EUNTERMINATED,
			    "quoted field %zu is not closed before the end of the file",
			    r->cur_nfields + 1);
		return r->problem;
	}
	if (r->cr_open) /* the file's last byte */
		bare_cr(r);
	if (r->hash && !r->problem) {
		sha256_final(r->hash, r->digest);
		r->have_digest = true;
	}
	return r->problem ? r->problem : CSV_DONE;
}

static void *producer_main(void *arg)
{
	struct csv_reader *r = arg;
	enum csv_result res = produce(r);
	if (res != CSV_DONE && !r->problem)
		r->problem = res; /* CSV_STOPPED */
	ship_batch(r, true);
	return NULL;
}

/* ---- consumer ------------------------------------------------------------ */

enum csv_result csv_reader_run(struct csv_reader *r, csv_row_fn fn, void *ctx)
{
	pthread_t producer;
	r->cur = relay_take_empty(r->relay);
	if (pthread_create(&producer, NULL, producer_main, r) != 0) {
		set_problem(r, CSV_ENOMEM, "cannot start the reader thread");
		return r->problem;
	}
	bool stopped = false;
	for (;;) {
		struct batch *b = relay_take_full(r->relay);
		for (size_t i = 0; i < b->nrows && !stopped; i++) {
			const struct batch_row *br = &b->rows[i];
			if (!grow_array((void **)&r->fields, &r->fields_cap, br->nstored + 1,
					sizeof(*r->fields))) {
				stopped = true;
				break;
			}
			/* The UTF-8 scan runs here, on the consumer's core: the
			 * producer's libcsv pass is the longer of the two. */
			for (size_t k = 0; k < br->nstored; k++) {
				const struct field_span *sp = &b->spans[br->first_span + k];
				struct csv_field *f = &r->fields[k];
				f->data = b->arena + sp->off;
				f->len = sp->len;
				f->text = (uint8_t)text_scan(f->data, f->len, &f->codepoints);
			}
			struct csv_row row = {
				.record = br->record,
				.nfields = br->nfields,
				.nstored = br->nstored,
				.fields = r->fields,
			};
			if (fn(ctx, &row) != 0) {
				stopped = true;
				relay_stop(r->relay);
			}
		}
		bool last = b->last;
		relay_give_back(r->relay, b);
		if (last)
			break;
	}
	pthread_join(producer, NULL);
	if (stopped)
		return CSV_STOPPED;
	return r->problem == CSV_STOPPED ? CSV_DONE : r->problem;
}

/* ---- set-up -------------------------------------------------------------- */

int csv_reader_open_fd(struct csv_reader **out, int fd, const char *name,
		       const struct csv_limits *limits, struct err *e)
{
	int rc = 0;
	struct stat st;
	struct csv_reader *r = NULL;

	if (fstat(fd, &st) != 0) {
		rc = err_sys(e, KASI_ENOINPUT, "cannot read '%s'", name);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(e, KASI_ENOINPUT, "cannot read '%s': not a regular file", name);
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->buf = malloc(READ_CHUNK)) || !(r->name = strdup(name))) {
		rc = err_set(e, KASI_EIO, "out of memory");
		goto out;
	}
	void *blocks[NBATCH];
	for (int i = 0; i < NBATCH; i++) {
		/* Sized once for a full batch, so the hot path never grows them. */
		struct batch *b = &r->batches[i];
		if (!grow_array((void **)&b->arena, &b->arena_cap, BATCH_BYTES + 64 * 1024, 1) ||
		    !grow_array((void **)&b->rows, &b->rows_cap, BATCH_ROWS + 1,
				sizeof(*b->rows)) ||
		    !grow_array((void **)&b->spans, &b->spans_cap, BATCH_ROWS * 16,
				sizeof(*b->spans))) {
			rc = err_set(e, KASI_EIO, "out of memory");
			goto out;
		}
		blocks[i] = b;
	}
	if (!(r->relay = relay_new(blocks, NBATCH))) {
		rc = err_set(e, KASI_EIO, "out of memory");
		goto out;
	}

	r->lim = *limits;
	if (!r->lim.max_field_bytes)
		r->lim.max_field_bytes = CSV_DEFAULT_MAX_FIELD_BYTES;
	if (!r->lim.max_fields)
		r->lim.max_fields = CSV_DEFAULT_MAX_FIELDS;
	r->max_row_bytes = r->lim.max_field_bytes * ROW_BYTES_FACTOR;
	r->first_chunk = true;
	if (r->lim.sha256 && !(r->hash = sha256_new())) {
		rc = err_set(e, KASI_EIO, "cannot start a SHA-256 digest");
		goto out;
	}

	rc = content_open(&r->in, fd, e);
	fd = -1; /* the content's now, even on failure */
	if (rc)
		goto out;

	if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) {
		rc = err_set(e, KASI_EIO, "out of memory");
		goto out;
	}
	r->parser_ready = true;
	csv_set_space_func(&r->parser, never_space);
	csv_set_blk_size(&r->parser, LIBCSV_BLOCK);
out:
	if (fd >= 0)
		close(fd);
	if (rc) {
		csv_reader_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

int csv_reader_open(struct csv_reader **out, const char *path, const struct csv_limits *limits,
		    struct err *e)
{
	int fd;
	int rc = input_open(path, &fd, e);
	if (rc) {
		*out = NULL;
		return rc;
	}
	return csv_reader_open_fd(out, fd, path, limits, e);
}

uint64_t csv_reader_problem_record(const struct csv_reader *r)
{
	return r->problem_record;
}

const char *csv_reader_problem(const struct csv_reader *r)
{
	return r->problem_msg;
}

uint64_t csv_reader_bytes(const struct csv_reader *r)
{
	return r->bytes;
}

uint64_t csv_reader_records(const struct csv_reader *r)
{
	return r->record;
}

bool csv_reader_compressed(const struct csv_reader *r)
{
	return r->compressed;
}

bool csv_reader_had_bom(const struct csv_reader *r)
{
	return r->had_bom;
}

bool csv_reader_sha256(const struct csv_reader *r, uint8_t digest[32])
{
	if (!r->have_digest)
		return false;
	memcpy(digest, r->digest, SHA256_BYTES);
	return true;
}

void csv_reader_free(struct csv_reader *r)
{
	if (!r)
		return;
	if (r->parser_ready)
		csv_free(&r->parser);
	content_free(r->in);
	for (int i = 0; i < NBATCH; i++) {
		free(r->batches[i].arena);
		free(r->batches[i].spans);
		free(r->batches[i].rows);
	}
	relay_free(r->relay);
	sha256_free(r->hash);
	free(r->buf);
	free(r->name);
	free(r->fields);
	free(r);
}

/* libcsv has no call that tells its version: this is the one kasi was
 * built against. */
#define CSV_STR(x)	     #x
#define CSV_VERSION(x, y, z) CSV_STR(x) "." CSV_STR(y) "." CSV_STR(z)

const char *csv_libcsv_version(void)
{
	return CSV_VERSION(CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
}
