/* Key files (keepassxc-notes 3.10): detection order XML (v1.0 base64, v2.0 hex +
 * Hash) -> 32 raw bytes -> 64 hex characters -> SHA-256 of the whole file.
 * A file whose XML root is KeyFile but which is otherwise broken is an error,
 * never silently hashed: hashing it would give a key that opens nothing. */
#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "keys/keys_private.h"

enum { KF_NOT_XML = 1 }; /* internal: fall through to the other formats */

enum kf_where { KF_OTHER = 0, KF_VERSION, KF_DATA };

struct kf_state {
	XML_Parser parser;
	int depth;
	bool root_seen;
	bool root_ok;
	bool in_meta, in_key;
	enum kf_where where;
	char version[32];
	size_t version_len;
	bool have_data;
	kdbx_buf data; /* secure */
	char hash[16];
	bool have_hash;
	bool hash_too_long;
	bool oom;
};

static void XMLCALL kf_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct kf_state *s = ud;

	s->depth++;
	if (s->depth == 1) {
		s->root_seen = true;
		s->root_ok = strcmp(name, "KeyFile") == 0;
		/* Not a key file document: stop now and try the other formats. */
		if (!s->root_ok)
			XML_StopParser(s->parser, XML_FALSE);
		return;
	}
	s->where = KF_OTHER;
	if (s->depth == 2) {
		s->in_meta = strcmp(name, "Meta") == 0;
		s->in_key = strcmp(name, "Key") == 0;
	} else if (s->depth == 3 && s->in_meta && strcmp(name, "Version") == 0) {
		s->where = KF_VERSION;
		s->version_len = 0;
	} else if (s->depth == 3 && s->in_key && strcmp(name, "Data") == 0) {
		s->where = KF_DATA;
		s->have_data = true;
		kdbx_buf_reset(&s->data);
		s->have_hash = false;
		for (size_t i = 0; attrs[i] != NULL; i += 2) {
			if (strcmp(attrs[i], "Hash") == 0) {
				size_t n = strlen(attrs[i + 1]);
				s->have_hash = true;
				s->hash_too_long = n >= sizeof(s->hash);
				if (!s->hash_too_long)
					memcpy(s->hash, attrs[i + 1], n + 1);
			}
		}
	}
}

static void XMLCALL kf_end(void *ud, const XML_Char *name)
{
	struct kf_state *s = ud;

	(void)name;
	if (s->depth == 2)
		s->in_meta = s->in_key = false;
	s->where = KF_OTHER;
	s->depth--;
}

static void XMLCALL kf_text(void *ud, const XML_Char *text, int len)
{
	struct kf_state *s = ud;

	if (s->where == KF_VERSION) {
		size_t n = (size_t)len;
		if (n > sizeof(s->version) - 1 - s->version_len)
			n = sizeof(s->version) - 1 - s->version_len;
		memcpy(s->version + s->version_len, text, n);
		s->version_len += n;
		s->version[s->version_len] = '\0';
	} else if (s->where == KF_DATA) {
		/* Whitespace is layout only, in both versions. */
		for (int i = 0; i < len; i++) {
			char c = text[i];
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			if (kdbx_buf_append_byte(&s->data, (uint8_t)c) != KDBX_OK) {
				s->oom = true;
				XML_StopParser(s->parser, XML_FALSE);
				return;
			}
		}
	}
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *trim(const char *s, size_t *len)
{
	while (*len > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		(*len)--;
	}
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t' || s[*len - 1] == '\r' || s[*len - 1] == '\n'))
		(*len)--;
	return s;
}

static int kf_decode(struct kf_state *s, uint8_t out[32])
{
	kdbx_buf raw = KDBX_BUF_INIT;
	uint8_t digest[32], want[4];
	size_t vlen = s->version_len;
	const char *ver = trim(s->version, &vlen);
	int rc;

	raw.secure = true;
	s->version[ver - s->version + vlen] = '\0';
	if (!s->have_data || s->data.len == 0) {
		rc = kdbx_error__set(KDBX_EKEYFILE, "key file has no key data");
		goto out;
	}
	if (starts_with(ver, "1.0")) {
		if (kdbx_base64_decode(&raw, (const char *)s->data.data, s->data.len) != KDBX_OK) {
			rc = kdbx_error__set(KDBX_EKEYFILE, "key file data is not valid base64");
			goto out;
		}
	} else if (starts_with(ver, "2.0")) {
		size_t n = s->data.len / 2;
		if (s->data.len % 2 != 0 || (rc = kdbx_buf_reserve(&raw, n)) != KDBX_OK ||
		    kdbx_hex_decode(raw.data, n, (const char *)s->data.data, s->data.len) != KDBX_OK) {
			rc = kdbx_error__set(KDBX_EKEYFILE, "key file data is not valid hex");
			goto out;
		}
		raw.len = n;
		/* Hash = first 4 bytes of SHA-256(data): mandatory, catches typing errors. */
		if (!s->have_hash || s->hash_too_long || strlen(s->hash) != 8 ||
		    kdbx_hex_decode(want, 4, s->hash, 8) != KDBX_OK) {
			rc = kdbx_error__set(KDBX_EKEYFILE, "key file has no valid Hash attribute");
			goto out;
		}
		if ((rc = kdbx_sha256(raw.data, raw.len, digest)) != KDBX_OK)
			goto out;
		if (!kdbx_ct_equal(digest, want, 4)) {
			rc = kdbx_error__set(KDBX_EKEYFILE, "key file checksum mismatch");
			goto out;
		}
	} else {
		rc = kdbx_error__set(KDBX_EKEYFILE, "unsupported key file version");
		goto out;
	}
	if (raw.len == 0) {
		rc = kdbx_error__set(KDBX_EKEYFILE, "key file has no key data");
		goto out;
	}
	/* KeePassXC semantics: zero-pad short data, truncate long data. */
	memset(out, 0, 32);
	memcpy(out, raw.data, raw.len < 32 ? raw.len : 32);
	rc = KDBX_OK;
out:
	kdbx_memzero(digest, sizeof(digest));
	kdbx_buf_free(&raw);
	return rc;
}

static int kf_parse_xml(const uint8_t *data, size_t len, uint8_t out[32])
{
	struct kf_state s;
	enum XML_Status st;
	int rc;

	memset(&s, 0, sizeof(s));
	s.data.secure = true;
	if (len > INT32_MAX)
		return KF_NOT_XML;
	s.parser = XML_ParserCreate(NULL);
	if (s.parser == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	XML_SetUserData(s.parser, &s);
	XML_SetElementHandler(s.parser, kf_start, kf_end);
	XML_SetCharacterDataHandler(s.parser, kf_text);
	/* No external DTD or entities are ever loaded. */
	XML_SetParamEntityParsing(s.parser, XML_PARAM_ENTITY_PARSING_NEVER);
	st = XML_Parse(s.parser, (const char *)data, (int)len, XML_TRUE);
	if (s.oom)
		rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
	else if (!s.root_seen || !s.root_ok)
		rc = KF_NOT_XML;
	else if (st != XML_STATUS_OK)
		rc = kdbx_error__set(KDBX_EKEYFILE, "malformed XML key file (line %lu)",
		                     (unsigned long)XML_GetCurrentLineNumber(s.parser));
	else
		rc = kf_decode(&s, out);
	XML_ParserFree(s.parser);
	kdbx_buf_free(&s.data);
	kdbx_memzero(&s, sizeof(s));
	return rc;
}

static bool all_hex(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = d[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

int kdbx_keyfile__parse(const uint8_t *data, size_t len, uint8_t out[32])
{
	size_t i = 0;
	int rc;

	if (out == NULL || (data == NULL && len > 0))
		return kdbx_error__set(KDBX_EINVALID, "kdbx_keyfile__parse: invalid argument");
	if (len == 0)
		return kdbx_error__set(KDBX_EKEYFILE, "key file is empty");
	/* Only something that starts like markup (after a BOM and blanks) can be XML. */
	if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
		i = 3;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	if (i < len && data[i] == '<') {
		rc = kf_parse_xml(data, len, out);
		if (rc != KF_NOT_XML)
			return rc;
	}
	if (len == 32) {
		memcpy(out, data, 32);
		return KDBX_OK;
	}
	if (len == 64 && all_hex(data, 64))
		return kdbx_hex_decode(out, 32, (const char *)data, 64);
	return kdbx_sha256(data, len, out);
}

int kdbx_keyfile_create(const char *path)
{
	kdbx_buf doc = KDBX_BUF_INIT;
	uint8_t key[32], digest[32];
	char hex[65], hash[9];
	int fd, rc;
	size_t off = 0;

	if (path == NULL)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_keyfile_create: path is NULL");
	doc.secure = true;
	if ((rc = kdbx_random(key, sizeof(key))) != KDBX_OK || (rc = kdbx_sha256(key, 32, digest)) != KDBX_OK)
		goto out;
	kdbx_hex_encode(hex, key, 32, true);
	kdbx_hex_encode(hash, digest, 4, true);
	/* Same layout as KeePassXC's .keyx files: 8 groups of 8, two lines. */
	rc = kdbx_buf_append_str(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KeyFile>\n"
	                               "    <Meta>\n        <Version>2.0</Version>\n    </Meta>\n"
	                               "    <Key>\n        <Data Hash=\"");
	rc = rc ? rc : kdbx_buf_append_str(&doc, hash);
	rc = rc ? rc : kdbx_buf_append_str(&doc, "\">\n");
	for (int line = 0; rc == KDBX_OK && line < 2; line++) {
		rc = kdbx_buf_append_str(&doc, "            ");
		for (int g = 0; rc == KDBX_OK && g < 4; g++) {
			size_t at = (size_t)(line * 4 + g) * 8;
			rc = kdbx_buf_append(&doc, hex + at, 8);
			rc = rc ? rc : kdbx_buf_append_byte(&doc, g < 3 ? ' ' : '\n');
		}
	}
	rc = rc ? rc : kdbx_buf_append_str(&doc, "        </Data>\n    </Key>\n</KeyFile>\n");
	if (rc != KDBX_OK)
		goto out;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = errno == EEXIST ? kdbx_error__set(KDBX_EEXISTS, "%s already exists", path)
		                     : kdbx_error__set(KDBX_EIO, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	while (off < doc.len) {
		ssize_t w = write(fd, doc.data + off, doc.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off != doc.len || fsync(fd) != 0) {
		rc = kdbx_error__set(KDBX_EIO, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path); /* never leave a truncated key file behind */
		goto out;
	}
	if (close(fd) != 0) {
		rc = kdbx_error__set(KDBX_EIO, "cannot write %s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	rc = KDBX_OK;
out:
	kdbx_memzero(key, sizeof(key));
	kdbx_memzero(digest, sizeof(digest));
	kdbx_memzero(hex, sizeof(hex));
	kdbx_buf_free(&doc);
	return rc;
}
