/* fuzz_bosh_body.c: fuzz target for the BOSH <body/> parser. The input is
 * one request body, parsed with small limits so that the child count,
 * depth and size checks are reachable; a parsed body has its payload and
 * strings read so that ASan checks them, and every error has a
 * condition. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bosh_body.h"
#include "fuzz_targets.h"


void fuzz_bosh_body_run(const uint8_t *data, size_t size)
{
	static const struct bosh_body_limits lim = {16384, 16, 8};
	struct bosh_body *b;
	enum bosh_body_error err;
	if (bosh_body_parse((const char *)data, size, &lim, &b, &err) < 0) {
		(void)bosh_body_error_condition(err);
		return;
	}
	size_t n = b->payload ? strlen(b->payload) : 0;
	if (n != b->payload_len)
		__builtin_trap();
	const char *strs[] = {b->sid, b->to,	 b->from,	 b->lang,
			      b->key, b->newkey, b->xmpp_version};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if (strs[i])
			n += strlen(strs[i]);
	(void)n;
	bosh_body_free(b);
}

#ifdef FUZZING
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_bosh_body_run(data, size);
	return 0;
}
#endif
