/* Key derivation functions (keepassxc-notes 1.3-1.5, 3.9): AES-KDF and Argon2d/id,
 * their UUIDs, parameter validation, defaults and calibration. */
#include <argon2.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"

static const uint8_t uuid_aes_kdbx3[16] = {0xc9, 0xd9, 0xf3, 0x9a, 0x62, 0x8a, 0x44, 0x60,
                                           0xbf, 0x74, 0x0d, 0x08, 0xc1, 0x8a, 0x4f, 0xea};
static const uint8_t uuid_aes_kdbx4[16] = {0x7c, 0x02, 0xbb, 0x82, 0x79, 0xa7, 0x4a, 0xc0,
                                           0x92, 0x7d, 0x11, 0x4a, 0x00, 0x64, 0x82, 0x38};
static const uint8_t uuid_argon2d[16] = {0xef, 0x63, 0x6d, 0xdf, 0x8c, 0x29, 0x44, 0x4b,
                                         0x91, 0xf7, 0xa9, 0xa4, 0x03, 0xe3, 0x0a, 0x0c};
static const uint8_t uuid_argon2id[16] = {0x9e, 0x29, 0x8b, 0x19, 0x56, 0xdb, 0x47, 0x73,
                                          0xb2, 0x3d, 0xfc, 0x3e, 0xc6, 0xf0, 0xa1, 0xe6};

int kdbx_kdf__from_uuid(const uint8_t uuid[16], bool kdbx4)
{
	/* KeePass's AES-KDF UUID means KDBX 4 semantics inside a KDBX 4 header. */
	if (memcmp(uuid, uuid_aes_kdbx3, 16) == 0)
		return kdbx4 ? KDBX_KDF_AES_KDBX4 : KDBX_KDF_AES_KDBX3;
	if (memcmp(uuid, uuid_aes_kdbx4, 16) == 0)
		return KDBX_KDF_AES_KDBX4;
	if (memcmp(uuid, uuid_argon2d, 16) == 0)
		return KDBX_KDF_ARGON2D;
	if (memcmp(uuid, uuid_argon2id, 16) == 0)
		return KDBX_KDF_ARGON2ID;
	return -1;
}

const uint8_t *kdbx_kdf__uuid(kdbx_kdf_type t)
{
	switch (t) {
	case KDBX_KDF_AES_KDBX3:
	case KDBX_KDF_AES_KDBX4: return uuid_aes_kdbx3; /* what KeePassXC writes */
	case KDBX_KDF_ARGON2D: return uuid_argon2d;
	case KDBX_KDF_ARGON2ID: return uuid_argon2id;
	}
	return NULL;
}

const char *kdbx_kdf_name(kdbx_kdf_type t)
{
	switch (t) {
	case KDBX_KDF_AES_KDBX3: return "AES-KDF (KDBX 3)";
	case KDBX_KDF_AES_KDBX4: return "AES-KDF (KDBX 4)";
	case KDBX_KDF_ARGON2D: return "Argon2d";
	case KDBX_KDF_ARGON2ID: return "Argon2id";
	}
	return "unknown";
}

/* ---- AES-KDF ----
 * rounds x AES-256-ECB on one block equals CBC encryption of rounds zero blocks
 * with IV = block (c_i = E(c_{i-1} ^ 0)): one EVP call runs a whole chunk with
 * OpenSSL's pipelined AES-NI code instead of one call per round. */
#define AES_CHUNK_BLOCKS 4096
#define AES_PROGRESS_EVERY 16 /* chunks between progress callbacks */
#define AES_THREAD_MIN 100000

static const uint8_t aes_zeros[AES_CHUNK_BLOCKS * 16];

struct aes_half {
	const uint8_t *seed;
	uint8_t block[16];
	uint64_t rounds;
	atomic_int *stop;
	kdbx_progress_cb cb; /* only the calling thread reports progress */
	void *ud;
	int rc;
};

static int aes_half_run(struct aes_half *h)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t *scratch = malloc(sizeof(aes_zeros));
	uint64_t left = h->rounds, chunks = 0;
	int outl, rc = KDBX_OK;

	if (ctx == NULL || scratch == NULL) {
		rc = KDBX_ENOMEM;
		goto out;
	}
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, h->seed, h->block) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
		rc = KDBX_ERROR;
		goto out;
	}
	while (left > 0) {
		size_t n = left > AES_CHUNK_BLOCKS ? AES_CHUNK_BLOCKS : (size_t)left;
		/* The context carries the last ciphertext block as the next IV. */
		if (EVP_EncryptUpdate(ctx, scratch, &outl, aes_zeros, (int)(n * 16)) != 1 ||
		    outl != (int)(n * 16)) {
			rc = KDBX_ERROR;
			goto out;
		}
		left -= n;
		if (left == 0)
			memcpy(h->block, scratch + (n - 1) * 16, 16);
		if (++chunks % AES_PROGRESS_EVERY == 0) {
			if (atomic_load(h->stop)) {
				rc = KDBX_ECANCELLED;
				goto out;
			}
			if (h->cb != NULL && h->cb((double)(h->rounds - left) / (double)h->rounds, h->ud) != 0) {
				atomic_store(h->stop, 1);
				rc = KDBX_ECANCELLED;
				goto out;
			}
		}
	}
out:
	if (scratch != NULL)
		kdbx_freezero(scratch, sizeof(aes_zeros));
	EVP_CIPHER_CTX_free(ctx);
	h->rc = rc;
	return rc;
}

static void *aes_half_thread(void *arg)
{
	aes_half_run(arg);
	return NULL;
}

/* Single-core path: one ECB call per round on both 16-byte halves lets AES-NI
 * interleave the two independent chains (what KeePassXC does), which beats
 * running the two CBC chains one after the other on one core. */
static int aes_both_ecb(uint8_t block[32], const uint8_t seed[32], uint64_t rounds,
                        kdbx_progress_cb cb, void *ud)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint64_t done = 0;
	int outl, rc = KDBX_OK;

	if (ctx == NULL)
		return KDBX_ENOMEM;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_ecb(), NULL, seed, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
		rc = KDBX_ERROR;
		goto out;
	}
	while (done < rounds) {
		uint64_t n = rounds - done;
		if (n > AES_CHUNK_BLOCKS * AES_PROGRESS_EVERY)
			n = AES_CHUNK_BLOCKS * AES_PROGRESS_EVERY;
		for (uint64_t i = 0; i < n; i++) {
			if (EVP_EncryptUpdate(ctx, block, &outl, block, 32) != 1) {
				rc = KDBX_ERROR;
				goto out;
			}
		}
		done += n;
		if (cb != NULL && done < rounds && cb((double)done / (double)rounds, ud) != 0) {
			rc = KDBX_ECANCELLED;
			goto out;
		}
	}
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* Two CBC chains on two cores beat the interleaved single-core loop by ~15% only
 * when a second core is really idle; on a busy machine the two threads share one
 * core and run ~40% slower than the interleaved loop (measured, docs/DEPENDENCIES.md).
 * So use the second core only when one is idle right now (kdbx_cpu_spare). */
static int aes_mode; /* test hook: 0 auto, 1 one core, 2 two threads */

void kdbx_kdf__aes_mode(int mode)
{
	aes_mode = mode;
}

static bool second_core_idle(void)
{
	if (aes_mode != 0)
		return aes_mode == 2;
	return kdbx_cpu_spare();
}

/* may_thread false: KDBX_KDF_ONE_CORE, the caller already uses the other core. */
static int aes_kdf(const uint8_t key[32], const uint8_t seed[32], uint64_t rounds, uint8_t out[32],
                   kdbx_progress_cb cb, void *ud, bool may_thread)
{
	atomic_int stop = 0;
	struct aes_half h[2];
	uint8_t both[32];
	pthread_t th;
	int rc;

	if (!may_thread || rounds <= AES_THREAD_MIN || !second_core_idle()) {
		memcpy(both, key, 32);
		rc = aes_both_ecb(both, seed, rounds, cb, ud);
		if (rc == KDBX_OK)
			rc = kdbx_sha256(both, 32, out);
		kdbx_memzero(both, sizeof(both));
		goto done;
	}
	for (int i = 0; i < 2; i++) {
		h[i].seed = seed;
		memcpy(h[i].block, key + 16 * i, 16);
		h[i].rounds = rounds;
		h[i].stop = &stop;
		h[i].cb = NULL;
		h[i].ud = NULL;
		h[i].rc = KDBX_OK;
	}
	h[0].cb = cb;
	h[0].ud = ud;
	/* Two cores: each half is one CBC chain on its own core. */
	if (pthread_create(&th, NULL, aes_half_thread, &h[1]) == 0) {
		aes_half_run(&h[0]);
		if (h[0].rc != KDBX_OK)
			atomic_store(&stop, 1);
		pthread_join(th, NULL);
	} else {
		aes_half_run(&h[0]);
		if (h[0].rc == KDBX_OK)
			aes_half_run(&h[1]);
	}
	rc = h[0].rc != KDBX_OK ? h[0].rc : h[1].rc;
	if (rc == KDBX_OK) {
		kdbx_iov v[2] = {{h[0].block, 16}, {h[1].block, 16}};
		rc = kdbx_sha256_v(v, 2, out);
	}
	kdbx_memzero(h, sizeof(h));
done:
	if (rc == KDBX_ECANCELLED)
		return kdbx_error__set(rc, "key derivation cancelled");
	if (rc != KDBX_OK)
		return kdbx_error__set(rc, "AES-KDF failed");
	return KDBX_OK;
}

int kdbx_aes_kdf(const uint8_t key[32], const uint8_t seed[32], uint64_t rounds, uint8_t out[32],
                 kdbx_progress_cb cb, void *ud)
{
	return aes_kdf(key, seed, rounds, out, cb, ud, true);
}

/* ---- Argon2 ---- */
int kdbx_argon2(kdbx_kdf_type type, uint32_t version, uint64_t iterations, uint64_t memory,
                uint32_t parallelism, const uint8_t *pwd, size_t pwdlen, const uint8_t *salt,
                size_t saltlen, uint8_t out[32])
{
	argon2_context ctx;
	int r;

	if (type != KDBX_KDF_ARGON2D && type != KDBX_KDF_ARGON2ID)
		return kdbx_error__set(KDBX_EINVALID, "not an Argon2 KDF");
	if (iterations == 0 || iterations > UINT32_MAX || memory / 1024 > UINT32_MAX ||
	    pwdlen > UINT32_MAX || saltlen > UINT32_MAX)
		return kdbx_error__set(KDBX_EUNSUPPORTED, "Argon2 parameters out of range");
	memset(&ctx, 0, sizeof(ctx));
	ctx.out = out;
	ctx.outlen = 32;
	ctx.pwd = (uint8_t *)pwd; /* not modified: ARGON2_FLAG_CLEAR_PASSWORD is off */
	ctx.pwdlen = (uint32_t)pwdlen;
	ctx.salt = (uint8_t *)salt;
	ctx.saltlen = (uint32_t)saltlen;
	ctx.t_cost = (uint32_t)iterations;
	ctx.m_cost = (uint32_t)(memory / 1024); /* KDBX stores bytes, libargon2 wants KiB */
	ctx.lanes = parallelism;
	ctx.threads = parallelism;
	ctx.version = version;
	ctx.flags = ARGON2_DEFAULT_FLAGS;
	r = argon2_ctx(&ctx, type == KDBX_KDF_ARGON2D ? Argon2_d : Argon2_id);
	if (r == ARGON2_OK)
		return KDBX_OK;
	kdbx_memzero(out, 32);
	if (r == ARGON2_MEMORY_ALLOCATION_ERROR)
		return kdbx_error__set(KDBX_ENOMEM, "Argon2: cannot allocate %llu KiB",
		                       (unsigned long long)(memory / 1024));
	if (r == ARGON2_THREAD_FAIL)
		return kdbx_error__set(KDBX_ERROR, "Argon2: %s", argon2_error_message(r));
	return kdbx_error__set(KDBX_EUNSUPPORTED, "Argon2: %s", argon2_error_message(r));
}

/* ---- validation and dispatch ---- */
#define SOFT_MAX_MEMORY ((uint64_t)4 << 30)
#define SOFT_MAX_ITERATIONS ((uint64_t)1 << 20)
#define SOFT_MAX_ROUNDS ((uint64_t)1 << 40)

int kdbx_kdf__validate(const kdbx_kdf_params *p, unsigned int flags)
{
	bool soft = (flags & KDBX_KDF_SKIP_LIMITS) == 0;

	if (p == NULL)
		return kdbx_error__set(KDBX_EINVALID, "no KDF parameters");
	switch (p->type) {
	case KDBX_KDF_AES_KDBX3:
	case KDBX_KDF_AES_KDBX4:
		if (p->seed_len != 32)
			return kdbx_error__set(KDBX_ECORRUPT, "AES-KDF seed must be 32 bytes, not %zu", p->seed_len);
		if (p->rounds == 0)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "AES-KDF with 0 rounds");
		if (soft && p->rounds > SOFT_MAX_ROUNDS)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "AES-KDF rounds %llu exceed the sanity limit",
			                       (unsigned long long)p->rounds);
		return KDBX_OK;
	case KDBX_KDF_ARGON2D:
	case KDBX_KDF_ARGON2ID:
		if (p->seed_len < 8 || p->seed_len > 32)
			return kdbx_error__set(KDBX_ECORRUPT, "Argon2 salt must be 8..32 bytes, not %zu", p->seed_len);
		if (p->version != 0x10 && p->version != 0x13)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "Argon2 version 0x%x", p->version);
		if (p->parallelism < 1 || p->parallelism > 0xFFFFFF)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "Argon2 parallelism %u out of range", p->parallelism);
		if (p->iterations < 1 || p->iterations > UINT32_MAX)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "Argon2 iterations out of range");
		if (p->memory < 8 * 1024 || p->memory / 1024 > UINT32_MAX)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "Argon2 memory out of range");
		if (p->memory / 1024 < 8 * (uint64_t)p->parallelism)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "Argon2 memory below 8 KiB per lane");
		if (soft && p->memory > SOFT_MAX_MEMORY)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "Argon2 memory %llu MiB exceeds the sanity limit",
			                       (unsigned long long)(p->memory >> 20));
		if (soft && p->iterations > SOFT_MAX_ITERATIONS)
			return kdbx_error__set(KDBX_EUNSUPPORTED, "Argon2 iterations %llu exceed the sanity limit",
			                       (unsigned long long)p->iterations);
		return KDBX_OK;
	}
	return kdbx_error__set(KDBX_EUNSUPPORTED, "unknown KDF type %d", (int)p->type);
}

int kdbx_kdf__transform_ex(const kdbx_kdf_params *p, const uint8_t in[32], uint8_t out[32],
                           kdbx_progress_cb cb, void *ud, unsigned int flags)
{
	int rc;

	if (in == NULL || out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdf: invalid argument");
	if ((rc = kdbx_kdf__validate(p, flags)) != KDBX_OK)
		return rc;
	if (p->type == KDBX_KDF_AES_KDBX3 || p->type == KDBX_KDF_AES_KDBX4)
		return aes_kdf(in, p->seed, p->rounds, out, cb, ud, (flags & KDBX_KDF_ONE_CORE) == 0);
	if (cb != NULL && cb(0.0, ud) != 0)
		return kdbx_error__set(KDBX_ECANCELLED, "key derivation cancelled");
	rc = kdbx_argon2(p->type, p->version, p->iterations, p->memory, p->parallelism, in, 32, p->seed,
	                 p->seed_len, out);
	if (rc == KDBX_OK && cb != NULL)
		(void)cb(1.0, ud);
	return rc;
}

int kdbx_kdf_transform(const kdbx_kdf_params *p, const uint8_t in[32], uint8_t out[32],
                       kdbx_progress_cb cb, void *ud)
{
	return kdbx_kdf__transform_ex(p, in, out, cb, ud, 0);
}

/* ---- public helpers (db.h) ---- */
int kdbx_kdf_defaults(kdbx_kdf_params *out, kdbx_kdf_type type)
{
	long cpus;

	if (out == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_kdf_defaults: out is NULL");
	memset(out, 0, sizeof(*out));
	out->type = type;
	out->seed_len = 32;
	switch (type) {
	case KDBX_KDF_AES_KDBX3:
	case KDBX_KDF_AES_KDBX4:
		out->rounds = 1000000;
		break;
	case KDBX_KDF_ARGON2D:
	case KDBX_KDF_ARGON2ID:
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		out->memory = (uint64_t)64 << 20;
		out->iterations = 10;
		out->parallelism = cpus < 1 ? 1 : cpus > 0xFFFF ? 0xFFFF : (uint32_t)cpus;
		out->version = 0x13;
		break;
	default:
		return kdbx_error__set(KDBX_EINVALID, "unknown KDF type %d", (int)type);
	}
	return kdbx_random(out->seed, 32);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int kdbx_kdf_calibrate(kdbx_kdf_params *p, unsigned int ms)
{
	kdbx_kdf_params t;
	uint8_t in[32] = {0}, out[32];
	double start, took;
	int rc;

	if (p == NULL || ms == 0)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_kdf_calibrate: invalid argument");
	t = *p;
	if (p->type == KDBX_KDF_AES_KDBX3 || p->type == KDBX_KDF_AES_KDBX4) {
		t.rounds = 250000;
		t.seed_len = 32;
		/* Time a run long enough (>= 20 ms) that scaling it is meaningful. */
		for (;;) {
			start = now_ms();
			if ((rc = kdbx_kdf__transform_ex(&t, in, out, NULL, NULL, KDBX_KDF_SKIP_LIMITS)) != KDBX_OK)
				return rc;
			took = now_ms() - start;
			if (took >= 20.0 || t.rounds >= ((uint64_t)1 << 32))
				break;
			t.rounds *= 4;
		}
		double r = (double)t.rounds * (double)ms / (took > 0.001 ? took : 0.001);
		p->rounds = r < 1000.0 ? 1000 : r > (double)SOFT_MAX_ROUNDS ? SOFT_MAX_ROUNDS : (uint64_t)r;
	} else {
		t.iterations = 1;
		start = now_ms();
		if ((rc = kdbx_kdf__transform_ex(&t, in, out, NULL, NULL, 0)) != KDBX_OK)
			return rc;
		took = now_ms() - start;
		double it = (double)ms / (took > 0.001 ? took : 0.001);
		p->iterations = it < 1.0 ? 1 : it > (double)SOFT_MAX_ITERATIONS ? SOFT_MAX_ITERATIONS : (uint64_t)it;
	}
	kdbx_memzero(out, sizeof(out));
	return KDBX_OK;
}

int kdbx_kdf_run(const kdbx_kdf_params *p, const uint8_t in[32], uint8_t out[32])
{
	return kdbx_kdf_transform(p, in, out, NULL, NULL);
}
