/* Internal interface of src/slots/: mode 2 (kdbxtool KEK, kdbxtool-notes 1)
 * and mode 3 (docs/multi-device-format.md) parsing, wrapping and state. */
#ifndef KDBX_SLOTS_INTERNAL_H
#define KDBX_SLOTS_INTERNAL_H

#include "core/core.h"
#include "crypto/crypto.h"
#include "format/container.h"
#include "kdbx/slots.h"

/* ---- providers (provider.c) ---- */
struct kdbx_slot_providers {
	kdbx_slot_provider **items;
	size_t count;
};
/* The challenge-response provider behind a slot provider made by the CR or
 * YubiKey adapters (mode 2 and 1 need plain challenge-response), else NULL.
 * *owned is set when the caller must free the returned provider. */
int kdbx_slots__cr_of(kdbx_slot_provider *sp, kdbx_provider **cr, bool *owned);
/* Asks a CR provider the kdbxtool way: the 32-byte salt as yubikit sends it. */
int kdbx_slots__cr_ask(kdbx_provider *p, const uint8_t *chal, size_t len, kdbx_secret **resp);

/* ---- mode 2: kdbxtool (kdbxtool.c) ---- */
#define KDBXTOOL_VERSION_KEY "KDBXTOOL_CR_VERSION"
#define KDBXTOOL_SALT_KEY "KDBXTOOL_CR_SALT"
#define KDBXTOOL_DEVICE_PREFIX "KDBXTOOL_CR_DEVICE_"
#define KDBXTOOL_WRAPPED_SIZE 64
#define KDBXTOOL_HKDF_INFO "kdbxtool-kek-wrap-v1"

typedef struct kdbxtool_device {
	uint32_t index; /* <n> of the item name */
	char *type, *label, *id;
	uint8_t wrapped[KDBXTOOL_WRAPPED_SIZE];
} kdbxtool_device;

/* HKDF-SHA256(response, no salt, "kdbxtool-kek-wrap-v1") -> AES-256-GCM with a
 * 16-byte nonce, no AAD: out = nonce || tag || ciphertext. */
int kdbx_kdbxtool__wrap(const uint8_t kek[32], const uint8_t *resp, size_t resp_len,
                        const uint8_t nonce[16], uint8_t out[KDBXTOOL_WRAPPED_SIZE]);
/* KDBX_EAUTH when the tag does not verify. */
int kdbx_kdbxtool__unwrap(const uint8_t in[KDBXTOOL_WRAPPED_SIZE], const uint8_t *resp,
                          size_t resp_len, uint8_t kek[32]);
/* Device entry value: compact JSON {"type","label","id"} + 0x00 + 64 bytes. */
int kdbx_kdbxtool__serialize(const char *type, const char *label, const char *id,
                             const uint8_t wrapped[KDBXTOOL_WRAPPED_SIZE], kdbx_buf *out);
int kdbx_kdbxtool__parse_device(const uint8_t *v, size_t n, kdbxtool_device *out);
void kdbx_kdbxtool__device_free(kdbxtool_device *d);

/* ---- mode 3: our slots (v3.c) ---- */
#define KDBX_SLOTS_KEY "KDBX_SLOTS"
#define KDBX_SLOTS_MAGIC "KDBXSLOT"
#define KDBX_SLOTS_FORMAT 3
#define KDBX_SLOT_RECORD_VERSION 1
#define KDBX_SLOTS_MAX 32
#define KDBX_SLOT_GROUPS_MAX 1024
#define KDBX_SLOT_KIND_DEVICE 0
#define KDBX_SLOT_KIND_RECOVERY 1
#define KDBX_SLOTS_F_DEVICE_ONLY 0x01

typedef struct v3_slot {
	uint8_t version;  /* record version (1) */
	uint8_t kind;     /* KDBX_SLOT_KIND_* */
	uint16_t flags;   /* KDBX_SLOT_F_* */
	uint32_t id;
	int64_t created;
	int64_t last_used; /* not authenticated by the slot (changes without device) */
	char type[32];
	char *label;
	uint8_t *meta;
	size_t meta_len;
	bool broken; /* unknown record version / damaged: kept, never used */
	uint8_t *raw; /* whole record as read (kept verbatim when broken) */
	size_t raw_len;
} v3_slot;

typedef struct v3_group {
	uint8_t n;
	uint32_t ids[KDBX_SLOTS_MAX];
	uint8_t nonce[12];
	uint8_t ct[32];
	uint8_t tag[16];
} v3_group;

typedef struct v3_state {
	uint8_t format;   /* 3 */
	uint8_t flags;    /* KDBX_SLOTS_F_* */
	uint8_t k;        /* threshold */
	uint8_t db_id[16];
	uint32_t next_id;
	v3_slot *slots;
	size_t nslots;
	v3_group *groups;
	size_t ngroups;
} v3_state;

/* KDBX_ECORRUPT (framing), KDBX_EUNSUPPORTED (format version). A damaged slot
 * record only marks that slot broken. */
int kdbx_v3__parse(v3_state *st, const uint8_t *data, size_t len);
int kdbx_v3__write(const v3_state *st, kdbx_buf *out);
void kdbx_v3__free(v3_state *st);
v3_slot *kdbx_v3__find(v3_state *st, uint32_t id);
/* Wrapping key of a group from the secrets of its slots (same order as ids). */
int kdbx_v3__group_key(const v3_state *st, const v3_group *g, kdbx_secret *const *secrets,
                       uint8_t key[32]);
/* AAD of a group: "kdbx-slots-v3" || db_id || format,flags,k || for each slot
 * its authenticated record bytes || group slot ids. */
int kdbx_v3__group_aad(const v3_state *st, const v3_group *g, kdbx_buf *aad);
int kdbx_v3__group_seal(const v3_state *st, v3_group *g, kdbx_secret *const *secrets,
                        const uint8_t kek[32]);
int kdbx_v3__group_open(const v3_state *st, const v3_group *g, kdbx_secret *const *secrets,
                        uint8_t kek[32]);
/* Recovery key text <-> 32 bytes. */
int kdbx_v3__recovery_format(const uint8_t key[32], kdbx_secret **text);
int kdbx_v3__recovery_parse(const char *text, uint8_t key[32]);

/* ---- db glue (state.c) ---- */
/* Reads mode and (when present) the mode-3 state / mode-2 items from a raw
 * public custom data dictionary. */
int kdbx_slots__mode_of(const uint8_t *pcd, size_t len, kdbx_slot_mode *mode);
/* The mode-3 table of a public custom data dictionary (KDBX_ENOTFOUND). */
int kdbx_slots__load(const uint8_t *pcd, size_t len, v3_state *st);
/* The kdbxtool salt and parsed device entries (file order); damaged entries
 * are counted in *ncorrupt and skipped, as kdbxtool does. */
int kdbx_slots__kdbxtool_load(const uint8_t *pcd, size_t len, uint8_t salt[32],
                              kdbxtool_device **devs, size_t *ndevs, size_t *ncorrupt);
void kdbx_slots__kdbxtool_free(kdbxtool_device **devs, size_t n);
/* Device id shown for a slot (from its metadata alone). */
void kdbx_slots__device_id(const v3_slot *s, char *buf, size_t buflen);

#endif
