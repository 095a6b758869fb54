/* A minimal streaming JSON writer on stdout: the CLI emits one document per
 * command, so a nesting stack with a "needs comma" bit per level suffices. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define JSON_DEPTH 64

static int first[JSON_DEPTH];
static int depth;
static int after_key;

static void sep(void)
{
	if (after_key) {
		after_key = 0;
		return;
	}
	if (depth > 0) {
		if (!first[depth])
			putchar(',');
		first[depth] = 0;
	}
}

static void open_(char c)
{
	sep();
	putchar(c);
	if (depth + 1 < JSON_DEPTH)
		depth++;
	first[depth] = 1;
}

static void close_(char c)
{
	putchar(c);
	if (depth > 0)
		depth--;
}

void json_begin_object(void) { open_('{'); }
void json_end_object(void) { close_('}'); }
void json_begin_array(void) { open_('['); }
void json_end_array(void) { close_(']'); }

static void put_escaped(const char *s, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				printf("\\u%04x", c);
			else
				putchar(c);
		}
	}
	putchar('"');
}

void json_key(const char *k)
{
	sep();
	put_escaped(k, strlen(k));
	putchar(':');
	after_key = 1;
}

void json_string_n(const char *s, size_t n)
{
	sep();
	put_escaped(s, n);
}

void json_string(const char *s)
{
	if (!s) {
		json_null();
		return;
	}
	json_string_n(s, strlen(s));
}

void json_int(long long v)
{
	sep();
	printf("%lld", v);
}

void json_uint(unsigned long long v)
{
	sep();
	printf("%llu", v);
}

void json_bool(int v)
{
	sep();
	fputs(v ? "true" : "false", stdout);
}

void json_null(void)
{
	sep();
	fputs("null", stdout);
}

void json_double(double v)
{
	sep();
	if (isfinite(v))
		printf("%.2f", v);
	else
		fputs("null", stdout);
}

void json_kv_string(const char *k, const char *v)
{
	json_key(k);
	json_string(v);
}

void json_kv_int(const char *k, long long v)
{
	json_key(k);
	json_int(v);
}

void json_kv_bool(const char *k, int v)
{
	json_key(k);
	json_bool(v);
}

void json_finish(void)
{
	putchar('\n');
	fflush(stdout);
	depth = 0;
	after_key = 0;
}
