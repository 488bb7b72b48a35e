/*
 * err.c — recording error messages (see err.h).
 */
#include "core/common.h"
#include "core/err.h"

static int err_vset(struct err *e, enum kasi_status status, int errnum, const char *fmt, va_list ap)
{
	if (!e)
		return -(int)status;
	/* Formatted aside first: a message may quote the one it replaces
	 * ("%s: %s", path, e->msg), and vsnprintf into its own argument is
	 * undefined. */
	char msg[sizeof(e->msg)] = "";
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(errnum));
	e->status = (int)status;
	memcpy(e->msg, msg, sizeof(msg));
	return -(int)status;
}

int err_set(struct err *e, enum kasi_status status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = err_vset(e, status, 0, fmt, ap);
	va_end(ap);
	return rc;
}

int err_sys(struct err *e, enum kasi_status status, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	int rc = err_vset(e, status, errnum ? errnum : EIO, fmt, ap);
	va_end(ap);
	return rc;
}

void err_clear(struct err *e)
{
	if (e) {
		e->status = 0;
		e->msg[0] = '\0';
	}
}

const char *kasi_status_name(int status)
{
	switch (status < 0 ? -status : status) {
	case KASI_OK: return "ok";
	case KASI_FINDINGS: return "findings";
	case KASI_EUSAGE: return "usage";
	case KASI_EDATA: return "data";
	case KASI_ENOINPUT: return "no_input";
	case KASI_EUNAVAILABLE: return "unavailable";
	case KASI_EIO: return "io";
	case KASI_ELOCKED: return "locked";
	case KASI_ECONFIG: return "config";
	}
	return "internal";
}

static int severity(int status)
{
	static const int order[] = { KASI_OK,	   KASI_FINDINGS,     KASI_EDATA, KASI_ENOINPUT,
				     KASI_ECONFIG, KASI_EUNAVAILABLE, KASI_EIO,	  KASI_ELOCKED };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i] == status)
			return (int)i;
	return (int)(sizeof(order) / sizeof(order[0]));
}

int kasi_worse(int a, int b)
{
	return severity(b) > severity(a) ? b : a;
}
