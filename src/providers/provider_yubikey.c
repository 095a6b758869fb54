/* YubiKey-compatible HMAC-SHA1 provider: finds the key on USB HID or PC/SC
 * (KeePassXC order: USB first) and dispatches challenges to that transport.
 * Spec: keepassxc-notes.md 2.1 (dispatcher), include/kdbx/yubikey.h. */
#include <stdio.h>
#include <stdlib.h>

#include "providers/yubikey_proto.h"

typedef struct yubikey {
	kdbx_provider parent; /* first member: the vtable */
	int slot;
	uint32_t serial;
	char transport[8];
	char desc[96];
	unsigned int timeout_ms;
} yubikey;

void kdbx_yubikey_list_free(kdbx_yubikey_info **list)
{
	if (list == NULL)
		return;
	free(*list);
	*list = NULL;
}

int kdbx_yubikey_list(kdbx_yubikey_info **out, size_t *count)
{
	kdbx_yubikey_info *list = NULL;
	size_t n = 0;
	int rc = KDBX_OK;

	(void)rc;
	if (out == NULL || count == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_yubikey_list: invalid argument");
	*out = NULL;
	*count = 0;
#ifdef KDBX_WITH_USB
	rc = kdbx_yk__hid_list(&list, &n);
	if (rc < 0)
		goto fail;
#endif
#ifdef KDBX_WITH_PCSC
	{
		size_t first = n;

		rc = kdbx_yk__pcsc_list(&list, &n);
		if (rc < 0)
			goto fail;
		/* A USB key also shows up as a CCID reader: keep the USB entry. */
		for (size_t i = first; i < n;) {
			int dup = 0;

			for (size_t j = 0; j < first; j++)
				if (list[i].serial != 0 && list[j].serial == list[i].serial)
					dup = 1;
			if (dup) {
				memmove(&list[i], &list[i + 1], (n - i - 1) * sizeof(*list));
				n--;
			} else {
				i++;
			}
		}
	}
#endif
	if (n == 0) {
		free(list);
		list = NULL;
	}
	*out = list;
	*count = n;
	return KDBX_OK;
#if defined(KDBX_WITH_USB) || defined(KDBX_WITH_PCSC)
fail:
	free(list);
	return rc;
#endif
}

static int yubikey_describe(kdbx_provider *self, char *buf, size_t buflen)
{
	yubikey *k = (yubikey *)self;

	if (buf == NULL || buflen == 0)
		return kdbx_error__set(KDBX_EINVALID, "describe: no buffer");
	snprintf(buf, buflen, "%s", k->desc);
	return KDBX_OK;
}

static int yubikey_respond(kdbx_provider *self, const uint8_t *challenge, size_t len,
                           kdbx_secret **response)
{
	yubikey *k = (yubikey *)self;
	uint8_t block[KDBX_YK_BLOCK], resp[KDBX_YK_RESP];
	int rc;

	if (response == NULL)
		return kdbx_error__set(KDBX_EINVALID, "yubikey: no output");
	*response = NULL;
	rc = kdbx_yk__pad(challenge, len, block);
	if (rc < 0)
		return rc;
	rc = kdbx_error__set(KDBX_EDEVICE, "transport %s not built in", k->transport);
#ifdef KDBX_WITH_USB
	if (strcmp(k->transport, "usb") == 0)
		rc = kdbx_yk__usb_hmac(k->serial, k->slot, block, resp, &self->interaction,
		                       k->timeout_ms);
#endif
#ifdef KDBX_WITH_PCSC
	if (strcmp(k->transport, "pcsc") == 0)
		rc = kdbx_yk__pcsc_hmac(k->serial, k->slot, block, resp, &self->interaction,
		                        k->timeout_ms);
#endif
	if (rc == KDBX_OK)
		rc = kdbx_secret_new(response, resp, sizeof(resp));
	kdbx_memzero(block, sizeof(block));
	kdbx_memzero(resp, sizeof(resp));
	return rc;
}

static void yubikey_free(kdbx_provider *self)
{
	free(self);
}

int kdbx_yubikey_new(kdbx_provider **out, int slot, uint32_t serial, const kdbx_interaction *cb)
{
	kdbx_yubikey_info *list = NULL;
	const kdbx_yubikey_info *pick = NULL;
	size_t n = 0;
	yubikey *k;
	int rc;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_yubikey_new: no output");
	*out = NULL;
	if (slot != 1 && slot != 2)
		return kdbx_error__set(KDBX_EINVALID, "slot must be 1 or 2");
	rc = kdbx_yubikey_list(&list, &n);
	if (rc < 0)
		return rc;
	if (n == 0) {
		rc = kdbx_error__set(KDBX_EDEVICE, "no hardware key found");
		goto out;
	}
	if (serial == 0) {
		if (n > 1) {
			char serials[256];
			size_t used = 0;

			serials[0] = '\0';
			for (size_t i = 0; i < n && used < sizeof(serials) - 16; i++)
				used += (size_t)snprintf(serials + used, sizeof(serials) - used, "%s%u",
				                         i > 0 ? ", " : "", (unsigned)list[i].serial);
			rc = kdbx_error__set(KDBX_EDEVICE, "%zu hardware keys connected (serials %s); "
			                     "choose one by serial", n, serials);
			goto out;
		}
		pick = &list[0];
	} else {
		for (size_t i = 0; i < n; i++)
			if (list[i].serial == serial)
				pick = &list[i];
		if (pick == NULL) {
			rc = kdbx_error__set(KDBX_EDEVICE, "hardware key with serial %u not found",
			                     (unsigned)serial);
			goto out;
		}
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
		goto out;
	}
	k->slot = slot;
	k->serial = pick->serial;
	snprintf(k->transport, sizeof(k->transport), "%s", pick->transport);
	snprintf(k->desc, sizeof(k->desc), "%s [%u] slot %d (%s)", pick->model,
	         (unsigned)pick->serial, slot, pick->transport);
	k->timeout_ms = kdbx_yk__touch_timeout_env();
	k->parent.version = KDBX_PROVIDER_VERSION;
	k->parent.name = "yubikey";
	k->parent.describe = yubikey_describe;
	k->parent.challenge_response = yubikey_respond;
	k->parent.free = yubikey_free;
	if (cb != NULL)
		k->parent.interaction = *cb;
	*out = &k->parent;
	rc = KDBX_OK;
out:
	kdbx_yubikey_list_free(&list);
	return rc;
}

int kdbx_yubikey_set_touch_timeout(kdbx_provider *p, unsigned int ms)
{
	if (p == NULL || p->version != KDBX_PROVIDER_VERSION || p->name == NULL ||
	    strcmp(p->name, "yubikey") != 0 || ms < 100 || ms > 600000)
		return kdbx_error__set(KDBX_EINVALID, "set_touch_timeout: not a yubikey provider "
		                       "or timeout outside 100..600000 ms");
	((yubikey *)p)->timeout_ms = ms;
	return KDBX_OK;
}
