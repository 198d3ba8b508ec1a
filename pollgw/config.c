/* config.c: pollgw's configuration, checked at start-up (exit 100 for
 * anything missing or wrong), and the instance tag it picks (or takes
 * over from its predecessor, handover.c). */
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "instance.h"
#include "log.h"
#include "pollgw.h"

struct pollgw_config pollgw_config = {
	.cors_origin = "*",
	.max_sessions = 100000,
	.max_body = 1024 * 1024,
	.inactivity = 60,
	.min_interval = 1000,
	.max_queue = 256 * 1024,
	.poll = {.domain = "localhost"},
};

/* Picked at start: begins every identifier (see instance.h). */
static char pollgw_tag[INSTANCE_TAG_MAX + 1];

const char *pollgw_instance(void)
{
	return pollgw_tag;
}

int pollgw_take_instance(const char *tag)
{
	if (!instance_tag_is_valid(tag, strlen(tag)))
		return -1;
	strcpy(pollgw_tag, tag);
	return 0;
}

/* The options that cannot be checked one by one; 0 or an exit code. */
static int pollgw_check(const struct pollgw_config *c)
{
	if (!c->socket || !c->router) {
		log_error("--socket and --router are required");
		return DAEMON_EXIT_USAGE;
	}
	if (!c->poll.domain || !*c->poll.domain ||
	    strlen(c->poll.domain) > POLLGW_DOMAIN_MAX) {
		log_error("--domain must be 1 to %d bytes", POLLGW_DOMAIN_MAX);
		return DAEMON_EXIT_USAGE;
	}
	if (c->state_dir && access(c->state_dir, W_OK | X_OK) < 0) {
		log_error("--state-dir %s: %m", c->state_dir);
		return DAEMON_EXIT_USAGE;
	}
	if (c->min_interval >= c->inactivity * 1000) {
		log_error("--min-interval (%ld ms) must be shorter than "
			  "--inactivity (%ld s)",
			  c->min_interval, c->inactivity);
		return DAEMON_EXIT_USAGE;
	}
	return 0;
}

int pollgw_configure(void)
{
	struct pollgw_config *c = &pollgw_config;
	int rc = pollgw_check(c);
	if (rc)
		return rc;
	c->poll.inactivity = (unsigned)c->inactivity;
	c->poll.min_interval = (unsigned)c->min_interval;
	c->poll.max_queue = (size_t)c->max_queue;
	c->poll.max_stanza = POLLGW_MAX_STANZA;
	if (instance_tag_make(pollgw_tag) < 0) {
		log_error("getrandom: %m");
		return DAEMON_EXIT_TEMPORARY;
	}
	c->poll.instance = pollgw_tag;
	log_info("domain %s, router %s, instance %s", c->poll.domain, c->router,
		 pollgw_tag);
	return 0;
}
