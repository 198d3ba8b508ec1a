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

converse.initialize({
	bosh_service_url: '/http-bind/',
	discover_connection_methods: false,
	authentication: 'login',
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
