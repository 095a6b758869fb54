/* Shared definitions for every public libkdbx header. */
#ifndef KDBX_COMMON_H
#define KDBX_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(KDBX_BUILDING) && defined(__GNUC__)
#define KDBX_EXTERN __attribute__((visibility("default")))
#else
#define KDBX_EXTERN
#endif

#define KDBX_VERSION_STRING "0.1.0"

typedef struct kdbx_db kdbx_db;
typedef struct kdbx_group kdbx_group;
typedef struct kdbx_entry kdbx_entry;
typedef struct kdbx_key kdbx_key;
typedef struct kdbx_secret kdbx_secret;
typedef struct kdbx_provider kdbx_provider;

/* A 16-byte KeePass UUID (RFC 4122 byte order). */
typedef struct kdbx_uuid {
	uint8_t bytes[16];
} kdbx_uuid;

/* Seconds since 0001-01-01T00:00:00Z, as KDBX 4 stores times. 0 = unset. */
typedef int64_t kdbx_time;

#endif
