/* config.c: boshd's configuration, checked at start-up (exit 100 for
 * anything missing or wrong). */
#include <string.h>
#include <unistd.h>

#include "boshd.h"
#include "daemon.h"
#include "instance.h"
#include "log.h"

struct boshd_config boshd_config = {
	.cors_origin = "*",
	.max_sessions = 100000,
	.max_body = 1024 * 1024,
	.bosh = {.domain = "localhost"},
	.max_wait = 60,
	.max_hold = 2,
	.polling = 2,
	.inactivity = 60,
	.maxpause = 120,
	.max_queue = 256 * 1024,
};

/* Picked at start: begins every sid (see instance.h). */
static char boshd_instance[INSTANCE_TAG_MAX + 1];

int boshd_take_instance(const char *tag)
{
	if (!instance_tag_is_valid(tag, strlen(tag)))
		return -1;
	strcpy(boshd_instance, tag);
	return 0;
}

int boshd_configure(void)
{
	struct boshd_config *c = &boshd_config;
	if (!c->socket || !c->router) {
		log_error("--socket and --router are required");
		return DAEMON_EXIT_USAGE;
	}
	if (c->state_dir && access(c->state_dir, W_OK | X_OK) < 0) {
		/* better now than every session lost at the next restart */
		log_error("--state-dir %s: %m", c->state_dir);
		return DAEMON_EXIT_USAGE;
	}
	c->bosh.max_wait = (unsigned)c->max_wait;
	c->bosh.max_hold = (unsigned)c->max_hold;
	c->bosh.polling = (unsigned)c->polling;
	c->bosh.inactivity = (unsigned)c->inactivity;
	c->bosh.poll_inactivity_extra = (unsigned)c->polling * 2;
	c->bosh.maxpause = (unsigned)c->maxpause;
	c->bosh.max_queue = (size_t)c->max_queue;
	if (instance_tag_make(boshd_instance) < 0) {
		log_error("getrandom: %m");
		return DAEMON_EXIT_TEMPORARY;
	}
	c->bosh.instance = boshd_instance;
	log_info("domain %s, router %s, instance %s", c->bosh.domain,
		 c->router, boshd_instance);
	return 0;
}
