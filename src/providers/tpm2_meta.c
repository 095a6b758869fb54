/* TPM slot metadata, version 1 (docs/hardware-keys.md "TPM 2.0"; all
 * integers little-endian, TPM structures in their TPM wire form):
 *   u8 version=1, u8 flags (1 PIN, 2 PCR policy, 4 persistent-handle mode),
 *   u8 SRK template id (1 = ECC NIST P-256), u8 0,
 *   u32 persistent handle (0 in blob mode), u32 PCR mask, u16 PCR bank alg,
 *   32 bytes challenge, 16 bytes PIN salt,
 *   then u16 length + bytes for: SRK name, key name, TPM2B_PUBLIC (marshalled,
 *   blob mode), TPM2B_PRIVATE (marshalled, blob mode), policy digest. */
#include <stdlib.h>
#include <string.h>

#include "providers/tpm2_int.h"

#define FIXED_LEN (4 + 4 + 4 + 2 + 32 + 16)

static int put(kdbx_buf *b, const uint8_t *p, size_t n)
{
	int rc = kdbx_buf_append_le16(b, (uint16_t)n);
	return rc != KDBX_OK ? rc : kdbx_buf_append(b, p, n);
}

int kdbx_tpm2__meta_encode(const kdbx_tpm2_meta *m, uint8_t **out, size_t *len)
{
	kdbx_buf b = KDBX_BUF_INIT;
	uint8_t pub[sizeof(TPM2B_PUBLIC)], priv[sizeof(TPM2B_PRIVATE)];
	size_t pl = 0, vl = 0;
	uint8_t hdr[4] = {KDBX_TPM2_META_V1, m->flags, m->srk_template, 0};
	int rc;

	if (!(m->flags & KDBX_TPM2_M_HANDLE)) {
		if (Tss2_MU_TPM2B_PUBLIC_Marshal(&m->pub, pub, sizeof(pub), &pl) != TSS2_RC_SUCCESS ||
		    Tss2_MU_TPM2B_PRIVATE_Marshal(&m->priv, priv, sizeof(priv), &vl) != TSS2_RC_SUCCESS)
			return kdbx_error__set(KDBX_ERROR, "cannot marshal the TPM key blob");
	}
	if ((rc = kdbx_buf_append(&b, hdr, 4)) != KDBX_OK || (rc = kdbx_buf_append_le32(&b, m->handle)) != KDBX_OK ||
	    (rc = kdbx_buf_append_le32(&b, m->pcr_mask)) != KDBX_OK ||
	    (rc = kdbx_buf_append_le16(&b, m->pcr_bank)) != KDBX_OK ||
	    (rc = kdbx_buf_append(&b, m->challenge, 32)) != KDBX_OK ||
	    (rc = kdbx_buf_append(&b, m->pin_salt, 16)) != KDBX_OK ||
	    (rc = put(&b, m->srk_name.name, m->srk_name.size)) != KDBX_OK ||
	    (rc = put(&b, m->key_name.name, m->key_name.size)) != KDBX_OK || (rc = put(&b, pub, pl)) != KDBX_OK ||
	    (rc = put(&b, priv, vl)) != KDBX_OK || (rc = put(&b, m->policy.buffer, m->policy.size)) != KDBX_OK) {
		kdbx_buf_free(&b);
		return rc;
	}
	*out = kdbx_buf_detach(&b, len);
	return *out != NULL ? KDBX_OK : kdbx_error__set(KDBX_ENOMEM, "out of memory");
}

/* Next u16-length field into dst (at most cap bytes). */
static int get(const uint8_t *in, size_t len, size_t *off, uint8_t *dst, size_t cap, uint16_t *n)
{
	if (*off + 2 > len)
		return -1;
	*n = kdbx_le16(in + *off);
	*off += 2;
	if (*n > cap || *off + *n > len)
		return -1;
	if (*n > 0)
		memcpy(dst, in + *off, *n);
	*off += *n;
	return 0;
}

int kdbx_tpm2__meta_decode(const uint8_t *in, size_t len, kdbx_tpm2_meta *m)
{
	uint8_t pub[sizeof(TPM2B_PUBLIC)], priv[sizeof(TPM2B_PRIVATE)];
	uint16_t pl = 0, vl = 0;
	size_t off = FIXED_LEN;

	memset(m, 0, sizeof(*m));
	if (in == NULL || len < 1)
		return kdbx_tpm2__set(KDBX_TPM2_FAILED, KDBX_ECORRUPT, "TPM slot metadata truncated");
	if (in[0] != KDBX_TPM2_META_V1)
		return kdbx_tpm2__set(KDBX_TPM2_FAILED, KDBX_EUNSUPPORTED,
		                      "TPM slot metadata version %u is newer than this libkdbx", in[0]);
	if (len < FIXED_LEN)
		return kdbx_tpm2__set(KDBX_TPM2_FAILED, KDBX_ECORRUPT, "TPM slot metadata truncated");
	m->flags = in[1];
	m->srk_template = in[2];
	m->handle = kdbx_le32(in + 4);
	m->pcr_mask = kdbx_le32(in + 8);
	m->pcr_bank = kdbx_le16(in + 12);
	memcpy(m->challenge, in + 14, 32);
	memcpy(m->pin_salt, in + 46, 16);
	if ((m->flags & ~(KDBX_TPM2_M_PIN | KDBX_TPM2_M_PCR | KDBX_TPM2_M_HANDLE)) != 0 || in[3] != 0 ||
	    get(in, len, &off, m->srk_name.name, sizeof(m->srk_name.name), &m->srk_name.size) < 0 ||
	    get(in, len, &off, m->key_name.name, sizeof(m->key_name.name), &m->key_name.size) < 0 ||
	    get(in, len, &off, pub, sizeof(pub), &pl) < 0 || get(in, len, &off, priv, sizeof(priv), &vl) < 0 ||
	    get(in, len, &off, m->policy.buffer, sizeof(m->policy.buffer), &m->policy.size) < 0 || off != len)
		goto bad;
	if (m->flags & KDBX_TPM2_M_HANDLE) {
		if (m->handle < KDBX_TPM2_PERSISTENT_FIRST || m->handle > KDBX_TPM2_PERSISTENT_LAST ||
		    m->key_name.size == 0 || pl != 0 || vl != 0 || (m->flags & KDBX_TPM2_M_PCR))
			goto bad;
	} else {
		size_t o1 = 0, o2 = 0;
		if (m->handle != 0 || m->srk_name.size == 0 || pl == 0 || vl == 0 ||
		    Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub, pl, &o1, &m->pub) != TSS2_RC_SUCCESS || o1 != pl ||
		    Tss2_MU_TPM2B_PRIVATE_Unmarshal(priv, vl, &o2, &m->priv) != TSS2_RC_SUCCESS || o2 != vl)
			goto bad;
	}
	if (((m->flags & KDBX_TPM2_M_PCR) != 0) != (m->pcr_mask != 0) || m->pcr_mask >= (1u << 24))
		goto bad;
	return KDBX_OK;
bad:
	return kdbx_tpm2__set(KDBX_TPM2_FAILED, KDBX_ECORRUPT, "TPM slot metadata damaged");
}
