/* The composite key object, private to src/keys/. */
#ifndef KDBX_KEYS_PRIVATE_H
#define KDBX_KEYS_PRIVATE_H

#include "keys/keys.h"
#include "kdbx/provider.h"

/* Allocated with kdbx_secure_alloc: the hashed components never leave locked memory. */
struct kdbx_key {
	uint8_t password[32]; /* SHA-256(UTF-8 password) */
	uint8_t keyfile[32];  /* key-file component */
	bool has_password;
	bool has_keyfile;
	kdbx_provider **providers; /* borrowed, in insertion order */
	size_t nproviders;
	/* Multi-device key-encryption key (src/slots/): kek_mode 0 none,
	 * KDBX_KEK_XOR (kdbxtool mode 2), KDBX_KEK_COMPONENT (mode 3). */
	uint8_t kek[32];
	int kek_mode;
};

#endif
