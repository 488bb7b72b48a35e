/*
 * sftp.c — the SFTP client (see sftp.h), on libssh.
 */
#include "core/common.h"
#include "io/sftp.h"

#include <libssh/libssh.h>
#include <libssh/sftp.h>

struct sftp_client {
	ssh_session ssh;
	sftp_session sftp;
	char host[256];
};

const char *sftp_library_version(void)
{
	return ssh_version(0);
}

static int remote_error(struct sftp_client *c, struct err *e, const char *what)
{
	return err_set(e, KASI_EUNAVAILABLE, "%s %s: %s", what, c->host,
		       c->ssh ? ssh_get_error(c->ssh) : "no session");
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
	return err_set(e, KASI_EUNAVAILABLE,
		       "refusing %s:%d: %s (known_hosts: %s); the server's key is %s; nothing was "
		       "fetched. Add the key to that file only once its fingerprint is confirmed "
		       "with the partner",
		       t->host, t->port, why, t->known_hosts, fp);
}

static int authenticate(struct sftp_client *c, const struct sftp_target *t, struct err *e)
{
	ssh_key key = NULL;
	if (ssh_pki_import_privkey_file(t->identity, NULL, NULL, NULL, &key) != SSH_OK)
		return err_set(e, KASI_ECONFIG,
			       "cannot read the private key '%s' (a key with a "
			       "passphrase cannot be used unattended)",
			       t->identity);
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
	if (set_options(c, t))
		return remote_error(c, e, "cannot set up a connection to");
	if (ssh_connect(c->ssh) != SSH_OK)
		return remote_error(c, e, "cannot connect to");
	int rc = check_host_key(c, t, e);
	if (!rc)
		rc = authenticate(c, t, e);
	if (rc)
		return rc;
	if (!(c->sftp = sftp_new(c->ssh)) || sftp_init(c->sftp) != SSH_OK)
		return remote_error(c, e, "cannot start SFTP on");
	return 0;
}

void sftp_client_close(struct sftp_client *c)
{
	if (!c)
		return;
	if (c->sftp)
		sftp_free(c->sftp);
	if (c->ssh) {
		if (ssh_is_connected(c->ssh))
			ssh_disconnect(c->ssh);
		ssh_free(c->ssh);
	}
	free(c);
}

int sftp_client_list(struct sftp_client *c, const char *dir,
		     int (*fn)(void *ctx, const struct sftp_entry *entry), void *ctx, struct err *e)
{
	sftp_dir d = sftp_opendir(c->sftp, dir);
	if (!d)
		return err_set(e, KASI_EUNAVAILABLE, "cannot list %s:%s: %s", c->host, dir,
			       ssh_get_error(c->ssh));
	int rc = 0;
	sftp_attributes a;
	while (!rc && (a = sftp_readdir(c->sftp, d))) {
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
			     ssh_get_error(c->ssh));
	sftp_closedir(d);
	return rc;
}

static void join(char *out, size_t size, const char *dir, const char *name)
{
	size_t n = strlen(dir);
	snprintf(out, size, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
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

int sftp_client_fetch(struct sftp_client *c, const char *dir, const char *name, int fd,
		      void (*chunk)(void *ctx, const void *data, size_t n), void *ctx,
		      uint64_t *copied, struct err *e)
{
	char path[PATH_MAX];
	join(path, sizeof(path), dir, name);
	*copied = 0;
	sftp_file f = sftp_open(c->sftp, path, O_RDONLY, 0);
	if (!f)
		return err_set(e, KASI_EUNAVAILABLE, "cannot open %s:%s: %s", c->host, path,
			       ssh_get_error(c->ssh));
	int rc = 0;
	char buf[64 * 1024];
	for (;;) {
		ssize_t got = sftp_read(f, buf, sizeof(buf));
		if (got < 0) {
			rc = err_set(e, KASI_EUNAVAILABLE, "reading %s:%s failed: %s", c->host,
				     path, ssh_get_error(c->ssh));
			break;
		}
		if (got == 0)
			break;
		if (write_all(fd, buf, (size_t)got)) {
			rc = err_sys(e, KASI_EIO, "cannot write the copy of %s", name);
			break;
		}
		if (chunk)
			chunk(ctx, buf, (size_t)got);
		*copied += (uint64_t)got;
	}
	sftp_close(f);
	return rc;
}

int sftp_client_remove(struct sftp_client *c, const char *dir, const char *name, struct err *e)
{
	char path[PATH_MAX];
	join(path, sizeof(path), dir, name);
	if (sftp_unlink(c->sftp, path) == 0)
		return 0;
	return err_set(e, KASI_EUNAVAILABLE, "cannot remove %s:%s: %s", c->host, path,
		       ssh_get_error(c->ssh));
}

int sftp_client_move(struct sftp_client *c, const char *dir, const char *name, const char *to_dir,
		     struct err *e)
{
	char from[PATH_MAX], to[PATH_MAX];
	join(from, sizeof(from), dir, name);
	join(to, sizeof(to), to_dir, name);
	if (sftp_rename(c->sftp, from, to) == 0)
		return 0;
	return err_set(e, KASI_EUNAVAILABLE, "cannot move %s:%s to %s: %s", c->host, from, to_dir,
		       ssh_get_error(c->ssh));
}
