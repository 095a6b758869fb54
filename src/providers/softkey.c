/* Soft key: HMAC-SHA1 / HMAC-SHA256 from a known secret, answering exactly as
 * a YubiKey slot in variable-length mode (keepassxc-notes.md 1.2). Used for
 * recovery without the hardware and in tests. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "providers/yubikey_proto.h"

#define SOFTKEY_MAX_SECRET 1024
#define SOFTKEY_MAX_FILE 4096

typedef struct softkey {
	kdbx_provider parent; /* first member: the vtable */
	int hash;
	uint8_t *secret; /* kdbx_secure_alloc(SOFTKEY_MAX_SECRET) */
	size_t secret_len;
} softkey;

static int softkey_describe(kdbx_provider *self, char *buf, size_t buflen)
{
	softkey *k = (softkey *)self;

	if (buf == NULL || buflen == 0)
		return kdbx_error__set(KDBX_EINVALID, "describe: no buffer");
	snprintf(buf, buflen, "soft key (HMAC-%s)", k->hash == KDBX_SOFTKEY_SHA1 ? "SHA1" : "SHA256");
	return KDBX_OK;
}

static int softkey_respond(kdbx_provider *self, const uint8_t *challenge, size_t len,
                           kdbx_secret **response)
{
	softkey *k = (softkey *)self;
	uint8_t block[KDBX_YK_BLOCK], mac[32];
	size_t n, maclen = k->hash == KDBX_SOFTKEY_SHA1 ? 20 : 32;
	int rc;

	if (response == NULL)
		return kdbx_error__set(KDBX_EINVALID, "soft key: no output");
	*response = NULL;
	rc = kdbx_yk__pad(challenge, len, block);
	if (rc < 0)
		return rc;
	n = kdbx_yk__variable_len(block);
	if (k->hash == KDBX_SOFTKEY_SHA1)
		rc = kdbx_hmac_sha1(k->secret, k->secret_len, block, n, mac);
	else
		rc = kdbx_hmac_sha256(k->secret, k->secret_len, block, n, mac);
	if (rc == KDBX_OK)
		rc = kdbx_secret_new(response, mac, maclen);
	kdbx_memzero(block, sizeof(block));
	kdbx_memzero(mac, sizeof(mac));
	return rc;
}

static void softkey_free(kdbx_provider *self)
{
	softkey *k = (softkey *)self;

	if (k == NULL)
		return;
	kdbx_secure_free(k->secret, SOFTKEY_MAX_SECRET);
	kdbx_freezero(k, sizeof(*k));
}

int kdbx_softkey_new_secret(kdbx_provider **out, int hash, const uint8_t *secret, size_t len)
{
	softkey *k;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_softkey_new: no output");
	*out = NULL;
	if (hash != KDBX_SOFTKEY_SHA1 && hash != KDBX_SOFTKEY_SHA256)
		return kdbx_error__set(KDBX_EINVALID, "soft key: hash must be SHA1 or SHA256");
	if (secret == NULL || len == 0 || len > SOFTKEY_MAX_SECRET)
		return kdbx_error__set(KDBX_EINVALID, "soft key: secret must be 1..%d bytes",
		                       SOFTKEY_MAX_SECRET);
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	k->secret = kdbx_secure_alloc(SOFTKEY_MAX_SECRET);
	if (k->secret == NULL) {
		free(k);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	memcpy(k->secret, secret, len);
	k->secret_len = len;
	k->hash = hash;
	k->parent.version = KDBX_PROVIDER_VERSION;
	k->parent.name = "softkey";
	k->parent.describe = softkey_describe;
	k->parent.challenge_response = softkey_respond;
	k->parent.free = softkey_free;
	*out = &k->parent;
	return KDBX_OK;
}

static int is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Hex text (even count of hex digits between optional whitespace) or raw bytes. */
static int softkey_from_content(kdbx_provider **out, int hash, const uint8_t *data, size_t len)
{
	size_t a = 0, b = len;
	int hex = 1, rc;

	while (a < b && is_space(data[a]))
		a++;
	while (b > a && is_space(data[b - 1]))
		b--;
	if (b - a < 2 || (b - a) % 2 != 0)
		hex = 0;
	for (size_t i = a; hex && i < b; i++)
		if (!is_hex(data[i]))
			hex = 0;
	if (!hex)
		return kdbx_softkey_new_secret(out, hash, data, len);
	{
		size_t n = (b - a) / 2;
		uint8_t *raw;

		if (n > SOFTKEY_MAX_SECRET)
			return kdbx_error__set(KDBX_EINVALID, "soft key: secret longer than %d bytes",
			                       SOFTKEY_MAX_SECRET);
		raw = kdbx_secure_alloc(SOFTKEY_MAX_SECRET);
		if (raw == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		rc = kdbx_hex_decode(raw, n, (const char *)data + a, b - a);
		if (rc == KDBX_OK)
			rc = kdbx_softkey_new_secret(out, hash, raw, n);
		kdbx_secure_free(raw, SOFTKEY_MAX_SECRET);
		return rc;
	}
}

int kdbx_softkey_new_fd(kdbx_provider **out, int hash, int fd)
{
	uint8_t *buf;
	size_t len = 0;
	int rc;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_softkey_new_fd: no output");
	*out = NULL;
	if (fd < 0)
		return kdbx_error__set(KDBX_EINVALID, "soft key: invalid descriptor");
	buf = kdbx_secure_alloc(SOFTKEY_MAX_FILE + 1);
	if (buf == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	for (;;) {
		ssize_t r = read(fd, buf + len, SOFTKEY_MAX_FILE + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = kdbx_error__set(KDBX_EIO, "soft key: cannot read the secret: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > SOFTKEY_MAX_FILE) {
			rc = kdbx_error__set(KDBX_EINVALID, "soft key: secret file larger than %d bytes",
			                     SOFTKEY_MAX_FILE);
			goto out;
		}
	}
	if (len == 0) {
		rc = kdbx_error__set(KDBX_EINVALID, "soft key: the secret is empty");
		goto out;
	}
	rc = softkey_from_content(out, hash, buf, len);
out:
	kdbx_secure_free(buf, SOFTKEY_MAX_FILE + 1);
	return rc;
}

int kdbx_softkey_new(kdbx_provider **out, int hash, const char *secret_file)
{
	int fd, rc;

	if (out == NULL || secret_file == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_softkey_new: invalid argument");
	*out = NULL;
	fd = open(secret_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kdbx_error__set(KDBX_EIO, "soft key: cannot open %s: %s", secret_file,
		                       strerror(errno));
	rc = kdbx_softkey_new_fd(out, hash, fd);
	close(fd);
	return rc;
}
