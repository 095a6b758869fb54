/* Error codes and the thread-local last-error message (docs/error-handling.md). */
#ifndef KDBX_ERROR_H
#define KDBX_ERROR_H

#include "common.h"

enum kdbx_error_code {
	KDBX_OK = 0,
	KDBX_ERROR = -1,        /* unclassified failure */
	KDBX_ENOMEM = -2,       /* out of memory */
	KDBX_EINVALID = -3,     /* invalid argument from the caller */
	KDBX_ENOTFOUND = -4,    /* no such entry / group / field / attachment */
	KDBX_EAUTH = -5,        /* wrong credentials (one code whatever component was wrong) */
	KDBX_ECORRUPT = -6,     /* file damaged, truncated or not a KDBX file */
	KDBX_EUNSUPPORTED = -7, /* valid but unsupported version / cipher / KDF / feature */
	KDBX_EIO = -8,          /* operating-system I/O error (errno in the message) */
	KDBX_EKEYFILE = -9,     /* key file unreadable or malformed */
	KDBX_EDEVICE = -10,     /* hardware device not found / failed */
	KDBX_ETIMEOUT = -11,    /* touch / presence timeout */
	KDBX_ECANCELLED = -12,  /* cancelled by a callback */
	KDBX_EPIN = -13,        /* PIN wrong (retries left in the message) */
	KDBX_EPINLOCKED = -14,  /* PIN blocked */
	KDBX_ENOSLOT = -15,     /* device slot / credential not configured */
	KDBX_EEXISTS = -16      /* object already exists */
};

/* Static English name of a code, e.g. "wrong credentials". Never NULL. */
KDBX_EXTERN const char *kdbx_strerror(int code);

/* Message of the last failure on this thread ("" if none). Valid until the
 * next libkdbx call on this thread. Never contains secrets. */
KDBX_EXTERN const char *kdbx_error_last(void);

/* Code of the last failure on this thread (KDBX_OK if none). */
KDBX_EXTERN int kdbx_error_last_code(void);

KDBX_EXTERN void kdbx_error_clear(void);

#endif
