/* Key setup help: listing tokens and usable keys (with the mechanism each
 * would use), generating an HMAC secret key or an EC/RSA key pair on a token,
 * and importing a known HMAC secret (C_CreateObject). */
#include <stdio.h>
#include <stdlib.h>

#include "providers/pkcs11_int.h"

typedef struct list_ctx {
	const kdbx_p11_sel *sel;
	const kdbx_interaction *ia;
	int login;
	kdbx_pkcs11_key_info *items;
	size_t n, cap;
	int err;
} list_ctx;

static kdbx_pkcs11_key_info *add_item(list_ctx *c)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		kdbx_pkcs11_key_info *it = realloc(c->items, cap * sizeof(*it));

		if (it == NULL)
			return NULL;
		c->items = it;
		c->cap = cap;
	}
	memset(&c->items[c->n], 0, sizeof(c->items[0]));
	return &c->items[c->n++];
}

static void fill_token(kdbx_pkcs11_key_info *it, const kdbx_p11_token *t)
{
	CK_FLAGS f = t->info.flags;

	snprintf(it->module, sizeof(it->module), "%s", t->module);
	it->slot_index = t->index;
	snprintf(it->token_label, sizeof(it->token_label), "%s", t->label);
	snprintf(it->token_serial, sizeof(it->token_serial), "%s", t->serial);
	kdbx_p11__fixed_str(it->token_model, sizeof(it->token_model), t->info.model,
	                    sizeof(t->info.model));
	kdbx_p11__fixed_str(it->manufacturer, sizeof(it->manufacturer), t->info.manufacturerID,
	                    sizeof(t->info.manufacturerID));
	if (f & CKF_LOGIN_REQUIRED)
		it->token_flags |= KDBX_PKCS11_TOKEN_LOGIN;
	if (f & CKF_PROTECTED_AUTHENTICATION_PATH)
		it->token_flags |= KDBX_PKCS11_TOKEN_PINPAD;
	if (f & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY))
		it->token_flags |= KDBX_PKCS11_TOKEN_PIN_LOW;
	if (f & CKF_USER_PIN_LOCKED)
		it->token_flags |= KDBX_PKCS11_TOKEN_LOCKED;
	if (!(f & CKF_WRITE_PROTECTED))
		it->token_flags |= KDBX_PKCS11_TOKEN_WRITABLE;
}

static int format_uri(const kdbx_p11_token *t, const kdbx_p11_key *k, char *buf, size_t len)
{
	P11KitUri *u = p11_kit_uri_new();
	CK_TOKEN_INFO *ti;
	char *s = NULL;

	buf[0] = '\0';
	if (u == NULL)
		return KDBX_ENOMEM;
	ti = p11_kit_uri_get_token_info(u);
	memcpy(ti->label, t->info.label, sizeof(ti->label));
	memcpy(ti->serialNumber, t->info.serialNumber, sizeof(ti->serialNumber));
	if (k != NULL) {
		CK_ATTRIBUTE a = {CKA_CLASS, (void *)&k->cls, sizeof(k->cls)};

		p11_kit_uri_set_attribute(u, &a);
		if (k->id_len) {
			a.type = CKA_ID;
			a.pValue = (void *)k->id;
			a.ulValueLen = k->id_len;
			p11_kit_uri_set_attribute(u, &a);
		}
		if (k->label[0]) {
			a.type = CKA_LABEL;
			a.pValue = (void *)k->label;
			a.ulValueLen = strlen(k->label);
			p11_kit_uri_set_attribute(u, &a);
		}
	}
	if (p11_kit_uri_format(u, k ? P11_KIT_URI_FOR_OBJECT_ON_TOKEN : P11_KIT_URI_FOR_TOKEN, &s) ==
	    P11_KIT_URI_OK && s != NULL)
		snprintf(buf, len, "%s", s);
	free(s);
	p11_kit_uri_free(u);
	return KDBX_OK;
}

static int list_cb(const kdbx_p11_token *t, void *ud)
{
	list_ctx *c = ud;
	kdbx_pkcs11_key_info *it;
	kdbx_p11_session ss;
	kdbx_p11_key *keys = NULL;
	kdbx_p11_mech *mechs = NULL;
	size_t nkeys = 0, nmech = 0;

	if (c->sel->slot_index >= 0 && t->index != c->sel->slot_index)
		return 0;
	if (!p11_kit_uri_match_token_info(c->sel->uri, &t->info))
		return 0;
	it = add_item(c);
	if (it == NULL)
		return c->err = KDBX_ENOMEM;
	fill_token(it, t);
	it->is_token = 1;
	format_uri(t, NULL, it->uri, sizeof(it->uri));
	if (kdbx_p11__open(&ss, t, 0) < 0) {
		snprintf(it->note, sizeof(it->note), "cannot open a session: %s", kdbx_error_last());
		return 0;
	}
	if (c->login && kdbx_p11__login(&ss, c->ia, p11_kit_uri_get_pin_value(c->sel->uri)) < 0) {
		snprintf(it->note, sizeof(it->note), "%s", kdbx_error_last());
		if (kdbx_error_last_code() == KDBX_ECANCELLED) {
			kdbx_p11__close(&ss);
			return c->err = KDBX_ECANCELLED;
		}
	}
	if (kdbx_p11__list_keys(&ss, c->sel, &keys, &nkeys) == KDBX_OK &&
	    kdbx_p11__mechs(&ss, &mechs, &nmech) == KDBX_OK) {
		for (size_t i = 0; i < nkeys; i++) {
			int m;

			it = add_item(c);
			if (it == NULL) {
				c->err = KDBX_ENOMEM;
				break;
			}
			fill_token(it, t);
			snprintf(it->label, sizeof(it->label), "%s", keys[i].label);
			kdbx_hex_encode(it->id_hex, keys[i].id, keys[i].id_len, false);
			kdbx_p11__key_type_str(&keys[i], it->key_type, sizeof(it->key_type));
			m = kdbx_p11__choose(&keys[i], mechs, nmech, 0);
			if (m > 0)
				it->mechanism = m;
			else
				snprintf(it->note, sizeof(it->note), "%s", kdbx_error_last());
			format_uri(t, &keys[i], it->uri, sizeof(it->uri));
		}
	}
	kdbx_error_clear();
	free(keys);
	free(mechs);
	kdbx_p11__close(&ss);
	return c->err < 0 ? c->err : 0;
}

int kdbx_pkcs11_list(const kdbx_pkcs11_options *opts, int login, kdbx_pkcs11_key_info **out,
                     size_t *count)
{
	kdbx_p11_sel sel;
	kdbx_p11_mods mods;
	list_ctx c;
	int rc;

	if (out == NULL || count == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_pkcs11_list: no output");
	*out = NULL;
	*count = 0;
	rc = kdbx_p11__sel_init(&sel, opts);
	if (rc < 0)
		return rc;
	rc = kdbx_p11__load(&mods, sel.module);
	if (rc < 0) {
		kdbx_p11__sel_free(&sel);
		return rc;
	}
	memset(&c, 0, sizeof(c));
	c.sel = &sel;
	c.login = login;
	c.ia = opts != NULL ? opts->interaction : NULL;
	rc = kdbx_p11__each_token(&mods, list_cb, &c);
	kdbx_p11__unload(&mods);
	kdbx_p11__sel_free(&sel);
	if (rc < 0 || c.err < 0) {
		free(c.items);
		return rc < 0 ? rc : kdbx_error__set(c.err, "listing PKCS#11 tokens failed");
	}
	*out = c.items;
	*count = c.n;
	return KDBX_OK;
}

void kdbx_pkcs11_list_free(kdbx_pkcs11_key_info **list)
{
	if (list == NULL)
		return;
	free(*list);
	*list = NULL;
}

/* Refuses when a key with the same id or label exists (keys must stay unique). */
static int check_unique(kdbx_p11_session *ss, const kdbx_pkcs11_options *o)
{
	kdbx_pkcs11_options only = KDBX_PKCS11_OPTIONS_INIT;
	kdbx_p11_sel s;
	kdbx_p11_key *keys = NULL;
	size_t n = 0;
	int rc;

	for (int pass = 0; pass < 2; pass++) {
		only.key_id = pass == 0 ? o->key_id : NULL;
		only.key_id_len = pass == 0 ? o->key_id_len : 0;
		only.key_label = pass == 1 ? o->key_label : NULL;
		if (only.key_id == NULL && only.key_label == NULL)
			continue;
		if ((rc = kdbx_p11__sel_init(&s, &only)) < 0)
			return rc;
		rc = kdbx_p11__list_keys(ss, &s, &keys, &n);
		kdbx_p11__sel_free(&s);
		free(keys);
		if (rc < 0)
			return rc;
		if (n > 0)
			return kdbx_error__set(KDBX_EEXISTS, "a key with this %s already exists on token "
			                                     "'%s'", pass == 0 ? "id" : "label",
			                       ss->tok.label);
	}
	return KDBX_OK;
}

typedef int (*admin_fn)(kdbx_p11_session *ss, const kdbx_pkcs11_options *o, const void *arg,
                        size_t arglen);

static int with_token(const kdbx_pkcs11_options *o, admin_fn fn, const void *arg, size_t arglen)
{
	kdbx_pkcs11_options tok;
	kdbx_p11_sel sel;
	kdbx_p11_conn c;
	int rc;

	if (o == NULL || o->key_label == NULL || o->key_id == NULL || o->key_id_len == 0)
		return kdbx_error__set(KDBX_EINVALID, "a new PKCS#11 key needs a label and an id");
	/* The token is chosen without the new key's id/label. */
	tok = *o;
	tok.key_id = NULL;
	tok.key_id_len = 0;
	tok.key_label = NULL;
	rc = kdbx_p11__sel_init(&sel, &tok);
	if (rc < 0)
		return rc;
	if (p11_kit_uri_get_attribute(sel.uri, CKA_ID) != NULL ||
	    p11_kit_uri_get_attribute(sel.uri, CKA_LABEL) != NULL) {
		/* URI object fields would be the new key's: keep only the token. */
		p11_kit_uri_clear_attribute(sel.uri, CKA_ID);
		p11_kit_uri_clear_attribute(sel.uri, CKA_LABEL);
	}
	rc = kdbx_p11__connect(&c, &sel, 1, 1, o->interaction);
	if (rc == KDBX_OK) {
		rc = check_unique(&c.ss, o);
		if (rc == KDBX_OK)
			rc = fn(&c.ss, o, arg, arglen);
		kdbx_p11__disconnect(&c);
	}
	kdbx_p11__sel_free(&sel);
	return rc;
}

static int do_keygen(kdbx_p11_session *ss, const kdbx_pkcs11_options *o, const void *arg,
                     size_t arglen)
{
	const char *type = arg;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE pub, priv;
	CK_RV rv;
	CK_ULONG lbl = strlen(o->key_label);

	(void)arglen;
	if (strcmp(type, "hmac") == 0) {
		CK_MECHANISM mech = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
		CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
		CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
		CK_ULONG vlen = 32;
		CK_ATTRIBUTE t[] = {
			{CKA_CLASS, &cls, sizeof(cls)},     {CKA_KEY_TYPE, &kt, sizeof(kt)},
			{CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
			{CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
			{CKA_SIGN, &yes, sizeof(yes)},      {CKA_VERIFY, &yes, sizeof(yes)},
			{CKA_VALUE_LEN, &vlen, sizeof(vlen)},
			{CKA_LABEL, (void *)o->key_label, lbl},
			{CKA_ID, (void *)o->key_id, o->key_id_len},
		};

		rv = ss->tok.fl->C_GenerateKey(ss->h, &mech, t, KDBX_ARRAY_LEN(t), &priv);
		return rv == CKR_OK ? KDBX_OK : kdbx_p11__fail(rv, "C_GenerateKey (HMAC secret)");
	}
	if (strncmp(type, "ec-", 3) == 0) {
		static const uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
		static const uint8_t p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
		const uint8_t *params = strcmp(type, "ec-p256") == 0 ? p256
		                        : strcmp(type, "ec-p384") == 0 ? p384 : NULL;
		size_t plen = params == p256 ? sizeof(p256) : sizeof(p384);
		CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};

		if (params == NULL)
			return kdbx_error__set(KDBX_EINVALID, "EC key types: ec-p256, ec-p384");
		{
			CK_ATTRIBUTE pt[] = {
				{CKA_TOKEN, &yes, sizeof(yes)}, {CKA_EC_PARAMS, (void *)params, plen},
				{CKA_DERIVE, &yes, sizeof(yes)},
				{CKA_LABEL, (void *)o->key_label, lbl},
				{CKA_ID, (void *)o->key_id, o->key_id_len},
			};
			CK_ATTRIBUTE st[] = {
				{CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
				{CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_DERIVE, &yes, sizeof(yes)},
				{CKA_LABEL, (void *)o->key_label, lbl},
				{CKA_ID, (void *)o->key_id, o->key_id_len},
			};

			rv = ss->tok.fl->C_GenerateKeyPair(ss->h, &mech, pt, KDBX_ARRAY_LEN(pt), st,
			                                   KDBX_ARRAY_LEN(st), &pub, &priv);
		}
		return rv == CKR_OK ? KDBX_OK : kdbx_p11__fail(rv, "C_GenerateKeyPair (EC)");
	}
	if (strcmp(type, "rsa-2048") == 0 || strcmp(type, "rsa-3072") == 0) {
		CK_ULONG bits = strcmp(type, "rsa-2048") == 0 ? 2048 : 3072;
		CK_BYTE e[] = {0x01, 0x00, 0x01};
		CK_MECHANISM mech = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
		CK_ATTRIBUTE pt[] = {
			{CKA_TOKEN, &yes, sizeof(yes)},       {CKA_MODULUS_BITS, &bits, sizeof(bits)},
			{CKA_PUBLIC_EXPONENT, e, sizeof(e)},  {CKA_ENCRYPT, &yes, sizeof(yes)},
			{CKA_LABEL, (void *)o->key_label, lbl},
			{CKA_ID, (void *)o->key_id, o->key_id_len},
		};
		CK_ATTRIBUTE st[] = {
			{CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
			{CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_DECRYPT, &yes, sizeof(yes)},
			{CKA_LABEL, (void *)o->key_label, lbl},
			{CKA_ID, (void *)o->key_id, o->key_id_len},
		};

		rv = ss->tok.fl->C_GenerateKeyPair(ss->h, &mech, pt, KDBX_ARRAY_LEN(pt), st,
		                                   KDBX_ARRAY_LEN(st), &pub, &priv);
		return rv == CKR_OK ? KDBX_OK : kdbx_p11__fail(rv, "C_GenerateKeyPair (RSA)");
	}
	return kdbx_error__set(KDBX_EINVALID, "key type '%s': use hmac, ec-p256, ec-p384, rsa-2048 or "
	                                      "rsa-3072", type);
}

static int do_import(kdbx_p11_session *ss, const kdbx_pkcs11_options *o, const void *arg,
                     size_t arglen)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE t[] = {
		{CKA_CLASS, &cls, sizeof(cls)},     {CKA_KEY_TYPE, &kt, sizeof(kt)},
		{CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
		{CKA_SIGN, &yes, sizeof(yes)},      {CKA_VERIFY, &yes, sizeof(yes)},
		{CKA_VALUE, (void *)arg, arglen},
		{CKA_LABEL, (void *)o->key_label, strlen(o->key_label)},
		{CKA_ID, (void *)o->key_id, o->key_id_len},
	};
	CK_RV rv = ss->tok.fl->C_CreateObject(ss->h, t, KDBX_ARRAY_LEN(t), &h);

	return rv == CKR_OK ? KDBX_OK : kdbx_p11__fail(rv, "C_CreateObject (HMAC secret)");
}

int kdbx_pkcs11_keygen(const kdbx_pkcs11_options *opts, const char *type)
{
	if (type == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_pkcs11_keygen: no key type");
	return with_token(opts, do_keygen, type, strlen(type));
}

int kdbx_pkcs11_import_hmac(const kdbx_pkcs11_options *opts, const uint8_t *secret, size_t len)
{
	if (secret == NULL || len < 32 || len > 512)
		return kdbx_error__set(KDBX_EINVALID, "an HMAC secret must be 32..512 bytes");
	return with_token(opts, do_import, secret, len);
}
