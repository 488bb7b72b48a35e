/*
 * report.c — CSV reports (see report.h).
 *
 * Rows go through a FILE (plain) or a gzFile (--gzip) onto a temporary
 * file beside the target, created O_EXCL with mode 0600; report_close()
 * flushes, fsyncs, renames it over the target and fsyncs the directory,
 * so the report appears complete or not at all. What the path names
 * decides where the rows go:
 *
 *   nothing yet, a regular file   the temporary file, renamed over it
 *   a symbolic link               the same, over the file it points to:
 *                                 the link stays a link
 *   "-", a character device, a    straight through, as the rows come (no
 *   FIFO                          temporary file, no rename: /dev/null
 *                                 stays a device)
 *   a directory                   refused, a usage mistake (-KASI_EUSAGE)
 *   anything else, a link to      refused (-KASI_EIO)
 *   nothing
 *
 * Messages name the path the caller gave, never the temporary file.
 */
#include "core/common.h"
#include "stage/report.h"

#include <zlib.h>

struct report {
	char *path;   /* as given (with .gz appended): what messages name */
	char *target; /* the file renamed over: path, or the file its link names */
	char *tmp;    /* NULL: written straight through (a stream) */
	int fd;
	FILE *f;
	gzFile gz;
	bool failed;
};

/* A number as a spreadsheet reads one: [+-]digits[.digits]. */
static bool is_number(const char *s)
{
	size_t i = 0;
	if (s[i] == '-' || s[i] == '+')
		i++;
	size_t digits = strspn(s + i, "0123456789");
	if (!digits)
		return false;
	i += digits;
	if (s[i] == '.') {
		size_t frac = strspn(s + i + 1, "0123456789");
		if (!frac)
			return false;
		i += 1 + frac;
	}
	return s[i] == '\0';
}

bool report_to_stdout(const char *path)
{
	return !strcmp(path, "-");
}

/* Whether path names a stream: standard output, or (through any links)
 * a character device or a FIFO. */
bool report_is_stream(const char *path)
{
	struct stat st;
	return report_to_stdout(path) ||
	       (stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)));
}

/* What to call the report in a message: the path the caller gave. */
static const char *report_name(const struct report *r)
{
	return report_to_stdout(r->path) ? "standard output" : r->path;
}

size_t report_cell(const char *cell, char *out, size_t size)
{
	size_t n = 0;
	bool formula = strchr("=+-@\t\r", cell[0]) && cell[0] && !is_number(cell);
	bool quote = formula || strpbrk(cell, ",\"\r\n") != NULL;
#define PUT(c)                              \
	do {                                \
		if (n + 1 < size)           \
			out[n] = (char)(c); \
		n++;                        \
	} while (0)
	if (quote)
		PUT('"');
	if (formula)
		PUT('\'');
	for (const char *c = cell; *c; c++) {
		if (*c == '"')
			PUT('"');
		PUT(*c);
	}
	if (quote)
		PUT('"');
#undef PUT
	if (size)
		out[n < size ? n : size - 1] = '\0';
	return n;
}

/* Where a report at r->path goes (the table at the top): r->target set
 * for a file; neither it nor r->tmp for a stream. */
static int place(struct report *r, struct err *e)
{
	struct stat st, lst;
	const char *path = r->path;
	if (!*path)
		return err_set(e, KASI_EUSAGE,
			       "the report needs a file name (an empty path was given)");
	if (report_is_stream(path))
		return 0;
	if (stat(path, &st) != 0) {
		if (errno != ENOENT)
			return err_sys(e, KASI_EIO, "cannot write '%s'", path);
		if (lstat(path, &lst) == 0)
			return err_set(e, KASI_EIO,
				       "cannot write '%s': a symbolic link to a file that does not "
				       "exist",
				       path);
		r->target = strdup(path); /* new: its directory's absence is told by open */
	} else if (S_ISDIR(st.st_mode)) {
		return err_set(e, KASI_EUSAGE,
			       "'%s' is a directory: give the report a file name (e.g. '%s%s"
			       "report.csv')",
			       path, path, path[strlen(path) - 1] == '/' ? "" : "/");
	} else if (!S_ISREG(st.st_mode)) {
		return err_set(e, KASI_EIO,
			       "cannot write '%s': neither a file, a character device nor a FIFO",
			       path);
	} else if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		/* The file the link names is replaced; the link stays. */
		if (!(r->target = realpath(path, NULL)))
			return err_sys(e, KASI_EIO, "cannot write '%s'", path);
	} else {
		r->target = strdup(path);
	}
	if (!r->target || asprintf(&r->tmp, "%s.tmp-%d", r->target, (int)getpid()) < 0) {
		r->tmp = NULL;
		return err_set(e, KASI_EIO, "out of memory");
	}
	return 0;
}

int report_open(struct report **out, const char *path, bool gzip, char *final_path,
		size_t final_size, struct err *e)
{
	struct report *r = calloc(1, sizeof(*r));
	*out = NULL;
	if (!r)
		return err_set(e, KASI_EIO, "out of memory");
	r->fd = -1;
	/* A stream takes what it is given: no .gz is appended to a device. */
	bool stream = report_is_stream(path);
	size_t len = strlen(path);
	bool has_gz = len > 3 && !strcmp(path + len - 3, ".gz");
	if (asprintf(&r->path, "%s%s", path, gzip && !has_gz && !stream ? ".gz" : "") < 0) {
		free(r);
		return err_set(e, KASI_EIO, "out of memory");
	}
	int rc = place(r, e);
	if (rc) {
		report_abort(r);
		return rc;
	}
	snprintf(final_path, final_size, "%s", r->path);
	if (report_to_stdout(r->path))
		r->fd = dup(STDOUT_FILENO);
	else if (!r->tmp)
		r->fd = open(r->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	else
		r->fd = open(r->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (r->fd < 0) {
		rc = err_sys(e, KASI_EIO, "cannot create '%s'", report_name(r));
		free(r->tmp); /* not ours to remove */
		r->tmp = NULL;
		report_abort(r);
		return rc;
	}
	if (gzip) {
		int fd2 = dup(r->fd);
		r->gz = fd2 >= 0 ? gzdopen(fd2, "wb") : NULL;
		if (!r->gz && fd2 >= 0)
			close(fd2);
	} else {
		int fd2 = dup(r->fd);
		r->f = fd2 >= 0 ? fdopen(fd2, "w") : NULL;
		if (!r->f && fd2 >= 0)
			close(fd2);
	}
	if (!r->gz && !r->f) {
		report_abort(r);
		return err_set(e, KASI_EIO, "cannot write '%s': out of memory", path);
	}
	*out = r;
	return 0;
}

static void put(struct report *r, const char *s, size_t n)
{
	if (r->gz)
		r->failed |= gzwrite(r->gz, s, (unsigned)n) != (int)n;
	else
		r->failed |= fwrite_unlocked(s, 1, n, r->f) != n;
}

/* A row is put together here and written in one piece: a write a cell
 * was most of a million-row report's time. */
int report_row(struct report *r, const char *const *cells, size_t n, struct err *e)
{
	char buf[4096];
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		const char *cell = cells[i] ? cells[i] : "";
		size_t room = sizeof(buf) - used;
		if (i && room > 1) {
			buf[used++] = ',';
			room--;
		}
		size_t need = report_cell(cell, buf + used, room);
		if (need < room) {
			used += need;
			continue;
		}
		/* Too long for the line buffer: what is there, then this cell. */
		put(r, buf, used);
		used = 0;
		if (i && !(room > 1))
			put(r, ",", 1);
		char *big = malloc(need + 1);
		if (!big)
			return err_set(e, KASI_EIO, "out of memory");
		report_cell(cell, big, need + 1);
		put(r, big, need);
		free(big);
	}
	if (used == sizeof(buf)) {
		put(r, buf, used);
		used = 0;
	}
	buf[used++] = '\n';
	put(r, buf, used);
	return r->failed ? err_sys(e, KASI_EIO, "cannot write '%s'", report_name(r)) : 0;
}

int report_text(struct report *r, const char *text, size_t n, struct err *e)
{
	put(r, text, n);
	return r->failed ? err_sys(e, KASI_EIO, "cannot write '%s'", report_name(r)) : 0;
}

int report_close(struct report *r, struct err *e)
{
	int rc = 0;
	if (r->gz) {
		if (gzclose_w(r->gz) != Z_OK)
			r->failed = true;
		r->gz = NULL;
	} else if (r->f) {
		if (fclose(r->f) != 0)
			r->failed = true;
		r->f = NULL;
	}
	/* A stream (standard output, a device, a FIFO) is a pipe or a
	 * terminal as often as a file: what reaches it is the reader's to
	 * keep (no fsync, no rename). */
	if (r->failed || (r->tmp && fsync(r->fd) != 0)) {
		rc = err_sys(e, KASI_EIO, "cannot write '%s'", report_name(r));
		report_abort(r);
		return rc;
	}
	close(r->fd);
	r->fd = -1;
	if (!r->tmp) {
		report_abort(r); /* nothing left to remove: frees */
		return 0;
	}
	if (rename(r->tmp, r->target) != 0) {
		rc = err_sys(e, KASI_EIO, "cannot write '%s' (putting it in place)", r->path);
		report_abort(r);
		return rc;
	}
	/* The rename is durable once the directory is synced. */
	char *dir = strdup(r->target);
	if (dir) {
		char *slash = strrchr(dir, '/');
		const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
		int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	free(r->tmp);
	r->tmp = NULL; /* renamed: nothing to remove */
	report_abort(r);
	return 0;
}

void report_abort(struct report *r)
{
	if (!r)
		return;
	if (r->gz)
		gzclose_w(r->gz);
	if (r->f)
		fclose(r->f);
	if (r->fd >= 0)
		close(r->fd);
	if (r->tmp)
		unlink(r->tmp);
	free(r->path);
	free(r->target);
	free(r->tmp);
	free(r);
}
