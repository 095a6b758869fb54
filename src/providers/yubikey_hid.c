/* YubiKey / OnlyKey HMAC-SHA1 over USB HID feature reports (libusb-1.0), as
 * Yubico's ykcore libusb backend does. Spec: keepassxc-notes.md 2.2. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libusb.h>

#include "providers/yubikey_proto.h"

#define HID_GET_REPORT 0x01
#define HID_SET_REPORT 0x09
#define HID_FEATURE_REPORT0 ((3 << 8) | 0)
#define USB_TIMEOUT_MS 1000

/* Only products that expose the OTP (challenge-response) interface. */
static const struct {
	uint16_t vid, pid;
	const char *model;
} hid_ids[] = {
	{0x1050, 0x0010, "YubiKey"},     {0x1050, 0x0110, "YubiKey NEO"},
	{0x1050, 0x0111, "YubiKey NEO"}, {0x1050, 0x0114, "YubiKey NEO"},
	{0x1050, 0x0116, "YubiKey NEO"}, {0x1050, 0x0401, "YubiKey 4"},
	{0x1050, 0x0403, "YubiKey 4"},   {0x1050, 0x0405, "YubiKey 4"},
	{0x1050, 0x0407, "YubiKey 4"},   {0x1050, 0x0410, "YubiKey Plus"},
	{0x1d50, 0x60fc, "OnlyKey"},
};

typedef struct hid_dev {
	libusb_device_handle *h;
	int reattach;
} hid_dev;

static int hid_get(void *ctx, uint8_t report[KDBX_YK_REPORT])
{
	hid_dev *d = ctx;
	int r = libusb_control_transfer(d->h,
	                                 LIBUSB_ENDPOINT_IN | LIBUSB_REQUEST_TYPE_CLASS |
	                                     LIBUSB_RECIPIENT_INTERFACE,
	                                 HID_GET_REPORT, HID_FEATURE_REPORT0, 0, report,
	                                 KDBX_YK_REPORT, USB_TIMEOUT_MS);

	if (r != KDBX_YK_REPORT)
		return kdbx_error__set(KDBX_EDEVICE, "USB read from the hardware key failed: %s",
		                       r < 0 ? libusb_strerror(r) : "short report");
	return KDBX_OK;
}

static int hid_set(void *ctx, const uint8_t report[KDBX_YK_REPORT])
{
	hid_dev *d = ctx;
	uint8_t buf[KDBX_YK_REPORT];
	int r;

	memcpy(buf, report, sizeof(buf));
	r = libusb_control_transfer(d->h,
	                            LIBUSB_ENDPOINT_OUT | LIBUSB_REQUEST_TYPE_CLASS |
	                                LIBUSB_RECIPIENT_INTERFACE,
	                            HID_SET_REPORT, HID_FEATURE_REPORT0, 0, buf, KDBX_YK_REPORT,
	                            USB_TIMEOUT_MS);
	kdbx_memzero(buf, sizeof(buf));
	if (r != KDBX_YK_REPORT)
		return kdbx_error__set(KDBX_EDEVICE, "USB write to the hardware key failed: %s",
		                       r < 0 ? libusb_strerror(r) : "short report");
	return KDBX_OK;
}

static void hid_sleep(void *ctx, unsigned int ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	(void)ctx;
	while (nanosleep(&ts, &ts) != 0)
		;
}

static const char *hid_model(libusb_device *dev)
{
	struct libusb_device_descriptor dd;

	if (libusb_get_device_descriptor(dev, &dd) != 0)
		return NULL;
	for (size_t i = 0; i < KDBX_ARRAY_LEN(hid_ids); i++)
		if (hid_ids[i].vid == dd.idVendor && hid_ids[i].pid == dd.idProduct)
			return hid_ids[i].model;
	return NULL;
}

static int hid_open(libusb_device *dev, hid_dev *d)
{
	int r;

	d->reattach = 0;
	r = libusb_open(dev, &d->h);
	if (r != 0)
		return kdbx_error__set(KDBX_EDEVICE, "cannot open the USB hardware key: %s",
		                       libusb_strerror(r));
	/* usbhid owns the keyboard interface; take it for the exchange. */
	if (libusb_kernel_driver_active(d->h, 0) == 1 && libusb_detach_kernel_driver(d->h, 0) == 0)
		d->reattach = 1;
	r = libusb_claim_interface(d->h, 0);
	if (r != 0) {
		if (d->reattach)
			(void)libusb_attach_kernel_driver(d->h, 0);
		libusb_close(d->h);
		return kdbx_error__set(KDBX_EDEVICE, "cannot claim the USB hardware key: %s",
		                       libusb_strerror(r));
	}
	return KDBX_OK;
}

static void hid_close(hid_dev *d)
{
	(void)libusb_release_interface(d->h, 0);
	if (d->reattach)
		(void)libusb_attach_kernel_driver(d->h, 0);
	libusb_close(d->h);
}

/* Calls fn for every supported device until it returns non-zero. */
typedef int (*hid_visit_fn)(libusb_device *dev, const char *model, void *ud);

static int hid_each(hid_visit_fn fn, void *ud)
{
	libusb_context *ctx = NULL;
	libusb_device **devs = NULL;
	ssize_t n;
	int rc = 0;

	/* No USB access (containers, no /dev/bus/usb): simply no USB keys. */
	if (libusb_init(&ctx) != 0)
		return 0;
	n = libusb_get_device_list(ctx, &devs);
	for (ssize_t i = 0; i < n && rc == 0; i++) {
		const char *model = hid_model(devs[i]);

		if (model != NULL)
			rc = fn(devs[i], model, ud);
	}
	if (n >= 0)
		libusb_free_device_list(devs, 1);
	libusb_exit(ctx);
	return rc;
}

typedef struct list_ctx {
	kdbx_yubikey_info **list;
	size_t *count;
} list_ctx;

static int list_one(libusb_device *dev, const char *model, void *ud)
{
	list_ctx *lc = ud;
	hid_dev d;
	kdbx_yk_hid_io io = {hid_get, hid_set, hid_sleep, &d};
	uint8_t version[3] = {0};
	uint16_t touch = 0;
	uint32_t serial = 0;
	kdbx_yubikey_info *it;

	if (hid_open(dev, &d) < 0)
		return 0;
	(void)kdbx_yk__hid_status(&io, version, &touch);
	if (kdbx_yk__hid_serial(&io, &serial) < 0)
		serial = 0;
	hid_close(&d);
	it = kdbx_yk__list_add(lc->list, lc->count);
	if (it == NULL)
		return kdbx_error__set(KDBX_ENOMEM, "out of memory");
	it->serial = serial;
	memcpy(it->version, version, 3);
	it->slots = (touch & KDBX_YK_CONFIG1_VALID ? 1u : 0u) | (touch & KDBX_YK_CONFIG2_VALID ? 2u : 0u);
	it->touch[0] = touch & KDBX_YK_CONFIG1_TOUCH ? 1 : -1;
	it->touch[1] = touch & KDBX_YK_CONFIG2_TOUCH ? 1 : -1;
	snprintf(it->transport, sizeof(it->transport), "usb");
	snprintf(it->reader, sizeof(it->reader), "usb:%03u:%03u", libusb_get_bus_number(dev),
	         libusb_get_device_address(dev));
	snprintf(it->model, sizeof(it->model), "%s", model);
	return 0;
}

int kdbx_yk__hid_list(kdbx_yubikey_info **list, size_t *count)
{
	list_ctx lc = {list, count};
	int rc = hid_each(list_one, &lc);

	if (rc == 0)
		kdbx_error_clear();
	return rc < 0 ? rc : KDBX_OK;
}

typedef struct hmac_ctx {
	uint32_t serial;
	int slot;
	const uint8_t *block;
	uint8_t *out;
	const kdbx_interaction *ia;
	unsigned int timeout_ms;
	int rc, found;
} hmac_ctx;

static int hmac_one(libusb_device *dev, const char *model, void *ud)
{
	hmac_ctx *hc = ud;
	hid_dev d;
	kdbx_yk_hid_io io = {hid_get, hid_set, hid_sleep, &d};
	uint32_t s = 0;
	uint8_t version[3];
	uint16_t touch = 0;
	char desc[96];

	if (hid_open(dev, &d) < 0)
		return 0;
	if (kdbx_yk__hid_serial(&io, &s) < 0)
		s = 0;
	if (hc->serial != 0 && s != hc->serial) {
		hid_close(&d);
		return 0;
	}
	hc->found = 1;
	/* A key does not answer a challenge for an empty slot: ask its status first. */
	if (kdbx_yk__hid_status(&io, version, &touch) == KDBX_OK &&
	    !(touch & (hc->slot == 1 ? KDBX_YK_CONFIG1_VALID : KDBX_YK_CONFIG2_VALID))) {
		hc->rc = kdbx_error__set(KDBX_ENOSLOT, "slot %d of the hardware key is not configured "
		                         "for challenge-response", hc->slot);
		hid_close(&d);
		return 1;
	}
	snprintf(desc, sizeof(desc), "%s [%u] slot %d", model, (unsigned)s, hc->slot);
	hc->rc = kdbx_yk__hid_hmac(&io, hc->slot, hc->block, hc->out, hc->ia, desc, hc->timeout_ms);
	hid_close(&d);
	return 1;
}

int kdbx_yk__usb_hmac(uint32_t serial, int slot, const uint8_t block[KDBX_YK_BLOCK],
                      uint8_t out[KDBX_YK_RESP], const kdbx_interaction *ia,
                      unsigned int touch_timeout_ms)
{
	hmac_ctx hc = {serial, slot, block, out, ia, touch_timeout_ms, KDBX_OK, 0};

	(void)hid_each(hmac_one, &hc);
	if (!hc.found)
		return kdbx_error__set(KDBX_EDEVICE, "hardware key with serial %u not found (removed?)",
		                       (unsigned)serial);
	return hc.rc;
}
