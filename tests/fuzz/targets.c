/* targets.c: the list of fuzz targets known to the corpus replayer. */
#include "fuzz_targets.h"

const struct fuzz_target fuzz_targets[] = {
	{"http_parse", fuzz_http_parse_run},
	{"frame", fuzz_frame_run},
	{"bosh_body", fuzz_bosh_body_run},
	{"xml_stream", fuzz_xml_stream_run},
	{"poll_body", fuzz_poll_body_run},
	{"handover", fuzz_handover_run},
	{NULL, NULL},
};
