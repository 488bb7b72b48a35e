/*
 * err.h — errors are values with a message.
 *
 * A function that can fail returns 0 on success or the negative of one of
 * the exit statuses below, and records a one-line, lowercase message that
 * names its subject ("cannot open 'x.csv': No such file or directory") in
 * the caller's struct err. Only main() turns a status into exit().
 */
#ifndef KASI_ERR_H
#define KASI_ERR_H

/* The exit statuses kasi documents (sysexits.h values where one exists). */
enum kasi_status {
	KASI_OK = 0,
	KASI_FINDINGS = 1,	/* finished, with discrepancies */
	KASI_EUSAGE = 64,	/* bad command line */
	KASI_EDATA = 65,	/* input data rejected */
	KASI_ENOINPUT = 66,	/* input missing or unreadable */
	KASI_EUNAVAILABLE = 69, /* remote unavailable */
	KASI_EIO = 74,		/* I/O error */
	KASI_ELOCKED = 75,	/* another run holds the lock */
	KASI_ECONFIG = 78,	/* bad configuration (schema, job file) */
};

struct err {
	int status; /* an enum kasi_status, 0 while no error is recorded */
	char msg[2048];
};

/* Record a message; returns -status so callers can `return err_set(...)`.
 * The message may quote e->msg, the one it replaces.
 * e may be NULL, in which case only the status is returned. */
int err_set(struct err *e, enum kasi_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As err_set, with ": <strerror(errno)>" appended (errno read on entry). */
int err_sys(struct err *e, enum kasi_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void err_clear(struct err *e);

/* The worse of two exit statuses, for a command that does several things
 * and ends with the worst: 75, 74, 69, 78, 66, 65, 1, 0 (a usage error
 * stops a command before it does anything). */
int kasi_worse(int a, int b);

/* "usage", "data", ... a short name for a status, for JSON and logs. */
const char *kasi_status_name(int status);

#endif
