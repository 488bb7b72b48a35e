/*
 * input.c — opening a file to read (see input.h).
 *
 * open(O_NONBLOCK) returns at once whatever the file is; fstat on the
 * descriptor then says what was opened (no window between a check and
 * the open, as lstat-then-open would leave). Only a regular file is
 * kept, with O_NONBLOCK cleared again.
 */
#include "core/common.h"
#include "io/input.h"

static const char *not_regular(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a named pipe";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "something else";
}

const char *input_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return not_regular(mode);
}

static int open_input(const char *path, int how, int *fd, struct err *e)
{
	int rc = 0;
	struct stat st;
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | how);
	if (*fd < 0 && errno == ELOOP && (how & O_NOFOLLOW))
		return err_set(e, KASI_ENOINPUT, "'%s' is a symbolic link, not a regular file",
			       path);
	if (*fd < 0)
		return err_sys(e, KASI_ENOINPUT, "cannot open '%s'", path);
	if (fstat(*fd, &st) != 0) {
		rc = err_sys(e, KASI_ENOINPUT, "cannot read '%s'", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = err_set(e, KASI_ENOINPUT, "'%s' is a directory", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(e, KASI_ENOINPUT, "'%s' is %s, not a regular file", path,
			     not_regular(st.st_mode));
		goto out;
	}
	int flags = fcntl(*fd, F_GETFL);
	if (flags < 0 || fcntl(*fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
		rc = err_sys(e, KASI_ENOINPUT, "cannot read '%s'", path);
out:
	if (rc) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

int input_open(const char *path, int *fd, struct err *e)
{
	return open_input(path, 0, fd, e);
}

int input_open_nofollow(const char *path, int *fd, struct err *e)
{
	return open_input(path, O_NOFOLLOW, fd, e);
}

int input_read_all(const char *path, size_t max, char **text, size_t *n, struct err *e)
{
	int fd;
	*text = NULL;
	*n = 0;
	int rc = input_open(path, &fd, e);
	if (rc)
		return rc;
	char *buf = malloc(max + 1);
	size_t used = 0;
	if (!buf) {
		close(fd);
		return err_set(e, KASI_EIO, "out of memory");
	}
	for (;;) {
		ssize_t got = read(fd, buf + used, max + 1 - used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = err_sys(e, KASI_EIO, "cannot read '%s'", path);
			break;
		}
		if (got == 0)
			break;
		used += (size_t)got;
		if (used > max) {
			rc = err_set(e, KASI_EIO, "'%s' is longer than %zu bytes", path, max);
			break;
		}
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[used] = '\0';
	*text = buf;
	*n = used;
	return 0;
}

int input_sync_dir(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, KASI_EIO, "cannot open '%s'", path);
	int r = fsync(fd);
	close(fd);
	return r ? err_sys(e, KASI_EIO, "cannot sync '%s'", path) : 0;
}
