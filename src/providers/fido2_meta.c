/* FIDO2 slot metadata: what unlock needs to find and drive the authenticator
 * without trial (credential id, rp id, salt, up / uv / PIN requirements). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "providers/fido2_int.h"

int kdbx_fido2__meta_encode(const fido2_meta *m, uint8_t **out, size_t *len)
{
	size_t rl = strlen(m->rp), n, o = 0;
	uint8_t *b;

	*out = NULL;
	*len = 0;
	if (rl == 0 || rl > 255 || m->cred_len == 0 || m->cred_len > FIDO2_CRED_MAX || (m->flags & ~FIDO2_F_ALL))
		return kdbx_error__set(KDBX_EINVALID, "fido2: invalid slot metadata");
	n = 3 + rl + FIDO2_SALT_LEN + 2 + m->cred_len;
	if ((b = malloc(n)) == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	b[o++] = FIDO2_META_V1;
	b[o++] = m->flags;
	b[o++] = (uint8_t)rl;
	memcpy(b + o, m->rp, rl);
	o += rl;
	memcpy(b + o, m->salt, FIDO2_SALT_LEN);
	o += FIDO2_SALT_LEN;
	b[o++] = (uint8_t)(m->cred_len & 0xff);
	b[o++] = (uint8_t)(m->cred_len >> 8);
	memcpy(b + o, m->cred, m->cred_len);
	*out = b;
	*len = n;
	return KDBX_OK;
}

int kdbx_fido2__meta_decode(const uint8_t *b, size_t n, fido2_meta *m)
{
	size_t o = 0, rl, cl;

	memset(m, 0, sizeof(*m));
	if (b == NULL || n < 1)
		return kdbx_error__set(KDBX_ECORRUPT, "fido2 slot: empty metadata");
	if (b[0] != FIDO2_META_V1)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "fido2 slot: metadata version %u is not supported "
		                       "(newer libkdbx?)", (unsigned)b[0]);
	if (n < 3)
		goto bad;
	m->flags = b[1];
	rl = b[2];
	o = 3;
	if ((m->flags & ~FIDO2_F_ALL) || rl == 0 || n - o < rl + FIDO2_SALT_LEN + 2)
		goto bad;
	memcpy(m->rp, b + o, rl);
	m->rp[rl] = '\0';
	if (strlen(m->rp) != rl)
		goto bad; /* NUL inside the rp id */
	o += rl;
	memcpy(m->salt, b + o, FIDO2_SALT_LEN);
	o += FIDO2_SALT_LEN;
	cl = (size_t)b[o] | ((size_t)b[o + 1] << 8);
	o += 2;
	if (cl == 0 || cl > FIDO2_CRED_MAX || n - o != cl)
		goto bad;
	memcpy(m->cred, b + o, cl);
	m->cred_len = cl;
	return KDBX_OK;
bad:
	memset(m, 0, sizeof(*m));
	return kdbx_error__set(KDBX_ECORRUPT, "fido2 slot: damaged metadata");
}

int kdbx_fido2__meta_device_id(const fido2_meta *m, char *buf, size_t buflen)
{
	uint8_t h[32];
	char hex[9];
	int rc;

	if ((rc = kdbx_sha256(m->cred, m->cred_len, h)) != KDBX_OK)
		return rc;
	kdbx_hex_encode(hex, h, 4, false);
	snprintf(buf, buflen, "fido2:%s:%s", m->rp, hex);
	return KDBX_OK;
}
