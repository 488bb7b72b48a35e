/*
 * job.c — reading and checking a job file (see job.h).
 */
#include "core/common.h"
#include "core/ini.h"
#include "core/text.h"
#include "io/input.h"
#include "io/sftp.h"
#include "stage/job.h"

/* The keys, and which source each belongs to. */
enum key_use { FOR_BOTH, FOR_SFTP };
struct job_key {
	const char *name;
	enum key_use use;
	bool required;
};

static const struct job_key keys[] = {
	{ "name", FOR_BOTH, true },	   { "source", FOR_BOTH, true },
	{ "host", FOR_SFTP, true },	   { "port", FOR_SFTP, false },
	{ "user", FOR_SFTP, true },	   { "identity", FOR_SFTP, true },
	{ "known_hosts", FOR_SFTP, true }, { "remote_dir", FOR_BOTH, true },
	{ "pattern", FOR_BOTH, true },	   { "schema", FOR_BOTH, true },
	{ "root", FOR_BOTH, true },	   { "deadline", FOR_BOTH, true },
	{ "after_pull", FOR_BOTH, true },  { "notify", FOR_BOTH, false },
	{ "timeout", FOR_BOTH, false },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct job_parse {
	struct job *job;
	struct err *e;
	char dir[PATH_MAX]; /* the job file's directory */
	int line_of[NKEYS]; /* where each key was given; 0: not */
	int section_line;
	bool in_job;
};

static int bad(struct job_parse *p, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(struct job_parse *p, int line, const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(p->e, KASI_ECONFIG, "%s:%d: %s: %s", p->job->path, line, key, msg);
}

/* A path relative to the job file's directory, unless absolute. */
static int set_path(struct job_parse *p, int line, const char *key, const char *value, char *out)
{
	int n = value[0] == '/' ? snprintf(out, PATH_MAX, "%s", value)
				: snprintf(out, PATH_MAX, "%s/%s", p->dir, value);
	return n < 0 || n >= PATH_MAX ? bad(p, line, key, "the path is too long") : 0;
}

static int whole_number(struct job_parse *p, int line, const char *key, const char *value, long lo,
			long hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (!*value || *end || errno || v < lo || v > hi)
		return bad(p, line, key, "a whole number from %ld to %ld, got '%s'", lo, hi, value);
	*out = (int)v;
	return 0;
}

static bool is_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-'))
			return false;
	return true;
}

/* A value with no control character and no space: a user, a schema. */
static bool is_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* A host name (letters, digits, '.', '-', '_'), an IPv4 address, or an
 * IPv6 one (hex digits and two or more ':'). Never "host:PORT" (the port
 * is its own key) nor "user@host", which the SSH library would take
 * apart; never a leading '-', which a tool would take for an option. */
static bool is_host(const char *s)
{
	size_t colons = 0;
	for (const char *c = s; *c; c++)
		colons += *c == ':';
	if (!*s || *s == '-' || colons == 1)
		return false;
	for (const char *c = s; *c; c++) {
		bool ok =
			colons ? isxdigit((unsigned char)*c) || *c == ':' || *c == '.'
			       : isalnum((unsigned char)*c) || *c == '.' || *c == '-' || *c == '_';
		if (!ok)
			return false;
	}
	return true;
}

static int set_deadline(struct job_parse *p, int line, const char *value)
{
	/* Exactly HH:MM, four digits: sscanf would take "07:5x" for 07:05. */
	bool shaped = strlen(value) == 5 && value[2] == ':';
	for (int i = 0; shaped && i < 5; i++)
		shaped = i == 2 || isdigit((unsigned char)value[i]);
	int h = shaped ? (value[0] - '0') * 10 + (value[1] - '0') : -1;
	int m = shaped ? (value[3] - '0') * 10 + (value[4] - '0') : -1;
	if (!shaped || h > 23 || m > 59)
		return bad(p, line, "deadline", "a time of day as HH:MM (SAST), got '%s'", value);
	p->job->deadline_minutes = h * 60 + m;
	return 0;
}

static int set_after_pull(struct job_parse *p, int line, const char *value)
{
	struct job *j = p->job;
	if (!strcmp(value, "keep")) {
		j->after_pull = AFTER_KEEP;
	} else if (!strcmp(value, "delete")) {
		j->after_pull = AFTER_DELETE;
	} else if (!strncmp(value, "move:", 5) && value[5] && is_word(value + 5)) {
		j->after_pull = AFTER_MOVE;
		snprintf(j->move_dir, sizeof(j->move_dir), "%s", value + 5);
	} else {
		return bad(p, line, "after_pull", "keep, delete or move:DIR, got '%s'", value);
	}
	return 0;
}

static int set_pattern(struct job_parse *p, int line, const char *value)
{
	struct err re = { 0 };
	struct job *j = p->job;
	if (snprintf(j->pattern, sizeof(j->pattern), "%s", value) >= (int)sizeof(j->pattern))
		return bad(p, line, "pattern", "longer than %zu characters",
			   sizeof(j->pattern) - 1);
	if (regex_compile(&j->pattern_re, value, strlen(value), &re))
		return bad(p, line, "pattern", "%s", re.msg);
	return 0;
}

/* One key's value into the job. */
static int set_key(struct job_parse *p, int line, const char *key, const char *value)
{
	struct job *j = p->job;
	if (!strcmp(key, "name"))
		return is_name(value) && strlen(value) < sizeof(j->name)
			       ? (snprintf(j->name, sizeof(j->name), "%s", value), 0)
			       : bad(p, line, key, "letters a-z, digits, '_' and '-', got '%s'",
				     value);
	if (!strcmp(key, "source")) {
		if (strcmp(value, "sftp") && strcmp(value, "local"))
			return bad(p, line, key, "sftp or local, got '%s'", value);
		j->source = !strcmp(value, "sftp") ? JOB_SFTP : JOB_LOCAL;
		return 0;
	}
	if (!strcmp(key, "host"))
		return is_host(value) && strlen(value) < sizeof(j->host)
			       ? (snprintf(j->host, sizeof(j->host), "%s", value), 0)
			       : bad(p, line, key,
				     "a host name or address alone (the port and the user are keys "
				     "of their own), got '%s'",
				     value);
	if (!strcmp(key, "user"))
		return is_word(value) && *value != '-' && strlen(value) < sizeof(j->user)
			       ? (snprintf(j->user, sizeof(j->user), "%s", value), 0)
			       : bad(p, line, key, "a user name, not starting with '-', got '%s'",
				     value);
	if (!strcmp(key, "port"))
		return whole_number(p, line, key, value, 1, 65535, &j->port);
	if (!strcmp(key, "timeout"))
		return whole_number(p, line, key, value, 1, 3600, &j->timeout);
	if (!strcmp(key, "identity"))
		return set_path(p, line, key, value, j->identity);
	if (!strcmp(key, "known_hosts"))
		return set_path(p, line, key, value, j->known_hosts);
	if (!strcmp(key, "root"))
		return set_path(p, line, key, value, j->root);
	if (!strcmp(key, "notify"))
		return set_path(p, line, key, value, j->notify);
	if (!strcmp(key, "remote_dir")) {
		if (!*value)
			return bad(p, line, key, "a directory is required");
		return snprintf(j->remote_dir, sizeof(j->remote_dir), "%s", value) <
				       (int)sizeof(j->remote_dir)
			       ? 0
			       : bad(p, line, key, "too long");
	}
	if (!strcmp(key, "pattern"))
		return set_pattern(p, line, value);
	if (!strcmp(key, "schema"))
		return is_word(value) && strlen(value) < sizeof(j->schema)
			       ? (snprintf(j->schema, sizeof(j->schema), "%s", value),
				  j->schema_line = line, 0)
			       : bad(p, line, key, "a schema's name, got '%s'", value);
	if (!strcmp(key, "deadline"))
		return set_deadline(p, line, value);
	return set_after_pull(p, line, value);
}

static int on_entry(void *ctx, const char *section, const char *key, const char *value, int line)
{
	struct job_parse *p = ctx;
	if (strcmp(section, "job"))
		return bad(p, line, key, "keys belong in a [job] section");
	size_t i = 0;
	while (i < NKEYS && strcmp(keys[i].name, key))
		i++;
	if (i == NKEYS)
		return bad(p, line, key,
			   "unknown key (name, source, host, port, user, identity, "
			   "known_hosts, remote_dir, pattern, schema, root, deadline, "
			   "after_pull, notify, timeout)");
	if (p->line_of[i])
		return bad(p, line, key, "given twice (first at line %d)", p->line_of[i]);
	p->line_of[i] = line;
	return set_key(p, line, key, value);
}

/* The private key: readable, kept from others (as ssh itself insists),
 * and not the public half. */
/* The job's key or known_hosts (key, at line): a regular file kasi can
 * read, its status in *st. */
static int readable_file(struct job_parse *p, int line, const char *key, const char *path,
			 struct stat *st)
{
	if (access(path, R_OK) || stat(path, st))
		return bad(p, line, key, "cannot read '%s': %s", path, strerror(errno));
	if (!S_ISREG(st->st_mode))
		return bad(p, line, key, "'%s' is %s: kasi reads it only from a regular file", path,
			   input_kind(st->st_mode));
	return 0;
}

static int check_identity(struct job_parse *p, const char *path)
{
	int line = p->line_of[5];
	struct stat st;
	char head[16] = "";
	int rc = readable_file(p, line, "identity", path, &st);
	if (rc)
		return rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n = fd >= 0 ? read(fd, head, sizeof(head) - 1) : -1;
	if (fd >= 0)
		close(fd);
	head[n > 0 ? n : 0] = '\0';
	if (!strncmp(head, "ssh-", 4) || !strncmp(head, "ecdsa-", 6))
		return bad(p, line, "identity",
			   "'%s' is a public key: name the private key (the file without .pub)",
			   path);
	if (st.st_mode & 077)
		return bad(p, line, "identity",
			   "'%s' can be read by others (mode %04o): a private key must be "
			   "0600 (chmod 600 '%s')",
			   path, (unsigned)(st.st_mode & 07777), path);
	struct err ke = { 0 };
	if (sftp_identity_check(path, &ke)) /* a passphrase: nobody types it at night */
		return bad(p, line, "identity", "%s", ke.msg);
	return 0;
}

/* The only trust store: a regular file kasi can read. One that is not
 * there is a misspelt path, said now: the refusal of a server it does
 * not know would advise appending its key to it, making the misspelt
 * file. (An empty one trusts nothing: the first fetch is refused with
 * the server key's fingerprint, to confirm and add.) */
static int check_known_hosts(struct job_parse *p, const char *path)
{
	int line = p->line_of[6];
	struct stat st;
	if (stat(path, &st) && errno == ENOENT)
		return bad(p, line, "known_hosts",
			   "'%s' does not exist: kasi trusts only the server keys listed in it "
			   "(give the path of the job's known_hosts, or make it with the "
			   "server's key once its fingerprint is confirmed with the partner)",
			   path);
	return readable_file(p, line, "known_hosts", path, &st);
}

/* The path with every link and "." or ".." resolved, as far as it
 * exists (the rest, not made yet, is added to it as written). */
static void resolve(const char *path, char out[PATH_MAX])
{
	char head[PATH_MAX], tail[PATH_MAX] = "";
	snprintf(head, sizeof(head), "%s", path);
	while (!realpath(head, out)) {
		/* head's last name is not there (yet): the rest of path, from it
		 * on, is added as written. */
		char *slash = strrchr(head, '/');
		snprintf(tail, sizeof(tail), "%s", path + (slash ? slash - head + 1 : 0));
		if (!slash) {
			if (!realpath(".", out))
				snprintf(out, PATH_MAX, "/");
			break;
		}
		slash[slash == head] = '\0';
	}
	for (char *name = tail, *next; *name; name = next) {
		next = name + strcspn(name, "/");
		if (*next)
			*next++ = '\0';
		size_t n = strlen(out), len = strlen(name);
		if (!len || !strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			char *up = strrchr(out, '/');
			if (up)
				up[up == out] = '\0';
		} else if (n + 1 + len < PATH_MAX) {
			if (out[n - 1] != '/')
				out[n++] = '/';
			memcpy(out + n, name, len + 1);
		}
	}
}

/* Whether the (resolved) path inner is outer or lies under it, name by
 * name: /srv/drop2 is not under /srv/drop. */
static bool path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);
	if (n == 1 && outer[0] == '/')
		return true;
	return !strncmp(inner, outer, n) && (inner[n] == '\0' || inner[n] == '/');
}

/* A local job's drop and its move: directory stay apart from the root,
 * whose folders kasi fills and empties: a drop inside them would fetch
 * kasi's own files back, a root inside the drop would offer kasi's folders
 * as the partner's, and a move: into the root or onto the drop itself
 * would never take a file away. */
static int check_local_paths(struct job_parse *p)
{
	const struct job *j = p->job;
	char root[PATH_MAX], drop[PATH_MAX], moved[PATH_MAX];
	resolve(j->root, root);
	resolve(j->remote_dir, drop);
	if (!strcmp(drop, root))
		return bad(p, p->line_of[7], "remote_dir",
			   "'%s' is the job's root: give the drop a directory of its own",
			   j->remote_dir);
	if (path_within(drop, root))
		return bad(p, p->line_of[7], "remote_dir",
			   "'%s' lies inside the job's root '%s', whose folders are kasi's: "
			   "give the drop a directory of its own",
			   j->remote_dir, j->root);
	if (path_within(root, drop))
		return bad(p, p->line_of[7], "remote_dir",
			   "'%s' holds the job's root '%s': give the drop a directory of its own",
			   j->remote_dir, j->root);
	if (j->after_pull != AFTER_MOVE)
		return 0;
	resolve(j->move_dir, moved);
	if (!strcmp(moved, drop))
		return bad(
			p, p->line_of[12], "after_pull",
			"move:'%s' is remote_dir itself: a file moved there would never leave it",
			j->move_dir);
	if (path_within(moved, root))
		return bad(p, p->line_of[12], "after_pull",
			   "move:'%s' lies inside the job's root '%s', whose folders are kasi's",
			   j->move_dir, j->root);
	return 0;
}

/* notify names a regular file kasi may execute (a directory is
 * "executable" to root, and would fail only at the end of the night). */
static int check_notify(struct job_parse *p, const char *path)
{
	int line = p->line_of[13];
	struct stat st;
	if (stat(path, &st))
		return bad(p, line, "notify", "'%s' is not a program kasi may run: %s", path,
			   strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bad(p, line, "notify",
			   "'%s' is not a program kasi may run: not a regular file", path);
	if (access(path, X_OK))
		return bad(p, line, "notify", "'%s' is not a program kasi may run: %s", path,
			   strerror(errno));
	return 0;
}

/* Every required key given, none of the other source's; the files the
 * paths name where they must exist. */
static int check_keys(struct job_parse *p, const char *text, size_t n)
{
	struct job *j = p->job;
	/* The line of [job], for what is missing: the first line naming it. */
	const char *at = memmem(text, n, "[job]", 5);
	int section = 1;
	for (const char *c = text; at && c < at; c++)
		section += *c == '\n';
	for (size_t i = 0; i < NKEYS; i++) {
		const struct job_key *k = &keys[i];
		bool applies = k->use == FOR_BOTH || j->source == JOB_SFTP;
		if (!applies && p->line_of[i])
			return bad(p, p->line_of[i], k->name,
				   "for sftp jobs only (source is local)");
		if (applies && k->required && !p->line_of[i])
			return bad(p, section, k->name, "missing: the [job] section needs it");
	}
	if (j->source == JOB_LOCAL && j->remote_dir[0] != '/') {
		/* A local directory, like every path, is the job file's. */
		char rel[PATH_MAX];
		memcpy(rel, j->remote_dir, sizeof(rel));
		if (set_path(p, p->line_of[7], "remote_dir", rel, j->remote_dir))
			return -KASI_ECONFIG;
	}
	if (j->source == JOB_LOCAL && j->after_pull == AFTER_MOVE && j->move_dir[0] != '/') {
		char rel[PATH_MAX];
		memcpy(rel, j->move_dir, sizeof(rel));
		if (set_path(p, p->line_of[12], "after_pull", rel, j->move_dir))
			return -KASI_ECONFIG;
	}
	if (j->source == JOB_SFTP) {
		int rc = check_identity(p, j->identity);
		if (!rc)
			rc = check_known_hosts(p, j->known_hosts);
		if (rc)
			return rc;
	}
	if (j->source == JOB_LOCAL) {
		int rc = check_local_paths(p);
		if (rc)
			return rc;
	}
	return *j->notify ? check_notify(p, j->notify) : 0;
}

int job_load(struct job *job, const char *path, struct err *e)
{
	memset(job, 0, sizeof(*job));
	job->port = 22;
	job->timeout = 30;
	snprintf(job->path, sizeof(job->path), "%s", path);
	struct job_parse p = { .job = job, .e = e };
	const char *slash = strrchr(path, '/');
	snprintf(p.dir, sizeof(p.dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (slash == path)
		snprintf(p.dir, sizeof(p.dir), "/");
	char *text = NULL;
	size_t n = 0;
	int rc = input_read_all(path, 64 * 1024, &text, &n, e);
	if (rc == -KASI_ENOINPUT)
		return rc;
	if (rc) /* the message names the file */
		return err_set(e, KASI_ECONFIG, "%s", e->msg);
	char msg[256];
	int line = 0;
	rc = ini_parse(text, n, on_entry, &p, &line, msg, sizeof(msg));
	if (rc == -1)
		rc = err_set(e, KASI_ECONFIG, "%s:%d: %s", path, line, msg);
	if (!rc)
		rc = check_keys(&p, text, n);
	free(text);
	return rc;
}

void job_release(struct job *job)
{
	regex_free(job->pattern_re);
	job->pattern_re = NULL;
}

int job_schema(const struct job *job, const struct schema_set *set, const struct schema **out,
	       struct err *e)
{
	*out = schema_set_find(set, job->schema);
	if (!*out)
		return err_set(e, KASI_ECONFIG, "%s:%d: schema: no schema named '%s' in %s",
			       job->path, job->schema_line, job->schema, set->dir);
	if (!(*out)->channel)
		return err_set(e, KASI_ECONFIG,
			       "%s:%d: schema: %s is not a channel's schema (a job pulls a "
			       "channel's files, which a run validates, ingests and reconciles)",
			       job->path, job->schema_line, job->schema);
	return 0;
}

bool job_takes_name(const struct job *job, struct regex_matcher *m, const char *name, bool *unsafe)
{
	size_t n = strlen(name);
	uint32_t cps;
	*unsafe = false;
	/* A control character (C0, C1, or one that turns the text around it,
	 * as U+202E does), a '/' or bytes that are not UTF-8 are never a
	 * partner's honest file name, whatever the pattern: refused, and said
	 * so (a pattern's '.' would not even see a newline). */
	if (text_scan(name, n, &cps) != TEXT_OK || text_has_invisible_control(name, n))
		return *unsafe = true, false;
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '/')
			return *unsafe = true, false;
	if (regex_match(job->pattern_re, m, name, n) != REGEX_MATCH)
		return false;
	if (strstr(name, "..") || !strcmp(name, "."))
		return *unsafe = true, false;
	return true;
}
