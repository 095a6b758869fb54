/* Mode 3 (docs/multi-device-format.md): every operation and error path with
 * soft keys and a fake public-key device, and the revocation property. */
#include "helpers.h"
#include "fake_pubkey.h"

#define SA "device A secret 0001"
#define SB "device B secret 0002"
#define SC "device C secret 0003"

static kdbx_slot_enrol_options eo(const char *label)
{
	kdbx_slot_enrol_options o = KDBX_SLOT_ENROL_OPTIONS_INIT;

	o.label = label;
	return o;
}

/* db with soft keys A and B enrolled (mode 3). */
static kdbx_db *two_device_db(void)
{
	kdbx_db *db = quick_db("pw");
	kdbx_slot_provider *a = soft_slot(SA), *b = soft_slot(SB);
	kdbx_slot_enrol_options o = eo("A");
	uint32_t id = 0;

	assert_int_equal(kdbx_slots_enrol(db, a, &o, &id), 0);
	assert_int_equal(id, 1);
	o.label = "B";
	assert_int_equal(kdbx_slots_enrol(db, b, &o, &id), 0);
	assert_int_equal(id, 2);
	o.label = "A";
	assert_int_equal(kdbx_slots_enrol(db, b, &o, &id), KDBX_EEXISTS);
	kdbx_slot_provider_free(&a);
	kdbx_slot_provider_free(&b);
	return db;
}

static void test_v3__enrol_open_and_errors(void **state)
{
	kdbx_db *db = two_device_db(), *o = NULL;
	kdbx_key *k = pw_key("pw"), *bad = pw_key("nope"), *none = NULL;
	kdbx_slot_providers *sa = set_of(soft_slot(SA), NULL), *sb = set_of(soft_slot(SB), NULL);
	kdbx_slot_providers *sc = set_of(soft_slot(SC), NULL);
	kdbx_slot_providers *nofp = NULL;
	kdbx_slot_info *l = NULL;
	uint8_t *img = NULL;
	size_t n = 0, len = 0;

	(void)state;
	assert_int_equal(kdbx_slots_mode(db), KDBX_MODE_SLOTS);
	assert_non_null(kdbx_slots_mode_warning(KDBX_MODE_SLOTS));
	assert_null(kdbx_slots_mode_warning(KDBX_MODE_NONE));
	assert_int_equal(reopen(db, k, sa, NULL, &o, &img, &len), 0);
	assert_string_equal(first_title(o), "hello");
	/* last used recorded for A */
	assert_int_equal(kdbx_slots_list(o, &l, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].label, "A");
	assert_string_equal(l[0].type, "softkey");
	assert_true(l[0].created > 0);
	assert_true(l[0].last_used > 0);
	assert_int_equal(l[1].last_used, 0);
	assert_memory_equal(l[0].device_id, "softkey:", 8);
	kdbx_slots_list_free(&l);
	kdbx_db_free(&o);
	assert_int_equal(open_img(img, len, k, sb, NULL, &o), 0);
	kdbx_db_free(&o);
	/* wrong password + right device */
	assert_int_equal(open_img(img, len, bad, sa, NULL, &o), KDBX_EAUTH);
	/* right password + wrong device: recognised as not enrolled, never asked */
	assert_int_equal(open_img(img, len, k, sc, NULL, &o), KDBX_EDEVICE);
	/* ... and a wrong device that cannot be recognised: asked, then refused */
	{
		kdbx_slot_provider *p = NULL;
		assert_int_equal(kdbx_slot_provider_from_cr(&p, softkey(KDBX_SOFTKEY_SHA1, SC), "softkey",
		                                            KDBX_CR_ADAPTER_OWN), 0);
		nofp = set_of(p, NULL);
		assert_int_equal(open_img(img, len, k, nofp, NULL, &o), KDBX_EAUTH);
	}
	/* no device */
	assert_int_equal(open_img(img, len, k, NULL, NULL, &o), KDBX_EDEVICE);
	/* no password: refused (device-only is off) */
	assert_int_equal(kdbx_key_new(&none), 0);
	assert_int_equal(open_img(img, len, none, sa, NULL, &o), KDBX_EINVALID);
	/* the file list without the key */
	assert_null(o);
	kdbx_free(img, len);
	kdbx_key_free(&none);
	kdbx_slot_providers_free(&sa);
	kdbx_slot_providers_free(&sb);
	kdbx_slot_providers_free(&sc);
	kdbx_slot_providers_free(&nofp);
	kdbx_key_free(&k);
	kdbx_key_free(&bad);
	kdbx_db_free(&db);
}

/* Edits the slot table of db in memory with fn, then saves it (the header
 * MAC is recomputed: this is what an attacker with the key could not do, so
 * it isolates the slot-level checks). */
static void edit_table(kdbx_db *db, void (*fn)(uint8_t *t, size_t *n))
{
	kdbx_buf b = KDBX_BUF_INIT;
	uint8_t type = 0;

	assert_int_equal(kdbx_db__public_get(db, KDBX_SLOTS_KEY, &type, &b), 0);
	assert_int_equal(kdbx_buf_reserve(&b, 16), 0);
	fn(b.data, &b.len);
	assert_int_equal(kdbx_db__public_set(db, KDBX_SLOTS_KEY, 0x42, b.data, b.len), 0);
	kdbx_buf_free(&b);
}

/* Offset of slot record i in a table (after the 8+4+16+4+2 header). */
static size_t record_at(const uint8_t *t, size_t i)
{
	size_t off = 34;

	for (size_t k = 0; k < i; k++)
		off += 4 + kdbx_le32(t + off);
	return off;
}

static void tamper_label_a(uint8_t *t, size_t *n)
{
	size_t r = record_at(t, 0) + 4;
	(void)n;
	/* record: ver kind flags(2) id(4) created(8) tl type ll(2) label */
	size_t tl = t[r + 16];
	t[r + 17 + tl + 2] ^= 0x20; /* "A" -> "a" */
}

static void version_a(uint8_t *t, size_t *n)
{
	(void)n;
	t[record_at(t, 0) + 4] = 9;
}

static void truncate_table(uint8_t *t, size_t *n)
{
	(void)t;
	*n -= 7;
}

static void format_4(uint8_t *t, size_t *n)
{
	(void)n;
	t[8] = 4;
}

static void flip_group_ct(uint8_t *t, size_t *n)
{
	/* last group's ciphertext byte (B's group) */
	t[*n - 20] ^= 1;
}

static void test_v3__damaged_tables(void **state)
{
	kdbx_key *k = pw_key("pw");
	kdbx_slot_providers *sa = set_of(soft_slot(SA), NULL), *sb = set_of(soft_slot(SB), NULL);
	kdbx_db *db, *o = NULL;
	kdbx_slot_info *l = NULL;
	size_t n = 0;

	(void)state;
	/* tampered metadata of A: A refused, B still opens */
	db = two_device_db();
	edit_table(db, tamper_label_a);
	assert_int_equal(reopen(db, k, sa, NULL, &o, NULL, NULL), KDBX_EAUTH);
	assert_int_equal(reopen(db, k, sb, NULL, &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	kdbx_db_free(&db);
	/* unknown slot record version: that slot listed as unreadable, B opens */
	db = two_device_db();
	edit_table(db, version_a);
	assert_int_equal(kdbx_slots_list(db, &l, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].type, "unknown");
	kdbx_slots_list_free(&l);
	assert_int_equal(reopen(db, k, sa, NULL, &o, NULL, NULL), KDBX_EDEVICE);
	assert_int_equal(reopen(db, k, sb, NULL, &o, NULL, NULL), 0);
	/* the unreadable slot survives a re-save verbatim */
	assert_int_equal(kdbx_slots_list(o, &l, &n), 0);
	assert_int_equal(n, 2);
	kdbx_slots_list_free(&l);
	kdbx_db_free(&o);
	kdbx_db_free(&db);
	/* corrupted slot wrapping: B refused, A opens */
	db = two_device_db();
	edit_table(db, flip_group_ct);
	assert_int_equal(reopen(db, k, sb, NULL, &o, NULL, NULL), KDBX_EAUTH);
	assert_int_equal(reopen(db, k, sa, NULL, &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	kdbx_db_free(&db);
	/* truncated table */
	db = two_device_db();
	edit_table(db, truncate_table);
	assert_int_equal(reopen(db, k, sa, NULL, &o, NULL, NULL), KDBX_ECORRUPT);
	kdbx_db_free(&db);
	/* unknown table format */
	db = two_device_db();
	edit_table(db, format_4);
	assert_int_equal(reopen(db, k, sa, NULL, &o, NULL, NULL), KDBX_EUNSUPPORTED);
	kdbx_db_free(&db);
	kdbx_slot_providers_free(&sa);
	kdbx_slot_providers_free(&sb);
	kdbx_key_free(&k);
}

/* Revocation rotates the KEK: the revoked device with an OLD copy of the
 * file learns the old KEK, and that KEK does not open the new file. The
 * public-key slot is re-wrapped with its device absent; the symmetric slot
 * needs its device, or is dropped on request. */
static void test_v3__revocation_property(void **state)
{
	kdbx_db *db = quick_db("pw"), *o = NULL;
	kdbx_key *k = pw_key("pw");
	fake_pk *pk = fake_pk_new(7);
	kdbx_slot_provider *a = soft_slot(SA), *b = soft_slot(SB);
	kdbx_slot_providers *all = NULL, *only_pk = NULL, *sa = set_of(soft_slot(SA), NULL);
	kdbx_slot_enrol_options o1 = eo("A");
	uint8_t *old = NULL, *neu = NULL, kek_old[32], kek_new[32];
	size_t oldn = 0, neun = 0;

	(void)state;
	assert_int_equal(kdbx_slots_enrol(db, a, &o1, NULL), 0);
	o1.label = "B";
	assert_int_equal(kdbx_slots_enrol(db, b, &o1, NULL), 0);
	o1.label = "PK";
	assert_int_equal(kdbx_slots_enrol(db, &pk->parent, &o1, NULL), 0);
	assert_int_equal(kdbx_db_save_memory(db, NULL, &old, &oldn), 0);
	assert_int_equal(kdbx_key__get_kek(db->key, kek_old), KDBX_KEK_COMPONENT);
	/* Revoke A with B connected and the public-key device absent. */
	pk->has_private = 0;
	all = set_of(b, &pk->parent);
	assert_int_equal(kdbx_slots_revoke(db, "A", all, 0, NULL), 0);
	assert_int_equal(kdbx_key__get_kek(db->key, kek_new), KDBX_KEK_COMPONENT);
	assert_memory_not_equal(kek_old, kek_new, 32);
	assert_int_equal(kdbx_slots_revoke(db, "A", all, 0, NULL), KDBX_ENOTFOUND);
	assert_int_equal(kdbx_db_save_memory(db, NULL, &neu, &neun), 0);
	/* attacker: A + old copy -> old KEK */
	assert_int_equal(open_img(old, oldn, k, sa, NULL, &o), 0);
	assert_int_equal(kdbx_key__get_kek(o->key, kek_old), KDBX_KEK_COMPONENT);
	kdbx_db_free(&o);
	/* A on the new file: no slot; old KEK on the new file: wrong credentials */
	assert_int_equal(open_img(neu, neun, k, sa, NULL, &o), KDBX_EDEVICE);
	{
		kdbx_key *ka = pw_key("pw");
		assert_int_equal(kdbx_key__set_kek(ka, KDBX_KEK_COMPONENT, kek_old), 0);
		assert_int_equal(kdbx_db_open_memory(&o, neu, neun, ka, NULL), KDBX_EAUTH);
		kdbx_key_free(&ka);
	}
	/* B and the re-wrapped public-key slot both open the new file */
	pk->has_private = 1;
	only_pk = set_of(NULL, NULL);
	{
		kdbx_slot_providers *sb = set_of(soft_slot(SB), NULL);
		assert_int_equal(open_img(neu, neun, k, sb, NULL, &o), 0);
		kdbx_db_free(&o);
		kdbx_slot_providers_free(&sb);
	}
	all->count = 1; /* keep b owned by `all`; test pk alone below */
	{
		kdbx_slot_providers tmp = {NULL, 0};
		kdbx_slot_provider *items[1] = {&pk->parent};
		tmp.items = items;
		tmp.count = 1;
		pk->unlocks = 0;
		assert_int_equal(open_img(neu, neun, k, &tmp, NULL, &o), 0);
		assert_int_equal(pk->unlocks, 1);
		/* saving needs no device */
		{
			uint8_t *x = NULL;
			size_t xn = 0;
			assert_int_equal(kdbx_db_save_memory(o, NULL, &x, &xn), 0);
			kdbx_free(x, xn);
			assert_int_equal(kdbx_db_save_memory(o, NULL, &x, &xn), 0);
			kdbx_free(x, xn);
		}
		assert_int_equal(pk->unlocks, 1);
		/* Revoke B without B: refused unless dropping is asked for. */
		pk->has_private = 0;
		assert_int_equal(kdbx_slots_revoke(o, "PK", &tmp, 0, NULL), KDBX_EDEVICE);
		assert_int_equal(kdbx_slots_rotate(o, &tmp, 0, NULL), KDBX_EDEVICE);
		assert_int_equal(kdbx_slots_rotate(o, &tmp, 1, NULL), 0);
		{
			kdbx_slot_info *l = NULL;
			size_t n = 0;
			assert_int_equal(kdbx_slots_list(o, &l, &n), 0);
			assert_int_equal(n, 1);
			assert_string_equal(l[0].label, "PK");
			assert_true(l[0].flags & KDBX_SLOT_F_PUBKEY);
			kdbx_slots_list_free(&l);
		}
		kdbx_db_free(&o);
	}
	all->count = 1;
	kdbx_slot_providers_free(&all); /* frees b */
	kdbx_slot_providers_free(&only_pk);
	kdbx_slot_providers_free(&sa);
	kdbx_slot_provider_free(&a);
	fpk_free(&pk->parent);
	kdbx_free(old, oldn);
	kdbx_free(neu, neun);
	kdbx_key_free(&k);
	kdbx_db_free(&db);
}

static void test_v3__recovery_key(void **state)
{
	kdbx_db *db = two_device_db(), *o = NULL;
	kdbx_key *k = pw_key("pw");
	kdbx_secret *rk = NULL, *rk2 = NULL;
	uint8_t *img = NULL;
	size_t len = 0;
	char typo[80];

	(void)state;
	assert_int_equal(kdbx_slots_recovery_add(db, &rk), 0);
	assert_int_equal(strlen(kdbx_secret_str(rk)), 55 + 10);
	assert_int_equal(kdbx_db_save_memory(db, NULL, &img, &len), 0);
	assert_int_equal(open_img(img, len, k, NULL, kdbx_secret_str(rk), &o), 0);
	kdbx_db_free(&o);
	/* lower case and without dashes works too */
	{
		char lc[80];
		size_t j = 0;
		for (const char *p = kdbx_secret_str(rk); *p; p++)
			if (*p != '-')
				lc[j++] = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
		lc[j] = 0;
		assert_int_equal(open_img(img, len, k, NULL, lc, &o), 0);
		kdbx_db_free(&o);
	}
	snprintf(typo, sizeof(typo), "%s", kdbx_secret_str(rk));
	typo[3] = typo[3] == 'A' ? 'B' : 'A';
	assert_int_equal(open_img(img, len, k, NULL, typo, &o), KDBX_EINVALID);
	kdbx_free(img, len);
	/* replacing it: the old key no longer opens */
	assert_int_equal(kdbx_slots_recovery_add(db, &rk2), 0);
	assert_int_equal(reopen(db, k, NULL, kdbx_secret_str(rk), &o, NULL, NULL), KDBX_EAUTH);
	assert_int_equal(reopen(db, k, NULL, kdbx_secret_str(rk2), &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	assert_int_equal(kdbx_slots_recovery_remove(db), 0);
	assert_int_equal(kdbx_slots_recovery_remove(db), KDBX_ENOTFOUND);
	assert_int_equal(reopen(db, k, NULL, kdbx_secret_str(rk2), &o, NULL, NULL), KDBX_EAUTH);
	kdbx_secret_free(&rk);
	kdbx_secret_free(&rk2);
	kdbx_key_free(&k);
	kdbx_db_free(&db);
}

static void test_v3__policy_k_of_n_and_device_only(void **state)
{
	kdbx_db *db = two_device_db(), *o = NULL;
	kdbx_key *k = pw_key("pw"), *none = NULL;
	kdbx_slot_provider *c = soft_slot(SC);
	kdbx_slot_enrol_options e = eo("C");
	kdbx_slot_providers *all = NULL, *one = set_of(soft_slot(SA), NULL);
	kdbx_slot_providers *two = set_of(soft_slot(SA), soft_slot(SC));

	(void)state;
	assert_int_equal(kdbx_slots_enrol(db, c, &e, NULL), 0);
	all = set_of(soft_slot(SA), soft_slot(SB));
	assert_int_equal(kdbx_slot_providers_add(all, c), 0);
	assert_int_equal(kdbx_slots_set_policy(db, 4, 0, all, NULL), KDBX_EINVALID);
	assert_int_equal(kdbx_slots_set_policy(db, 2, 0, all, NULL), 0);
	assert_int_equal(reopen(db, k, one, NULL, &o, NULL, NULL), KDBX_EDEVICE);
	assert_int_equal(reopen(db, k, two, NULL, &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	e.label = "D";
	assert_int_equal(kdbx_slots_enrol(db, c, &e, NULL), KDBX_EUNSUPPORTED);
	/* back to any one, then device-only */
	assert_int_equal(kdbx_slots_set_policy(db, 1, 1, all, NULL), 0);
	assert_int_equal(kdbx_key_new(&none), 0);
	assert_int_equal(reopen(db, none, one, NULL, &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	/* the password is ignored for a device-only file */
	assert_int_equal(reopen(db, k, one, NULL, &o, NULL, NULL), 0);
	/* a password set on a device-only database is not mixed in: still device-only */
	assert_int_equal(kdbx_db_set_key(o, k), 0);
	kdbx_db_free(&db);
	assert_int_equal(reopen(o, none, one, NULL, &db, NULL, NULL), 0);
	kdbx_db_free(&o);
	o = db;
	db = NULL;
	/* turning it off needs a password first */
	assert_int_equal(kdbx_slots_set_policy(o, 1, 0, all, NULL), KDBX_EINVALID);
	assert_int_equal(kdbx_db_set_key(o, k), 0);
	assert_int_equal(kdbx_slots_set_policy(o, 1, 0, all, NULL), 0);
	assert_int_equal(reopen(o, none, one, NULL, &db, NULL, NULL), KDBX_EINVALID);
	assert_int_equal(reopen(o, k, one, NULL, &db, NULL, NULL), 0);
	kdbx_db_free(&db);
	kdbx_db_free(&o);
	kdbx_slot_providers_free(&all);
	kdbx_slot_providers_free(&one);
	kdbx_slot_providers_free(&two);
	kdbx_key_free(&k);
	kdbx_key_free(&none);
}

static void test_v3__convert(void **state)
{
	kdbx_db *db = quick_db("pw"), *o = NULL;
	kdbx_key *k = pw_key("pw"), *k1 = pw_key("pw");
	kdbx_provider *cr = softkey(KDBX_SOFTKEY_SHA1, SA);
	kdbx_slot_provider *ad = NULL;
	kdbx_slot_providers *set = NULL;
	uint8_t *b = NULL;
	size_t n = 0;

	(void)state;
	/* mode 1 database */
	assert_int_equal(kdbx_key_add_challenge_response(k1, cr), 0);
	assert_int_equal(kdbx_db_set_key(db, k1), 0);
	assert_int_equal(kdbx_slots_mode(db), KDBX_MODE_KEEPASSXC);
	assert_int_equal(kdbx_slot_provider_from_cr(&ad, cr, NULL, KDBX_CR_ADAPTER_FINGERPRINT), 0);
	set = set_of(ad, NULL);
	{
		kdbx_slot_enrol_options e = eo("x");
		assert_int_equal(kdbx_slots_enrol(db, ad, &e, NULL), KDBX_EINVALID);
	}
	/* 1 -> 3 */
	assert_int_equal(kdbx_slots_convert(db, KDBX_MODE_SLOTS, set, NULL), 0);
	assert_int_equal(kdbx_slots_mode(db), KDBX_MODE_SLOTS);
	assert_int_equal(reopen(db, k, set, NULL, &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	/* 3 -> 1: opens in KeePassXC mode (plain open with the provider on the key) */
	assert_int_equal(kdbx_slots_convert(db, KDBX_MODE_KEEPASSXC, set, NULL), 0);
	assert_int_equal(kdbx_db_save_memory(db, NULL, &b, &n), 0);
	assert_int_equal(kdbx_db_open_memory(&o, b, n, k1, NULL), 0);
	kdbx_db_free(&o);
	assert_int_equal(kdbx_db_open_memory(&o, b, n, k, NULL), KDBX_EAUTH);
	kdbx_free(b, n);
	/* 1 -> 2 -> 3 -> 0 */
	assert_int_equal(kdbx_slots_convert(db, KDBX_MODE_KDBXTOOL, set, NULL), 0);
	assert_int_equal(kdbx_slots_mode(db), KDBX_MODE_KDBXTOOL);
	assert_int_equal(reopen(db, k, set, NULL, &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	assert_int_equal(kdbx_slots_convert(db, KDBX_MODE_SLOTS, set, NULL), 0);
	assert_int_equal(reopen(db, k, set, NULL, &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	{
		kdbx_vdict d;
		assert_int_equal(kdbx_vdict_parse(&d, db->public_custom_data, db->public_custom_data_len), 0);
		assert_null(kdbx_vdict_get(&d, KDBXTOOL_SALT_KEY));
		kdbx_vdict_free(&d);
	}
	assert_int_equal(kdbx_slots_convert(db, KDBX_MODE_NONE, NULL, NULL), 0);
	assert_int_equal(kdbx_db_save_memory(db, NULL, &b, &n), 0);
	assert_int_equal(kdbx_db_open_memory(&o, b, n, k, NULL), 0);
	assert_int_equal(kdbx_slots_mode(o), KDBX_MODE_NONE);
	kdbx_db_free(&o);
	kdbx_free(b, n);
	kdbx_slot_providers_free(&set);
	kdbx_provider_free(&cr);
	kdbx_key_free(&k);
	kdbx_key_free(&k1);
	kdbx_db_free(&db);
}

/* Typed device errors pass through; a wrong PIN stops the attempt (no
 * second device is asked, no PIN try is spent elsewhere). */
static void test_v3__device_errors_pass_through(void **state)
{
	kdbx_db *db = quick_db("pw"), *o = NULL;
	kdbx_key *k = pw_key("pw");
	fake_pk *p1 = fake_pk_new(1), *p2 = fake_pk_new(2);
	kdbx_slot_enrol_options e = eo("one");
	kdbx_slot_providers tmp;
	kdbx_slot_provider *items[2] = {&p1->parent, &p2->parent};

	(void)state;
	assert_int_equal(kdbx_slots_enrol(db, &p1->parent, &e, NULL), 0);
	e.label = "two";
	assert_int_equal(kdbx_slots_enrol(db, &p2->parent, &e, NULL), 0);
	tmp.items = items;
	tmp.count = 2;
	p1->fail_code = KDBX_EPIN;
	p1->unlocks = p2->unlocks = 0;
	assert_int_equal(reopen(db, k, &tmp, NULL, &o, NULL, NULL), KDBX_EPIN);
	assert_int_equal(p1->unlocks + p2->unlocks, 1);
	p1->fail_code = KDBX_EPINLOCKED;
	assert_int_equal(reopen(db, k, &tmp, NULL, &o, NULL, NULL), KDBX_EPINLOCKED);
	/* a timeout on one device: the next matching one is tried */
	p1->fail_code = KDBX_ETIMEOUT;
	p1->unlocks = p2->unlocks = 0;
	assert_int_equal(reopen(db, k, &tmp, NULL, &o, NULL, NULL), 0);
	assert_int_equal(p2->unlocks, 1);
	kdbx_db_free(&o);
	/* only that device present and it times out: the timeout is reported */
	p2->has_private = 0;
	assert_int_equal(reopen(db, k, &tmp, NULL, &o, NULL, NULL), KDBX_ETIMEOUT);
	fpk_free(&p1->parent);
	fpk_free(&p2->parent);
	kdbx_key_free(&k);
	kdbx_db_free(&db);
}

/* A device that cannot tell whether it is a slot's (MAYBE) must prove it
 * before a rotation re-seals that slot with its answer. */
static void test_v3__rotate_checks_maybe_devices(void **state)
{
	kdbx_db *db = quick_db("pw"), *o = NULL;
	kdbx_key *k = pw_key("pw");
	kdbx_slot_provider *a = NULL, *b = NULL, *wrong = NULL, *right = NULL;
	kdbx_slot_enrol_options e = eo("A");
	kdbx_slot_providers *sw = NULL, *sr = NULL;

	(void)state;
	assert_int_equal(kdbx_slot_provider_from_cr(&a, softkey(KDBX_SOFTKEY_SHA1, SA), "softkey", KDBX_CR_ADAPTER_OWN), 0);
	assert_int_equal(kdbx_slots_enrol(db, a, &e, NULL), 0);
	b = soft_slot(SB);
	e.label = "B";
	assert_int_equal(kdbx_slots_enrol(db, b, &e, NULL), 0);
	assert_int_equal(kdbx_slot_provider_from_cr(&wrong, softkey(KDBX_SOFTKEY_SHA1, SC), "softkey", KDBX_CR_ADAPTER_OWN), 0);
	assert_int_equal(kdbx_slot_provider_from_cr(&right, softkey(KDBX_SOFTKEY_SHA1, SA), "softkey", KDBX_CR_ADAPTER_OWN), 0);
	sw = set_of(wrong, b);
	assert_int_equal(kdbx_slots_rotate(db, sw, 0, NULL), KDBX_EDEVICE);
	sr = set_of(right, NULL);
	assert_int_equal(kdbx_slots_revoke(db, "B", sr, 0, NULL), 0);
	assert_int_equal(reopen(db, k, sr, NULL, &o, NULL, NULL), 0);
	kdbx_db_free(&o);
	kdbx_slot_providers_free(&sw);
	kdbx_slot_providers_free(&sr);
	kdbx_slot_provider_free(&a);
	kdbx_key_free(&k);
	kdbx_db_free(&db);
}

static void test_v3__recovery_key_text(void **state)
{
	uint8_t key[32], back[32];
	kdbx_secret *t = NULL;

	(void)state;
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(kdbx_v3__recovery_format(key, &t), 0);
	assert_int_equal(kdbx_v3__recovery_parse(kdbx_secret_str(t), back), 0);
	assert_memory_equal(key, back, 32);
	assert_int_equal(kdbx_v3__recovery_parse("AAAA", back), KDBX_EINVALID);
	assert_int_equal(kdbx_v3__recovery_parse("!!!!", back), KDBX_EINVALID);
	kdbx_secret_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v3__enrol_open_and_errors),
		cmocka_unit_test(test_v3__damaged_tables),
		cmocka_unit_test(test_v3__revocation_property),
		cmocka_unit_test(test_v3__recovery_key),
		cmocka_unit_test(test_v3__policy_k_of_n_and_device_only),
		cmocka_unit_test(test_v3__convert),
		cmocka_unit_test(test_v3__device_errors_pass_through),
		cmocka_unit_test(test_v3__rotate_checks_maybe_devices),
		cmocka_unit_test(test_v3__recovery_key_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
