/* libkdbx: KeePass KDBX databases with hardware-protected keys. */
#ifndef KDBX_H
#define KDBX_H

#ifdef __cplusplus
extern "C" {
#endif

#include "kdbx/common.h"
#include "kdbx/error.h"
#include "kdbx/secret.h"
#include "kdbx/key.h"
#include "kdbx/db.h"
#include "kdbx/group.h"
#include "kdbx/entry.h"
#include "kdbx/provider.h"
#include "kdbx/yubikey.h"
#include "kdbx/slots.h"
#include "kdbx/pkcs11.h"
#include "kdbx/fido2.h"
#include "kdbx/tpm2.h"

KDBX_EXTERN const char *kdbx_version(void);

#ifdef __cplusplus
}
#endif

#endif
