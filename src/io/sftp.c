/*
 * sftp.c — the SFTP client (see sftp.h), on libssh.
 */
#include "core/common.h"
#include "io/input.h"
#include "io/sftp.h"

#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <pthread.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/text.h"

/* libssh's blocking SFTP calls wait for the server without end (its
 * timeout option covers the connection only). A watchdog thread bounds
 * each call: armed before it, disarmed after, and when a call outlives
 * the job's timeout the socket is shut down under it, so it fails. */
struct watchdog {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running, stop, fired;
	int64_t deadline_us; /* 0: disarmed */
	int64_t timeout_us;
	int fd;
};

struct sftp_client {
	ssh_session ssh;
	sftp_session sftp;
	char host[256];
	int port, timeout;
	struct watchdog wd;
	char why[128];
};

static void *watch(void *arg)
{
	struct watchdog *w = arg;
	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		int64_t now = clock_us();
		if (w->deadline_us && now >= w->deadline_us) {
			w->fired = true;
			w->deadline_us = 0;
			shutdown(w->fd, SHUT_RDWR);
			continue;
		}
		/* Sleep until the deadline, or a while when disarmed. */
		int64_t until = w->deadline_us ? w->deadline_us : now + 1000000;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t wait = until - now;
		ts.tv_sec += (time_t)(wait / 1000000);
		ts.tv_nsec += (long)(wait % 1000000) * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->wake, &w->lock, &ts);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int watchdog_start(struct sftp_client *c)
{
	struct watchdog *w = &c->wd;
	pthread_condattr_t attr;
	w->fd = ssh_get_fd(c->ssh);
	w->timeout_us = (int64_t)c->timeout * 1000000;
	if (pthread_mutex_init(&w->lock, NULL))
		return -1;
	if (pthread_condattr_init(&attr) || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&w->wake, &attr)) {
		pthread_mutex_destroy(&w->lock);
		return -1;
	}
	pthread_condattr_destroy(&attr);
	if (pthread_create(&w->thread, NULL, watch, w)) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		return -1;
	}
	w->running = true;
	return 0;
}

static void watchdog_stop(struct watchdog *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	w->running = false;
}

/* Arm before a call that waits for the server (again at each step of a
 * long one: the timeout is for each read), disarm after. Neither wakes the
 * watchdog: it wakes by itself at the deadline it last saw, or each
 * second when disarmed, and looks again (a stuck call is cut within the
 * timeout and a second), so a transfer's thousands of reads cost it
 * nothing. */
static void arm(struct sftp_client *c)
{
	struct watchdog *w = &c->wd;
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->deadline_us = clock_us() + w->timeout_us;
	pthread_mutex_unlock(&w->lock);
}

static void disarm(struct sftp_client *c)
{
	struct watchdog *w = &c->wd;
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->deadline_us = 0;
	pthread_mutex_unlock(&w->lock);
}

/* What went wrong with the server: the timeout, or libssh's word. */
static const char *why(struct sftp_client *c)
{
	bool fired = false;
	if (c->wd.running) {
		pthread_mutex_lock(&c->wd.lock);
		fired = c->wd.fired;
		pthread_mutex_unlock(&c->wd.lock);
	}
	if (fired)
		snprintf(c->why, sizeof(c->why), "no answer for %d s (the job's timeout)",
			 c->timeout);
	else
		snprintf(c->why, sizeof(c->why), "%s",
			 c->ssh ? ssh_get_error(c->ssh) : "no session");
	return c->why;
}

/* Whether the session still stands: a failure then was the file's (gone,
 * unreadable), and the next file can be tried. */
static bool session_up(struct sftp_client *c)
{
	bool fired = false;
	if (c->wd.running) {
		pthread_mutex_lock(&c->wd.lock);
		fired = c->wd.fired;
		pthread_mutex_unlock(&c->wd.lock);
	}
	return !fired && c->ssh && ssh_is_connected(c->ssh) &&
	       !(ssh_get_status(c->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) && c->sftp &&
	       ssh_channel_is_open(c->sftp->channel) && !ssh_channel_is_eof(c->sftp->channel);
}

const char *sftp_library_version(void)
{
	return ssh_version(0);
}

static int remote_error(struct sftp_client *c, struct err *e, const char *what)
{
	return err_set(e, KASI_EUNAVAILABLE, "%s %s port %d: %s", what, c->host, c->port, why(c));
}

/* The server key's SHA-256 fingerprint ("SHA256:...") into out. */
static void fingerprint(ssh_session ssh, char *out, size_t size)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	snprintf(out, size, "(unknown)");
	if (ssh_get_server_publickey(ssh, &key) == SSH_OK &&
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0) {
		char *text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
		if (text)
			snprintf(out, size, "%s", text);
		ssh_string_free_char(text);
	}
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
}

/* Only the job's known_hosts is trusted: nothing else is read, nothing
 * is ever added. */
static int check_host_key(struct sftp_client *c, const struct sftp_target *t, struct err *e)
{
	char fp[128];
	enum ssh_known_hosts_e known = ssh_session_is_known_server(c->ssh);
	if (known == SSH_KNOWN_HOSTS_OK)
		return 0;
	fingerprint(c->ssh, fp, sizeof(fp));
	const char *why = known == SSH_KNOWN_HOSTS_CHANGED ? "its host key has CHANGED"
			  : known == SSH_KNOWN_HOSTS_OTHER
				  ? "it offers a host key of another type than the one known"
			  : known == SSH_KNOWN_HOSTS_NOT_FOUND ? "the known_hosts file is missing"
			  : known == SSH_KNOWN_HOSTS_UNKNOWN   ? "its host key is not known"
							       : "its host key cannot be checked";
	bool replace = known == SSH_KNOWN_HOSTS_CHANGED || known == SSH_KNOWN_HOSTS_OTHER;
	char name[300];
	if (t->port == 22)
		snprintf(name, sizeof(name), "%s", t->host);
	else
		snprintf(name, sizeof(name), "[%s]:%d", t->host, t->port);
	if (replace)
		return err_set(
			e, KASI_EUNAVAILABLE,
			"refusing %s:%d: %s (known_hosts: %s); the server's key is now %s; "
			"nothing was fetched. Only once that fingerprint is confirmed with the "
			"partner: ssh-keygen -R '%s' -f %s, then ssh-keyscan -p %d %s >> %s",
			t->host, t->port, why, t->known_hosts, fp, name, t->known_hosts, t->port,
			t->host, t->known_hosts);
	return err_set(e, KASI_EUNAVAILABLE,
		       "refusing %s:%d: %s (known_hosts: %s); the server's key is %s; nothing was "
		       "fetched. Only once that fingerprint is confirmed with the partner: "
		       "ssh-keyscan -p %d %s >> %s",
		       t->host, t->port, why, t->known_hosts, fp, t->port, t->host, t->known_hosts);
}

/* Open the job's key or known_hosts for reading, as a regular file only:
 * opened without waiting (a FIFO would hold the nightly job for good) and
 * then checked. Returns 0 (*fd open) or -KASI_ECONFIG (one not there
 * included: a known_hosts that is not there is a misspelt path, never a
 * file to make by the refusal's advice). */
static int open_regular(const char *what, const char *path, int *fd, struct err *e)
{
	struct stat st;
	*fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return err_sys(e, KASI_ECONFIG, "cannot read the job's %s '%s'", what, path);
	if (fstat(*fd, &st) || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return err_set(e, KASI_ECONFIG,
			       "the job's %s '%s' is %s: kasi reads it only from a regular file",
			       what, path, input_kind(st.st_mode));
	}
	return 0;
}

/* Before connecting: the job's key and known_hosts are regular files. */
static int check_trust_files(const struct sftp_target *t, struct err *e)
{
	int fd, rc = open_regular("identity", t->identity, &fd, e);
	if (!rc) {
		close(fd);
		rc = open_regular("known_hosts", t->known_hosts, &fd, e);
	}
	if (!rc)
		close(fd);
	return rc;
}

/* Whether a known_hosts line marks the key k as @revoked ("@revoked HOSTS
 * TYPE KEY"). The line's hosts are not looked at: a key revoked for one
 * name is revoked for all (OpenSSH's own words: it must not ever be
 * accepted). */
static bool revokes(char *line, ssh_key k)
{
	char *p = line + strspn(line, " \t");
	if (strncmp(p, "@revoked", 8) || (p[8] != ' ' && p[8] != '\t'))
		return false;
	p += 8;
	char *field[3];
	for (size_t i = 0; i < 3; i++) {
		p += strspn(p, " \t");
		field[i] = p;
		p += strcspn(p, " \t\r\n");
		if (p == field[i])
			return false;
		char end = *p;
		*p = '\0';
		p += end != '\0';
	}
	ssh_key listed = NULL;
	enum ssh_keytypes_e type = ssh_key_type_from_name(field[1]);
	bool same = type != SSH_KEYTYPE_UNKNOWN &&
		    ssh_pki_import_pubkey_base64(field[2], type, &listed) == SSH_OK &&
		    ssh_key_cmp(listed, k, SSH_KEY_CMP_PUBLIC) == 0;
	ssh_key_free(listed);
	return same;
}

/* libssh reads no markers: an "@revoked" line is passed over as a host
 * it does not know, and the same key listed plainly elsewhere would be
 * trusted. kasi reads them itself: a revoked key is refused, whatever
 * else the file says. (An "@cert-authority" line is passed over too:
 * kasi takes no host certificates, so it trusts nothing.) */
static int check_revoked(struct sftp_client *c, const struct sftp_target *t, struct err *e)
{
	int fd, rc = open_regular("known_hosts", t->known_hosts, &fd, e);
	if (rc)
		return rc;
	FILE *f = fdopen(fd, "r");
	ssh_key key = NULL;
	if (!f) {
		close(fd);
		return err_sys(e, KASI_EIO, "cannot read the job's known_hosts '%s'",
			       t->known_hosts);
	}
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, at = 0;
	if (ssh_get_server_publickey(c->ssh, &key) != SSH_OK)
		key = NULL; /* then check_host_key refuses it */
	while (key && !at && getline(&line, &cap, f) >= 0) {
		lineno++;
		if (revokes(line, key))
			at = lineno;
	}
	free(line);
	fclose(f);
	ssh_key_free(key);
	if (!at)
		return 0;
	char fp[128];
	fingerprint(c->ssh, fp, sizeof(fp));
	return err_set(e, KASI_EUNAVAILABLE,
		       "refusing %s:%d: its host key %s is marked @revoked in %s (line %d): a "
		       "revoked key is never trusted, whatever else known_hosts says; nothing was "
		       "fetched. Ask the partner for the server's new key and its fingerprint",
		       t->host, t->port, fp, t->known_hosts, at);
}

/* Asked for a key's passphrase: there is none to give (kasi runs
 * unattended); *data records that one was wanted. */
static int no_passphrase(const char *prompt, char *buf, size_t len, int echo, int verify,
			 void *data)
{
	(void)prompt;
	(void)echo;
	(void)verify;
	if (len)
		buf[0] = '\0';
	*(bool *)data = true;
	return -1;
}

/* The private key, read as a regular file only (see open_regular), and
 * wiped from memory once imported. */
static int load_identity(const char *path, ssh_key *key, struct err *e)
{
	int fd, rc = open_regular("identity", path, &fd, e);
	if (rc)
		return rc;
	char buf[64 * 1024];
	size_t n = 0;
	ssize_t got;
	while (n < sizeof(buf) - 1 && (got = read(fd, buf + n, sizeof(buf) - 1 - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	buf[n] = '\0';
	bool asked = false;
	if (ssh_pki_import_privkey_base64(buf, NULL, no_passphrase, &asked, key) != SSH_OK)
		rc = asked ? err_set(e, KASI_ECONFIG,
				     "the private key '%s' has a passphrase, which nobody is there "
				     "to type at night: give the job a key without one",
				     path)
			   : err_set(e, KASI_ECONFIG,
				     "cannot read the private key '%s': not a private key libssh "
				     "reads (OpenSSH or PEM)",
				     path);
	explicit_bzero(buf, n);
	return rc;
}

int sftp_identity_check(const char *path, struct err *e)
{
	ssh_key key = NULL;
	int rc = load_identity(path, &key, e);
	ssh_key_free(key);
	return rc;
}

static int authenticate(struct sftp_client *c, const struct sftp_target *t, struct err *e)
{
	ssh_key key = NULL;
	int rc = load_identity(t->identity, &key, e);
	if (rc)
		return rc;
	int r = ssh_userauth_publickey(c->ssh, NULL, key);
	ssh_key_free(key);
	if (r == SSH_AUTH_SUCCESS)
		return 0;
	return err_set(e, KASI_EUNAVAILABLE, "%s refused the key %s for user %s", c->host,
		       t->identity, t->user);
}

static int set_options(struct sftp_client *c, const struct sftp_target *t)
{
	long timeout = t->timeout;
	unsigned int port = (unsigned int)t->port;
	bool no = false;
	int r = ssh_options_set(c->ssh, SSH_OPTIONS_HOST, t->host);
	r |= ssh_options_set(c->ssh, SSH_OPTIONS_PORT, &port);
	r |= ssh_options_set(c->ssh, SSH_OPTIONS_USER, t->user);
	/* No ssh_config, no ~/.ssh/known_hosts, no /etc/ssh/ssh_known_hosts. */
	r |= ssh_options_set(c->ssh, SSH_OPTIONS_PROCESS_CONFIG, &no);
	r |= ssh_options_set(c->ssh, SSH_OPTIONS_KNOWNHOSTS, t->known_hosts);
	r |= ssh_options_set(c->ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
	r |= ssh_options_set(c->ssh, SSH_OPTIONS_TIMEOUT, &timeout);
	return r;
}

int sftp_client_open(struct sftp_client **out, const struct sftp_target *t, struct err *e)
{
	struct sftp_client *c = calloc(1, sizeof(*c));
	*out = c;
	if (!c || !(c->ssh = ssh_new()))
		return err_set(e, KASI_EIO, "out of memory");
	snprintf(c->host, sizeof(c->host), "%s", t->host);
	c->timeout = t->timeout;
	c->port = t->port;
	int rc = check_trust_files(t, e);
	if (rc)
		return rc;
	if (set_options(c, t))
		return remote_error(c, e, "cannot set up a connection to");
	if (ssh_connect(c->ssh) != SSH_OK)
		return remote_error(c, e, "cannot connect to");
	if (watchdog_start(c))
		return err_set(e, KASI_EIO, "cannot start a thread to time the server's answers");
	rc = check_revoked(c, t, e);
	if (!rc)
		rc = check_host_key(c, t, e);
	arm(c);
	if (!rc)
		rc = authenticate(c, t, e);
	if (!rc && (!(c->sftp = sftp_new(c->ssh)) || sftp_init(c->sftp) != SSH_OK))
		rc = remote_error(c, e, "cannot start SFTP on");
	disarm(c);
	return rc;
}

void sftp_client_close(struct sftp_client *c)
{
	if (!c)
		return;
	/* Closing waits on the server too. */
	arm(c);
	if (c->sftp)
		sftp_free(c->sftp);
	if (c->ssh) {
		if (ssh_is_connected(c->ssh))
			ssh_disconnect(c->ssh);
		disarm(c); /* before the socket is closed */
		ssh_free(c->ssh);
	}
	watchdog_stop(&c->wd);
	free(c);
}

int sftp_client_list(struct sftp_client *c, const char *dir,
		     int (*fn)(void *ctx, const struct sftp_entry *entry), void *ctx, struct err *e)
{
	arm(c);
	sftp_dir d = sftp_opendir(c->sftp, dir);
	disarm(c);
	if (!d)
		return err_set(e, KASI_EUNAVAILABLE, "cannot list %s:%s: %s", c->host, dir, why(c));
	int rc = 0;
	sftp_attributes a;
	for (;;) {
		arm(c);
		a = rc ? NULL : sftp_readdir(c->sftp, d);
		disarm(c);
		if (!a)
			break;
		if (a->name && strcmp(a->name, ".") && strcmp(a->name, "..")) {
			struct sftp_entry entry = {
				.name = a->name,
				.size = a->size,
				.mtime = (int64_t)a->mtime,
				.regular = a->type == SSH_FILEXFER_TYPE_REGULAR,
			};
			rc = fn(ctx, &entry);
		}
		sftp_attributes_free(a);
	}
	if (!rc && !sftp_dir_eof(d))
		rc = err_set(e, KASI_EUNAVAILABLE, "listing %s:%s failed: %s", c->host, dir,
			     why(c));
	arm(c);
	sftp_closedir(d);
	disarm(c);
	return rc;
}

static void join(char *out, size_t size, const char *dir, const char *name)
{
	size_t n = strlen(dir);
	snprintf(out, size, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

/* "host:dir/name" for a message, the name rendered safely. */
static const char *where(struct sftp_client *c, const char *dir, const char *name, char *out,
			 size_t size)
{
	char shown[TEXT_NAME_BUFSZ];
	size_t n = strlen(dir);
	snprintf(out, size, "%s:%s%s%s", c->host, dir, n && dir[n - 1] == '/' ? "" : "/",
		 text_name(name, shown));
	return out;
}

/* A step on one file failed: the file's failure while the session stands
 * (-KASI_ENOINPUT: gone, unreadable; the next file is tried), else the
 * session's (-KASI_EUNAVAILABLE). */
static int file_error(struct sftp_client *c, struct err *e, const char *what, const char *at)
{
	return err_set(e, session_up(c) ? KASI_ENOINPUT : KASI_EUNAVAILABLE, "%s %s: %s", what, at,
		       why(c));
}

static int write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads are pipelined: up to FETCH_DEPTH requests of FETCH_CHUNK bytes in
 * flight (512 KiB), as OpenSSH's sftp does, so a transfer is not one
 * round trip per chunk. Each request names its offset; the answers come
 * back in order. Deeper is slower with libssh: past its channel window
 * the answers wait on window adjustments (measured on a local sshd: 8 or
 * 16 in flight fetch 490 MB in ~2.5 s, 32 in 4-7 s, 64 in 7-8 s). Nothing
 * is asked past the listed size: a small file is one read, not sixteen
 * and as many more to hear the end (the end is known from the listing,
 * and the file's size and time are asked again once it is read). */
#define FETCH_CHUNK (32 * 1024)
#define FETCH_DEPTH 16

struct transfer {
	struct sftp_client *c;
	sftp_file f;
	uint64_t size; /* the listed size */
	int fd;
	void (*chunk)(void *ctx, const void *data, size_t n);
	void *ctx;
	char *buf;
	const char *at; /* host:path, for messages */
	/* The requests in flight, oldest at head. */
	int id[FETCH_DEPTH];
	uint64_t offset[FETCH_DEPTH];
	uint32_t len[FETCH_DEPTH];
	size_t head, n;
};

/* Read and drop every answer still in flight (libssh keeps each until it
 * is read). */
static int drain(struct transfer *t)
{
	int failed = 0;
	for (; t->n; t->n--, t->head = (t->head + 1) % FETCH_DEPTH)
		failed |= sftp_async_read(t->f, t->buf, t->len[t->head], (uint32_t)t->id[t->head]) <
			  0;
	t->head = 0;
	return failed ? -1 : 0;
}

/* Ask for the next chunks, up to the listed size. */
static int ask(struct transfer *t, uint64_t *next, struct err *e)
{
	while (*next < t->size && t->n < FETCH_DEPTH) {
		uint64_t left = t->size - *next;
		uint32_t len = left < FETCH_CHUNK ? (uint32_t)left : FETCH_CHUNK;
		int id = sftp_async_read_begin(t->f, len);
		if (id < 0)
			return file_error(t->c, e, "cannot read", t->at);
		size_t at = (t->head + t->n++) % FETCH_DEPTH;
		t->id[at] = id;
		t->offset[at] = *next;
		t->len[at] = len;
		*next += len;
	}
	return 0;
}

/* Copy the file's first t->size bytes (fewer when it ends sooner) into
 * t->fd; the count into *copied. */
static int transfer(struct transfer *t, uint64_t *copied, struct err *e)
{
	uint64_t next = 0;
	int rc = 0;
	for (;;) {
		arm(t->c);
		rc = ask(t, &next, e);
		disarm(t->c);
		if (rc || !t->n)
			break;
		int id = t->id[t->head];
		uint64_t offset = t->offset[t->head];
		uint32_t len = t->len[t->head];
		t->head = (t->head + 1) % FETCH_DEPTH;
		t->n--;
		arm(t->c);
		/* Asked for len: libssh moves the file's offset back by what
		 * an answer lacks of the size given here. */
		int got = sftp_async_read(t->f, t->buf, len, (uint32_t)id);
		disarm(t->c);
		if (got < 0) {
			rc = file_error(t->c, e, "cannot read", t->at);
			break;
		}
		if (got == 0) /* it ends before its listed size: it was cut */
			break;
		if (write_all(t->fd, t->buf, (size_t)got)) {
			rc = err_sys(e, KASI_EIO, "cannot write the copy of %s", t->at);
			break;
		}
		if (t->chunk)
			t->chunk(t->ctx, t->buf, (size_t)got);
		*copied += (uint64_t)got;
		if ((uint32_t)got < len) {
			/* Less than asked (the file cut, or a server that reads
			 * less at a time): what is in flight is dropped and asked
			 * again from here on. */
			arm(t->c);
			int drained = drain(t);
			disarm(t->c);
			next = offset + (uint64_t)got;
			if (drained || sftp_seek64(t->f, next) < 0) {
				rc = file_error(t->c, e, "cannot read", t->at);
				break;
			}
		}
	}
	return rc;
}

int sftp_client_fetch(struct sftp_client *c, const char *dir, const struct sftp_entry *entry,
		      int fd, void (*chunk)(void *ctx, const void *data, size_t n), void *ctx,
		      uint64_t *copied, struct sftp_entry *now, struct err *e)
{
	char path[PATH_MAX], at[PATH_MAX + TEXT_NAME_BUFSZ];
	join(path, sizeof(path), dir, entry->name);
	where(c, dir, entry->name, at, sizeof(at));
	*copied = 0;
	*now = *entry;
	arm(c);
	sftp_file f = sftp_open(c->sftp, path, O_RDONLY, 0);
	disarm(c);
	if (!f)
		return file_error(c, e, "cannot open", at);
	struct transfer t = { .c = c,
			      .f = f,
			      .size = entry->size,
			      .fd = fd,
			      .chunk = chunk,
			      .ctx = ctx,
			      .buf = malloc(FETCH_CHUNK),
			      .at = at };
	int rc = t.buf ? transfer(&t, copied, e) : err_set(e, KASI_EIO, "out of memory");
	/* Its size and time once read: a file rewritten meanwhile is not what
	 * was listed, even at the same size. */
	sftp_attributes a = NULL;
	arm(c);
	if (!rc && !(a = sftp_fstat(f)))
		rc = file_error(c, e, "cannot read the size and time of", at);
	if (a && (a->flags & SSH_FILEXFER_ATTR_SIZE))
		now->size = a->size;
	if (a && (a->flags & SSH_FILEXFER_ATTR_ACMODTIME))
		now->mtime = (int64_t)a->mtime;
	sftp_attributes_free(a);
	if (t.n && t.buf)
		drain(&t);
	free(t.buf);
	sftp_close(f);
	disarm(c);
	return rc;
}

int sftp_client_remove(struct sftp_client *c, const char *dir, const char *name, struct err *e)
{
	char path[PATH_MAX], at[PATH_MAX + TEXT_NAME_BUFSZ];
	join(path, sizeof(path), dir, name);
	arm(c);
	int r = sftp_unlink(c->sftp, path);
	disarm(c);
	if (r == 0)
		return 0;
	return err_set(e, KASI_EUNAVAILABLE, "cannot remove %s: %s",
		       where(c, dir, name, at, sizeof(at)), why(c));
}

int sftp_client_move(struct sftp_client *c, const char *dir, const char *name, const char *to_dir,
		     struct err *e)
{
	char from[PATH_MAX], to[PATH_MAX], at[PATH_MAX + TEXT_NAME_BUFSZ];
	join(from, sizeof(from), dir, name);
	join(to, sizeof(to), to_dir, name);
	arm(c);
	int r = sftp_rename(c->sftp, from, to);
	disarm(c);
	if (r == 0)
		return 0;
	return err_set(e, KASI_EUNAVAILABLE, "cannot move %s to %s: %s",
		       where(c, dir, name, at, sizeof(at)), to_dir, why(c));
}
