/* Element names of the KeePass XML and the reader's name lookup: a multiplicative hash
 * of (length, first, last, third-from-last byte) into 512 slots, with a constant found by
 * search so that every known name has its own slot; a lookup costs one hash + one memcmp. */
#ifndef KDBX_XML_NAMES_H
#define KDBX_XML_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum kx_name {
	KX_UNKNOWN = 0,
	KX_KeePassFile,
	KX_Meta,
	KX_Root,
	KX_Generator,
	KX_HeaderHash,
	KX_SettingsChanged,
	KX_DatabaseName,
	KX_DatabaseNameChanged,
	KX_DatabaseDescription,
	KX_DatabaseDescriptionChanged,
	KX_DefaultUserName,
	KX_DefaultUserNameChanged,
	KX_MaintenanceHistoryDays,
	KX_Color,
	KX_MasterKeyChanged,
	KX_MasterKeyChangeRec,
	KX_MasterKeyChangeForce,
	KX_MasterKeyChangeForceOnce,
	KX_MemoryProtection,
	KX_ProtectTitle,
	KX_ProtectUserName,
	KX_ProtectPassword,
	KX_ProtectURL,
	KX_ProtectNotes,
	KX_CustomIcons,
	KX_Icon,
	KX_UUID,
	KX_Data,
	KX_Name,
	KX_LastModificationTime,
	KX_RecycleBinEnabled,
	KX_RecycleBinUUID,
	KX_RecycleBinChanged,
	KX_EntryTemplatesGroup,
	KX_EntryTemplatesGroupChanged,
	KX_HistoryMaxItems,
	KX_HistoryMaxSize,
	KX_LastSelectedGroup,
	KX_LastTopVisibleGroup,
	KX_Binaries,
	KX_Binary,
	KX_CustomData,
	KX_Item,
	KX_Key,
	KX_Value,
	KX_Group,
	KX_DeletedObjects,
	KX_DeletedObject,
	KX_DeletionTime,
	KX_Notes,
	KX_IconID,
	KX_CustomIconUUID,
	KX_Times,
	KX_IsExpanded,
	KX_DefaultAutoTypeSequence,
	KX_EnableAutoType,
	KX_EnableSearching,
	KX_LastTopVisibleEntry,
	KX_Tags,
	KX_PreviousParentGroup,
	KX_Entry,
	KX_ForegroundColor,
	KX_BackgroundColor,
	KX_OverrideURL,
	KX_QualityCheck,
	KX_String,
	KX_AutoType,
	KX_History,
	KX_CreationTime,
	KX_LastAccessTime,
	KX_ExpiryTime,
	KX_Expires,
	KX_UsageCount,
	KX_LocationChanged,
	KX_Enabled,
	KX_DataTransferObfuscation,
	KX_DefaultSequence,
	KX_Association,
	KX_Window,
	KX_KeystrokeSequence,
	KX_NAME_COUNT
};

#define KX_HASH_K 0x10B8FE23u

static const struct {
	const char *s;
	unsigned char len;
	unsigned char id;
} kx_name_table[512] = {
	[3] = {"Meta", 4, KX_Meta},
	[21] = {"MasterKeyChanged", 16, KX_MasterKeyChanged},
	[33] = {"Window", 6, KX_Window},
	[34] = {"Expires", 7, KX_Expires},
	[40] = {"Item", 4, KX_Item},
	[47] = {"Times", 5, KX_Times},
	[69] = {"ExpiryTime", 10, KX_ExpiryTime},
	[71] = {"LastTopVisibleEntry", 19, KX_LastTopVisibleEntry},
	[78] = {"Name", 4, KX_Name},
	[85] = {"Entry", 5, KX_Entry},
	[95] = {"HeaderHash", 10, KX_HeaderHash},
	[97] = {"DatabaseDescriptionChanged", 26, KX_DatabaseDescriptionChanged},
	[100] = {"DataTransferObfuscation", 23, KX_DataTransferObfuscation},
	[116] = {"UsageCount", 10, KX_UsageCount},
	[121] = {"ProtectPassword", 15, KX_ProtectPassword},
	[124] = {"MemoryProtection", 16, KX_MemoryProtection},
	[125] = {"Association", 11, KX_Association},
	[129] = {"LocationChanged", 15, KX_LocationChanged},
	[151] = {"RecycleBinUUID", 14, KX_RecycleBinUUID},
	[154] = {"AutoType", 8, KX_AutoType},
	[157] = {"MasterKeyChangeRec", 18, KX_MasterKeyChangeRec},
	[159] = {"SettingsChanged", 15, KX_SettingsChanged},
	[162] = {"ProtectUserName", 15, KX_ProtectUserName},
	[177] = {"QualityCheck", 12, KX_QualityCheck},
	[178] = {"IsExpanded", 10, KX_IsExpanded},
	[182] = {"Enabled", 7, KX_Enabled},
	[198] = {"Tags", 4, KX_Tags},
	[200] = {"LastSelectedGroup", 17, KX_LastSelectedGroup},
	[206] = {"RecycleBinEnabled", 17, KX_RecycleBinEnabled},
	[210] = {"PreviousParentGroup", 19, KX_PreviousParentGroup},
	[216] = {"DefaultSequence", 15, KX_DefaultSequence},
	[228] = {"EnableSearching", 15, KX_EnableSearching},
	[229] = {"DatabaseName", 12, KX_DatabaseName},
	[232] = {"LastAccessTime", 14, KX_LastAccessTime},
	[233] = {"CustomIconUUID", 14, KX_CustomIconUUID},
	[237] = {"EntryTemplatesGroup", 19, KX_EntryTemplatesGroup},
	[238] = {"Binary", 6, KX_Binary},
	[242] = {"CustomIcons", 11, KX_CustomIcons},
	[255] = {"ForegroundColor", 15, KX_ForegroundColor},
	[257] = {"Value", 5, KX_Value},
	[258] = {"MaintenanceHistoryDays", 22, KX_MaintenanceHistoryDays},
	[263] = {"MasterKeyChangeForceOnce", 24, KX_MasterKeyChangeForceOnce},
	[266] = {"LastTopVisibleGroup", 19, KX_LastTopVisibleGroup},
	[272] = {"ProtectURL", 10, KX_ProtectURL},
	[274] = {"KeePassFile", 11, KX_KeePassFile},
	[277] = {"DeletionTime", 12, KX_DeletionTime},
	[288] = {"HistoryMaxSize", 14, KX_HistoryMaxSize},
	[298] = {"EnableAutoType", 14, KX_EnableAutoType},
	[311] = {"BackgroundColor", 15, KX_BackgroundColor},
	[313] = {"KeystrokeSequence", 17, KX_KeystrokeSequence},
	[315] = {"ProtectNotes", 12, KX_ProtectNotes},
	[320] = {"CustomData", 10, KX_CustomData},
	[330] = {"DefaultUserName", 15, KX_DefaultUserName},
	[347] = {"Color", 5, KX_Color},
	[352] = {"IconID", 6, KX_IconID},
	[365] = {"Notes", 5, KX_Notes},
	[367] = {"ProtectTitle", 12, KX_ProtectTitle},
	[368] = {"RecycleBinChanged", 17, KX_RecycleBinChanged},
	[375] = {"DatabaseNameChanged", 19, KX_DatabaseNameChanged},
	[376] = {"Binaries", 8, KX_Binaries},
	[382] = {"Icon", 4, KX_Icon},
	[384] = {"DeletedObjects", 14, KX_DeletedObjects},
	[392] = {"Key", 3, KX_Key},
	[400] = {"History", 7, KX_History},
	[409] = {"MasterKeyChangeForce", 20, KX_MasterKeyChangeForce},
	[415] = {"UUID", 4, KX_UUID},
	[419] = {"CreationTime", 12, KX_CreationTime},
	[433] = {"LastModificationTime", 20, KX_LastModificationTime},
	[434] = {"Root", 4, KX_Root},
	[447] = {"OverrideURL", 11, KX_OverrideURL},
	[467] = {"EntryTemplatesGroupChanged", 26, KX_EntryTemplatesGroupChanged},
	[473] = {"Generator", 9, KX_Generator},
	[476] = {"DefaultUserNameChanged", 22, KX_DefaultUserNameChanged},
	[478] = {"DatabaseDescription", 19, KX_DatabaseDescription},
	[483] = {"DefaultAutoTypeSequence", 23, KX_DefaultAutoTypeSequence},
	[487] = {"DeletedObject", 13, KX_DeletedObject},
	[489] = {"Data", 4, KX_Data},
	[499] = {"String", 6, KX_String},
	[502] = {"HistoryMaxItems", 15, KX_HistoryMaxItems},
	[508] = {"Group", 5, KX_Group},
};

/* a[0..n) == b[0..n) for 2 <= n <= 32, by overlapping word loads instead of a memcmp call
 * (called for every element). */
static inline int kx_eq(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		uint64_t a0, b0, a1, b1;
		if (n > 16) {
			uint64_t a2, b2, a3, b3;
			memcpy(&a0, a, 8); memcpy(&b0, b, 8);
			memcpy(&a1, a + 8, 8); memcpy(&b1, b + 8, 8);
			memcpy(&a2, a + n - 16, 8); memcpy(&b2, b + n - 16, 8);
			memcpy(&a3, a + n - 8, 8); memcpy(&b3, b + n - 8, 8);
			return ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2) | (a3 ^ b3)) == 0;
		}
		memcpy(&a0, a, 8); memcpy(&b0, b, 8);
		memcpy(&a1, a + n - 8, 8); memcpy(&b1, b + n - 8, 8);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	if (n >= 4) {
		uint32_t a0, b0, a1, b1;
		memcpy(&a0, a, 4); memcpy(&b0, b, 4);
		memcpy(&a1, a + n - 4, 4); memcpy(&b1, b + n - 4, 4);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	uint16_t a0, b0, a1, b1;
	memcpy(&a0, a, 2); memcpy(&b0, b, 2);
	memcpy(&a1, a + n - 2, 2); memcpy(&b1, b + n - 2, 2);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

static inline int kx_name_lookup(const char *s, size_t n)
{
	if (n < 3 || n > 40)
		return KX_UNKNOWN;
	uint32_t k = (uint32_t)n | ((uint32_t)(unsigned char)s[0] << 8) |
	             ((uint32_t)(unsigned char)s[n - 1] << 16) |
	             ((uint32_t)(unsigned char)s[n - 3] << 24);
	uint32_t h = (k * KX_HASH_K) >> 23;
	if (kx_name_table[h].len == n && kx_eq(kx_name_table[h].s, s, n))
		return kx_name_table[h].id;
	return KX_UNKNOWN;
}

#endif
