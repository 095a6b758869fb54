/* Thread-local last error and debug logging (docs/error-handling.md). */
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"

/* One slot per thread: a db is used by one thread at a time, errors never cross threads. */
static _Thread_local int last_code = KDBX_OK;
static _Thread_local char last_msg[512];

int kdbx_error__set(int code, const char *fmt, ...)
{
	va_list ap;

	last_code = code;
	if (fmt == NULL) {
		last_msg[0] = '\0';
		return code;
	}
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	kdbx_log_debug("error %d (%s): %s", code, kdbx_strerror(code), last_msg);
	return code;
}

void kdbx_log_debug(const char *fmt, ...)
{
	va_list ap;

	/* Read every time (cheap) so tests and users can toggle it at run time. */
	if (getenv("KDBX_DEBUG") == NULL)
		return;
	va_start(ap, fmt);
	fputs("kdbx: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

const char *kdbx_strerror(int code)
{
	switch (code) {
	case KDBX_OK: return "success";
	case KDBX_ERROR: return "unclassified failure";
	case KDBX_ENOMEM: return "out of memory";
	case KDBX_EINVALID: return "invalid argument";
	case KDBX_ENOTFOUND: return "not found";
	case KDBX_EAUTH: return "wrong credentials";
	case KDBX_ECORRUPT: return "file damaged or not a KDBX file";
	case KDBX_EUNSUPPORTED: return "unsupported version or feature";
	case KDBX_EIO: return "input/output error";
	case KDBX_EKEYFILE: return "key file unreadable or malformed";
	case KDBX_EDEVICE: return "hardware device not found or failed";
	case KDBX_ETIMEOUT: return "timed out waiting for the device";
	case KDBX_ECANCELLED: return "cancelled";
	case KDBX_EPIN: return "wrong PIN";
	case KDBX_EPINLOCKED: return "PIN blocked";
	case KDBX_ENOSLOT: return "device slot or credential not configured";
	case KDBX_EEXISTS: return "already exists";
	default: return "unknown error";
	}
}

const char *kdbx_error_last(void)
{
	return last_msg;
}

int kdbx_error_last_code(void)
{
	return last_code;
}

void kdbx_error_clear(void)
{
	last_code = KDBX_OK;
	last_msg[0] = '\0';
}
