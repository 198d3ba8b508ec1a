/* fuzz_handover.c: fuzz target for a gateway's hand-over file
 * (common/HANDOVER.md) as boshd reads it: the input is the file's body
 * after its header line; its fields are walked with handover_next, each
 * checked to lie inside the input, and every record ("session" ... "end")
 * is restored into a BOSH session, which must then either be refused or
 * take a request and router output without harm. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bosh_body.h"
#include "bosh_session.h"
#include "fuzz_targets.h"
#include "handover.h"

static const struct bosh_config fuzz_handover_cfg = {
	.domain = "example.com",
	.max_wait = 60,
	.max_hold = 2,
	.inactivity = 30,
	.max_queue = 4096,
	.instance = "f",
};

/* The restored session answers one request and takes router output. */
static void fuzz_handover_use(struct bosh_session *s)
{
	static const struct bosh_body_limits lim = {4096, 16, 8};
	char doc[256];
	struct bosh_session_info info;
	bosh_session_get_info(s, &info);
	int n = snprintf(doc, sizeof doc,
			 "<body rid='%llu' sid='%s' "
			 "xmlns='http://jabber.org/protocol/httpbind'/>",
			 (unsigned long long)(info.last_rid + 1),
			 bosh_session_sid(s));
	struct bosh_body *b;
	enum bosh_body_error err;
	struct bosh_out out;
	bosh_out_init(&out);
	if (n > 0 && (size_t)n < sizeof doc &&
	    bosh_body_parse(doc, (size_t)n, &lim, &b, &err) == 0)
		bosh_session_request(s, b, 1, 1000, &out);
	static const char msg[] = "<message xmlns='jabber:client'/>";
	bosh_session_from_router(s, msg, sizeof msg - 1, 1001, &out);
	bosh_session_timeout(s, 999999999, &out);
	bosh_out_reset(&out);
}

static void fuzz_handover_record(struct handover_reader *r)
{
	struct bosh_session *s = bosh_session_restore_new(&fuzz_handover_cfg);
	if (!s)
		return;
	struct handover_field f;
	int ok = 1;
	while (ok && handover_next(r, &f) == 1 &&
	       !handover_field_is(&f, "end"))
		ok = bosh_session_restore_field(s, &f) >= 0;
	if (ok && bosh_session_restore_done(s, 1000) == 0)
		fuzz_handover_use(s);
	bosh_session_free(s);
}

void fuzz_handover_run(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct handover_reader r = {p, p + size};
	struct handover_field f;
	while (handover_next(&r, &f) == 1) {
		if (f.value < p || f.value + f.len > p + size ||
		    strlen(f.name) == 0 || strlen(f.name) > HANDOVER_NAME_MAX)
			__builtin_trap();
		if (handover_field_is(&f, "session"))
			fuzz_handover_record(&r);
	}
}

#ifdef FUZZING
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_handover_run(data, size);
	return 0;
}
#endif
