/* Tokens, sessions and login. Slot lists are read with the two-call size
 * query and re-read when they grow in between; token strings are fixed-width
 * and blank-padded. Login follows hwdesign-notes.md 5.3-5.5: PIN-pad tokens
 * get C_Login(NULL), a PIN is asked once with the token label and the
 * count-low / final-try state, a wrong PIN is reported, never retried, and a
 * locked PIN is its own error. */
#include <stdio.h>
#include <stdlib.h>

#include "providers/pkcs11_int.h"

const char *kdbx_p11__rv_name(CK_RV rv)
{
	switch (rv) {
	case CKR_OK: return "CKR_OK";
	case CKR_CANCEL: return "CKR_CANCEL";
	case CKR_HOST_MEMORY: return "CKR_HOST_MEMORY";
	case CKR_SLOT_ID_INVALID: return "CKR_SLOT_ID_INVALID";
	case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
	case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
	case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
	case CKR_ATTRIBUTE_SENSITIVE: return "CKR_ATTRIBUTE_SENSITIVE";
	case CKR_ATTRIBUTE_TYPE_INVALID: return "CKR_ATTRIBUTE_TYPE_INVALID";
	case CKR_ATTRIBUTE_VALUE_INVALID: return "CKR_ATTRIBUTE_VALUE_INVALID";
	case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
	case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED";
	case CKR_ENCRYPTED_DATA_INVALID: return "CKR_ENCRYPTED_DATA_INVALID";
	case CKR_ENCRYPTED_DATA_LEN_RANGE: return "CKR_ENCRYPTED_DATA_LEN_RANGE";
	case CKR_FUNCTION_CANCELED: return "CKR_FUNCTION_CANCELED";
	case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
	case CKR_KEY_SIZE_RANGE: return "CKR_KEY_SIZE_RANGE";
	case CKR_KEY_TYPE_INCONSISTENT: return "CKR_KEY_TYPE_INCONSISTENT";
	case CKR_KEY_FUNCTION_NOT_PERMITTED: return "CKR_KEY_FUNCTION_NOT_PERMITTED";
	case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
	case CKR_MECHANISM_PARAM_INVALID: return "CKR_MECHANISM_PARAM_INVALID";
	case CKR_OPERATION_NOT_INITIALIZED: return "CKR_OPERATION_NOT_INITIALIZED";
	case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
	case CKR_PIN_LEN_RANGE: return "CKR_PIN_LEN_RANGE";
	case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
	case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
	case CKR_TEMPLATE_INCOMPLETE: return "CKR_TEMPLATE_INCOMPLETE";
	case CKR_TEMPLATE_INCONSISTENT: return "CKR_TEMPLATE_INCONSISTENT";
	case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
	case CKR_TOKEN_WRITE_PROTECTED: return "CKR_TOKEN_WRITE_PROTECTED";
	case CKR_USER_ALREADY_LOGGED_IN: return "CKR_USER_ALREADY_LOGGED_IN";
	case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
	case CKR_USER_PIN_NOT_INITIALIZED: return "CKR_USER_PIN_NOT_INITIALIZED";
	case CKR_BUFFER_TOO_SMALL: return "CKR_BUFFER_TOO_SMALL";
	case CKR_CRYPTOKI_NOT_INITIALIZED: return "CKR_CRYPTOKI_NOT_INITIALIZED";
	case CKR_CRYPTOKI_ALREADY_INITIALIZED: return "CKR_CRYPTOKI_ALREADY_INITIALIZED";
	default: return "CKR_(other)";
	}
}

int kdbx_p11__fail(CK_RV rv, const char *what)
{
	int code;

	switch (rv) {
	case CKR_HOST_MEMORY: code = KDBX_ENOMEM; break;
	case CKR_PIN_INCORRECT:
	case CKR_PIN_LEN_RANGE:
	case CKR_USER_NOT_LOGGED_IN: code = KDBX_EPIN; break;
	case CKR_PIN_LOCKED: code = KDBX_EPINLOCKED; break;
	case CKR_FUNCTION_CANCELED:
	case CKR_CANCEL: code = KDBX_ECANCELLED; break;
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
	case CKR_KEY_TYPE_INCONSISTENT:
	case CKR_KEY_SIZE_RANGE:
	case CKR_MECHANISM_INVALID:
	case CKR_MECHANISM_PARAM_INVALID:
	case CKR_TEMPLATE_INCONSISTENT:
	case CKR_ATTRIBUTE_VALUE_INVALID: code = KDBX_EUNSUPPORTED; break;
	/* The token cannot decrypt what the slot stores: not this key's data. */
	case CKR_ENCRYPTED_DATA_INVALID:
	case CKR_ENCRYPTED_DATA_LEN_RANGE: code = KDBX_EAUTH; break;
	default: code = KDBX_EDEVICE; break;
	}
	return kdbx_error__set(code, "PKCS#11 %s failed: %s (0x%lx)", what, kdbx_p11__rv_name(rv),
	                       (unsigned long)rv);
}

/* Slots with a token of one module (two-call query, retried if it grows). */
static CK_RV slot_list(CK_FUNCTION_LIST *fl, CK_SLOT_ID **out, CK_ULONG *n)
{
	CK_RV rv = CKR_OK;

	*out = NULL;
	*n = 0;
	for (int tries = 0; tries < 8; tries++) {
		CK_ULONG cnt = 0;
		CK_SLOT_ID *list;

		rv = fl->C_GetSlotList(CK_TRUE, NULL, &cnt);
		if (rv != CKR_OK || cnt == 0)
			return rv;
		list = calloc(cnt, sizeof(*list));
		if (list == NULL)
			return CKR_HOST_MEMORY;
		rv = fl->C_GetSlotList(CK_TRUE, list, &cnt);
		if (rv == CKR_BUFFER_TOO_SMALL) { /* a token appeared in between */
			free(list);
			continue;
		}
		if (rv != CKR_OK) {
			free(list);
			return rv;
		}
		*out = list;
		*n = cnt;
		return CKR_OK;
	}
	return rv;
}

int kdbx_p11__each_token(kdbx_p11_mods *m, int (*cb)(const kdbx_p11_token *t, void *ud), void *ud)
{
	int index = 0;

	for (size_t i = 0; i < m->n; i++) {
		CK_SLOT_ID *slots = NULL;
		CK_ULONG n = 0;
		CK_RV rv = slot_list(m->fl[i], &slots, &n);

		if (rv != CKR_OK) { /* one broken module does not stop the search */
			kdbx_log_debug("pkcs11: module %s: C_GetSlotList: %s", m->name[i],
			               kdbx_p11__rv_name(rv));
			continue;
		}
		for (CK_ULONG j = 0; j < n; j++) {
			kdbx_p11_token t;
			int r;

			memset(&t, 0, sizeof(t));
			t.fl = m->fl[i];
			t.module = m->name[i];
			t.slot = slots[j];
			/* Uninitialised tokens (e.g. SoftHSM's free slot) hold no keys. */
			if (t.fl->C_GetTokenInfo(t.slot, &t.info) != CKR_OK ||
			    !(t.info.flags & CKF_TOKEN_INITIALIZED))
				continue;
			t.index = index++;
			kdbx_p11__fixed_str(t.label, sizeof(t.label), t.info.label, sizeof(t.info.label));
			kdbx_p11__fixed_str(t.serial, sizeof(t.serial), t.info.serialNumber,
			                    sizeof(t.info.serialNumber));
			r = cb(&t, ud);
			if (r < 0) {
				free(slots);
				return r;
			}
		}
		free(slots);
	}
	return KDBX_OK;
}

typedef struct find_ctx {
	const kdbx_p11_sel *sel;
	kdbx_p11_token found;
	int nfound;
	kdbx_buf seen;    /* "'label' (serial ...), ..." for messages */
	kdbx_buf matches;
} find_ctx;

static void note(kdbx_buf *b, const kdbx_p11_token *t)
{
	char line[128];

	if (b->len > 0)
		kdbx_buf_append_str(b, ", ");
	snprintf(line, sizeof(line), "'%s' (serial %s, %s)", t->label, t->serial, t->module);
	kdbx_buf_append_str(b, line);
}

static int find_cb(const kdbx_p11_token *t, void *ud)
{
	find_ctx *c = ud;

	note(&c->seen, t);
	if (c->sel->slot_index >= 0 && t->index != c->sel->slot_index)
		return 0;
	if (!p11_kit_uri_match_token_info(c->sel->uri, &t->info))
		return 0;
	note(&c->matches, t);
	if (c->nfound++ == 0)
		c->found = *t;
	return 0;
}

int kdbx_p11__find_token(kdbx_p11_mods *m, const kdbx_p11_sel *s, kdbx_p11_token *out)
{
	find_ctx c;
	char want[256];
	int rc;

	memset(&c, 0, sizeof(c));
	c.sel = s;
	kdbx_p11__each_token(m, find_cb, &c);
	kdbx_buf_append_byte(&c.seen, 0);
	kdbx_buf_append_byte(&c.matches, 0);
	kdbx_p11__sel_describe(s, want, sizeof(want));
	if (c.nfound == 1) {
		*out = c.found;
		rc = KDBX_OK;
	} else if (c.nfound == 0) {
		rc = kdbx_error__set(KDBX_EDEVICE, "no PKCS#11 token matches %s; tokens present: %s", want,
		                     c.seen.len > 1 ? (const char *)c.seen.data : "none");
	} else {
		rc = kdbx_error__set(KDBX_EINVALID,
		                     "%d PKCS#11 tokens match %s: %s; add token= or serial= to the URI",
		                     c.nfound, want, (const char *)c.matches.data);
	}
	kdbx_buf_free(&c.seen);
	kdbx_buf_free(&c.matches);
	return rc;
}

int kdbx_p11__open(kdbx_p11_session *ss, const kdbx_p11_token *t, int rw)
{
	CK_RV rv;

	memset(ss, 0, sizeof(*ss));
	ss->tok = *t;
	rv = t->fl->C_OpenSession(t->slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL, NULL,
	                          &ss->h);
	if (rv != CKR_OK)
		return kdbx_p11__fail(rv, "C_OpenSession");
	ss->open = 1;
	return KDBX_OK;
}

void kdbx_p11__close(kdbx_p11_session *ss)
{
	if (ss == NULL)
		return;
	if (ss->open)
		ss->tok.fl->C_CloseSession(ss->h);
	if (ss->pin != NULL)
		kdbx_secure_free(ss->pin, KDBX_P11_PIN_MAX);
	memset(ss, 0, sizeof(*ss));
}

/* Re-reads the token flags for the message after a failure. */
static const char *pin_state(kdbx_p11_session *ss)
{
	CK_TOKEN_INFO ti;

	if (ss->tok.fl->C_GetTokenInfo(ss->tok.slot, &ti) != CKR_OK)
		return "";
	ss->tok.info.flags = ti.flags;
	if (ti.flags & CKF_USER_PIN_LOCKED)
		return " (the PIN is now locked)";
	if (ti.flags & CKF_USER_PIN_FINAL_TRY)
		return " (final try left: one more wrong PIN locks the token)";
	if (ti.flags & CKF_USER_PIN_COUNT_LOW)
		return " (retry count low)";
	return "";
}

static int do_login(kdbx_p11_session *ss, CK_USER_TYPE who)
{
	CK_RV rv;
	const char *state;

	if (ss->pinpad)
		rv = ss->tok.fl->C_Login(ss->h, who, NULL, 0);
	else
		rv = ss->tok.fl->C_Login(ss->h, who, (CK_UTF8CHAR *)ss->pin, strlen(ss->pin));
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
		return KDBX_OK;
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE) {
		state = pin_state(ss);
		if (ss->tok.info.flags & CKF_USER_PIN_LOCKED)
			return kdbx_error__set(KDBX_EPINLOCKED, "wrong PIN for PKCS#11 token '%s'%s",
			                       ss->tok.label, state);
		return kdbx_error__set(KDBX_EPIN, "wrong PIN for PKCS#11 token '%s'%s", ss->tok.label,
		                       state);
	}
	if (rv == CKR_PIN_LOCKED)
		return kdbx_error__set(KDBX_EPINLOCKED,
		                       "the user PIN of PKCS#11 token '%s' is locked (unblock it with "
		                       "the SO PIN / PUK)", ss->tok.label);
	return kdbx_p11__fail(rv, "C_Login");
}

int kdbx_p11__login(kdbx_p11_session *ss, const kdbx_interaction *ia, const char *uri_pin)
{
	CK_FLAGS f = ss->tok.info.flags;
	char prompt[160];
	int retries = -1, rc;

	ss->ia = ia;
	if (f & CKF_USER_PIN_LOCKED)
		return kdbx_error__set(KDBX_EPINLOCKED,
		                       "the user PIN of PKCS#11 token '%s' is locked (unblock it with the "
		                       "SO PIN / PUK)", ss->tok.label);
	if (!(f & CKF_LOGIN_REQUIRED))
		return KDBX_OK;
	if (f & CKF_PROTECTED_AUTHENTICATION_PATH) {
		/* PIN pad / biometrics: never prompt on the host. */
		ss->pinpad = 1;
		if (ia != NULL && ia->touch != NULL) {
			snprintf(prompt, sizeof(prompt), "PKCS#11 token '%s': enter the PIN on the reader",
			         ss->tok.label);
			ia->touch(ia->userdata, prompt);
		}
		return do_login(ss, CKU_USER);
	}
	ss->pin = kdbx_secure_alloc(KDBX_P11_PIN_MAX);
	if (ss->pin == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	if (uri_pin != NULL) {
		if (strlen(uri_pin) >= KDBX_P11_PIN_MAX)
			return kdbx_error__set(KDBX_EPIN, "PIN too long");
		memcpy(ss->pin, uri_pin, strlen(uri_pin) + 1);
	} else {
		if (ia == NULL || ia->pin == NULL)
			return kdbx_error__set(KDBX_EPIN,
			                       "PKCS#11 token '%s' needs a PIN and no PIN callback was given",
			                       ss->tok.label);
		if (f & CKF_USER_PIN_FINAL_TRY)
			retries = 1;
		snprintf(prompt, sizeof(prompt), "PIN for PKCS#11 token '%s'%s", ss->tok.label,
		         (f & CKF_USER_PIN_FINAL_TRY) ? " (FINAL TRY: a wrong PIN locks the token)"
		         : (f & CKF_USER_PIN_COUNT_LOW) ? " (retry count low)" : "");
		rc = ia->pin(ia->userdata, prompt, retries, ss->pin, KDBX_P11_PIN_MAX);
		ss->pin[KDBX_P11_PIN_MAX - 1] = '\0';
		if (rc < 0)
			return kdbx_error__set(rc == KDBX_ECANCELLED ? KDBX_ECANCELLED : rc,
			                       "PIN entry for PKCS#11 token '%s' cancelled", ss->tok.label);
	}
	ss->have_pin = 1;
	return do_login(ss, CKU_USER);
}

int kdbx_p11__context_login(kdbx_p11_session *ss)
{
	/* The PIN the user gave for this operation is reused once for the key's
	 * own authentication (same entry, not a retry). */
	if (!ss->pinpad && !ss->have_pin) {
		const kdbx_interaction *ia = ss->ia;
		int rc;

		if (ia == NULL || ia->pin == NULL)
			return kdbx_error__set(KDBX_EPIN, "the key needs its PIN on every use (always-"
			                                  "authenticate) and no PIN callback was given");
		if (ss->pin == NULL && (ss->pin = kdbx_secure_alloc(KDBX_P11_PIN_MAX)) == NULL)
			return kdbx_error__set(KDBX_ENOMEM, "out of memory");
		rc = ia->pin(ia->userdata, "PIN for the key (always-authenticate)", -1, ss->pin,
		             KDBX_P11_PIN_MAX);
		ss->pin[KDBX_P11_PIN_MAX - 1] = '\0';
		if (rc < 0)
			return kdbx_error__set(KDBX_ECANCELLED, "PIN entry cancelled");
		ss->have_pin = 1;
	}
	return do_login(ss, CKU_CONTEXT_SPECIFIC);
}
