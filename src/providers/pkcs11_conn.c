/* One connection to the selected token: modules loaded, exactly one token
 * found, a session opened and the user logged in when asked. */
#include <stdio.h>
#include <stdlib.h>

#include "providers/pkcs11_int.h"

int kdbx_p11__connect(kdbx_p11_conn *c, const kdbx_p11_sel *s, int rw, int login,
                      const kdbx_interaction *ia)
{
	kdbx_p11_token t;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = kdbx_p11__load(&c->mods, s->module);
	if (rc < 0)
		return rc;
	c->loaded = 1;
	rc = kdbx_p11__find_token(&c->mods, s, &t);
	if (rc == KDBX_OK)
		rc = kdbx_p11__open(&c->ss, &t, rw);
	if (rc == KDBX_OK && login)
		rc = kdbx_p11__login(&c->ss, ia, p11_kit_uri_get_pin_value(s->uri));
	if (rc < 0)
		kdbx_p11__disconnect(c);
	return rc;
}

void kdbx_p11__disconnect(kdbx_p11_conn *c)
{
	if (c == NULL)
		return;
	kdbx_p11__close(&c->ss);
	if (c->loaded)
		kdbx_p11__unload(&c->mods);
	memset(c, 0, sizeof(*c));
}
