/* fuzz_poll_body.c: fuzz target for the XEP-0025 request body parser. The
 * input is one request body, parsed with a small limit; a parsed body has
 * its fields checked against the grammar (so that ASan and the checks
 * below catch a field read past its end or a wrong split), and a body
 * that opens a session starts one, so that its XML part runs through the
 * session's stream parser too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_targets.h"
#include "poll_body.h"
#include "poll_session.h"

static void fuzz_poll_check(const struct poll_body *b, const uint8_t *data,
			    size_t size)
{
	size_t id = strlen(b->id);
	if (id == 0 || id > POLL_ID_MAX ||
	    strspn(b->id, "0123456789:-abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != id ||
	    strlen(b->key) > POLL_KEY_MAX || strlen(b->newkey) > POLL_KEY_MAX)
		__builtin_trap();
	/* the XML part is the tail of the input, after the first comma */
	if ((const uint8_t *)b->xml < data + id + 1 ||
	    (const uint8_t *)b->xml + b->xml_len != data + size ||
	    b->xml[-1] != ',' ||
	    memchr(data, ',', (size_t)((const uint8_t *)b->xml - data) - 1))
		__builtin_trap();
}

static void fuzz_poll_session(const struct poll_body *b)
{
	static const struct poll_config cfg = {
		.domain = "example.com",
		.instance = "f",
		.inactivity = 30,
		.min_interval = 1000,
		.max_queue = 4096,
		.max_stanza = 4096,
	};
	struct poll_out out;
	poll_out_init(&out);
	struct poll_session *s = poll_session_new(&cfg, b, 0, 1, 0, &out);
	if (s) {
		poll_session_router_gone(s, 1, &out);
		poll_session_end(s, "system-shutdown", "fuzz", 2, &out);
	}
	if (out.nanswers == 0)
		__builtin_trap();
	poll_out_reset(&out);
	poll_session_free(s);
}

void fuzz_poll_body_run(const uint8_t *data, size_t size)
{
	static const struct poll_body_limits lim = {16384};
	struct poll_body b;
	enum poll_body_error err;
	if (poll_body_parse((const char *)data, size, &lim, &b, &err) < 0) {
		if (err == POLL_BODY_OK)
			__builtin_trap();
		(void)poll_body_error_name(err);
		return;
	}
	fuzz_poll_check(&b, data, size);
	if (poll_body_is_new(&b))
		fuzz_poll_session(&b);
}

#ifdef FUZZING
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_poll_body_run(data, size);
	return 0;
}
#endif
