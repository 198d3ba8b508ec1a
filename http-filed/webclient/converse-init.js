/* converse-init.js: starts Converse.js for Parley's index.html.
 *
 * Converse talks BOSH to /http-bind/ on this origin (http-filed forwards it
 * to boshd); nothing is fetched from anywhere else: no connection discovery,
 * no provider lists, no remote emoji images, no sponsor logos, no embedded
 * players. Chunks, emoji.json, sounds and fonts come from /converse/. */
import converse from '/converse/converse.min.js';

/* Converse defines its elements in initialize() and skips names already
 * taken; an empty converse-footer keeps the fullscreen footer's logos,
 * hot-linked from conversejs.org, off the page. */
customElements.define('converse-footer', class extends HTMLElement {});

/* Converse 14.0.0's "accept contact request" approves the request but
 * never asks for the contact's presence in return (it calls a subscribe()
 * that RosterContact does not have), so the accepting user would never see
 * the contact online. This plugin does what XMPP clients usually do: when
 * we approve a request (presence type='subscribed') from someone whose
 * presence we do not get yet, we ask for it. */
converse.plugins.add('parley-subscribe-back', {
	initialize() {
		const { api } = this._converse;
		const { $pres } = converse.env;
		api.listen.on('send', async (el) => {
			if (el.tagName !== 'presence' ||
			    el.getAttribute('type') !== 'subscribed')
				return;
			const to = el.getAttribute('to');
			const contact = to ? await api.contacts.get(to) : null;
			const sub = contact?.get('subscription');
			if (contact && sub !== 'to' && sub !== 'both' &&
			    contact.get('ask') !== 'subscribe')
				api.send($pres({ to, type: 'subscribe' }));
		});
	},
});

converse.initialize({
	whitelisted_plugins: ['parley-subscribe-back'],
	bosh_service_url: '/http-bind/',
	discover_connection_methods: false,
	authentication: 'login',
	/* When the BOSH session ends under it (boshd restarted: a terminate
	 * with system-shutdown, or item-not-found or 404 for the old sid),
	 * Converse makes a new session and logs in again by itself, with the
	 * password Strophe keeps in memory since the login form (never
	 * stored); without auto_reconnect it shows the login form instead.
	 * It still gives up on remote-connection-failed, host-unknown, a
	 * failed authentication, or if the new session cannot be made.
	 * tests/browser/reconnect.mjs (run by tests/svc/test_stack_faults.sh)
	 * restarts boshd under a logged-in page and checks this. */
	auto_reconnect: true,
	allow_registration: true,
	view_mode: 'fullscreen',
	show_controlbox_by_default: true,
	i18n: 'en',
	loglevel: 'info',

	assets_path: '/converse/',
	sounds_path: '/converse/sounds/',
	use_system_emojis: true,
	xmpp_providers_url: '',
	autocomplete_providers_url: '',
	embed_3rd_party_media_players: false,
	fetch_url_headers: false,
});
