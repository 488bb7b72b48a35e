/*
 * fetch.c — pulling a job's new files into its inbox (see fetch.h).
 *
 * The two sources, SFTP and a local directory, are one interface here
 * (struct source): listed, fetched into a descriptor, removed or moved.
 */
#include "core/common.h"
#include "core/log.h"
#include "core/text.h"
#include "io/digest.h"
#include "io/input.h"
#include "io/sftp.h"
#include "stage/fetch.h"

#include <dirent.h>

struct source {
	const struct job *job;
	struct sftp_client *sftp; /* NULL: a local directory */
};

/* ---- the local source ---------------------------------------------------------- */

static int local_list(const struct job *job, int (*fn)(void *ctx, const struct sftp_entry *entry),
		      void *ctx, struct err *e)
{
	DIR *d = opendir(job->remote_dir);
	if (!d)
		return err_sys(e, KASI_EUNAVAILABLE, "cannot list '%s'", job->remote_dir);
	int rc = 0;
	struct dirent *de;
	while (!rc && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char path[PATH_MAX];
		struct stat st;
		if (!path_join(path, sizeof(path), job->remote_dir, de->d_name) ||
		    lstat(path, &st)) /* too long, or gone meanwhile */
			continue;
		struct sftp_entry entry = {
			.name = de->d_name,
			.size = (uint64_t)st.st_size,
			.mtime = (int64_t)st.st_mtime,
			.regular = S_ISREG(st.st_mode),
		};
		rc = fn(ctx, &entry);
	}
	closedir(d);
	return rc;
}

static int local_fetch(const struct job *job, const char *name, int fd,
		       void (*chunk)(void *ctx, const void *data, size_t n), void *ctx,
		       uint64_t *copied, struct err *e)
{
	char path[PATH_MAX], buf[64 * 1024];
	*copied = 0;
	if (!path_join(path, sizeof(path), job->remote_dir, name))
		return err_set(e, KASI_EUNAVAILABLE, "the path of %s is too long", name);
	/* Not followed if it became a link since it was listed. */
	int in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	if (in < 0 || fstat(in, &st) || !S_ISREG(st.st_mode)) {
		if (in >= 0)
			close(in);
		return err_sys(e, KASI_EUNAVAILABLE, "cannot read '%s' as a regular file", path);
	}
	int rc = 0;
	for (;;) {
		ssize_t got = read(in, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = err_sys(e, KASI_EUNAVAILABLE, "cannot read '%s'", path);
			break;
		}
		if (got == 0)
			break;
		for (ssize_t off = 0; off < got;) {
			ssize_t w = write(fd, buf + off, (size_t)(got - off));
			if (w < 0 && errno != EINTR) {
				rc = err_sys(e, KASI_EIO, "cannot write the copy of %s", name);
				break;
			}
			off += w > 0 ? w : 0;
		}
		if (rc)
			break;
		if (chunk)
			chunk(ctx, buf, (size_t)got);
		*copied += (uint64_t)got;
	}
	close(in);
	return rc;
}

static int local_after_pull(const struct job *job, const char *name, struct err *e)
{
	char from[PATH_MAX], to[PATH_MAX];
	if (!path_join(from, sizeof(from), job->remote_dir, name) ||
	    !path_join(to, sizeof(to), job->move_dir, name))
		return err_set(e, KASI_EUNAVAILABLE, "the path of %s is too long", name);
	if (job->after_pull == AFTER_DELETE)
		return unlink(from) ? err_sys(e, KASI_EUNAVAILABLE, "cannot remove '%s'", from) : 0;
	return rename(from, to) ? err_sys(e, KASI_EUNAVAILABLE, "cannot move '%s' to '%s'", from,
					  job->move_dir)
				: 0;
}

/* ---- either source -------------------------------------------------------------- */

static int source_open(struct source *src, const struct job *job, struct err *e)
{
	src->job = job;
	if (job->source == JOB_LOCAL)
		return 0;
	struct sftp_target t = { job->host,	   job->user, job->identity,
				 job->known_hosts, job->port, job->timeout };
	return sftp_client_open(&src->sftp, &t, e);
}

static void source_close(struct source *src)
{
	sftp_client_close(src->sftp);
	src->sftp = NULL;
}

static int source_list(struct source *src, int (*fn)(void *ctx, const struct sftp_entry *entry),
		       void *ctx, struct err *e)
{
	return src->sftp ? sftp_client_list(src->sftp, src->job->remote_dir, fn, ctx, e)
			 : local_list(src->job, fn, ctx, e);
}

static int source_fetch(struct source *src, const char *name, int fd,
			void (*chunk)(void *ctx, const void *data, size_t n), void *ctx,
			uint64_t *copied, struct err *e)
{
	return src->sftp ? sftp_client_fetch(src->sftp, src->job->remote_dir, name, fd, chunk, ctx,
					     copied, e)
			 : local_fetch(src->job, name, fd, chunk, ctx, copied, e);
}

static int source_after_pull(struct source *src, const char *name, struct err *e)
{
	const struct job *job = src->job;
	if (job->after_pull == AFTER_KEEP)
		return 0;
	if (!src->sftp)
		return local_after_pull(job, name, e);
	return job->after_pull == AFTER_DELETE
		       ? sftp_client_remove(src->sftp, job->remote_dir, name, e)
		       : sftp_client_move(src->sftp, job->remote_dir, name, job->move_dir, e);
}

/* ---- the root ----------------------------------------------------------------------- */

static int make_dir(const char *path, struct err *e)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return err_sys(e, KASI_EIO, "cannot create '%s'", path);
}

/* The root and any missing parent of it (as mkdir -p; the root itself
 * 0700, its parents 0755). */
static int make_root(const char *root, struct err *e)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s", root) >= (int)sizeof(path))
		return err_set(e, KASI_ECONFIG, "the root '%s' is too long", root);
	for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) && errno != EEXIST) {
			int rc = err_sys(e, KASI_EIO, "cannot create '%s' (for the root '%s')",
					 path, root);
			return rc;
		}
		*slash = '/';
	}
	return make_dir(path, e);
}

int fetch_prepare_root(const struct job *job, struct err *e)
{
	static const char *const dirs[] = { "inbox", "processed", "discrepancies", "error",
					    "reports" };
	int rc = make_root(job->root, e);
	for (size_t i = 0; !rc && i < ARRAY_SIZE(dirs); i++) {
		char path[PATH_MAX];
		rc = path_join(path, sizeof(path), job->root, dirs[i])
			     ? make_dir(path, e)
			     : err_set(e, KASI_ECONFIG, "the root '%s' is too long", job->root);
	}
	return rc;
}

/* ---- one file ------------------------------------------------------------------------ */

struct fetch_run {
	struct store *s;
	const struct job *job;
	struct source src;
	struct fetch_result *res;
	struct regex_matcher *matcher;
	struct err *e;
};

/* What became of one file. */
enum take {
	TAKEN,	 /* in the inbox, recorded */
	KNOWN,	 /* the same content was fetched before: recorded, not kept */
	SKIPPED, /* not taken this time (it changed while read; the inbox holds
		  * another file of its name): the next run tries again */
};

static void hash_chunk(void *ctx, const void *data, size_t n)
{
	sha256_update(ctx, data, n);
}

/* The SHA-256 of a file in the inbox, or "" when it cannot be read. */
static void file_sha256(const char *path, char hex[SHA256_HEX])
{
	uint8_t digest[SHA256_BYTES], buf[64 * 1024];
	hex[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct sha256 *h = fd >= 0 ? sha256_new() : NULL;
	ssize_t got = 0;
	while (h && (got = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(h, buf, (size_t)got);
	if (h && got == 0) {
		sha256_final(h, digest);
		sha256_hex(digest, hex);
	}
	sha256_free(h);
	if (fd >= 0)
		close(fd);
}

/* Copy the entry to tmp, synced; its SHA-256 into hex. A copy whose size
 * is not the listed one is SKIPPED (*what), with the reason in e. */
static int download(struct fetch_run *r, const struct sftp_entry *entry, const char *tmp,
		    char hex[SHA256_HEX], enum take *what)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_sys(r->e, KASI_EIO, "cannot create '%s'", tmp);
	struct sha256 *h = sha256_new();
	uint64_t copied = 0;
	uint8_t digest[SHA256_BYTES];
	int rc = h ? source_fetch(&r->src, entry->name, fd, hash_chunk, h, &copied, r->e)
		   : err_set(r->e, KASI_EIO, "out of memory");
	if (!rc && copied != entry->size) {
		*what = SKIPPED;
		err_set(r->e, KASI_EDATA,
			"%s changed while it was fetched (%" PRIu64 " bytes listed, %" PRIu64
			" read): not taken; the next run fetches it again",
			entry->name, entry->size, copied);
	}
	if (!rc && fsync(fd))
		rc = err_sys(r->e, KASI_EIO, "cannot sync '%s'", tmp);
	if (close(fd) && !rc)
		rc = err_sys(r->e, KASI_EIO, "cannot write '%s'", tmp);
	if (h && !rc) {
		sha256_final(h, digest);
		sha256_hex(digest, hex);
	}
	sha256_free(h);
	return rc;
}

/* Fetch one entry: to a temporary name in the inbox, checked, then moved
 * into place and recorded. */
static int take(struct fetch_run *r, const struct sftp_entry *entry, enum take *what)
{
	char tmp[PATH_MAX], final[PATH_MAX], inbox[PATH_MAX], part[300], hex[SHA256_HEX];
	snprintf(part, sizeof(part), ".%s.part", entry->name);
	if (!path_join(inbox, sizeof(inbox), r->job->root, "inbox") ||
	    !path_join(tmp, sizeof(tmp), inbox, part) ||
	    !path_join(final, sizeof(final), inbox, entry->name))
		return err_set(r->e, KASI_EIO, "the inbox path of %s is too long", entry->name);
	*what = TAKEN;
	int rc = download(r, entry, tmp, hex, what);
	int known = rc || *what != TAKEN
			    ? 0
			    : store_fetched_content(r->s, r->job->name, entry->name, hex, r->e);
	if (known < 0)
		rc = known;
	if (known > 0)
		*what = KNOWN;
	/* A file of that name still in the inbox, not yet processed: the
	 * same content is the same file; other content waits for it. */
	char there[SHA256_HEX];
	if (!rc && *what == TAKEN && access(final, F_OK) == 0) {
		file_sha256(final, there);
		if (strcmp(there, hex)) {
			*what = SKIPPED;
			err_set(r->e, KASI_EDATA,
				"the inbox holds another %s, not processed yet: this one waits for "
				"the next run",
				entry->name);
		}
	}
	if (!rc && *what == TAKEN && rename(tmp, final))
		rc = err_sys(r->e, KASI_EIO, "cannot move '%s' into place", tmp);
	if (rc || *what != TAKEN)
		unlink(tmp);
	if (!rc && *what == TAKEN)
		rc = input_sync_dir(inbox, r->e);
	/* Recorded only once it is in place: a kill before this fetches it
	 * again, and the inbox's copy of the same content is kept. */
	if (!rc && *what != SKIPPED)
		rc = store_fetched_add(r->s, r->job->name, entry->name, entry->size, entry->mtime,
				       hex, r->e);
	if (!rc && *what == TAKEN)
		log_info("%s: fetched %s (%" PRIu64 " bytes, sha256 %.16s)", r->job->name,
			 entry->name, entry->size, hex);
	return rc;
}

/* The job's after_pull for a file fetched (now or before). Its failure is
 * the file's, not the run's: counted, logged, and tried again next run. */
static void after_pull(struct fetch_run *r, const char *name)
{
	struct err after = { 0 };
	if (r->job->after_pull == AFTER_KEEP || !source_after_pull(&r->src, name, &after))
		return;
	r->res->failed++;
	log_warn("%s: %s (it is fetched, not fetched again; the next run tries this again)",
		 r->job->name, after.msg);
}

static void note_name(struct fetch_result *res, const char *name)
{
	if (res->nnames < FETCH_NAMES_SHOWN &&
	    (res->names || (res->names = calloc(FETCH_NAMES_SHOWN, sizeof(*res->names)))))
		snprintf(res->names[res->nnames++], sizeof(*res->names), "%s", name);
}

static int on_entry(void *ctx, const struct sftp_entry *entry)
{
	struct fetch_run *r = ctx;
	struct fetch_result *res = r->res;
	bool unsafe;
	char sha[SHA256_HEX];
	if (!job_takes_name(r->job, r->matcher, entry->name, &unsafe)) {
		if (unsafe) {
			char shown[TEXT_RENDER_BUFSZ];
			res->refused++;
			log_warn("%s: refused '%s': a name holding '/', '..' or a control "
				 "character is never taken",
				 r->job->name, text_value(entry->name, shown));
		}
		return 0;
	}
	if (!entry->regular) {
		res->refused++;
		log_warn("%s: refused %s: not a regular file (a directory, a link or a device)",
			 r->job->name, entry->name);
		return 0;
	}
	int found = store_fetched_find(r->s, r->job->name, entry->name, entry->size, entry->mtime,
				       sha, r->e);
	if (found < 0)
		return found;
	if (found) {
		/* Fetched before, and still on the server: an after_pull that
		 * failed then is done now. */
		res->known++;
		after_pull(r, entry->name);
		return 0;
	}
	enum take what;
	int rc = take(r, entry, &what);
	if (rc == -KASI_EUNAVAILABLE && !r->src.sftp) {
		/* A local file that cannot be read is that file's problem. */
		res->failed++;
		log_error("%s: %s", r->job->name, r->e->msg);
		return 0;
	}
	if (rc)
		return rc;
	switch (what) {
	case TAKEN:
		res->fetched++;
		note_name(res, entry->name);
		break;
	case KNOWN: res->known++; break;
	case SKIPPED:
		res->failed++;
		log_warn("%s: %s", r->job->name, r->e->msg);
		return 0;
	}
	after_pull(r, entry->name);
	return 0;
}

int fetch_job(struct store *s, const struct job *job, struct fetch_result *res, struct err *e)
{
	struct fetch_run r = { .s = s, .job = job, .res = res, .e = e };
	memset(res, 0, sizeof(*res));
	int rc = fetch_prepare_root(job, e);
	if (!rc && !(r.matcher = regex_matcher_new()))
		rc = err_set(e, KASI_EIO, "out of memory");
	if (!rc)
		rc = source_open(&r.src, job, e);
	if (!rc)
		rc = source_list(&r.src, on_entry, &r, e);
	source_close(&r.src);
	regex_matcher_free(r.matcher);
	return rc;
}

void fetch_result_release(struct fetch_result *res)
{
	free(res->names);
	res->names = NULL;
	res->nnames = 0;
}
