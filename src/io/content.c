/*
 * content.c — a file's content, plain or gzip (see content.h).
 *
 *   raw bytes --read()--> in[]  --inflate--> caller's buffer   (gzip)
 *   raw bytes --read()--> caller's buffer                       (plain)
 *
 * For gzip, inflate is set for gzip framing (windowBits 15 + 16), so it
 * checks each member's header, CRC-32 and length. At a member's end the
 * next two bytes decide: the end of the file (done), the gzip magic
 * (inflateReset, and on with the next member), or anything else (an
 * error naming the byte it begins at).
 */
#include "core/common.h"
#include "io/content.h"

#include <zlib.h>

#define IN_BYTES (128 * 1024)

struct content {
	int fd;
	unsigned char *in; /* IN_BYTES of raw input; zs.next_in points into it */
	size_t have;	   /* raw bytes not yet used, from zs.next_in (or in) */
	bool eof;	   /* read() said there is no more */
	bool started, gzip;
	z_stream zs;
	bool zs_ready;
	bool member_open;  /* inside a member: its end has not been seen */
	uint64_t raw_used; /* raw bytes consumed before next_in */
	enum content_problem problem;
	char msg[256];
};

static ssize_t fail(struct content *c, enum content_problem p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static ssize_t fail(struct content *c, enum content_problem p, const char *fmt, ...)
{
	if (!c->problem) {
		c->problem = p;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* read(), again after a signal. */
static ssize_t read_some(int fd, void *buf, size_t n)
{
	ssize_t k;
	do
		k = read(fd, buf, n);
	while (k < 0 && errno == EINTR);
	return k;
}

/* Top the raw buffer up (what is left moves to its start) until it holds
 * at least `want` bytes or the file ends. Returns 0, or -1 after a read
 * error. */
static int fill(struct content *c, size_t want)
{
	if (c->have && c->zs.next_in != c->in)
		memmove(c->in, c->zs.next_in, c->have);
	c->zs.next_in = c->in;
	while (c->have < want && !c->eof) {
		ssize_t k = read_some(c->fd, c->in + c->have, IN_BYTES - c->have);
		if (k < 0)
			return (int)fail(c, CONTENT_EREAD, "read error: %s", strerror(errno));
		if (k == 0)
			c->eof = true;
		c->have += (size_t)k;
	}
	return 0;
}

/* At the start of the file, or after a member's end: another member,
 * the end (returns 0), or bytes that are neither (an error). Returns 1
 * when a member begins. */
static int next_member(struct content *c)
{
	if (fill(c, 2))
		return -1;
	if (c->have == 0)
		return 0;
	if (c->have < 2 || c->in[0] != 0x1F || c->in[1] != 0x8B)
		return (int)fail(c, CONTENT_EGZIP,
				 "bytes after the end of the gzip data (from byte %" PRIu64
				 "): not another gzip member",
				 c->raw_used);
	if (inflateReset(&c->zs) != Z_OK)
		return (int)fail(c, CONTENT_ENOMEM, "out of memory");
	c->member_open = true;
	return 1;
}

/* Inflate into buf until it is full or the members end. On a problem,
 * what was inflated before it is returned first (the problem stays). */
static ssize_t read_gzip(struct content *c, unsigned char *buf, size_t n)
{
	c->zs.next_out = buf;
	c->zs.avail_out = (uInt)(n > UINT_MAX ? UINT_MAX : n);
	while (c->zs.avail_out > 0) {
		if (!c->member_open) {
			int more = next_member(c);
			if (more < 0)
				break;
			if (more == 0)
				break;
		}
		if (c->have == 0 && fill(c, 1))
			break;
		if (c->have == 0) {
			fail(c, CONTENT_EGZIP,
			     "compressed data is truncated: the file ends inside a gzip member");
			break;
		}
		c->zs.avail_in = (uInt)c->have; /* at most IN_BYTES */
		int zrc = inflate(&c->zs, Z_NO_FLUSH);
		c->raw_used += c->have - c->zs.avail_in;
		c->have = c->zs.avail_in;
		if (zrc == Z_STREAM_END) {
			c->member_open = false;
		} else if (zrc == Z_DATA_ERROR || zrc == Z_NEED_DICT || zrc == Z_BUF_ERROR) {
			fail(c, CONTENT_EGZIP, "compressed data is corrupt: %s",
			     c->zs.msg ? c->zs.msg : "inflate made no progress");
			break;
		} else if (zrc != Z_OK) {
			fail(c, CONTENT_ENOMEM, "out of memory");
			break;
		}
	}
	size_t out = (size_t)((unsigned char *)c->zs.next_out - buf);
	return out || !c->problem ? (ssize_t)out : -1;
}

static ssize_t read_plain(struct content *c, unsigned char *buf, size_t n)
{
	if (c->have) { /* the bytes looked at to tell gzip from plain */
		size_t k = c->have < n ? c->have : n;
		memcpy(buf, c->zs.next_in, k);
		c->zs.next_in += k;
		c->have -= k;
		return (ssize_t)k;
	}
	if (c->eof)
		return 0;
	ssize_t k = read_some(c->fd, buf, n);
	if (k < 0)
		return fail(c, CONTENT_EREAD, "read error: %s", strerror(errno));
	return k;
}

ssize_t content_read(struct content *c, void *buf, size_t n)
{
	if (c->problem)
		return -1;
	if (!c->started) {
		c->started = true;
		if (fill(c, 2))
			return -1;
		c->gzip = c->have >= 2 && c->in[0] == 0x1F && c->in[1] == 0x8B;
		if (c->gzip) {
			if (inflateInit2(&c->zs, 15 + 16) != Z_OK)
				return fail(c, CONTENT_ENOMEM, "out of memory");
			c->zs_ready = true;
			c->zs.next_in = c->in; /* inflateInit2 leaves it alone */
		}
	}
	/* As full as the file allows, so that the first read holds all the
	 * first bytes a caller looks at (a byte order mark). */
	size_t got = 0;
	while (got < n && !c->problem) {
		ssize_t k = c->gzip ? read_gzip(c, (unsigned char *)buf + got, n - got)
				    : read_plain(c, (unsigned char *)buf + got, n - got);
		if (k < 0) /* what came before the problem first; it stays */
			return got ? (ssize_t)got : -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

int content_open(struct content **out, int fd, struct err *e)
{
	struct content *c = calloc(1, sizeof(*c));
	if (!c || !(c->in = malloc(IN_BYTES))) {
		free(c);
		close(fd);
		*out = NULL;
		return err_set(e, KASI_EIO, "out of memory");
	}
	c->fd = fd;
	c->zs.next_in = c->in;
	*out = c;
	return 0;
}

enum content_problem content_problem(const struct content *c, const char **msg)
{
	*msg = c->msg;
	return c->problem;
}

bool content_compressed(const struct content *c)
{
	return c->gzip;
}

void content_free(struct content *c)
{
	if (!c)
		return;
	if (c->zs_ready)
		inflateEnd(&c->zs);
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c);
}

const char *content_zlib_version(void)
{
	return zlibVersion();
}
