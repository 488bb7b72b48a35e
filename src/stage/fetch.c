/*
 * fetch.c — pulling a job's new files into its inbox (see fetch.h).
 *
 * The two sources, SFTP and a local directory, are one interface here
 * (struct source): listed, fetched into a descriptor, removed or moved.
 */
#include "core/common.h"
#include "core/dates.h"
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

static int local_fetch(const struct job *job, const struct sftp_entry *entry, int fd,
		       void (*chunk)(void *ctx, const void *data, size_t n), void *ctx,
		       uint64_t *copied, struct sftp_entry *now, struct err *e)
{
	char path[PATH_MAX], buf[64 * 1024], shown[TEXT_NAME_BUFSZ];
	text_name(entry->name, shown);
	*copied = 0;
	*now = *entry;
	if (!path_join(path, sizeof(path), job->remote_dir, entry->name))
		return err_set(e, KASI_ENOINPUT, "the path of %s is too long", shown);
	/* Not followed if it became a link since it was listed. */
	int in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	if (in < 0)
		return err_sys(e, KASI_ENOINPUT, "cannot read '%s/%s'", job->remote_dir, shown);
	if (fstat(in, &st) || !S_ISREG(st.st_mode)) {
		close(in);
		return err_set(
			e, KASI_ENOINPUT,
			"'%s/%s' is no longer a regular file (it changed since it was listed)",
			job->remote_dir, shown);
	}
	int rc = 0;
	for (;;) {
		ssize_t got = read(in, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = err_sys(e, KASI_ENOINPUT, "cannot read '%s/%s'", job->remote_dir,
				     shown);
			break;
		}
		if (got == 0)
			break;
		for (ssize_t off = 0; off < got;) {
			ssize_t w = write(fd, buf + off, (size_t)(got - off));
			if (w < 0 && errno != EINTR) {
				rc = err_sys(e, KASI_EIO, "cannot write the copy of %s", shown);
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
	/* Its size and time once read (see sftp_client_fetch). */
	if (!rc && fstat(in, &st) == 0) {
		now->size = (uint64_t)st.st_size;
		now->mtime = (int64_t)st.st_mtime;
	}
	close(in);
	return rc;
}

static int local_after_pull(const struct job *job, const char *name, struct err *e)
{
	char from[PATH_MAX], to[PATH_MAX], shown[TEXT_NAME_BUFSZ];
	text_name(name, shown);
	if (!path_join(from, sizeof(from), job->remote_dir, name) ||
	    !path_join(to, sizeof(to), job->move_dir, name))
		return err_set(e, KASI_EUNAVAILABLE, "the path of %s is too long", shown);
	if (job->after_pull == AFTER_DELETE)
		return unlink(from) ? err_sys(e, KASI_EUNAVAILABLE, "cannot remove '%s/%s'",
					      job->remote_dir, shown)
				    : 0;
	return rename(from, to) ? err_sys(e, KASI_EUNAVAILABLE, "cannot move '%s/%s' to '%s'",
					  job->remote_dir, shown, job->move_dir)
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

static int source_fetch(struct source *src, const struct sftp_entry *entry, int fd,
			void (*chunk)(void *ctx, const void *data, size_t n), void *ctx,
			uint64_t *copied, struct sftp_entry *now, struct err *e)
{
	return src->sftp ? sftp_client_fetch(src->sftp, src->job->remote_dir, entry, fd, chunk, ctx,
					     copied, now, e)
			 : local_fetch(src->job, entry, fd, chunk, ctx, copied, now, e);
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

/* t (UTC seconds) as 2026-10-20T08:00:00Z. */
static const char *utc_text(int64_t t, char out[32])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), secs = t - days * 86400;
	int y, m, d;
	date_to_civil((int32_t)days, &y, &m, &d);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(secs / 3600),
		 (int)(secs / 60 % 60), (int)(secs % 60));
	return out;
}

/* Whether the copy is the file as listed: all its bytes, and the file
 * still of the listed size and time once read (a file rewritten while it
 * was read, even at the same size, is not). Else *what is SKIPPED, with
 * the reason in e. */
static void check_copy(struct fetch_run *r, const struct sftp_entry *entry, uint64_t copied,
		       const struct sftp_entry *now, enum take *what)
{
	char shown[TEXT_NAME_BUFSZ], was[32], is[32];
	text_name(entry->name, shown);
	if (copied != entry->size) {
		*what = SKIPPED;
		err_set(r->e, KASI_EDATA,
			"%s changed while it was fetched (%" PRIu64 " bytes listed, %" PRIu64
			" read): not taken; the next run fetches it again",
			shown, entry->size, copied);
	} else if (now->size != entry->size || now->mtime != entry->mtime) {
		*what = SKIPPED;
		err_set(r->e, KASI_EDATA,
			"%s changed while it was fetched (listed: %" PRIu64 " bytes, modified %s; "
			"once read: %" PRIu64 " bytes, modified %s): not taken; the next run "
			"fetches it again",
			shown, entry->size, utc_text(entry->mtime, was), now->size,
			utc_text(now->mtime, is));
	}
}

/* Copy the entry to tmp (opened), synced; its SHA-256 into hex. A copy
 * that is not the file as listed is SKIPPED (see check_copy). */
static int download(struct fetch_run *r, const struct sftp_entry *entry, int fd, const char *tmp,
		    char hex[SHA256_HEX], enum take *what)
{
	struct sha256 *h = sha256_new();
	uint64_t copied = 0;
	uint8_t digest[SHA256_BYTES];
	struct sftp_entry now;
	int rc = h ? source_fetch(&r->src, entry, fd, hash_chunk, h, &copied, &now, r->e)
		   : err_set(r->e, KASI_EIO, "out of memory");
	if (!rc)
		check_copy(r, entry, copied, &now, what);
	if (!rc && *what == TAKEN && fsync(fd))
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

/* Create the download's temporary file, .NAME.part-PID: a name no other
 * process writes (the job's lock keeps a second fetch of the job out; a
 * file of that name is a leftover of a killed run that had this pid, and
 * is replaced). */
static int create_part(struct fetch_run *r, const char *inbox, const char *name, char *tmp,
		       size_t tmpsz, int *fd)
{
	char part[FETCH_NAME_MAX + 32], shown[TEXT_NAME_BUFSZ];
	snprintf(part, sizeof(part), ".%s.part-%ld", name, (long)getpid());
	if (!path_join(tmp, tmpsz, inbox, part))
		return err_set(r->e, KASI_EIO, "the inbox path of %s is too long",
			       text_name(name, shown));
	for (int tries = 0; tries < 2; tries++) {
		*fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (*fd >= 0 || errno != EEXIST || unlink(tmp))
			break;
	}
	return *fd < 0 ? err_sys(r->e, KASI_EIO, "cannot create '%s'", tmp) : 0;
}

/* Fetch one entry: to a temporary name in the inbox, checked, then moved
 * into place and recorded. */
static int take(struct fetch_run *r, const struct sftp_entry *entry, enum take *what)
{
	char tmp[PATH_MAX], final[PATH_MAX], inbox[PATH_MAX], hex[SHA256_HEX];
	char shown[TEXT_NAME_BUFSZ];
	text_name(entry->name, shown);
	int fd = -1;
	if (!path_join(inbox, sizeof(inbox), r->job->root, "inbox") ||
	    !path_join(final, sizeof(final), inbox, entry->name))
		return err_set(r->e, KASI_EIO, "the inbox path of %s is too long", shown);
	int rc = create_part(r, inbox, entry->name, tmp, sizeof(tmp), &fd);
	if (rc)
		return rc;
	*what = TAKEN;
	rc = download(r, entry, fd, tmp, hex, what);
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
				shown);
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
		log_info("%s: fetched %s (%" PRIu64 " bytes, sha256 %.16s)", r->job->name, shown,
			 entry->size, hex);
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

/* Whether the job's pattern takes a name job_takes_name called unsafe
 * before it looked: its bytes that are not UTF-8 read as U+FFFD (the
 * matcher wants UTF-8), its control characters as they are. */
static bool pattern_takes(struct fetch_run *r, const char *name)
{
	size_t n = strlen(name), k = 0;
	char *s = malloc(n * 3 + 1);
	if (!s)
		return true; /* then it is refused, not passed over unseen */
	for (size_t i = 0; i < n;) {
		size_t len = text_utf8_len(name + i, n - i);
		if (len) {
			memcpy(s + k, name + i, len);
			k += len;
			i += len;
		} else {
			memcpy(s + k, "\xEF\xBF\xBD", 3);
			k += 3;
			i++;
		}
	}
	bool takes = regex_match(r->job->pattern_re, r->matcher, s, k) == REGEX_MATCH;
	free(s);
	return takes;
}

/* Why an unsafe name is never taken. */
static const char *unsafe_why(const char *name)
{
	uint32_t cps;
	if (text_scan(name, strlen(name), &cps) != TEXT_OK)
		return "the name is not valid UTF-8 (its bad bytes shown as \\xNN), and such a "
		       "name is never taken";
	bool control = text_has_invisible_control(name, strlen(name));
	for (const char *c = name; *c && !control; c++)
		control = (unsigned char)*c < 0x20 || *c == 0x7f;
	if (control)
		return "the name holds a control character, or one that changes how the text "
		       "around it reads (shown escaped), and such a name is never taken";
	if (strchr(name, '/'))
		return "a name holding '/' is never taken";
	return "a name holding '..' is never taken";
}

/* Whether the entry is to be fetched. One the pattern does not take is
 * not the job's: passed over, said only at -v when its name is odd (it
 * would otherwise be counted every night). One it takes that kasi cannot
 * safely take is refused, and *why says why. */
static bool admit(struct fetch_run *r, const struct sftp_entry *entry, const char **why)
{
	bool unsafe;
	char shown[TEXT_NAME_BUFSZ];
	*why = NULL;
	if (job_takes_name(r->job, r->matcher, entry->name, &unsafe)) {
		if (!entry->regular)
			*why = "not a regular file (a directory, a link or a device)";
		else if (strlen(entry->name) > FETCH_NAME_MAX)
			*why = "a name longer than " FETCH_NAME_MAX_TEXT " bytes is never taken "
			       "(kasi makes longer names from it: its temporary copy, its "
			       "reports)";
		return !*why;
	}
	if (unsafe && pattern_takes(r, entry->name))
		*why = unsafe_why(entry->name);
	else if (unsafe)
		log_info("%s: passed over '%s': the job's pattern does not take it", r->job->name,
			 text_name(entry->name, shown));
	return false;
}

static int on_entry(void *ctx, const struct sftp_entry *entry)
{
	struct fetch_run *r = ctx;
	struct fetch_result *res = r->res;
	const char *why;
	char sha[SHA256_HEX], shown[TEXT_NAME_BUFSZ];
	if (!admit(r, entry, &why)) {
		if (why) {
			res->refused++;
			log_warn("%s: refused '%s': %s", r->job->name,
				 text_name(entry->name, shown), why);
		}
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
	if (rc == -KASI_ENOINPUT) {
		/* A file that is gone or cannot be read is that file's problem:
		 * the others are fetched all the same. */
		res->failed++;
		log_error("%s: %s; the next run tries it again", r->job->name, r->e->msg);
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
