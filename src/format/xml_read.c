/* KeePass XML -> model (keepassxc-notes.md 3.5-3.7), with expat.
 *
 * Event driven: a stack of frames says what each open element is (a container such as
 * Entry, a leaf value such as Title's Value, or an unknown subtree being captured). Leaf
 * text goes into one reusable buffer and is applied when the leaf closes; objects are
 * attached to the database as soon as they open, so a failed parse leaves nothing the
 * caller's kdbx_db_free cannot reach. Broken documents are treated like KeePassXC's
 * reader in non-strict mode: missing UUIDs are generated, history items get their
 * owner's UUID, deleted objects without UUID are dropped; no root group, a second Root or
 * a second root Group fail. DOCTYPE and entity declarations are refused outright. */
#include <expat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "format/xml_internal.h"
#include "format/xml_names.h"
#include "format/xml_scan.h"
#include "model/model.h"

#define MAX_DEPTH 1000
#define FEED_CHUNK (256 * 1024)
/* Consumed XML is released (secure buffers: wiped and unmapped) in steps of this size. */
#define RELEASE_STEP ((size_t)2 << 20) /* one huge page */
/* Cap on one decompressed KDBX3 pool binary (gzip bombs). */
#define MAX_INFLATE ((size_t)1 << 30)

enum kind {
	K_DOC = 1,
	K_META,
	K_MEMPROT,
	K_ICONS,
	K_ICON,
	K_BINARIES,
	K_CUSTOMDATA,
	K_CDITEM,
	K_ROOT,
	K_DELETED,
	K_DELOBJ,
	K_GROUP,
	K_ENTRY,
	K_TIMES,
	K_STRING,
	K_EBINARY,
	K_AUTOTYPE,
	K_ASSOC,
	K_HISTORY,
	K_LEAF
};

/* frame flags */
#define F_PROTECTED 0x01u    /* leaf: Protected="True" */
#define F_PIM 0x02u          /* leaf: ProtectInMemory="True" */
#define F_COMPRESSED 0x04u   /* leaf: pool Binary Compressed="True" */
#define F_IS_HISTORY 0x08u   /* entry: a history item */
#define F_KNOWNBAD 0x10u     /* entry: legacy KnownBad custom data seen */
#define F_KNOWNBAD_ON 0x20u  /* entry: ... with value "true" */
#define F_SKIP 0x40u         /* inside a History left out (skip_history): nothing is kept */

typedef struct frame {
	uint8_t kind;
	uint8_t name;
	uint8_t loc;   /* location tag for unknown children */
	uint8_t flags;
	kdbx_unknown *unk; /* owner list for unknown children */
	kdbx_group *g;
	kdbx_entry *e;
	kdbx_kvlist *kv;
} frame;

typedef struct pool_item {
	int64_t num;  /* numeric ID or -1 */
	char *id;     /* non-numeric ID (owned) */
	uint8_t *data;
	size_t len;
	bool protect;
	bool from_c;  /* data still belongs to c->binaries[c_index] */
	size_t c_index;
	size_t bin;   /* db->bins index once used, SIZE_MAX before */
} pool_item;

typedef struct pending_att {
	kdbx_entry *e;
	char *name;
	char *ref;   /* pool ID, or NULL when inline */
	size_t bin;  /* inline: db->bins index */
} pending_att;

typedef struct reader {
	XML_Parser p;  /* expat, only after the scanner handed off */
	size_t skip;   /* length of the synthetic prefix fed to expat first */
	kdbx_db *db;
	kdbx_container *c;
	kdbx_stream *stream;
	int err;
	frame *st;
	size_t depth, cap;
	/* Tells the scanner that white space between elements is ignored where the reader
	 * is now (kdbx_xml_scan_handlers.drop_space): inside a container, not capturing. */
	bool drop_space;
	/* leaf text and decrypted leaf text */
	kdbx_buf text;
	kdbx_buf plain;
	kdbx_buf bin; /* scratch for base64 decodes */
	/* unknown capture */
	kdbx_buf capbuf;
	size_t cap_depth;
	bool cap_open; /* start tag written, '>' still pending */
	kdbx_unknown *cap_unk;
	uint8_t cap_loc;
	/* document structure */
	bool seen_root_elem, seen_root, seen_root_group;
	/* scratch of the innermost multi-part element (these never nest in each other) */
	char *s_key; /* owned, unless s_key_borrowed: then it belongs to the database */
	bool s_key_set, s_val_set, s_protect, s_key_borrowed;
	bool s_added;  /* the String's field is already in the entry (at s_index) */
	size_t s_index;
	/* custom String names already copied into db->arena (most repeat in every entry) */
	struct {
		char *s;
		size_t n;
	} names[16];
	size_t nnames;
	/* last time value parsed in a Times element: its siblings are often the same text */
	char t_text[32];
	size_t t_len;
	kdbx_time t_val;
	kdbx_buf s_val; /* String value (secure) */
	char *i_value;
	kdbx_time i_mtime;
	kdbx_uuid o_uuid;
	bool o_uuid_set, o_data_set, o_time_set;
	uint8_t *o_data;
	size_t o_len;
	char *o_name;
	kdbx_time o_time;
	char *a_window, *a_seq;
	bool a_window_set, a_seq_set;
	char *b_ref;
	char *pool_id; /* ID attribute of the open pool Binary */
	/* binaries */
	pool_item *pool;
	size_t npool, pool_cap;
	bool pool_canonical; /* every pool[i].num == i */
	pending_att *att;
	size_t natt, att_cap;
} reader;

static void fail(reader *r, int code, const char *msg)
{
	if (r->err)
		return;
	r->err = kdbx_error__set(code, "%s", msg);
	kdbx_log_debug("%s: %s", __func__, msg);
	if (r->p)
		XML_StopParser(r->p, XML_FALSE);
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 8;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / elem)
		return NULL;
	void *q = realloc(p, n * elem);
	if (q)
		*cap = n;
	return q;
}

/* ---- unknown element capture ---- */

static const char hexd[] = "0123456789ABCDEF";

/* Escapes XML character data (or an attribute value) into b. Characters expat delivered
 * literally that would not survive a re-parse (CR, and in attributes tab/LF) become
 * character references. */
static int esc_append(kdbx_buf *b, const char *s, size_t n, bool attr)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		const char *rep = NULL;
		char num[8];
		switch (ch) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = attr ? "&quot;" : NULL; break;
		case '\r':
		case '\t':
		case '\n':
			if (ch == '\r' || attr) {
				num[0] = '&'; num[1] = '#'; num[2] = 'x'; num[3] = hexd[ch >> 4];
				num[4] = hexd[ch & 15]; num[5] = ';'; num[6] = '\0';
				rep = num;
			}
			break;
		default: break;
		}
		if (!rep)
			continue;
		if (i > run && kdbx_buf_append(b, s + run, i - run))
			return KDBX_ENOMEM;
		if (kdbx_buf_append_str(b, rep))
			return KDBX_ENOMEM;
		run = i + 1;
	}
	if (n > run && kdbx_buf_append(b, s + run, n - run))
		return KDBX_ENOMEM;
	return 0;
}

static void cap_close_open(reader *r)
{
	if (r->cap_open) {
		r->cap_open = false;
		if (kdbx_buf_append_byte(&r->capbuf, '>'))
			fail(r, KDBX_ENOMEM, "out of memory");
	}
}

static void cap_start(reader *r, const char *name, const char **attrs)
{
	cap_close_open(r);
	int rc = kdbx_buf_append_byte(&r->capbuf, '<');
	rc |= kdbx_buf_append_str(&r->capbuf, name);
	for (size_t i = 0; attrs[i]; i += 2) {
		rc |= kdbx_buf_append_byte(&r->capbuf, ' ');
		rc |= kdbx_buf_append_str(&r->capbuf, attrs[i]);
		rc |= kdbx_buf_append(&r->capbuf, "=\"", 2);
		rc |= esc_append(&r->capbuf, attrs[i + 1], strlen(attrs[i + 1]), true);
		rc |= kdbx_buf_append_byte(&r->capbuf, '"');
	}
	if (rc)
		fail(r, KDBX_ENOMEM, "out of memory");
	r->cap_open = true;
	r->cap_depth++;
}

static void cap_end(reader *r, const char *name)
{
	int rc;
	if (r->cap_open) {
		r->cap_open = false;
		rc = kdbx_buf_append(&r->capbuf, "/>", 2);
	} else {
		rc = kdbx_buf_append(&r->capbuf, "</", 2);
		rc |= kdbx_buf_append_str(&r->capbuf, name);
		rc |= kdbx_buf_append_byte(&r->capbuf, '>');
	}
	if (rc) {
		fail(r, KDBX_ENOMEM, "out of memory");
		return;
	}
	if (--r->cap_depth > 0)
		return;
	if (r->cap_unk == NULL) { /* inside a left-out History */
		kdbx_buf_reset(&r->capbuf);
		return;
	}
	char *s = malloc(r->capbuf.len + 1);
	if (!s) {
		fail(r, KDBX_ENOMEM, "out of memory");
		return;
	}
	memcpy(s, r->capbuf.data, r->capbuf.len);
	s[r->capbuf.len] = '\0';
	kdbx_buf_reset(&r->capbuf);
	if (kdbx_unknown_add(r->cap_unk, s))
		fail(r, KDBX_ENOMEM, "out of memory");
}

static void cap_begin(reader *r, const frame *parent, const char *name, const char **attrs)
{
	kdbx_buf_reset(&r->capbuf);
	r->cap_unk = parent->unk;
	r->cap_loc = parent->loc;
	r->cap_open = false;
	if (parent->loc != KDBX_XML_LOC_SELF && kdbx_buf_append_byte(&r->capbuf, parent->loc)) {
		fail(r, KDBX_ENOMEM, "out of memory");
		return;
	}
	cap_start(r, name, attrs);
}

/* ---- helpers ---- */

static const char *attr_get(const char **attrs, const char *name)
{
	for (size_t i = 0; attrs[i]; i += 2)
		if (strcmp(attrs[i], name) == 0)
			return attrs[i + 1];
	return NULL;
}

static void set_str(reader *r, char **dst, const char *s, size_t n)
{
	char *v = NULL;
	if (n) {
		v = kdbx_strndup(s, n);
		if (!v) {
			fail(r, KDBX_ENOMEM, "out of memory");
			return;
		}
	}
	free(*dst);
	*dst = v;
}

static char *dup_or_fail(reader *r, const char *s, size_t n)
{
	char *v = kdbx_strndup(s, n);
	if (!v)
		fail(r, KDBX_ENOMEM, "out of memory");
	return v;
}

static kdbx_time get_time(const char *s, size_t n)
{
	kdbx_time t;
	/* KeePassXC (non-strict) replaces an unreadable time with the current time. */
	if (kdbx_xml__parse_time(s, n, &t))
		return kdbx_time_now();
	return t;
}

static bool get_bool(reader *r, const char *s, size_t n)
{
	bool b = false;
	if (kdbx_xml__parse_bool(s, n, &b))
		fail(r, KDBX_ECORRUPT, "invalid boolean value");
	return b;
}

static int64_t get_int(reader *r, const char *s, size_t n)
{
	int64_t v = 0;
	if (kdbx_xml__parse_int64(s, n, &v))
		fail(r, KDBX_ECORRUPT, "invalid number value");
	return v;
}

static int get_int32(reader *r, const char *s, size_t n)
{
	int64_t v = get_int(r, s, n);
	if (v < INT_MIN || v > INT_MAX) {
		fail(r, KDBX_ECORRUPT, "invalid number value");
		return 0;
	}
	return (int)v;
}

static kdbx_tristate get_tri(reader *r, const char *s, size_t n)
{
	kdbx_tristate t = KDBX_INHERIT;
	if (kdbx_xml__parse_tristate(s, n, &t))
		fail(r, KDBX_ECORRUPT, "invalid tri-state value");
	return t;
}

static void get_uuid(const char *s, size_t n, kdbx_uuid *u)
{
	(void)kdbx_xml__parse_uuid(s, n, u); /* non-strict: bad -> null */
}

/* Binary content of a leaf: the decrypted bytes of a protected leaf, otherwise base64. */
static int leaf_binary(reader *r, bool protectd, const char *s, size_t n, const uint8_t **data,
                       size_t *len)
{
	if (protectd) {
		*data = r->plain.data;
		*len = r->plain.len;
		return 0;
	}
	kdbx_buf_reset(&r->bin);
	if (kdbx_base64_decode(&r->bin, s, n)) {
		fail(r, KDBX_ECORRUPT, "invalid base64 data");
		return -1;
	}
	*data = r->bin.data;
	*len = r->bin.len;
	return 0;
}

static uint8_t *memdup_or_fail(reader *r, const uint8_t *d, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	if (!p) {
		fail(r, KDBX_ENOMEM, "out of memory");
		return NULL;
	}
	if (n)
		memcpy(p, d, n);
	return p;
}

/* ---- binary pool (KDBX4 inner header + KDBX3 Meta/Binaries) ---- */

static int64_t parse_id_num(const char *id)
{
	int64_t v = 0;
	if (!*id || strlen(id) > 18)
		return -1;
	for (const char *p = id; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

static pool_item *pool_find(reader *r, const char *id)
{
	int64_t num = parse_id_num(id);
	if (num >= 0 && (uint64_t)num < r->npool && r->pool[num].num == num)
		return &r->pool[num];
	if (num >= 0 && r->pool_canonical)
		return NULL;
	for (size_t i = 0; i < r->npool; i++) {
		pool_item *it = &r->pool[i];
		if (num >= 0 ? it->num == num : (it->num < 0 && strcmp(it->id, id) == 0))
			return it;
	}
	return NULL;
}

static void pool_item_clear(pool_item *it)
{
	if (!it->from_c)
		free(it->data);
	it->data = NULL;
	it->len = 0;
}

/* Adds (or replaces, as KeePassXC does for a repeated ID) a pool item; takes data. */
static void pool_put(reader *r, const char *id, uint8_t *data, size_t len, bool protect)
{
	pool_item *it = pool_find(r, id);
	if (it && it->bin == SIZE_MAX) {
		pool_item_clear(it);
	} else {
		pool_item *np = grow(r->pool, &r->pool_cap, r->npool + 1, sizeof(*np));
		if (!np) {
			free(data);
			fail(r, KDBX_ENOMEM, "out of memory");
			return;
		}
		r->pool = np;
		it = &r->pool[r->npool];
		memset(it, 0, sizeof(*it));
		it->num = parse_id_num(id);
		if (it->num < 0) {
			it->id = kdbx_strdup(id);
			if (!it->id) {
				free(data);
				fail(r, KDBX_ENOMEM, "out of memory");
				return;
			}
		}
		if (it->num != (int64_t)r->npool)
			r->pool_canonical = false;
		r->npool++;
	}
	it->data = data;
	it->len = len;
	it->protect = protect;
	it->from_c = false;
	it->bin = SIZE_MAX;
}

static int pool_bin(reader *r, pool_item *it, size_t *bin)
{
	if (it->bin == SIZE_MAX) {
		uint8_t *data = it->data;
		/* bytes lent by another db (a container the writer filled) are copied */
		if (it->from_c && r->c->binaries_borrowed && (data = memdup_or_fail(r, data, it->len)) == NULL)
			return KDBX_ENOMEM;
		/* kdbx_db__add_bin takes the bytes even when it fails */
		int rc = kdbx_db__add_bin(r->db, data, it->len, it->protect, &it->bin);
		if (it->from_c && !r->c->binaries_borrowed) {
			r->c->binaries[it->c_index].data = NULL;
			r->c->binaries[it->c_index].len = 0;
		}
		it->data = NULL;
		it->from_c = false;
		if (rc) {
			it->bin = SIZE_MAX;
			return rc;
		}
	}
	*bin = it->bin;
	return 0;
}

static bool att_name_taken(const kdbx_entry *e, const char *name)
{
	for (size_t i = 0; i < e->nattachments; i++)
		if (e->attachments[i].name && strcmp(e->attachments[i].name, name) == 0)
			return true;
	return false;
}

static int resolve_attachments(reader *r)
{
	for (size_t i = 0; i < r->natt; i++) {
		pending_att *a = &r->att[i];
		size_t bin = a->bin;
		int rc;
		if (a->ref) {
			pool_item *it = pool_find(r, a->ref);
			if (it) {
				rc = pool_bin(r, it, &bin);
			} else {
				/* KeePassXC keeps the attachment with empty content. */
				rc = kdbx_db__add_bin(r->db, NULL, 0, false, &bin);
			}
			if (rc)
				return rc;
		}
		const char *name = a->name;
		char *renamed = NULL;
		/* Duplicate names: KeePassXC renames them instead of dropping content. */
		for (unsigned n = 1; att_name_taken(a->e, name); n++) {
			free(renamed);
			size_t l = strlen(a->name) + 16;
			renamed = malloc(l);
			if (!renamed)
				return kdbx_error__set(KDBX_ENOMEM, "out of memory");
			snprintf(renamed, l, "%u_%s", n, a->name);
			name = renamed;
		}
		rc = kdbx_entry__add_attachment(a->e, name, bin);
		free(renamed);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- structure ---- */

static int classify(int parent, int name)
{
	switch (parent) {
	case K_DOC:
		if (name == KX_Meta)
			return K_META;
		if (name == KX_Root)
			return K_ROOT;
		return 0;
	case K_META:
		switch (name) {
		case KX_Generator: case KX_HeaderHash: case KX_SettingsChanged: case KX_DatabaseName:
		case KX_DatabaseNameChanged: case KX_DatabaseDescription:
		case KX_DatabaseDescriptionChanged: case KX_DefaultUserName:
		case KX_DefaultUserNameChanged: case KX_MaintenanceHistoryDays: case KX_Color:
		case KX_MasterKeyChanged: case KX_MasterKeyChangeRec: case KX_MasterKeyChangeForce:
		case KX_MasterKeyChangeForceOnce: case KX_RecycleBinEnabled: case KX_RecycleBinUUID:
		case KX_RecycleBinChanged: case KX_EntryTemplatesGroup:
		case KX_EntryTemplatesGroupChanged: case KX_HistoryMaxItems: case KX_HistoryMaxSize:
		case KX_LastSelectedGroup: case KX_LastTopVisibleGroup:
			return K_LEAF;
		case KX_MemoryProtection: return K_MEMPROT;
		case KX_CustomIcons: return K_ICONS;
		case KX_Binaries: return K_BINARIES;
		case KX_CustomData: return K_CUSTOMDATA;
		default: return 0;
		}
	case K_MEMPROT:
		switch (name) {
		case KX_ProtectTitle: case KX_ProtectUserName: case KX_ProtectPassword:
		case KX_ProtectURL: case KX_ProtectNotes:
			return K_LEAF;
		default: return 0;
		}
	case K_ICONS:
		return name == KX_Icon ? K_ICON : 0;
	case K_ICON:
		switch (name) {
		case KX_UUID: case KX_Data: case KX_Name: case KX_LastModificationTime: return K_LEAF;
		default: return 0;
		}
	case K_BINARIES:
		return name == KX_Binary ? K_LEAF : 0;
	case K_CUSTOMDATA:
		return name == KX_Item ? K_CDITEM : 0;
	case K_CDITEM:
		switch (name) {
		case KX_Key: case KX_Value: case KX_LastModificationTime: return K_LEAF;
		default: return 0;
		}
	case K_ROOT:
		if (name == KX_Group)
			return K_GROUP;
		if (name == KX_DeletedObjects)
			return K_DELETED;
		return 0;
	case K_DELETED:
		return name == KX_DeletedObject ? K_DELOBJ : 0;
	case K_DELOBJ:
		return name == KX_UUID || name == KX_DeletionTime ? K_LEAF : 0;
	case K_GROUP:
		switch (name) {
		case KX_UUID: case KX_Name: case KX_Notes: case KX_Tags: case KX_IconID:
		case KX_CustomIconUUID: case KX_IsExpanded: case KX_DefaultAutoTypeSequence:
		case KX_EnableAutoType: case KX_EnableSearching: case KX_LastTopVisibleEntry:
		case KX_PreviousParentGroup:
			return K_LEAF;
		case KX_Times: return K_TIMES;
		case KX_CustomData: return K_CUSTOMDATA;
		case KX_Entry: return K_ENTRY;
		case KX_Group: return K_GROUP;
		default: return 0;
		}
	case K_ENTRY:
		switch (name) {
		case KX_UUID: case KX_IconID: case KX_CustomIconUUID: case KX_ForegroundColor:
		case KX_BackgroundColor: case KX_OverrideURL: case KX_Tags: case KX_QualityCheck:
		case KX_PreviousParentGroup:
			return K_LEAF;
		case KX_Times: return K_TIMES;
		case KX_String: return K_STRING;
		case KX_Binary: return K_EBINARY;
		case KX_AutoType: return K_AUTOTYPE;
		case KX_CustomData: return K_CUSTOMDATA;
		case KX_History: return K_HISTORY;
		default: return 0;
		}
	case K_TIMES:
		switch (name) {
		case KX_CreationTime: case KX_LastModificationTime: case KX_LastAccessTime:
		case KX_ExpiryTime: case KX_Expires: case KX_UsageCount: case KX_LocationChanged:
			return K_LEAF;
		default: return 0;
		}
	case K_STRING:
	case K_EBINARY:
		return name == KX_Key || name == KX_Value ? K_LEAF : 0;
	case K_AUTOTYPE:
		switch (name) {
		case KX_Enabled: case KX_DataTransferObfuscation: case KX_DefaultSequence:
			return K_LEAF;
		case KX_Association: return K_ASSOC;
		default: return 0;
		}
	case K_ASSOC:
		return name == KX_Window || name == KX_KeystrokeSequence ? K_LEAF : 0;
	case K_HISTORY:
		return name == KX_Entry ? K_ENTRY : 0;
	default:
		return 0;
	}
}

__attribute__((noinline)) static frame *push_slow(reader *r)
{
	if (r->depth + r->cap_depth >= MAX_DEPTH) {
		fail(r, KDBX_ECORRUPT, "XML nesting too deep");
		return NULL;
	}
	frame *ns = grow(r->st, &r->cap, r->depth + 1, sizeof(*ns));
	if (!ns) {
		fail(r, KDBX_ENOMEM, "out of memory");
		return NULL;
	}
	r->st = ns;
	frame *f = &r->st[r->depth++];
	if (r->depth > 1)
		*f = r->st[r->depth - 2];
	else
		memset(f, 0, sizeof(*f));
	f->flags = 0;
	return f;
}

static inline frame *push(reader *r)
{
	if (r->depth && r->depth < r->cap && r->depth + r->cap_depth < MAX_DEPTH) {
		/* the common case: room on the stack, inherit the parent frame */
		frame *f = &r->st[r->depth++];
		*f = f[-1];
		f->flags = 0;
		return f;
	}
	return push_slow(r);
}

static void key_drop(reader *r)
{
	if (r->s_key && !r->s_key_borrowed)
		kdbx_field__name_free(r->s_key);
	r->s_key = NULL;
	r->s_key_borrowed = false;
}

/* The database's copy of a custom String name, or NULL (then the caller makes its own). */
static char *name_intern(reader *r, const char *s, size_t n)
{
	size_t i, slots = KDBX_ARRAY_LEN(r->names);
	for (i = 0; i < r->nnames && i < slots; i++)
		if (r->names[i].n == n && memcmp(r->names[i].s, s, n) == 0)
			return r->names[i].s;
	char *p = kdbx_arena__alloc(&r->db->arena, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	i = r->nnames++ % slots; /* beyond 16 names: replace round robin */
	r->names[i].s = p;
	r->names[i].n = n;
	return p;
}

static void clear_scratch(reader *r)
{
	/* Runs for every String: the pointers are usually NULL already. */
	key_drop(r);
	r->s_key_set = r->s_val_set = r->s_protect = r->s_added = false;
	if (r->s_val.len)
		kdbx_buf_reset(&r->s_val);
	if (r->i_value) {
		free(r->i_value);
		r->i_value = NULL;
	}
	r->i_mtime = 0;
	memset(&r->o_uuid, 0, sizeof(r->o_uuid));
	r->o_uuid_set = r->o_data_set = r->o_time_set = false;
	if (r->o_data) {
		free(r->o_data);
		r->o_data = NULL;
	}
	r->o_len = 0;
	if (r->o_name) {
		free(r->o_name);
		r->o_name = NULL;
	}
	r->o_time = 0;
	if (r->a_window || r->a_seq) {
		free(r->a_window);
		free(r->a_seq);
		r->a_window = r->a_seq = NULL;
	}
	r->a_window_set = r->a_seq_set = false;
	if (r->b_ref) {
		free(r->b_ref);
		r->b_ref = NULL;
	}
}

/* Inside a History left out, the elements are classified as usual, so that exactly the
 * leaves a full read decrypts take their keystream (end_element), but nothing is built. */
static void open_skipped(frame *f)
{
	f->flags |= F_SKIP;
	f->unk = NULL; /* unknown children are dropped (cap_end) */
	f->e = NULL;
	f->g = NULL;
	f->kv = NULL;
}

static void open_container(reader *r, frame *f, int kind, const frame *parent)
{
	kdbx_db *db = r->db;
	f->kind = (uint8_t)kind;
	if (parent->flags & F_SKIP) {
		/* (a History inside a left-out History belongs to a history entry) */
		if (kind == K_HISTORY)
			fail(r, KDBX_ECORRUPT, "History element in history entry");
		open_skipped(f);
		return;
	}
	switch (kind) {
	case K_DOC:
		f->unk = &db->unknown_doc;
		f->loc = KDBX_XML_LOC_SELF;
		break;
	case K_META:
		f->unk = &db->meta.unknown;
		f->loc = KDBX_XML_LOC_SELF;
		break;
	case K_MEMPROT: f->loc = KDBX_XML_LOC_MEMPROT; break;
	case K_ICONS: f->loc = KDBX_XML_LOC_ICONS; break;
	case K_BINARIES: f->loc = KDBX_XML_LOC_BINARIES; break;
	case K_CUSTOMDATA:
		f->loc = KDBX_XML_LOC_CUSTOMDATA;
		f->kv = parent->kind == K_META    ? &db->meta.custom_data
		        : parent->kind == K_GROUP ? &parent->g->custom_data
		                                  : &parent->e->custom_data;
		break;
	case K_ROOT:
		if (r->seen_root) {
			fail(r, KDBX_ECORRUPT, "multiple Root elements");
			return;
		}
		r->seen_root = true;
		f->unk = &db->unknown_root;
		f->loc = KDBX_XML_LOC_SELF;
		break;
	case K_DELETED: f->loc = KDBX_XML_LOC_DELETED; break;
	case K_ICON:
	case K_DELOBJ:
	case K_CDITEM:
	case K_STRING:
	case K_EBINARY:
	case K_ASSOC:
		clear_scratch(r);
		break;
	case K_GROUP: {
		kdbx_group *g = NULL;
		if (parent->kind == K_ROOT) {
			if (r->seen_root_group) {
				fail(r, KDBX_ECORRUPT, "multiple root groups");
				return;
			}
			r->seen_root_group = true;
		}
		int rc = kdbx_group__alloc(&g, db);
		if (rc) {
			fail(r, rc, "out of memory");
			return;
		}
		if (parent->kind == K_ROOT) {
			g->parent = NULL;
			db->root = g;
		} else if ((rc = kdbx_group__append_group(parent->g, g))) {
			kdbx_group__free(g);
			fail(r, rc, "cannot add group");
			return;
		}
		f->g = g;
		f->e = NULL;
		f->unk = &g->unknown;
		f->loc = KDBX_XML_LOC_SELF;
		break;
	}
	case K_ENTRY: {
		kdbx_entry *e = NULL;
		int rc = kdbx_entry__alloc(&e, db, true);
		if (rc) {
			fail(r, rc, "out of memory");
			return;
		}
		if (parent->kind == K_HISTORY) {
			rc = kdbx_entry__append_history(parent->e, e);
			f->flags |= F_IS_HISTORY;
		} else {
			rc = kdbx_group__append_entry(parent->g, e);
		}
		if (rc) {
			kdbx_entry__free(e);
			fail(r, rc, "cannot add entry");
			return;
		}
		f->e = e;
		f->unk = &e->unknown;
		f->loc = KDBX_XML_LOC_SELF;
		break;
	}
	case K_TIMES: f->loc = KDBX_XML_LOC_TIMES; break;
	case K_AUTOTYPE: f->loc = KDBX_XML_LOC_AUTOTYPE; break;
	case K_HISTORY:
		if (parent->flags & F_IS_HISTORY) {
			fail(r, KDBX_ECORRUPT, "History element in history entry");
			return;
		}
		f->loc = KDBX_XML_LOC_HISTORY;
		if (db->history_skipped)
			open_skipped(f);
		break;
	default: break;
	}
}

static void start_element(reader *r, const char *name, size_t name_len, const char **attrs)
{
	if (r->err)
		return;
	if (r->cap_depth) {
		if (r->depth + r->cap_depth >= MAX_DEPTH) {
			fail(r, KDBX_ECORRUPT, "XML nesting too deep");
			return;
		}
		cap_start(r, name, attrs);
		return;
	}
	int id = kx_name_lookup(name, name_len);
	if (r->depth == 0) {
		if (r->seen_root_elem || id != KX_KeePassFile) {
			fail(r, KDBX_ECORRUPT, "not a KeePass XML document");
			return;
		}
		r->seen_root_elem = true;
		frame *f = push(r);
		if (f) {
			f->name = (uint8_t)id;
			open_container(r, f, K_DOC, f);
		}
		return;
	}
	frame *parent = &r->st[r->depth - 1];
	if (parent->kind == K_LEAF) {
		fail(r, KDBX_ECORRUPT, "unexpected element inside a value");
		return;
	}
	int kind = classify(parent->kind, id);
	if (!kind) {
		cap_begin(r, parent, name, attrs);
		return;
	}
	frame *f = push(r);
	if (!f)
		return;
	parent = &r->st[r->depth - 2]; /* push may have moved the stack */
	f->name = (uint8_t)id;
	if (kind != K_LEAF) {
		open_container(r, f, kind, parent);
		return;
	}
	f->kind = K_LEAF;
	/* Not wiped per leaf: the buffer is secure memory, overwritten by the next leaf
	 * and wiped when freed. */
	r->text.len = 0;
	if (attrs[0] && kdbx_xml__attr_true(attr_get(attrs, "Protected")))
		f->flags |= F_PROTECTED;
	if (parent->flags & F_SKIP) {
		f->flags |= F_SKIP; /* a left-out history leaf: only Protected matters (end_element) */
		return;
	}
	if (attrs[0]) {
		if (kdbx_xml__attr_true(attr_get(attrs, "ProtectInMemory")))
			f->flags |= F_PIM;
		if (parent->kind == K_BINARIES) {
			if (kdbx_xml__attr_true(attr_get(attrs, "Compressed")))
				f->flags |= F_COMPRESSED;
			const char *bid = attr_get(attrs, "ID");
			free(r->pool_id);
			r->pool_id = kdbx_strdup(bid ? bid : "");
			if (!r->pool_id)
				fail(r, KDBX_ENOMEM, "out of memory");
		} else if (parent->kind == K_EBINARY && id == KX_Value) {
			const char *ref = attr_get(attrs, "Ref");
			if (ref) {
				free(r->b_ref);
				r->b_ref = kdbx_strdup(ref);
				if (!r->b_ref)
					fail(r, KDBX_ENOMEM, "out of memory");
			}
		}
	} else if (parent->kind == K_BINARIES) {
		free(r->pool_id);
		r->pool_id = kdbx_strdup("");
		if (!r->pool_id)
			fail(r, KDBX_ENOMEM, "out of memory");
	}
}

/* Everything but appending to a leaf with room: kept out of line so that on_text, called
 * for every run of text including the whitespace between elements, needs no frame. */
__attribute__((noinline)) static void text_slow(reader *r, const char *s, int len)
{
	if (r->err || len <= 0)
		return;
	if (r->depth && r->st[r->depth - 1].kind == K_LEAF) {
		/* (no capture can be open inside a leaf) */
		if (kdbx_buf_append(&r->text, s, (size_t)len))
			fail(r, KDBX_ENOMEM, "out of memory");
		return;
	}
	if (!r->cap_depth)
		return; /* whitespace between elements */
	cap_close_open(r);
	if (esc_append(&r->capbuf, s, (size_t)len, false))
		fail(r, KDBX_ENOMEM, "out of memory");
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	reader *r = ud;
	if (r->depth && r->st[r->depth - 1].kind == K_LEAF) {
		kdbx_buf *t = &r->text;
		/* > keeps room for the NUL end_leaf adds */
		if (!r->err && len > 0 && t->data && t->cap - t->len > (size_t)len) {
			uint8_t *dst = t->data + t->len;
			t->len += (size_t)len;
			memcpy(dst, s, (size_t)len);
			return;
		}
	} else if (!r->cap_depth) {
		return; /* whitespace between elements */
	}
	text_slow(r, s, len);
}

static void leaf_meta(reader *r, int id, const char *s, size_t n)
{
	kdbx_meta *m = &r->db->meta;
	switch (id) {
	case KX_Generator: set_str(r, &m->generator, s, n); break;
	case KX_DatabaseName: set_str(r, &m->name, s, n); break;
	case KX_DatabaseDescription: set_str(r, &m->description, s, n); break;
	case KX_DefaultUserName: set_str(r, &m->default_username, s, n); break;
	case KX_Color: set_str(r, &m->color, s, n); break;
	case KX_DatabaseNameChanged: m->name_changed = get_time(s, n); break;
	case KX_DatabaseDescriptionChanged: m->description_changed = get_time(s, n); break;
	case KX_DefaultUserNameChanged: m->default_username_changed = get_time(s, n); break;
	case KX_MasterKeyChanged: m->master_key_changed = get_time(s, n); break;
	case KX_RecycleBinChanged: m->recycle_bin_changed = get_time(s, n); break;
	case KX_EntryTemplatesGroupChanged: m->entry_templates_group_changed = get_time(s, n); break;
	case KX_SettingsChanged: m->settings_changed = get_time(s, n); break;
	case KX_MaintenanceHistoryDays: m->maintenance_history_days = get_int32(r, s, n); break;
	case KX_MasterKeyChangeRec: m->master_key_change_rec = get_int(r, s, n); break;
	case KX_MasterKeyChangeForce: m->master_key_change_force = get_int(r, s, n); break;
	case KX_MasterKeyChangeForceOnce: m->master_key_change_force_once = get_bool(r, s, n); break;
	case KX_RecycleBinEnabled: m->recycle_bin_enabled = get_bool(r, s, n); break;
	case KX_RecycleBinUUID: get_uuid(s, n, &m->recycle_bin_uuid); break;
	case KX_EntryTemplatesGroup: get_uuid(s, n, &m->entry_templates_group); break;
	case KX_LastSelectedGroup: get_uuid(s, n, &m->last_selected_group); break;
	case KX_LastTopVisibleGroup: get_uuid(s, n, &m->last_top_visible_group); break;
	case KX_HistoryMaxItems: {
		int v = get_int32(r, s, n);
		if (v >= -1) /* KeePassXC ignores smaller values */
			m->history_max_items = v;
		break;
	}
	case KX_HistoryMaxSize: {
		int64_t v = get_int(r, s, n);
		if (v >= -1)
			m->history_max_size = v;
		break;
	}
	default: break;
	}
}

static void leaf_header_hash(reader *r, bool protectd, const char *s, size_t n)
{
	const uint8_t *d;
	size_t len;
	if (n == 0 && !protectd)
		return;
	if (leaf_binary(r, protectd, s, n, &d, &len))
		return;
	/* Only a real KDBX 3.x container has a header to compare with. */
	if (!r->stream || r->c->version >= KDBX_VERSION_4_0 || len == 0)
		return;
	if (len != 32 || !kdbx_ct_equal(d, r->c->header_hash, 32))
		fail(r, KDBX_ECORRUPT, "header hash mismatch");
}

static void leaf_pool_binary(reader *r, const frame *f, const char *s, size_t n)
{
	const uint8_t *d;
	size_t len;
	if (leaf_binary(r, f->flags & F_PROTECTED, s, n, &d, &len))
		return;
	uint8_t *data = NULL;
	size_t dlen = 0;
	if (f->flags & F_COMPRESSED) {
		/* A plain buffer: the pool's attachments live in malloc blocks. */
		kdbx_buf out = KDBX_BUF_INIT;
		int rc = kdbx_gzip__inflate(d, len, MAX_INFLATE, &out);
		if (rc == KDBX_OK && (data = kdbx_buf_detach(&out, &dlen)) == NULL)
			rc = KDBX_ENOMEM;
		if (rc) {
			kdbx_buf_free(&out);
			fail(r, rc, rc == KDBX_ENOMEM ? "out of memory" : "cannot decompress binary");
			return;
		}
	} else {
		data = memdup_or_fail(r, d, len);
		if (!data)
			return;
		dlen = len;
	}
	pool_put(r, r->pool_id ? r->pool_id : "", data, dlen, f->flags & F_PROTECTED);
}

static void leaf_group(reader *r, kdbx_group *g, int id, const char *s, size_t n)
{
	switch (id) {
	case KX_UUID: get_uuid(s, n, &g->uuid); break;
	case KX_Name: set_str(r, &g->name, s, n); break;
	case KX_Notes: set_str(r, &g->notes, s, n); break;
	case KX_Tags: set_str(r, &g->tags, s, n); break;
	case KX_IconID: {
		int v = get_int32(r, s, n);
		g->icon = v < 0 ? 0 : v;
		break;
	}
	case KX_CustomIconUUID:
		get_uuid(s, n, &g->custom_icon);
		g->has_custom_icon = !kdbx_uuid_is_zero(&g->custom_icon);
		break;
	case KX_IsExpanded: g->is_expanded = get_bool(r, s, n); break;
	case KX_DefaultAutoTypeSequence: set_str(r, &g->default_autotype_sequence, s, n); break;
	case KX_EnableAutoType: g->enable_autotype = get_tri(r, s, n); break;
	case KX_EnableSearching: g->enable_searching = get_tri(r, s, n); break;
	case KX_LastTopVisibleEntry: get_uuid(s, n, &g->last_top_visible_entry); break;
	case KX_PreviousParentGroup:
		get_uuid(s, n, &g->prev_parent);
		g->has_prev_parent = !kdbx_uuid_is_zero(&g->prev_parent);
		break;
	default: break;
	}
}

static void leaf_entry(reader *r, kdbx_entry *e, int id, const char *s, size_t n)
{
	switch (id) {
	case KX_UUID: get_uuid(s, n, &e->uuid); break;
	case KX_IconID: {
		int v = get_int32(r, s, n);
		e->icon = v < 0 ? 0 : v;
		break;
	}
	case KX_CustomIconUUID:
		get_uuid(s, n, &e->custom_icon);
		e->has_custom_icon = !kdbx_uuid_is_zero(&e->custom_icon);
		break;
	case KX_ForegroundColor: set_str(r, &e->fg_color, s, n); break;
	case KX_BackgroundColor: set_str(r, &e->bg_color, s, n); break;
	case KX_OverrideURL: set_str(r, &e->override_url, s, n); break;
	case KX_Tags: set_str(r, &e->tags, s, n); break;
	case KX_QualityCheck: e->quality_check = get_bool(r, s, n) ? 1 : 0; break;
	case KX_PreviousParentGroup:
		get_uuid(s, n, &e->prev_parent);
		e->has_prev_parent = !kdbx_uuid_is_zero(&e->prev_parent);
		break;
	default: break;
	}
}

/* Adds the open String's field (key r->s_key, protection r->s_protect) with value v. */
static void string_commit(reader *r, kdbx_entry *e, const char *v, size_t n)
{
	int rc;
	if (r->s_added) {
		/* a second Value: the last one wins, as when both were read first */
		char *name = kdbx_field__name_dup(e->fields[r->s_index].name);
		if (!name) {
			fail(r, KDBX_ENOMEM, "out of memory");
			return;
		}
		rc = kdbx_entry__add_field(e, name, v, n, r->s_protect);
		if (rc)
			fail(r, rc, "cannot add entry string");
		return;
	}
	const char *key = r->s_key;
	size_t i;
	for (i = 0; i < e->nfields; i++) {
		const char *fn = e->fields[i].name;
		if (fn[0] != key[0] || strcmp(fn, key) != 0)
			continue;
		/* KeePassXC: a repeated key is an error unless the first value was empty
		 * (kdbx_entry__add_field then replaces it in place). */
		if (e->fields[i].len) {
			fail(r, KDBX_ECORRUPT, "duplicate entry string");
			return;
		}
		break;
	}
	char *name = r->s_key;
	bool borrowed = r->s_key_borrowed;
	r->s_key = NULL; /* taken by the field, also on failure */
	r->s_key_borrowed = false;
	if (i < e->nfields || !borrowed) {
		/* replacing an empty value (or a name too long for the arena): owned name */
		if (borrowed && !(name = kdbx_field__name_dup(name))) {
			fail(r, KDBX_ENOMEM, "out of memory");
			return;
		}
		rc = kdbx_entry__add_field(e, name, v, n, r->s_protect);
	} else {
		rc = kdbx_entry__append_field(e, name, v, n, r->s_protect);
	}
	if (rc) {
		fail(r, rc, "cannot add entry string");
		return;
	}
	r->s_added = true;
	r->s_index = i;
}

static kdbx_time times_get(reader *r, const char *s, size_t n)
{
	if (n && n == r->t_len && memcmp(s, r->t_text, n) == 0)
		return r->t_val;
	kdbx_time t;
	if (kdbx_xml__parse_time(s, n, &t))
		return get_time(s, n);
	if (n <= sizeof(r->t_text)) {
		memcpy(r->t_text, s, n);
		r->t_len = n;
		r->t_val = t;
	}
	return t;
}

static void leaf_times(reader *r, kdbx_times *t, int id, const char *s, size_t n)
{
	switch (id) {
	case KX_CreationTime: t->creation = times_get(r, s, n); break;
	case KX_LastModificationTime: t->modification = times_get(r, s, n); break;
	case KX_LastAccessTime: t->access = times_get(r, s, n); break;
	case KX_ExpiryTime: t->expiry = times_get(r, s, n); break;
	case KX_LocationChanged: t->location_changed = times_get(r, s, n); break;
	case KX_Expires: t->expires = get_bool(r, s, n); break;
	case KX_UsageCount: t->usage_count = get_int(r, s, n); break;
	default: break;
	}
}

/* The text of a Protected leaf into r->plain (NUL-terminated). One keystream runs through
 * the whole document in document order; empty values take none. */
static bool decrypt_leaf(reader *r, const char *s, size_t n)
{
	kdbx_buf_reset(&r->plain);
	if (n) {
		if (!r->stream) {
			fail(r, KDBX_ECORRUPT, "protected value without an inner stream");
			return false;
		}
		if (kdbx_base64_decode(&r->plain, s, n)) {
			fail(r, KDBX_ECORRUPT, "invalid base64 in a protected value");
			return false;
		}
		if (r->plain.len && kdbx_stream_xor(r->stream, r->plain.data, r->plain.len)) {
			fail(r, KDBX_ECORRUPT, "inner stream failure");
			return false;
		}
	}
	if (kdbx_buf_reserve(&r->plain, 1)) {
		fail(r, KDBX_ENOMEM, "out of memory");
		return false;
	}
	r->plain.data[r->plain.len] = '\0';
	return true;
}

static void end_leaf(reader *r, const frame *f, const frame *parent)
{
	const char *s;
	size_t n;
	bool prot = (f->flags & F_PROTECTED) != 0;
	/* NUL-terminate without counting it (expat never delivers NUL characters). */
	if ((!r->text.data || r->text.cap == r->text.len) && kdbx_buf_reserve(&r->text, 1)) {
		fail(r, KDBX_ENOMEM, "out of memory");
		return;
	}
	r->text.data[r->text.len] = '\0';
	s = (const char *)r->text.data;
	n = r->text.len;
	if (prot) {
		if (!decrypt_leaf(r, s, n))
			return;
		s = (const char *)r->plain.data;
		n = r->plain.len;
	}
	int id = f->name;
	switch (parent->kind) {
	case K_META:
		if (id == KX_HeaderHash)
			leaf_header_hash(r, prot, (const char *)r->text.data, r->text.len);
		else
			leaf_meta(r, id, s, n);
		break;
	case K_MEMPROT: {
		unsigned bit = id == KX_ProtectTitle      ? KDBX_PROTECT_TITLE
		               : id == KX_ProtectUserName ? KDBX_PROTECT_USERNAME
		               : id == KX_ProtectPassword ? KDBX_PROTECT_PASSWORD
		               : id == KX_ProtectURL      ? KDBX_PROTECT_URL
		                                          : KDBX_PROTECT_NOTES;
		if (get_bool(r, s, n))
			r->db->meta.memory_protection |= bit;
		else
			r->db->meta.memory_protection &= ~bit;
		break;
	}
	case K_ICON:
		if (id == KX_UUID) {
			get_uuid(s, n, &r->o_uuid);
			r->o_uuid_set = !kdbx_uuid_is_zero(&r->o_uuid);
		} else if (id == KX_Data) {
			const uint8_t *d;
			size_t len;
			if (leaf_binary(r, prot, (const char *)r->text.data, r->text.len, &d, &len))
				return;
			free(r->o_data);
			r->o_data = memdup_or_fail(r, d, len);
			r->o_len = len;
			r->o_data_set = r->o_data != NULL;
		} else if (id == KX_Name) {
			set_str(r, &r->o_name, s, n);
		} else {
			r->o_time = get_time(s, n);
		}
		break;
	case K_BINARIES:
		leaf_pool_binary(r, f, (const char *)r->text.data, r->text.len);
		break;
	case K_CDITEM:
		if (id == KX_Key) {
			key_drop(r);
			r->s_key = dup_or_fail(r, s, n);
			r->s_key_set = true;
		} else if (id == KX_Value) {
			free(r->i_value);
			r->i_value = dup_or_fail(r, s, n);
			r->s_val_set = true;
		} else {
			r->i_mtime = get_time(s, n);
		}
		break;
	case K_DELOBJ:
		if (id == KX_UUID) {
			get_uuid(s, n, &r->o_uuid);
			r->o_uuid_set = !kdbx_uuid_is_zero(&r->o_uuid);
		} else {
			r->o_time = get_time(s, n);
			r->o_time_set = true;
		}
		break;
	case K_GROUP: leaf_group(r, parent->g, id, s, n); break;
	case K_ENTRY: leaf_entry(r, parent->e, id, s, n); break;
	case K_TIMES:
		leaf_times(r, parent->e ? &parent->e->times : &parent->g->times, id, s, n);
		break;
	case K_STRING:
		if (id == KX_Key) {
			if (r->s_added) {
				/* the field went in under the first Key already */
				fail(r, KDBX_ECORRUPT, "entry string with two keys");
				return;
			}
			key_drop(r);
			char *k = kdbx_field__std_name(s, n);
			if (!k)
				k = name_intern(r, s, n);
			if (k) {
				r->s_key = k;
				r->s_key_borrowed = true;
			} else {
				r->s_key = dup_or_fail(r, s, n);
			}
			r->s_key_set = true;
		} else {
			r->s_val_set = true;
			r->s_protect = prot || (f->flags & F_PIM);
			if (r->s_key_set) {
				/* Key came first (as always in practice): straight into the entry,
				 * without a second copy of the value. */
				string_commit(r, parent->e, s, n);
				return;
			}
			kdbx_buf_reset(&r->s_val);
			if (n && kdbx_buf_append(&r->s_val, s, n)) {
				fail(r, KDBX_ENOMEM, "out of memory");
				return;
			}
		}
		break;
	case K_EBINARY:
		if (id == KX_Key) {
			key_drop(r);
			r->s_key = dup_or_fail(r, s, n);
			r->s_key_set = true;
		} else {
			r->s_val_set = true;
			if (!r->b_ref) {
				/* inline content (old KeePass 2 format) */
				const uint8_t *d;
				size_t len;
				if (leaf_binary(r, prot, (const char *)r->text.data, r->text.len, &d, &len))
					return;
				free(r->o_data);
				r->o_data = memdup_or_fail(r, d, len);
				r->o_len = len;
				r->o_data_set = r->o_data != NULL;
			}
		}
		break;
	case K_AUTOTYPE: {
		kdbx_entry *e = parent->e;
		if (id == KX_Enabled)
			e->autotype_enabled = get_bool(r, s, n);
		else if (id == KX_DataTransferObfuscation)
			e->autotype_obfuscation = get_int32(r, s, n);
		else
			set_str(r, &e->autotype_sequence, s, n);
		break;
	}
	case K_ASSOC:
		if (id == KX_Window) {
			free(r->a_window);
			r->a_window = dup_or_fail(r, s, n);
			r->a_window_set = true;
		} else {
			free(r->a_seq);
			r->a_seq = dup_or_fail(r, s, n);
			r->a_seq_set = true;
		}
		break;
	default: break;
	}
}

static void end_string(reader *r, kdbx_entry *e)
{
	if (!r->s_key_set || !r->s_val_set) {
		fail(r, KDBX_ECORRUPT, "entry string key or value missing");
		return;
	}
	if (!r->s_added) {
		string_commit(r, e, (const char *)r->s_val.data, r->s_val.len);
		kdbx_buf_reset(&r->s_val);
	}
}

static void end_ebinary(reader *r, kdbx_entry *e)
{
	if (!r->s_key_set || !r->s_val_set) {
		fail(r, KDBX_ECORRUPT, "entry binary key or value missing");
		return;
	}
	pending_att *na = grow(r->att, &r->att_cap, r->natt + 1, sizeof(*na));
	if (!na) {
		fail(r, KDBX_ENOMEM, "out of memory");
		return;
	}
	r->att = na;
	pending_att *a = &r->att[r->natt];
	memset(a, 0, sizeof(*a));
	a->e = e;
	if (r->b_ref) {
		a->ref = r->b_ref;
		r->b_ref = NULL;
	} else {
		/* takes o_data even on failure */
		int rc = kdbx_db__add_bin(r->db, r->o_data, r->o_data ? r->o_len : 0, false, &a->bin);
		r->o_data = NULL;
		if (rc) {
			fail(r, rc, "cannot add binary");
			return;
		}
	}
	a->name = r->s_key;
	r->s_key = NULL;
	r->natt++;
}

static void end_item(reader *r, const frame *parent, frame *owner)
{
	if (!r->s_key_set || !r->s_val_set) {
		fail(r, KDBX_ECORRUPT, "custom data key or value missing");
		return;
	}
	/* Pre-4.1 KeePassXC kept "exclude from reports" as entry custom data (notes 3.7). */
	if (owner->kind == K_ENTRY && strcmp(r->s_key, "KnownBad") == 0) {
		owner->flags |= F_KNOWNBAD;
		if (strcmp(r->i_value, "true") == 0)
			owner->flags |= F_KNOWNBAD_ON;
		else
			owner->flags &= (uint8_t)~F_KNOWNBAD_ON;
		return;
	}
	int rc = kdbx_kvlist_set(parent->kv, r->s_key, r->i_value, r->i_mtime);
	if (rc)
		fail(r, rc, "cannot add custom data");
}

static void end_icon(reader *r)
{
	kdbx_meta *m = &r->db->meta;
	if (!r->o_uuid_set || !r->o_data_set) {
		fail(r, KDBX_ECORRUPT, "missing icon uuid or data");
		return;
	}
	kdbx_icon *ni = realloc(m->icons, (m->nicons + 1) * sizeof(*ni));
	if (!ni) {
		fail(r, KDBX_ENOMEM, "out of memory");
		return;
	}
	m->icons = ni;
	kdbx_icon *ic = &m->icons[m->nicons++];
	memset(ic, 0, sizeof(*ic));
	ic->uuid = r->o_uuid;
	ic->data = r->o_data;
	ic->len = r->o_len;
	ic->name = r->o_name;
	ic->mtime = r->o_time;
	r->o_data = NULL;
	r->o_name = NULL;
}

static void end_delobj(reader *r)
{
	kdbx_db *db = r->db;
	/* non-strict KeePassXC: objects without UUID or time are dropped */
	if (!r->o_uuid_set || !r->o_time_set)
		return;
	kdbx_deleted *nd = realloc(db->deleted, (db->ndeleted + 1) * sizeof(*nd));
	if (!nd) {
		fail(r, KDBX_ENOMEM, "out of memory");
		return;
	}
	db->deleted = nd;
	db->deleted[db->ndeleted].uuid = r->o_uuid;
	db->deleted[db->ndeleted].when = r->o_time;
	db->ndeleted++;
}

static void end_assoc(reader *r, kdbx_entry *e)
{
	if (!r->a_window_set || !r->a_seq_set) {
		fail(r, KDBX_ECORRUPT, "auto-type association window or sequence missing");
		return;
	}
	kdbx_assoc *na = realloc(e->assocs, (e->nassocs + 1) * sizeof(*na));
	if (!na) {
		fail(r, KDBX_ENOMEM, "out of memory");
		return;
	}
	e->assocs = na;
	e->assocs[e->nassocs].window = r->a_window;
	e->assocs[e->nassocs].sequence = r->a_seq;
	e->nassocs++;
	r->a_window = r->a_seq = NULL;
}

static void end_entry(reader *r, const frame *f)
{
	kdbx_entry *e = f->e;
	if (kdbx_uuid_is_zero(&e->uuid) && kdbx_uuid_generate(&e->uuid)) {
		fail(r, KDBX_ERROR, "cannot generate uuid");
		return;
	}
	if (f->flags & F_KNOWNBAD)
		e->quality_check = (f->flags & F_KNOWNBAD_ON) ? 0 : 1;
	/* non-strict KeePassXC: history items take their owner's UUID */
	for (size_t i = 0; i < e->nhistory; i++)
		e->history[i]->uuid = e->uuid;
}

static void end_element(reader *r, const XML_Char *name)
{
	if (r->err)
		return;
	if (r->cap_depth) {
		cap_end(r, name);
		return;
	}
	if (!r->depth)
		return;
	frame *f = &r->st[r->depth - 1];
	frame *parent = r->depth > 1 ? &r->st[r->depth - 2] : f;
	if (f->flags & F_SKIP) {
		/* a left-out history item: its protected values still take their keystream */
		if (f->kind == K_LEAF && (f->flags & F_PROTECTED))
			(void)decrypt_leaf(r, (const char *)r->text.data, r->text.len);
		r->depth--;
		return;
	}
	switch (f->kind) {
	case K_LEAF: end_leaf(r, f, parent); break;
	case K_STRING: end_string(r, parent->e); break;
	case K_EBINARY: end_ebinary(r, parent->e); break;
	case K_CDITEM: end_item(r, parent, r->depth > 2 ? &r->st[r->depth - 3] : parent); break;
	case K_ICON: end_icon(r); break;
	case K_DELOBJ: end_delobj(r); break;
	case K_ASSOC: end_assoc(r, parent->e); break;
	case K_ENTRY: end_entry(r, f); break;
	case K_GROUP:
		if (kdbx_uuid_is_zero(&f->g->uuid) && kdbx_uuid_generate(&f->g->uuid))
			fail(r, KDBX_ERROR, "cannot generate uuid");
		break;
	default: break;
	}
	r->depth--;
}

/* What on_text does with white space depends on where the reader is: kept for the scanner
 * after every element start and end. */
static void space_state(reader *r)
{
	r->drop_space = !r->err && !r->cap_depth && r->depth && r->st[r->depth - 1].kind != K_LEAF;
}

static void on_start(void *ud, const char *name, size_t name_len, const char **attrs)
{
	start_element(ud, name, name_len, attrs);
	space_state(ud);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	end_element(ud, name);
	space_state(ud);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal)
{
	(void)name; (void)sysid; (void)pubid; (void)has_internal;
	fail(ud, KDBX_ECORRUPT, "DOCTYPE is not allowed in KeePass XML");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                              int value_len, const XML_Char *base, const XML_Char *sysid,
                              const XML_Char *pubid, const XML_Char *notation)
{
	(void)name; (void)is_param; (void)value; (void)value_len; (void)base; (void)sysid;
	(void)pubid; (void)notation;
	fail(ud, KDBX_ECORRUPT, "entity declarations are not allowed in KeePass XML");
}

static void reader_free(reader *r)
{
	clear_scratch(r);
	free(r->st);
	kdbx_buf_free(&r->text);
	kdbx_buf_free(&r->plain);
	kdbx_buf_free(&r->bin);
	kdbx_buf_free(&r->capbuf);
	kdbx_buf_free(&r->s_val);
	free(r->pool_id);
	for (size_t i = 0; i < r->npool; i++) {
		pool_item_clear(&r->pool[i]);
		free(r->pool[i].id);
	}
	free(r->pool);
	for (size_t i = 0; i < r->natt; i++) {
		free(r->att[i].name);
		free(r->att[i].ref);
	}
	free(r->att);
}

/* ---- driving the parse: the fast scanner, then expat for what it hands off ---- */


static void scan_text(void *ud, const char *s, int len)
{
	on_text(ud, s, len);
}

static void scan_end(void *ud, const char *name)
{
	on_end(ud, name);
}

/* The scanner is past pos: give the parsed part of the document back now, so the model
 * and the whole XML are never in memory at once. */
static void scan_consumed(void *ud, const char *pos)
{
	reader *r = ud;
	kdbx_container_xml_release(r->c, (const uint8_t *)pos);
}

/* expat after a hand-off first parses the synthetic prefix (xml_scan.h): its events are
 * the scanner's, already reported, and are dropped by position. */
static bool in_prefix(reader *r)
{
	return r->skip > 0 && XML_GetCurrentByteIndex(r->p) < (XML_Index)r->skip;
}

static void XMLCALL fb_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	if (!in_prefix(ud))
		on_start(ud, name, strlen(name), attrs);
}

static void XMLCALL fb_text(void *ud, const XML_Char *s, int len)
{
	if (!in_prefix(ud))
		on_text(ud, s, len);
}

static void XMLCALL fb_end(void *ud, const XML_Char *name)
{
	if (!in_prefix(ud))
		on_end(ud, name);
}

static int expat_error(reader *r, size_t resume)
{
	enum XML_Error e = XML_GetErrorCode(r->p);
	int code = e == XML_ERROR_NO_MEMORY ? KDBX_ENOMEM : KDBX_ECORRUPT;
	if (resume == 0)
		return kdbx_error__set(code, "XML error: %s (line %lu)", XML_ErrorString(e),
		                       (unsigned long)XML_GetCurrentLineNumber(r->p));
	/* Line numbers restart at the hand-off point: give the document offset instead. */
	long long at = (long long)XML_GetCurrentByteIndex(r->p) - (long long)r->skip;
	return kdbx_error__set(code, "XML error: %s (at byte %lld)", XML_ErrorString(e),
	                       (long long)resume + (at > 0 ? at : 0));
}

/* expat on the document from byte resume on (after prefix, see above). */
static int parse_expat(reader *r, const kdbx_buf *prefix, const char *data, size_t left,
                       size_t resume)
{
	r->p = XML_ParserCreate("UTF-8");
	if (!r->p)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	XML_SetUserData(r->p, r);
	XML_SetElementHandler(r->p, fb_start, fb_end);
	XML_SetCharacterDataHandler(r->p, fb_text);
	XML_SetStartDoctypeDeclHandler(r->p, on_doctype);
	XML_SetEntityDeclHandler(r->p, on_entity);
	XML_SetParamEntityParsing(r->p, XML_PARAM_ENTITY_PARSING_NEVER);
	r->skip = prefix->len;
	if (prefix->len > 0 &&
	    XML_Parse(r->p, (const char *)prefix->data, (int)prefix->len, left == 0) != XML_STATUS_OK)
		return r->err ? r->err : expat_error(r, resume);

	/* Fed in small chunks through expat's own buffer: XML_Parse on the whole document would
	 * copy it into one more document-sized allocation (page faults dominate then). */
	const char *start = data;
	while (left) {
		int chunk = left > (size_t)FEED_CHUNK ? FEED_CHUNK : (int)left;
		left -= (size_t)chunk;
		void *dst = XML_GetBuffer(r->p, chunk);
		if (!dst)
			return r->err ? r->err : kdbx_error__set(KDBX_ENOMEM, "out of memory");
		memcpy(dst, data, (size_t)chunk);
		if (XML_ParseBuffer(r->p, chunk, left == 0) != XML_STATUS_OK)
			return r->err ? r->err : expat_error(r, resume);
		data += chunk;
		if ((size_t)(data - start) >= RELEASE_STEP) {
			scan_consumed(r, data);
			start = data;
		}
	}
	return r->err;
}

/* The container's XML as the scanner's source (xml_scan.h): all there at once, or still
 * being inflated (c->xml_stream). */
typedef struct stream_src {
	kdbx_container *c;
	const uint8_t *doc; /* document start in xml's original mapping */
} stream_src;

static int stream_wait(void *ud, size_t want, size_t *len, bool *complete)
{
	stream_src *s = ud;
	int rc = kdbx_container_xml_wait(s->c, s->doc + want, complete);
	*len = (size_t)(s->c->xml.data + s->c->xml.len - s->doc);
	return rc;
}

/* The scanner on the document as far as it is there, expat from where the scanner hands
 * off (KDBX4: the first xml_skip bytes are what is left of the inner header). */
static int parse(reader *r, kdbx_container *c)
{
	kdbx_xml_scan sc;
	kdbx_buf prefix = KDBX_BUF_INIT;
	const kdbx_xml_scan_handlers h = {r, on_start, scan_text, scan_end, scan_consumed,
	                                  RELEASE_STEP, &r->err, &r->drop_space};
	stream_src src = {c, c->xml.data + c->xml_skip};
	const kdbx_xml_scan_source source = {&src, stream_wait};
	char *data = (char *)c->xml.data + c->xml_skip;
	size_t resume = 0, len = 0;
	bool complete;
	int rc, err = KDBX_OK;

	memset(&sc, 0, sizeof(sc));
	switch (kdbx_xml_scan_stream(&sc, data, &source, &h, &resume, &len, &err)) {
	case KDBX_XML_SCAN_DONE:
	case KDBX_XML_SCAN_STOPPED: rc = r->err; break;
	case KDBX_XML_SCAN_NOMEM: rc = kdbx_error__set(KDBX_ENOMEM, "out of memory"); break;
	case KDBX_XML_SCAN_SOURCE: rc = err; break;
	default:
		/* (expat reports an empty final buffer inconsistently: no-memory under some allocators) */
		if (len == 0) {
			rc = kdbx_error__set(KDBX_ECORRUPT, "XML error: empty document");
			break;
		}
		if ((rc = kdbx_xml_scan_resume_prefix(&sc, &prefix)) != KDBX_OK)
			break;
		rc = parse_expat(r, &prefix, data + resume, len - resume, resume);
		break;
	}
	/* The inflater's verdict (CRC, trailer) counts even when the XML ended well. */
	if (rc == KDBX_OK)
		rc = kdbx_container_xml_wait(c, NULL, &complete);
	kdbx_xml_scan_free(&sc);
	kdbx_buf_free(&prefix);
	return rc;
}

int kdbx_xml_read(kdbx_db *db, kdbx_container *c, kdbx_stream *stream)
{
	if (!db || !c)
		return kdbx_error__set(KDBX_EINVALID, "kdbx_xml_read: NULL argument");
	reader r;
	memset(&r, 0, sizeof(r));
	r.db = db;
	r.c = c;
	r.stream = stream;
	r.pool_canonical = true;
	/* Leaf values may be clear-text secrets (plain XML import, decrypted fields). */
	r.text.secure = r.plain.secure = r.s_val.secure = r.bin.secure = true;
	int rc = 0;

	/* Inner-header binaries (KDBX4) are the pool with IDs "0", "1", ... */
	for (size_t i = 0; i < c->nbinaries; i++) {
		pool_item *np = grow(r.pool, &r.pool_cap, r.npool + 1, sizeof(*np));
		if (!np) {
			rc = kdbx_error__set(KDBX_ENOMEM, "out of memory");
			goto out;
		}
		r.pool = np;
		pool_item *it = &r.pool[r.npool++];
		memset(it, 0, sizeof(*it));
		it->num = (int64_t)i;
		it->data = c->binaries[i].data;
		it->len = c->binaries[i].len;
		it->protect = (c->binaries[i].flags & 1) != 0;
		it->from_c = true;
		it->c_index = i;
		it->bin = SIZE_MAX;
	}

	if ((rc = parse(&r, c)) != KDBX_OK)
		goto out;
	if (r.err) {
		rc = r.err;
		goto out;
	}
	if (!r.seen_root_group || !db->root) {
		rc = kdbx_error__set(KDBX_ECORRUPT, "no root group");
		goto out;
	}
	rc = resolve_attachments(&r);
out:
	if (r.p)
		XML_ParserFree(r.p);
	reader_free(&r);
	return rc;
}
