/* PKCS#11 as a challenge-response provider (KeePassXC-style composite key):
 * only mechanisms that answer an arbitrary challenge fit - HMAC-SHA256 on a
 * secret key, or a deterministic RSA PKCS#1 v1.5 signature. The answer is
 * normalised to 32 bytes with HKDF-SHA256. The token is looked up on every
 * challenge (a token removed later gives KDBX_EDEVICE then). */
#include <stdio.h>
#include <stdlib.h>

#include "providers/pkcs11_int.h"

typedef struct p11_cr {
	kdbx_provider parent; /* first member */
	kdbx_pkcs11_options opts;
	char *uri, *module;
	char desc[160];
} p11_cr;

static int cr_describe(kdbx_provider *self, char *buf, size_t buflen)
{
	p11_cr *p = (p11_cr *)self;

	if (buf == NULL || buflen == 0)
		return kdbx_error__set(KDBX_EINVALID, "describe: no buffer");
	snprintf(buf, buflen, "%s", p->desc);
	return KDBX_OK;
}

static int cr_respond(kdbx_provider *self, const uint8_t *challenge, size_t len,
                      kdbx_secret **response)
{
	p11_cr *p = (p11_cr *)self;
	kdbx_p11_sel sel;
	kdbx_p11_conn c;
	kdbx_p11_key k;
	kdbx_p11_mech *mechs = NULL;
	size_t nmech = 0;
	kdbx_buf raw = KDBX_BUF_INIT;
	uint8_t input[51], out[32] = {0};
	int rc, mech;

	*response = NULL;
	raw.secure = true;
	rc = kdbx_p11__sel_init(&sel, &p->opts);
	if (rc < 0)
		return rc;
	rc = kdbx_p11__connect(&c, &sel, 0, 1, &p->parent.interaction);
	if (rc < 0) {
		kdbx_p11__sel_free(&sel);
		return rc;
	}
	if ((rc = kdbx_p11__find_key(&c.ss, &sel, &k)) < 0 ||
	    (rc = kdbx_p11__mechs(&c.ss, &mechs, &nmech)) < 0)
		goto out;
	mech = sel.mechanism;
	if (mech == 0)
		mech = k.cls == CKO_SECRET_KEY ? KDBX_PKCS11_MECH_HMAC_SHA256 : KDBX_PKCS11_MECH_RSA_SIGN;
	if (mech != KDBX_PKCS11_MECH_HMAC_SHA256 && mech != KDBX_PKCS11_MECH_RSA_SIGN) {
		rc = kdbx_error__set(KDBX_EUNSUPPORTED, "as a challenge-response key a PKCS#11 key "
		                                        "must do HMAC or RSA PKCS#1 v1.5 signatures; "
		                                        "enrol EC/RSA-decrypt keys as device slots");
		goto out;
	}
	if ((rc = kdbx_p11__choose(&k, mechs, nmech, mech)) < 0)
		goto out;
	if (mech == KDBX_PKCS11_MECH_HMAC_SHA256) {
		rc = kdbx_p11__hmac(&c.ss, &k, challenge, len, &raw);
	} else {
		rc = kdbx_p11__sign_input(challenge, len, input);
		if (rc == KDBX_OK)
			rc = kdbx_p11__rsa_sign(&c.ss, &k, input, sizeof(input), &raw);
	}
	if (rc == KDBX_OK)
		rc = kdbx_p11__normalise(mech, raw.data, raw.len, NULL, 0, out);
	if (rc == KDBX_OK)
		rc = kdbx_secret_new(response, out, sizeof(out));
out:
	kdbx_memzero(out, sizeof(out));
	kdbx_buf_free(&raw);
	free(mechs);
	kdbx_p11__disconnect(&c);
	kdbx_p11__sel_free(&sel);
	return rc;
}

static void cr_free(kdbx_provider *self)
{
	p11_cr *p = (p11_cr *)self;

	if (p == NULL)
		return;
	free(p->uri);
	free(p->module);
	kdbx_freezero(p, sizeof(*p));
}

int kdbx_pkcs11_new(kdbx_provider **out, const kdbx_pkcs11_options *opts)
{
	kdbx_p11_sel check;
	p11_cr *p;
	int rc;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_pkcs11_new: no output");
	*out = NULL;
	if (opts != NULL && (opts->token_label != NULL || opts->token_serial != NULL ||
	                     opts->key_label != NULL || opts->key_id != NULL))
		return kdbx_error__set(KDBX_EINVALID, "kdbx_pkcs11_new: select the token and key with "
		                                      "the URI (token=, serial=, object=, id=)");
	rc = kdbx_p11__sel_init(&check, opts);
	if (rc < 0)
		return rc;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		kdbx_p11__sel_free(&check);
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	}
	memcpy(p->desc, "PKCS#11: ", 9);
	kdbx_p11__sel_describe(&check, p->desc + 9, sizeof(p->desc) - 9);
	kdbx_p11__sel_free(&check);
	if (opts != NULL) {
		p->opts = *opts;
		p->uri = kdbx_strdup(opts->uri);
		p->module = kdbx_strdup(opts->module);
		if ((opts->uri != NULL && p->uri == NULL) || (opts->module != NULL && p->module == NULL)) {
			cr_free(&p->parent);
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		}
		p->opts.uri = p->uri;
		p->opts.module = p->module;
		p->opts.interaction = NULL;
		if (opts->interaction != NULL)
			p->parent.interaction = *opts->interaction;
	} else {
		kdbx_pkcs11_options d = KDBX_PKCS11_OPTIONS_INIT;

		p->opts = d;
	}
	p->parent.version = KDBX_PROVIDER_VERSION;
	p->parent.name = "pkcs11";
	p->parent.describe = cr_describe;
	p->parent.challenge_response = cr_respond;
	p->parent.free = cr_free;
	*out = &p->parent;
	return KDBX_OK;
}
