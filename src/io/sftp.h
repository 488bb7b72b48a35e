/*
 * sftp.h — kasi's SFTP client (libssh): a partner's server, trusted only
 * as its job's known_hosts says, entered with a key.
 *
 *   - the server's host key must be in the given known_hosts file, and
 *     nowhere else is looked at (not ~/.ssh, not /etc/ssh, no ssh_config):
 *     an unknown key, a changed one, or one of another type is refused,
 *     with the server key's SHA-256 fingerprint; nothing is ever added;
 *   - public-key authentication only, with the given private key (never
 *     logged);
 *   - every blocking step (connecting, each read) gives up after the
 *     timeout;
 *   - the key and known_hosts are read from regular files only (a FIFO or
 *     a directory is a configuration error, -KASI_ECONFIG, never a wait);
 *   - a host key that known_hosts marks "@revoked" is refused, whatever
 *     else the file says (libssh itself reads no markers); "@cert-authority"
 *     lines trust nothing (no host certificates are taken).
 * A failure to reach, trust or enter the server is -KASI_EUNAVAILABLE (exit
 * 69).
 */
#ifndef KASI_SFTP_H
#define KASI_SFTP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

struct sftp_target {
	const char *host, *user, *identity, *known_hosts;
	int port, timeout;
};

/* An entry of a remote directory. */
struct sftp_entry {
	const char *name;
	uint64_t size;
	int64_t mtime;
	bool regular; /* a regular file (not a directory, link or device) */
};

struct sftp_client;

/* Connect, check the host key, authenticate, start SFTP. Returns 0, or
 * -KASI_EUNAVAILABLE (what was refused or failed; a refused host key with its
 * fingerprint), -KASI_ECONFIG (an unreadable key, a key or known_hosts that
 * is not a regular file). Freed with
 * sftp_client_close (also after a failure). */
int sftp_client_open(struct sftp_client **out, const struct sftp_target *t, struct err *e);
void sftp_client_close(struct sftp_client *c);

/* Each entry of dir ("." and ".." left out), as the server gives them. */
int sftp_client_list(struct sftp_client *c, const char *dir,
		     int (*fn)(void *ctx, const struct sftp_entry *entry), void *ctx,
		     struct err *e);

/* Copy dir/entry->name into the descriptor fd, calling chunk for every
 * block read (e.g. to hash it); the bytes copied into *copied. Nothing is
 * asked past the listed entry->size (fewer bytes are copied when the file
 * ends sooner); once read, the file's size and modification time as the
 * server then gives them are in *now (a file rewritten meanwhile, even at
 * its listed size, shows there). Returns 0; -KASI_ENOINPUT when this file
 * cannot be opened or read (gone, unreadable) and the session still
 * stands, so the next file can be tried; -KASI_EUNAVAILABLE when the
 * session failed or timed out; -KASI_EIO when fd failed. */
int sftp_client_fetch(struct sftp_client *c, const char *dir, const struct sftp_entry *entry,
		      int fd, void (*chunk)(void *ctx, const void *data, size_t n), void *ctx,
		      uint64_t *copied, struct sftp_entry *now, struct err *e);

/* Remove dir/name, or move it into to_dir on the server. */
int sftp_client_remove(struct sftp_client *c, const char *dir, const char *name, struct err *e);
int sftp_client_move(struct sftp_client *c, const char *dir, const char *name, const char *to_dir,
		     struct err *e);

/* Whether the private key at path can be used: a regular file libssh
 * reads, with no passphrase (nobody is there to type one). Returns 0, or
 * -KASI_ECONFIG with what is wrong in e (naming the path). */
int sftp_identity_check(const char *path, struct err *e);

/* The version of libssh in use, with its crypto backend
 * ("0.10.6/openssl/zlib"). */
const char *sftp_library_version(void);

#endif
