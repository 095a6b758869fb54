/* Password generator: character classes as keepassxc-cli's, randomness from
 * OpenSSL RAND_bytes, uniform picks by rejection sampling. Characters are
 * UTF-8 strings so the extended (Latin-1) class works. */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "cli.h"

#define MAX_CHARS 512
#define MAX_LENGTH 4096

typedef struct charset {
	char ch[MAX_CHARS][3]; /* UTF-8, NUL-terminated (1 or 2 bytes) */
	size_t n;
} charset;

static const char lower_chars[] = "abcdefghijklmnopqrstuvwxyz";
static const char upper_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char digit_chars[] = "0123456789";
/* KeePassXC's special groups: braces, punctuation, quotes, dashes, math, logograms. */
static const char special_chars[] = "()[]{}.,:;\"'-/\\_|!*+<=>?#$%&@^`~";
static const char similar_chars[] = "Il1|O0B8G6";

/* Uniform integer in [0, n) without modulo bias. */
static int rand_below(size_t n, size_t *out)
{
	uint32_t r, limit;

	if (n == 0 || n > UINT32_MAX)
		return -1;
	limit = UINT32_MAX - (uint32_t)(((uint64_t)UINT32_MAX + 1) % n);
	do {
		if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
			return -1;
	} while (r > limit);
	*out = r % n;
	return 0;
}

static int excluded(const char *c, const char *exclude, int no_similar)
{
	if (c[1] == '\0' && no_similar && strchr(similar_chars, c[0]))
		return 1;
	/* Multi-byte characters are matched as whole UTF-8 sequences. */
	return exclude && *exclude && strstr(exclude, c) != NULL;
}

static int contains(const charset *s, const char *c)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ch[i], c) == 0)
			return 1;
	return 0;
}

static void add_char(charset *s, const char *c, size_t len, const char *exclude, int no_similar)
{
	char tmp[3] = {0, 0, 0};

	if (len > 2 || s->n >= MAX_CHARS)
		return;
	memcpy(tmp, c, len);
	if (excluded(tmp, exclude, no_similar) || contains(s, tmp))
		return;
	memcpy(s->ch[s->n++], tmp, 3);
}

static void add_ascii(charset *s, const char *chars, const char *exclude, int no_similar)
{
	for (const char *p = chars; *p; p++)
		add_char(s, p, 1, exclude, no_similar);
}

/* U+00A1..U+00FF without the soft hyphen, encoded as UTF-8. */
static void add_extended(charset *s, const char *exclude, int no_similar)
{
	for (unsigned int cp = 0xA1; cp <= 0xFF; cp++) {
		char u[2];
		if (cp == 0xAD)
			continue;
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		add_char(s, u, 2, exclude, no_similar);
	}
}

/* Adds the UTF-8 characters of a user string (custom set). */
static void add_utf8(charset *s, const char *str, const char *exclude, int no_similar)
{
	const unsigned char *p = (const unsigned char *)str;
	while (*p) {
		size_t len = (*p >= 0xC0 && *p < 0xE0 && p[1]) ? 2 : 1;
		add_char(s, (const char *)p, len, exclude, no_similar);
		p += len;
	}
}

/* log2 by repeated squaring, so the tool needs no libm. */
static double log2_of(double x)
{
	double r = 0.0, bit = 0.5;
	int k = 0;

	while (x >= 2.0) {
		x /= 2.0;
		k++;
	}
	for (int i = 0; i < 40; i++) {
		x *= x;
		if (x >= 2.0) {
			x /= 2.0;
			r += bit;
		}
		bit /= 2.0;
	}
	return k + r;
}

int cli_generate(const cli_ctx *ctx, kdbx_secret **out, double *bits)
{
	charset *groups = NULL, *all = NULL;
	size_t ngroups = 0, *picks = NULL;
	unsigned long long length = 16;
	const char *exclude = cli_opt_arg(ctx, CLI_OPT_GEN_EXCLUDE);
	const char *custom = cli_opt_arg(ctx, CLI_OPT_GEN_CUSTOM);
	int no_similar = cli_opt_count(ctx, CLI_OPT_GEN_EXCLUDE_SIMILAR) > 0;
	int every = cli_opt_count(ctx, CLI_OPT_GEN_EVERY_GROUP) > 0;
	int lower = cli_opt_count(ctx, CLI_OPT_GEN_LOWER), upper = cli_opt_count(ctx, CLI_OPT_GEN_UPPER);
	int digits = cli_opt_count(ctx, CLI_OPT_GEN_NUMERIC), special = cli_opt_count(ctx, CLI_OPT_GEN_SPECIAL);
	int ext = cli_opt_count(ctx, CLI_OPT_GEN_EXTENDED);
	char *pw = NULL;
	size_t pwcap, pos = 0;
	int ex = 0, rc;

	if (cli_opt_arg(ctx, CLI_OPT_GEN_LENGTH) &&
	    cli_parse_uint(cli_opt_arg(ctx, CLI_OPT_GEN_LENGTH), 1, MAX_LENGTH, &length) < 0)
		return cli_error(CLI_EXIT_USAGE, "invalid password length '%s' (1-%d)",
		                 cli_opt_arg(ctx, CLI_OPT_GEN_LENGTH), MAX_LENGTH);
	/* keepassxc-cli's default classes: letters and digits. */
	if (!lower && !upper && !digits && !special && !ext && !custom)
		lower = upper = digits = 1;

	groups = calloc(6, sizeof(*groups));
	all = calloc(1, sizeof(*all));
	picks = calloc((size_t)length, sizeof(*picks));
	if (!groups || !all || !picks) {
		ex = cli_error(CLI_EXIT_OTHER, "out of memory");
		goto out;
	}
	if (lower)
		add_ascii(&groups[ngroups++], lower_chars, exclude, no_similar);
	if (upper)
		add_ascii(&groups[ngroups++], upper_chars, exclude, no_similar);
	if (digits)
		add_ascii(&groups[ngroups++], digit_chars, exclude, no_similar);
	if (special)
		add_ascii(&groups[ngroups++], special_chars, exclude, no_similar);
	if (ext)
		add_extended(&groups[ngroups++], exclude, no_similar);
	if (custom)
		add_utf8(&groups[ngroups++], custom, exclude, no_similar);
	for (size_t g = 0; g < ngroups; g++) {
		if (groups[g].n == 0) {
			/* A class emptied by the exclusions cannot be honoured by --every-group. */
			if (every) {
				ex = cli_error(CLI_EXIT_USAGE, "a selected character class is empty after exclusions");
				goto out;
			}
			continue;
		}
		for (size_t i = 0; i < groups[g].n; i++)
			if (!contains(all, groups[g].ch[i]) && all->n < MAX_CHARS)
				memcpy(all->ch[all->n++], groups[g].ch[i], 3);
	}
	if (all->n == 0) {
		ex = cli_error(CLI_EXIT_USAGE, "no characters left to generate a password from");
		goto out;
	}
	if (every && length < ngroups) {
		ex = cli_error(CLI_EXIT_USAGE, "length %llu is shorter than the %zu classes of --every-group",
		               length, ngroups);
		goto out;
	}

	/* Indexes into all->ch: first one per class (when asked), then uniform
	 * picks, then a Fisher-Yates shuffle so the forced ones move anywhere. */
	for (size_t i = 0; i < (size_t)length; i++) {
		size_t r;
		const charset *from = (every && i < ngroups) ? &groups[i] : all;
		if (rand_below(from->n, &r) < 0) {
			ex = cli_error(CLI_EXIT_OTHER, "random number generator failed");
			goto out;
		}
		for (size_t k = 0; k < all->n; k++)
			if (strcmp(all->ch[k], from->ch[r]) == 0) {
				picks[i] = k;
				break;
			}
	}
	for (size_t i = (size_t)length; i > 1; i--) {
		size_t j, t;
		if (rand_below(i, &j) < 0) {
			ex = cli_error(CLI_EXIT_OTHER, "random number generator failed");
			goto out;
		}
		t = picks[i - 1];
		picks[i - 1] = picks[j];
		picks[j] = t;
	}
	pwcap = (size_t)length * 2 + 1;
	pw = malloc(pwcap);
	if (!pw) {
		ex = cli_error(CLI_EXIT_OTHER, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < (size_t)length; i++) {
		size_t l = strlen(all->ch[picks[i]]);
		memcpy(pw + pos, all->ch[picks[i]], l);
		pos += l;
	}
	pw[pos] = '\0';
	rc = kdbx_secret_new(out, pw, pos);
	if (rc < 0) {
		ex = cli_fail(rc, "generate");
		goto out;
	}
	if (bits)
		*bits = (double)length * log2_of((double)all->n);
out:
	if (pw) {
		explicit_bzero(pw, pwcap);
		free(pw);
	}
	if (picks) {
		explicit_bzero(picks, (size_t)length * sizeof(*picks));
		free(picks);
	}
	free(groups);
	free(all);
	return ex;
}
