/*
 * content.h — a file's content: its bytes, or, for gzip, the bytes its
 * members decompress to.
 *
 * gzip is told by its magic bytes, whatever the file's name. A gzip
 * file may hold several members one after the other (`cat a.gz b.gz`):
 * their contents, in order, are the file's content. Anything after a
 * member that is not another member is an error, as is a member cut
 * short: neither may pass for a shorter file. (zlib's gzread ignores
 * trailing bytes and treats a cut stream as a soft end, which is why
 * kasi drives inflate itself.)
 */
#ifndef KASI_CONTENT_H
#define KASI_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/err.h"

enum content_problem {
	CONTENT_OK = 0,
	CONTENT_EGZIP,	/* corrupt or cut short, or not gzip after a member */
	CONTENT_EREAD,	/* the read itself failed */
	CONTENT_ENOMEM, /* out of memory */
};

struct content;

/* Start reading the descriptor fd, which the content then owns (closed
 * by content_free, also when this fails). Returns 0, or -KASI_EIO with
 * a message in e. */
int content_open(struct content **out, int fd, struct err *e);

/* n bytes of content into buf, fewer only at the end: returns how many
 * (0 at the end), or -1 on a problem, which content_problem() names. */
ssize_t content_read(struct content *c, void *buf, size_t n);

/* The problem that stopped the read, and a one-line lowercase message. */
enum content_problem content_problem(const struct content *c, const char **msg);

/* Whether the file is gzip (known once the first read returned). */
bool content_compressed(const struct content *c);

void content_free(struct content *c);

/* The version of zlib in use. */
const char *content_zlib_version(void);

#endif
