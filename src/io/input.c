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

int input_open(const char *path, int *fd, struct err *e)
{
	int rc = 0;
	struct stat st;
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
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
