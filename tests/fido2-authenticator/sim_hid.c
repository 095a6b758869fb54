/* The software authenticator's USB HID side: CTAPHID framing (CTAP 2.1
 * section 11.2: INIT / CBOR / PING / CANCEL, 64-byte reports, init and
 * continuation packets, keepalive while it waits for a touch) behind
 * libfido2's fido_dev_io_t, plus the sim's life cycle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sim_int.h"

#define REPORT 64
#define CMD_PING 0x81
#define CMD_INIT 0x86
#define CMD_CBOR 0x90
#define CMD_CANCEL 0x91
#define CMD_KEEPALIVE 0xBB
#define CMD_ERROR 0xBF
#define CAP_CBOR 0x04
#define CAP_NMSG 0x08

/* Registry: live sims by path, so fido_dev_io_t.open can find them. */
#define SIM_MAX 8
static fido2_sim *registry[SIM_MAX];
static unsigned int next_path;

/* One open handle: a sim plus the message being received. */
typedef struct sim_handle {
	fido2_sim *sim;
	uint8_t cid[4];
	uint8_t cmd;
	uint8_t *msg;
	size_t want, have;
	uint8_t seq;
	uint8_t *q; /* queued reply packets */
	size_t qlen, qoff;
} sim_handle;

static void queue_packet(sim_handle *h, const uint8_t pkt[REPORT])
{
	uint8_t *n = realloc(h->q, h->qlen + REPORT);

	if (n == NULL)
		return;
	h->q = n;
	memcpy(h->q + h->qlen, pkt, REPORT);
	h->qlen += REPORT;
}

/* Splits a reply into an init packet and continuation packets. */
static void queue_reply(sim_handle *h, const uint8_t cid[4], uint8_t cmd, const uint8_t *data, size_t len)
{
	uint8_t pkt[REPORT];
	size_t off = 0, n;
	uint8_t seq = 0;

	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, cid, 4);
	pkt[4] = cmd;
	pkt[5] = (uint8_t)(len >> 8);
	pkt[6] = (uint8_t)len;
	n = len < REPORT - 7 ? len : REPORT - 7;
	if (n > 0)
		memcpy(pkt + 7, data, n);
	queue_packet(h, pkt);
	off = n;
	while (off < len) {
		memset(pkt, 0, sizeof(pkt));
		memcpy(pkt, cid, 4);
		pkt[4] = seq++;
		n = len - off < REPORT - 5 ? len - off : REPORT - 5;
		memcpy(pkt + 5, data + off, n);
		queue_packet(h, pkt);
		off += n;
	}
}

static void reply_error(sim_handle *h, const uint8_t cid[4], uint8_t err)
{
	queue_reply(h, cid, CMD_ERROR, &err, 1);
}

static void run_message(sim_handle *h)
{
	fido2_sim *s = h->sim;

	if (h->cmd == CMD_INIT) {
		uint8_t r[17];
		if (h->want != 8) {
			reply_error(h, h->cid, 0x03);
			return;
		}
		memcpy(r, h->msg, 8);
		memcpy(r + 8, s->cid_next, 4);
		s->cid_next[3]++;
		r[12] = 2;   /* CTAPHID protocol version */
		r[13] = 5;   /* device version major.minor.build */
		r[14] = 4;
		r[15] = 3;
		r[16] = CAP_CBOR | CAP_NMSG;
		queue_reply(h, h->cid, CMD_INIT, r, sizeof(r));
	} else if (h->cmd == CMD_PING) {
		queue_reply(h, h->cid, CMD_PING, h->msg, h->want);
	} else if (h->cmd == CMD_CBOR) {
		uint8_t *resp = NULL;
		size_t rl = 0;
		bool up = false;
		sim_ctap(s, h->msg, h->want, &resp, &rl, &up);
		if (up) {
			uint8_t st = 2; /* STATUS_UPNEEDED: libfido2 skips keepalives */
			queue_reply(h, h->cid, CMD_KEEPALIVE, &st, 1);
		}
		if (resp == NULL) {
			uint8_t st = ST_OTHER;
			queue_reply(h, h->cid, CMD_CBOR, &st, 1);
		} else {
			queue_reply(h, h->cid, CMD_CBOR, resp, rl);
		}
		if (resp != NULL)
			OPENSSL_cleanse(resp, rl);
		free(resp);
	} else if (h->cmd == CMD_CANCEL) {
		/* nothing runs asynchronously: nothing to cancel, no reply */
	} else {
		reply_error(h, h->cid, 0x01);
	}
}

static void *io_open(const char *path)
{
	for (size_t i = 0; i < SIM_MAX; i++)
		if (registry[i] != NULL && strcmp(registry[i]->path, path) == 0) {
			sim_handle *h = calloc(1, sizeof(*h));
			if (h != NULL)
				h->sim = registry[i];
			return h;
		}
	return NULL;
}

static void io_close(void *handle)
{
	sim_handle *h = handle;

	if (h == NULL)
		return;
	free(h->msg);
	free(h->q);
	free(h);
}

static int io_read(void *handle, unsigned char *buf, size_t len, int ms)
{
	sim_handle *h = handle;

	(void)ms;
	if (h == NULL || len != REPORT || h->qoff >= h->qlen)
		return -1; /* nothing to read: libfido2 sees a timeout */
	memcpy(buf, h->q + h->qoff, REPORT);
	h->qoff += REPORT;
	if (h->qoff == h->qlen) {
		free(h->q);
		h->q = NULL;
		h->qlen = h->qoff = 0;
	}
	return REPORT;
}

static int io_write(void *handle, const unsigned char *buf, size_t len)
{
	sim_handle *h = handle;
	const uint8_t *p = buf;

	if (h == NULL || len != REPORT + 1)
		return -1;
	p++; /* report id */
	if (p[4] & 0x80) {
		size_t n;
		memcpy(h->cid, p, 4);
		h->cmd = p[4];
		h->want = ((size_t)p[5] << 8) | p[6];
		h->have = 0;
		h->seq = 0;
		free(h->msg);
		h->msg = malloc(h->want + 1);
		if (h->msg == NULL)
			return -1;
		n = h->want < REPORT - 7 ? h->want : REPORT - 7;
		memcpy(h->msg, p + 7, n);
		h->have = n;
	} else {
		size_t n;
		if (h->msg == NULL || memcmp(h->cid, p, 4) != 0 || p[4] != h->seq) {
			reply_error(h, p, 0x04); /* invalid sequence */
			return (int)len;
		}
		h->seq++;
		n = h->want - h->have < REPORT - 5 ? h->want - h->have : REPORT - 5;
		memcpy(h->msg + h->have, p + 5, n);
		h->have += n;
	}
	if (h->have == h->want) {
		run_message(h);
		free(h->msg);
		h->msg = NULL;
	}
	return (int)len;
}

static const fido_dev_io_t sim_io = {io_open, io_close, io_read, io_write};

const fido_dev_io_t *fido2_sim_io(void)
{
	return &sim_io;
}

fido_dev_t *fido2_sim_open(fido2_sim *s)
{
	fido_dev_t *d = fido_dev_new();

	if (d == NULL)
		return NULL;
	if (fido_dev_set_io_functions(d, &sim_io) != FIDO_OK || fido_dev_open(d, s->path) != FIDO_OK) {
		fido_dev_free(&d);
		return NULL;
	}
	return d;
}

const char *fido2_sim_path(const fido2_sim *s)
{
	return s->path;
}

int fido2_sim_new(fido2_sim **out, const fido2_sim_config *cfg)
{
	fido2_sim *s;
	size_t slot = SIM_MAX;

	*out = NULL;
	for (size_t i = 0; i < SIM_MAX; i++)
		if (registry[i] == NULL) {
			slot = i;
			break;
		}
	if (slot == SIM_MAX || (s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	if (cfg != NULL)
		s->cfg = *cfg;
	if (s->cfg.protocols == 0)
		s->cfg.protocols = 3;
	snprintf(s->path, sizeof(s->path), "sim:%u", next_path++);
	sim_random(s->aaguid, sizeof(s->aaguid));
	s->cid_next[0] = 0x10;
	s->cid_next[1] = 0x20;
	s->cid_next[2] = (uint8_t)slot;
	s->cid_next[3] = 1;
	s->pin_retries = SIM_PIN_RETRIES;
	s->uv_retries = SIM_UV_RETRIES;
	s->uv_match = true;
	s->touch = FIDO2_SIM_TOUCH_YES;
	if (sim_keygen(&s->att_key) != 0 || sim_att_cert(s->att_key, &s->att_cert, &s->att_cert_len) != 0 ||
	    sim_keygen(&s->ka_key) != 0) {
		fido2_sim_free(&s);
		return -1;
	}
	sim_random(s->token, sizeof(s->token));
	registry[slot] = s;
	*out = s;
	return 0;
}

void fido2_sim_free(fido2_sim **sp)
{
	fido2_sim *s = sp != NULL ? *sp : NULL;

	if (s == NULL)
		return;
	for (size_t i = 0; i < SIM_MAX; i++)
		if (registry[i] == s)
			registry[i] = NULL;
	for (size_t i = 0; i < s->ncreds; i++)
		EVP_PKEY_free(s->creds[i].key);
	EVP_PKEY_free(s->att_key);
	EVP_PKEY_free(s->ka_key);
	OPENSSL_free(s->att_cert);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
	*sp = NULL;
}

int fido2_sim_set_pin(fido2_sim *s, const char *pin)
{
	uint8_t h[32];

	sim_sha256((const uint8_t *)pin, strlen(pin), NULL, 0, h);
	memcpy(s->pin_hash, h, 16);
	s->pin_set = true;
	s->pin_retries = SIM_PIN_RETRIES;
	s->pin_fails_in_row = 0;
	return 0;
}

void fido2_sim_set_touch(fido2_sim *s, int mode)
{
	s->touch = mode;
}

void fido2_sim_set_uv_match(fido2_sim *s, int ok)
{
	s->uv_match = ok != 0;
}

void fido2_sim_set_always_uv(fido2_sim *s, int on)
{
	s->cfg.always_uv = on != 0;
}

void fido2_sim_power_cycle(fido2_sim *s)
{
	EVP_PKEY *k = NULL;

	if (sim_keygen(&k) == 0) {
		EVP_PKEY_free(s->ka_key);
		s->ka_key = k;
	}
	sim_random(s->token, sizeof(s->token));
	s->token_valid = false;
	s->pin_fails_in_row = 0;
}

int fido2_sim_pin_retries(const fido2_sim *s)
{
	return s->pin_retries;
}

int fido2_sim_uv_retries(const fido2_sim *s)
{
	return s->uv_retries;
}

unsigned int fido2_sim_touch_waits(const fido2_sim *s)
{
	return s->touch_waits;
}

unsigned int fido2_sim_assertions(const fido2_sim *s)
{
	return s->assertions;
}

size_t fido2_sim_credentials(const fido2_sim *s)
{
	return s->ncreds;
}
