/* instance.c: instance tags for backends run several times behind one
 * http-filed (instance.h, PROTOCOL.md 8.5). */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "instance.h"

int instance_tag_make(char tag[INSTANCE_TAG_MAX + 1])
{
	unsigned char raw[INSTANCE_TAG_RANDOM / 2];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -1;
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(tag + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int instance_tag_is_valid(const char *p, size_t len)
{
	if (len == 0 || len > INSTANCE_TAG_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= '0' && p[i] <= '9')))
			return 0;
	return 1;
}

int instance_announce(struct fconn *f, const char *tag)
{
	if (f->peer_minor < 3)
		return 0;
	return fconn_send(f, FRAME_HTTP_INSTANCE, 0, tag, strlen(tag));
}

int instance_owns_key(const char *tag, const char *key, size_t len)
{
	size_t n = strlen(tag);
	return n > 0 && len > n && memcmp(key, tag, n) == 0 && key[n] == '-';
}
