/* libFuzzer harness: device slot parsing (docs/multi-device-format.md, and
 * the kdbxtool device entries of kdbxtool-notes 1.3). The first byte picks
 * the parser: 0 mode-3 table (a parsed table must re-serialise to a table
 * that parses the same, and every group is tried with a fixed secret),
 * 1 kdbxtool device entry, 2 a whole public custom data dictionary (mode
 * detection + listing), 3 recovery key text. */
#include <stdlib.h>

#include "slots/slots_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void table(const uint8_t *data, size_t size)
{
	v3_state st, back;
	kdbx_buf out = KDBX_BUF_INIT;
	kdbx_secret *s[KDBX_SLOTS_MAX] = {NULL};
	uint8_t kek[32];

	if (kdbx_v3__parse(&st, data, size) != KDBX_OK)
		return;
	if (kdbx_v3__write(&st, &out) != KDBX_OK || kdbx_v3__parse(&back, out.data, out.len) != KDBX_OK)
		abort();
	if (back.nslots != st.nslots || back.ngroups != st.ngroups || back.k != st.k)
		abort();
	for (size_t i = 0; i < st.nslots; i++)
		if (st.slots[i].broken != back.slots[i].broken || st.slots[i].meta_len != back.slots[i].meta_len)
			abort();
	if (kdbx_secret_new(&s[0], "0123456789abcdef0123456789abcdef", 32) == KDBX_OK) {
		for (size_t i = 1; i < KDBX_SLOTS_MAX; i++)
			s[i] = s[0];
		for (size_t g = 0; g < st.ngroups; g++)
			(void)kdbx_v3__group_open(&st, &st.groups[g], s, kek);
		kdbx_secret_free(&s[0]);
	}
	kdbx_error_clear();
	kdbx_v3__free(&back);
	kdbx_v3__free(&st);
	kdbx_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		table(data + 1, size - 1);
		break;
	case 1: {
		kdbxtool_device d;
		if (kdbx_kdbxtool__parse_device(data + 1, size - 1, &d) == KDBX_OK) {
			if (d.type == NULL || d.label == NULL || d.id == NULL)
				abort();
			kdbx_kdbxtool__device_free(&d);
		}
		break;
	}
	case 2: {
		kdbx_slot_mode m;
		v3_state st;
		kdbxtool_device *devs = NULL;
		size_t nd = 0, bad = 0;
		uint8_t salt[32];
		if (kdbx_slots__mode_of(data + 1, size - 1, &m) == KDBX_OK) {
			if (m == KDBX_MODE_SLOTS && kdbx_slots__load(data + 1, size - 1, &st) == KDBX_OK) {
				char id[128];
				for (size_t i = 0; i < st.nslots; i++)
					if (!st.slots[i].broken)
						kdbx_slots__device_id(&st.slots[i], id, sizeof(id));
				kdbx_v3__free(&st);
			}
			if (m == KDBX_MODE_KDBXTOOL &&
			    kdbx_slots__kdbxtool_load(data + 1, size - 1, salt, &devs, &nd, &bad) == KDBX_OK)
				kdbx_slots__kdbxtool_free(&devs, nd);
		}
		break;
	}
	default: {
		char *t = malloc(size);
		uint8_t key[32];
		if (t == NULL)
			return 0;
		memcpy(t, data + 1, size - 1);
		t[size - 1] = '\0';
		(void)kdbx_v3__recovery_parse(t, key);
		free(t);
		break;
	}
	}
	kdbx_error_clear();
	return 0;
}
