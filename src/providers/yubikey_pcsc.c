/* YubiKey-compatible HMAC-SHA1 over PC/SC (pcsc-lite): NFC readers, CCID
 * keys, Nitrokey 3, Fidesmo-style cards. Detection by AID SELECT, not ATR.
 * Spec: keepassxc-notes.md 2.3. libpcsclite honours PCSCLITE_CSOCK_NAME. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <winscard.h>

#include "providers/yubikey_proto.h"

typedef struct pcsc_card {
	SCARDHANDLE h;
	DWORD proto;
} pcsc_card;

static int pcsc_transmit(void *ctx, const uint8_t *apdu, size_t n, uint8_t *resp, size_t *resp_len)
{
	pcsc_card *c = ctx;
	const SCARD_IO_REQUEST *pci = c->proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	DWORD rl = (DWORD)*resp_len;
	LONG r = SCardTransmit(c->h, pci, apdu, (DWORD)n, NULL, resp, &rl);

	if (r != SCARD_S_SUCCESS)
		return kdbx_error__set(KDBX_EDEVICE, "hardware key communication failed: %s",
		                       pcsc_stringify_error(r));
	*resp_len = rl;
	return KDBX_OK;
}

static void pcsc_sleep(void *ctx, unsigned int ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	(void)ctx;
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Readers as a multi-string; *ctx_out valid on success. No service / no
 * readers -> KDBX_OK with *readers NULL. */
static int pcsc_readers(SCARDCONTEXT *ctx_out, char **readers)
{
	SCARDCONTEXT ctx;
	DWORD len = 0;
	LONG r;

	*readers = NULL;
	r = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (r != SCARD_S_SUCCESS) {
		kdbx_log_debug("%s: SCardEstablishContext: %s", __func__, pcsc_stringify_error(r));
		*ctx_out = 0;
		return KDBX_OK;
	}
	*ctx_out = ctx;
	r = SCardListReaders(ctx, NULL, NULL, &len);
	if (r == SCARD_E_NO_READERS_AVAILABLE || r == SCARD_E_NO_SERVICE || len == 0)
		return KDBX_OK;
	if (r != SCARD_S_SUCCESS)
		return kdbx_error__set(KDBX_EDEVICE, "cannot list smart-card readers: %s",
		                       pcsc_stringify_error(r));
	*readers = calloc(1, (size_t)len + 2);
	if (*readers == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	r = SCardListReaders(ctx, NULL, *readers, &len);
	if (r != SCARD_S_SUCCESS) {
		free(*readers);
		*readers = NULL;
		return r == SCARD_E_NO_READERS_AVAILABLE
		           ? KDBX_OK
		           : kdbx_error__set(KDBX_EDEVICE, "cannot list smart-card readers: %s",
		                             pcsc_stringify_error(r));
	}
	return KDBX_OK;
}

/* Connects and selects the applet; 0 on success (card + transaction held). */
static int pcsc_open(SCARDCONTEXT ctx, const char *reader, pcsc_card *c, uint8_t version[3],
                     uint16_t *touch, const char **model, uint32_t *serial)
{
	kdbx_yk_apdu_io io = {pcsc_transmit, pcsc_sleep, c};
	LONG r;
	int rc;

	r = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->h,
	                 &c->proto);
	if (r != SCARD_S_SUCCESS)
		return kdbx_error__set(KDBX_EDEVICE, "no card in %s: %s", reader, pcsc_stringify_error(r));
	(void)SCardBeginTransaction(c->h);
	rc = kdbx_yk__apdu_select(&io, version, touch, model);
	if (rc == KDBX_OK && kdbx_yk__apdu_serial(&io, serial) < 0)
		*serial = 0; /* serial hidden (serial-api-visible off) */
	if (rc < 0) {
		(void)SCardEndTransaction(c->h, SCARD_LEAVE_CARD);
		(void)SCardDisconnect(c->h, SCARD_LEAVE_CARD);
	}
	return rc;
}

static void pcsc_close(pcsc_card *c)
{
	(void)SCardEndTransaction(c->h, SCARD_LEAVE_CARD);
	(void)SCardDisconnect(c->h, SCARD_LEAVE_CARD);
}

int kdbx_yk__pcsc_list(kdbx_yubikey_info **list, size_t *count)
{
	SCARDCONTEXT ctx = 0;
	char *readers = NULL;
	int rc = pcsc_readers(&ctx, &readers);

	for (const char *rd = readers; rc == KDBX_OK && rd != NULL && *rd != '\0'; rd += strlen(rd) + 1) {
		pcsc_card c;
		uint8_t version[3];
		uint16_t touch = 0;
		const char *model = "YubiKey";
		uint32_t serial = 0;
		kdbx_yubikey_info *it;

		if (pcsc_open(ctx, rd, &c, version, &touch, &model, &serial) < 0)
			continue; /* empty reader or a card without the applet */
		pcsc_close(&c);
		it = kdbx_yk__list_add(list, count);
		if (it == NULL) {
			rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
			break;
		}
		it->serial = serial;
		memcpy(it->version, version, 3);
		it->slots = (touch & KDBX_YK_CONFIG1_VALID ? 1u : 0u) | (touch & KDBX_YK_CONFIG2_VALID ? 2u : 0u);
		/* The status record only flags touch-triggered slots; otherwise unknown. */
		it->touch[0] = touch & KDBX_YK_CONFIG1_TOUCH ? 1 : -1;
		it->touch[1] = touch & KDBX_YK_CONFIG2_TOUCH ? 1 : -1;
		snprintf(it->transport, sizeof(it->transport), "pcsc");
		snprintf(it->reader, sizeof(it->reader), "%s", rd);
		snprintf(it->model, sizeof(it->model), "%s", model);
	}
	free(readers);
	if (ctx != 0)
		(void)SCardReleaseContext(ctx);
	if (rc == KDBX_OK)
		kdbx_error_clear();
	return rc;
}

int kdbx_yk__pcsc_hmac(uint32_t serial, int slot, const uint8_t block[KDBX_YK_BLOCK],
                       uint8_t out[KDBX_YK_RESP], const kdbx_interaction *ia,
                       unsigned int touch_timeout_ms)
{
	SCARDCONTEXT ctx = 0;
	char *readers = NULL;
	int rc = pcsc_readers(&ctx, &readers), found = 0;

	for (const char *rd = readers; rc == KDBX_OK && rd != NULL && *rd != '\0'; rd += strlen(rd) + 1) {
		pcsc_card c;
		kdbx_yk_apdu_io io = {pcsc_transmit, pcsc_sleep, &c};
		uint8_t version[3];
		uint16_t touch = 0;
		const char *model = "YubiKey";
		uint32_t s = 0;
		char desc[96];

		if (pcsc_open(ctx, rd, &c, version, &touch, &model, &s) < 0)
			continue;
		if (serial != 0 && s != serial) {
			pcsc_close(&c);
			continue;
		}
		found = 1;
		snprintf(desc, sizeof(desc), "%s [%u] slot %d", model, (unsigned)s, slot);
		rc = kdbx_yk__apdu_hmac(&io, slot, block, out, ia, desc, touch_timeout_ms);
		pcsc_close(&c);
		break;
	}
	free(readers);
	if (ctx != 0)
		(void)SCardReleaseContext(ctx);
	if (rc == KDBX_OK && !found)
		rc = kdbx_error__set(KDBX_EDEVICE, "hardware key with serial %u not found (removed?)",
		                     (unsigned)serial);
	return rc;
}
