/* Shared setup of the FIDO2 tests: software authenticators
 * (tests/fido2-authenticator) offered to the library as a device source,
 * and PIN / touch callbacks that count their calls. */
#ifndef KDBX_TESTS_FIDO2_LAB_H
#define KDBX_TESTS_FIDO2_LAB_H

#include <stdio.h>
#include <string.h>

#include <kdbx.h>

#include "fido2_sim.h"

#define LAB_MAX_SIMS 4

typedef struct lab {
	fido2_sim *sims[LAB_MAX_SIMS]; /* the connected ones (tests reorder / hide them) */
	size_t n;
	fido2_sim *all[LAB_MAX_SIMS];  /* every sim made, for lab_free */
	size_t nall;
	kdbx_fido2_device_source source;
	kdbx_interaction cb;
	const char *pin;      /* what the PIN callback answers */
	int pin_calls, touch_calls, last_retries;
	char last_prompt[256];
} lab;

static size_t lab_count(void *u)
{
	return ((lab *)u)->n;
}

static int lab_path(void *u, size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%s", fido2_sim_path(((lab *)u)->sims[i]));
	return 0;
}

static int lab_open(void *u, size_t i, void **dev)
{
	fido_dev_t *d = fido2_sim_open(((lab *)u)->sims[i]);

	*dev = d;
	return d != NULL ? 0 : KDBX_EDEVICE;
}

static int lab_pin(void *u, const char *prompt, int retries, char *buf, size_t len)
{
	lab *l = u;

	l->pin_calls++;
	l->last_retries = retries;
	snprintf(l->last_prompt, sizeof(l->last_prompt), "%s", prompt);
	if (l->pin == NULL)
		return KDBX_ECANCELLED;
	snprintf(buf, len, "%s", l->pin);
	return 0;
}

static void lab_touch(void *u, const char *what)
{
	(void)what;
	((lab *)u)->touch_calls++;
}

static void lab_init(lab *l)
{
	memset(l, 0, sizeof(*l));
	l->source.count = lab_count;
	l->source.path = lab_path;
	l->source.open = lab_open;
	l->source.userdata = l;
	l->cb.pin = lab_pin;
	l->cb.touch = lab_touch;
	l->cb.userdata = l;
}

/* Adds an authenticator; cfg NULL: hmac-secret, both PIN protocols, CTAP 2.1. */
static fido2_sim *lab_add(lab *l, const fido2_sim_config *cfg)
{
	fido2_sim_config def = {1, 3, 1, 0, 0, "Test Key"};
	fido2_sim *s = NULL;

	if (l->nall >= LAB_MAX_SIMS || l->n >= LAB_MAX_SIMS || fido2_sim_new(&s, cfg != NULL ? cfg : &def) != 0)
		return NULL;
	l->all[l->nall++] = s;
	l->sims[l->n++] = s;
	return s;
}

static void lab_free(lab *l)
{
	for (size_t i = 0; i < l->nall; i++)
		fido2_sim_free(&l->all[i]);
	l->n = l->nall = 0;
}

/* Options that reach the lab's authenticators with its callbacks. */
static kdbx_fido2_options lab_options(lab *l)
{
	kdbx_fido2_options o = KDBX_FIDO2_OPTIONS_INIT;

	o.source = &l->source;
	o.interaction = &l->cb;
	return o;
}

#endif
