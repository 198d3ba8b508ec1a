/* poll.js: Parley's reference XEP-0025 (Jabber HTTP Polling) chat client.
 *
 * The page at /poll/ logs in over /http-poll/ (pollgw, behind http-filed),
 * shows the roster with presence and lets the user chat. No library, no
 * build step, no eval; the page's Content-Security-Policy forbids them.
 *
 * XEP-0025 in brief: every request is a POST whose body is
 * "identifier;key[;newkey],xml", where xml is raw XMPP stream bytes (or
 * nothing: an empty poll). The answer is always HTTP 200; the session
 * identifier, or an error ending in ":0", comes in the ID cookie and, for
 * scripts, in the X-Poll-ID header; its body is whatever stream bytes the
 * server has for us, cut anywhere. Only one request is in flight at a time,
 * so that the keys reach the server in order.
 */
'use strict';

const POLL_URL = '/http-poll/';
const NS_STREAM = 'http://etherx.jabber.org/streams';
const NS_CLIENT = 'jabber:client';
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
const NS_ROSTER = 'jabber:iq:roster';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const IDLE_POLL_MS = 1500; // nothing sent, nothing received: poll again
const BUSY_POLL_MS = 250; // just sent or received: answers are likely
const RETRY_MS = 1000; // a request that got no answer is sent again...
const RETRIES = 3; // ...this many times, then the session is given up
/* Keys per chain: ?keys=N in the page's address overrides it (tests use a
 * small N so that changing chains is exercised often). */
const KEYS_PER_CHAIN = (() => {
	const n = Number(new URLSearchParams(location.search).get('keys'));
	return Number.isInteger(n) && n >= 2 && n <= 1000 ? n : 50;
})();

/* ---- SHA-1 (RFC 3174) and base64 ------------------------------------------
 * crypto.subtle exists only in secure contexts (https, localhost), and the
 * polling page may be served over plain http: so SHA-1 is done here. */
function rotl(x, n) {
	return (x << n) | (x >>> (32 - n));
}

// sha1 BYTES: the 20-byte digest (a Uint8Array) of a Uint8Array.
function sha1(bytes) {
	const len = bytes.length;
	const blocks = ((len + 8) >> 6) + 1; // message, 0x80, 64-bit length
	const w = new Uint32Array(blocks * 16);
	for (let i = 0; i < len; i++)
		w[i >> 2] |= bytes[i] << (24 - (i & 3) * 8);
	w[len >> 2] |= 0x80 << (24 - (len & 3) * 8);
	w[w.length - 2] = Math.floor(len / 0x20000000); // bits, high word
	w[w.length - 1] = (len * 8) >>> 0; // bits, low word
	const h = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
	const m = new Uint32Array(80);
	for (let off = 0; off < w.length; off += 16) {
		for (let t = 0; t < 16; t++)
			m[t] = w[off + t];
		for (let t = 16; t < 80; t++)
			m[t] = rotl(m[t - 3] ^ m[t - 8] ^ m[t - 14] ^ m[t - 16], 1);
		let [a, b, c, d, e] = h;
		for (let t = 0; t < 80; t++) {
			let f, k;
			if (t < 20) {
				f = (b & c) | (~b & d);
				k = 0x5a827999;
			} else if (t < 40) {
				f = b ^ c ^ d;
				k = 0x6ed9eba1;
			} else if (t < 60) {
				f = (b & c) | (b & d) | (c & d);
				k = 0x8f1bbcdc;
			} else {
				f = b ^ c ^ d;
				k = 0xca62c1d6;
			}
			const tmp = (rotl(a, 5) + f + e + k + m[t]) >>> 0;
			e = d;
			d = c;
			c = rotl(b, 30) >>> 0;
			b = a;
			a = tmp;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
	}
	const out = new Uint8Array(20);
	for (let i = 0; i < 20; i++)
		out[i] = h[i >> 2] >>> (24 - (i & 3) * 8);
	return out;
}

function base64(bytes) {
	let s = '';
	for (const b of bytes)
		s += String.fromCharCode(b);
	return btoa(s);
}

const utf8 = (s) => new TextEncoder().encode(s);

/* ---- keys (XEP-0025, "Usage") ------------------------------------------------
 * K(0) is a random seed, K(i) = base64(SHA-1(K(i-1))). The client sends
 * K(n) first, then K(n-1), ... : the server checks that base64(SHA-1(this
 * key)) is the key of the request before, which only the holder of the seed
 * can produce. With K(1) goes K'(m), the first key of a fresh chain; K(0)
 * is never sent. */
class KeyChain {
	constructor(n) {
		const seed = new Uint8Array(15);
		crypto.getRandomValues(seed); // allowed on plain http, unlike subtle
		this.keys = [base64(seed)];
		for (let i = 1; i <= n; i++)
			this.keys.push(base64(sha1(utf8(this.keys[i - 1]))));
		this.next = n;
	}
	// take: the next key, K(n) first; null once K(1) has been taken.
	take() {
		return this.next > 0 ? this.keys[this.next--] : null;
	}
}

/* ---- the incoming stream, cut into top-level items ------------------------
 * Response bodies are pieces of one XML stream: the server's
 * <stream:stream ...> header (again after each SASL restart), then
 * top-level elements, then </stream:stream>, split anywhere. The scanner
 * keeps the bytes not yet used and hands out complete items; a small
 * depth count over tags (quotes, comments and CDATA respected) finds where
 * an element ends. Each element is then parsed on its own by DOMParser. */
const STREAM_OPEN = /^<stream:stream[\s>]/;
const STREAM_CLOSE = /^<\/stream:stream[\s>]/;

class StreamScanner {
	constructor() {
		this.buf = '';
	}
	push(text) {
		this.buf += text;
	}
	// next: {kind: 'header'|'element'|'end', text}, or null when the
	// bytes so far end before the next complete item.
	next() {
		for (;;) {
			const start = this.buf.indexOf('<');
			if (start < 0) { // only text between elements: drop it
				this.buf = '';
				return null;
			}
			const end = this.itemEnd(start);
			if (end < 0) {
				this.buf = this.buf.slice(start);
				return null;
			}
			const text = this.buf.slice(start, end);
			this.buf = this.buf.slice(end);
			if (text.startsWith('<?') || text.startsWith('<!'))
				continue; // the XML declaration, a comment
			if (STREAM_OPEN.test(text))
				return { kind: 'header', text };
			if (STREAM_CLOSE.test(text))
				return { kind: 'end', text };
			return { kind: 'element', text };
		}
	}
	// itemEnd START: the index just after the item at START, or -1.
	itemEnd(start) {
		const b = this.buf;
		const head = b.slice(start, start + 17);
		if (head.startsWith('<?'))
			return after(b, '?>', start);
		if (head.startsWith('<!--'))
			return after(b, '-->', start);
		if (STREAM_OPEN.test(head) || STREAM_CLOSE.test(head))
			return tagEnd(b, start);
		let depth = 0;
		for (let p = start; p >= 0 && p < b.length; p = b.indexOf('<', p)) {
			let e;
			if (b.startsWith('<!--', p))
				e = after(b, '-->', p);
			else if (b.startsWith('<![CDATA[', p))
				e = after(b, ']]>', p);
			else if (b.startsWith('<?', p))
				e = after(b, '?>', p);
			else {
				e = tagEnd(b, p);
				if (e < 0)
					return -1;
				if (b[p + 1] === '/')
					depth--;
				else if (b[e - 2] !== '/')
					depth++;
				if (depth === 0)
					return e;
			}
			if (e < 0)
				return -1;
			p = e;
		}
		return -1;
	}
}

// after S TOKEN FROM: the index just after TOKEN's first occurrence, or -1.
function after(s, token, from) {
	const i = s.indexOf(token, from);
	return i < 0 ? -1 : i + token.length;
}

// tagEnd S P: the index just after the tag starting at P ('>' inside a
// quoted attribute value does not end it), or -1.
function tagEnd(s, p) {
	let quote = '';
	for (let i = p + 1; i < s.length; i++) {
		const c = s[i];
		if (quote) {
			if (c === quote)
				quote = '';
		} else if (c === '"' || c === "'") {
			quote = c;
		} else if (c === '>') {
			return i + 1;
		}
	}
	return -1;
}

// parseElement TEXT: the DOM element of one complete top-level element,
// in the stream's namespaces; null if it is not well-formed.
function parseElement(text) {
	const wrapped = `<stream:stream xmlns='${NS_CLIENT}' xmlns:stream='${NS_STREAM}'>${text}</stream:stream>`;
	const doc = new DOMParser().parseFromString(wrapped, 'text/xml');
	if (doc.getElementsByTagName('parsererror').length)
		return null;
	return doc.documentElement.firstElementChild;
}

/* ---- the polling session -------------------------------------------------------
 * Queues outgoing XML and sends it with the next request; polls by itself
 * (soon after traffic, every IDLE_POLL_MS otherwise: the server ends a
 * session after about 60 s without requests). onData(text) gets the
 * response bodies, onEnd(reason) is called once when the session is over
 * (reason null for a clean close). */
const POLL_ERRORS = {
	'0:0': 'the server does not know this session (it ended after a time without requests, or the server restarted)',
	'-1:0': 'server error',
	'-2:0': 'the server called the request bad',
	'-3:0': "the server refused the request's key (key sequence error)",
};

class PollSession {
	constructor(onData, onEnd) {
		Object.assign(this, { onData, onEnd });
		this.id = '0'; // XEP-0025: the first request's identifier is 0
		this.chain = new KeyChain(KEYS_PER_CHAIN);
		this.queue = '';
		this.busy = false; // a request is in flight
		this.closing = false; // </stream:stream> is queued or sent
		this.over = false;
		this.timer = 0;
		this.decoder = new TextDecoder('utf-8'); // bodies may split characters
	}
	send(xml) {
		if (this.over || this.closing)
			return;
		this.queue += xml;
		this.schedule(0);
	}
	// close: the stream's end goes out with the next request, the last one.
	close() {
		this.send('</stream:stream>');
		this.closing = true;
	}
	schedule(ms) {
		if (this.over || this.busy)
			return;
		clearTimeout(this.timer);
		this.timer = setTimeout(() => this.request(), ms);
	}
	// keyField: "K(i)", or "K(1);K'(m)" when the chain runs out (never on
	// the first request, whose identifier is 0).
	keyField() {
		const key = this.chain.take();
		if (this.chain.next > 0 || this.id === '0')
			return key;
		this.chain = new KeyChain(KEYS_PER_CHAIN);
		return `${key};${this.chain.take()}`;
	}
	async request() {
		this.busy = true;
		const sent = this.queue;
		this.queue = '';
		const last = this.closing;
		const body = `${this.id};${this.keyField()},${sent}`;
		let res = null;
		let why = '';
		// The same bytes (same key) are sent again when no answer came: if
		// the first copy was processed after all, the server answers -3:0.
		for (let attempt = 0; attempt <= RETRIES && !res; attempt++) {
			if (attempt)
				await new Promise((r) => setTimeout(r, RETRY_MS));
			try {
				const r = await fetch(POLL_URL, {
					method: 'POST',
					headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
					body,
					cache: 'no-store',
				});
				if (r.status === 200)
					res = r;
				else
					why = `HTTP status ${r.status}`;
			} catch (e) {
				why = e.message;
			}
		}
		this.busy = false;
		if (!res)
			return this.end(`no answer from ${POLL_URL} (${why})`);
		const text = this.decoder.decode(new Uint8Array(await res.arrayBuffer()), { stream: true });
		// The identifier: X-Poll-ID rather than the cookie, which every
		// session of this browser shares.
		const id = res.headers.get('X-Poll-ID') || '';
		if (id.endsWith(':0'))
			return this.end(`${POLL_ERRORS[id] || 'error'} (${id})${text ? `: ${text.slice(0, 200)}` : ''}`);
		if (!/^[A-Za-z0-9:-]+$/.test(id) || (this.id !== '0' && id !== this.id))
			return this.end(`the server answered with a bad session identifier "${id}"`);
		this.id = id;
		if (text)
			this.onData(text);
		if (last)
			return this.end(null);
		this.schedule(this.queue ? 0 : sent || text ? BUSY_POLL_MS : IDLE_POLL_MS);
	}
	end(reason) {
		if (this.over)
			return;
		this.over = true;
		clearTimeout(this.timer);
		this.onEnd(reason);
	}
	// leave: the page goes away: one last request with the stream's end,
	// by sendBeacon, which outlives the page.
	leave() {
		if (this.over || this.id === '0')
			return;
		const body = `${this.id};${this.keyField()},${this.queue}</stream:stream>`;
		navigator.sendBeacon(POLL_URL, new Blob([body], { type: 'application/x-www-form-urlencoded' }));
		this.over = true;
		clearTimeout(this.timer);
	}
}

/* ---- XMPP over the session: SASL PLAIN, bind, roster, presence, chat ------- */
// esc TEXT: TEXT as XML character data or attribute value (characters XML
// does not allow are dropped).
function esc(s) {
	return String(s)
		.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
		.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
const bare = (jid) => (jid || '').split('/')[0];
const resource = (jid) => (jid || '').split('/').slice(1).join('/');
const child = (el, name, ns) =>
	[...el.children].find((c) => c.localName === name && (!ns || c.namespaceURI === ns)) || null;
const childText = (el, name) => child(el, name)?.textContent ?? '';

class Client {
	constructor(jid, password, ui) {
		Object.assign(this, { jid, password, ui });
		this.domain = jid.split('@')[1];
		this.full = '';
		this.authed = false; // SASL succeeded: the next features offer bind
		this.done = false; // failed: what still comes is ignored
		this.nextId = 0;
		this.pending = new Map(); // iq id -> function (answer element)
		this.scanner = new StreamScanner();
		this.poll = new PollSession((t) => this.receive(t), (r) => this.ui.ended(r));
	}
	send(xml) {
		this.poll.send(xml);
	}
	// iq TYPE CHILD-XML THEN [TO]: sends an iq; THEN gets the answer.
	iq(type, payload, then, to) {
		const id = `p${++this.nextId}`;
		this.pending.set(id, then);
		this.send(`<iq type='${type}' id='${id}'${to ? ` to='${esc(to)}'` : ''}>${payload}</iq>`);
	}
	// Step 1: open the stream; the server answers with its header and
	// <stream:features> offering SASL mechanisms.
	start() {
		this.ui.status('Connecting…');
		this.openStream();
	}
	openStream() {
		this.send(`<stream:stream to='${esc(this.domain)}' xmlns='${NS_CLIENT}' xmlns:stream='${NS_STREAM}' version='1.0'>`);
	}
	receive(text) {
		this.scanner.push(text);
		for (let item; !this.done && (item = this.scanner.next());) {
			if (item.kind === 'end') // expected only once we closed ours
				return this.poll.closing ? null : this.fail('the server closed the stream');
			if (item.kind === 'header')
				continue;
			const el = parseElement(item.text);
			if (!el)
				return this.fail(`the server sent XML the page cannot parse: ${item.text.slice(0, 100)}`);
			this.dispatch(el);
		}
	}
	dispatch(el) {
		const ns = el.namespaceURI;
		const name = el.localName;
		if (ns === NS_STREAM && name === 'features')
			return this.authed ? this.bind(el) : this.auth(el);
		if (ns === NS_STREAM && name === 'error')
			return this.fail(`stream error: ${el.firstElementChild?.localName ?? 'unknown'}`);
		if (ns === NS_SASL && name === 'success')
			return this.restart();
		if (ns === NS_SASL && name === 'failure')
			return this.authFailed(el);
		if (ns === NS_CLIENT && name === 'iq')
			return this.onIq(el);
		if (ns === NS_CLIENT && name === 'presence')
			return this.onPresence(el);
		if (ns === NS_CLIENT && name === 'message')
			return this.onMessage(el);
	}
	// Step 2: SASL PLAIN (RFC 4616): base64 of "\0user\0password" in UTF-8.
	auth(features) {
		const mechs = child(features, 'mechanisms', NS_SASL);
		const names = mechs ? [...mechs.children].map((m) => m.textContent.trim()) : [];
		if (!names.includes('PLAIN'))
			return this.fail(`the server offers no SASL PLAIN (offers: ${names.join(' ') || 'nothing'})`);
		this.ui.status('Logging in…');
		const user = this.jid.split('@')[0];
		const token = base64(utf8(`\0${user}\0${this.password}`));
		this.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${token}</auth>`);
	}
	// Step 3: after <success/>, a new stream over the same session (the
	// server sends a new header and features offering bind).
	restart() {
		this.authed = true;
		this.password = '';
		this.openStream();
	}
	authFailed(el) {
		const why = el.firstElementChild?.localName || 'failure';
		this.password = '';
		this.poll.close();
		this.ui.loginFailed(why === 'not-authorized'
			? 'Login failed: wrong JID or password.'
			: `Login failed (${why}).`);
	}
	// Step 4: bind a resource (and an RFC 3921 session when required).
	bind(features) {
		if (!child(features, 'bind', NS_BIND))
			return this.fail('the server offers no resource binding');
		const needSession = child(features, 'session', NS_SESSION) &&
			!child(child(features, 'session', NS_SESSION), 'optional');
		this.ui.status('Binding a resource…');
		const res = `poll-${Math.random().toString(36).slice(2, 8)}`;
		this.iq('set', `<bind xmlns='${NS_BIND}'><resource>${res}</resource></bind>`, (r) => {
			if (r.getAttribute('type') !== 'result')
				return this.fail(`binding failed: ${errorOf(r)}`);
			this.full = r.getElementsByTagNameNS(NS_BIND, 'jid')[0]?.textContent || `${this.jid}/${res}`;
			if (needSession)
				this.iq('set', `<session xmlns='${NS_SESSION}'/>`, () => this.getRoster());
			else
				this.getRoster();
		});
	}
	// Step 5: the roster, then initial presence (RFC 6121 2.2 and 4.2):
	// the server then sends us our contacts' presence.
	getRoster() {
		this.iq('get', `<query xmlns='${NS_ROSTER}'/>`, (r) => {
			if (r.getAttribute('type') !== 'result')
				return this.fail(`the roster could not be fetched: ${errorOf(r)}`);
			for (const item of r.getElementsByTagNameNS(NS_ROSTER, 'item'))
				this.ui.rosterItem(item.getAttribute('jid'), item.getAttribute('name'), item.getAttribute('subscription'));
			this.send('<presence/>');
			this.ui.online(this.full);
		});
	}
	onIq(el) {
		const type = el.getAttribute('type');
		const id = el.getAttribute('id');
		if (type === 'result' || type === 'error') {
			const then = this.pending.get(id);
			this.pending.delete(id);
			return then?.(el);
		}
		const from = el.getAttribute('from');
		const query = el.firstElementChild;
		const reply = (body) => this.send(`<iq type='${body ? 'error' : 'result'}' id='${esc(id)}'${from ? ` to='${esc(from)}'` : ''}>${body || ''}</iq>`);
		// A roster push (RFC 6121 2.1.6), only from our own account.
		if (type === 'set' && query?.namespaceURI === NS_ROSTER &&
		    (!from || bare(from) === bare(this.full))) {
			for (const item of query.getElementsByTagNameNS(NS_ROSTER, 'item'))
				this.ui.rosterItem(item.getAttribute('jid'), item.getAttribute('name'), item.getAttribute('subscription'));
			return reply('');
		}
		if (type === 'get' && query?.namespaceURI === 'urn:xmpp:ping')
			return reply('');
		reply(`<error type='cancel'><service-unavailable xmlns='${NS_STANZAS}'/></error>`);
	}
	onPresence(el) {
		const from = el.getAttribute('from') || '';
		const type = el.getAttribute('type');
		if (!from || bare(from) === bare(this.full))
			return; // our own resources
		if (!type)
			return this.ui.presence(bare(from), resource(from), childText(el, 'show') || 'online');
		if (type === 'unavailable')
			return this.ui.presence(bare(from), resource(from), null);
		if (type === 'subscribe')
			return this.ui.status(`${bare(from)} asks to see your presence (answer from another client).`);
	}
	onMessage(el) {
		const from = bare(el.getAttribute('from'));
		if (el.getAttribute('type') === 'error')
			return this.ui.message(from, 'error', `not delivered: ${errorOf(el)}`);
		const body = child(el, 'body');
		if (body)
			this.ui.message(from, 'in', body.textContent);
	}
	chat(to, text) {
		this.send(`<message to='${esc(to)}' type='chat' id='m${++this.nextId}'><body>${esc(text)}</body></message>`);
		this.ui.message(to, 'out', text);
	}
	// Step 6: leaving. The end of the stream makes the server end the
	// session and tell our contacts we are gone.
	logout() {
		this.poll.close();
	}
	fail(why) {
		this.done = true;
		this.poll.close();
		this.ui.ended(why);
	}
}

// errorOf STANZA: the condition of a stanza error, for messages.
function errorOf(el) {
	const err = child(el, 'error');
	const cond = err && [...err.children].find((c) => c.namespaceURI === NS_STANZAS && c.localName !== 'text');
	return cond?.localName || 'unknown error';
}

/* ---- the page ----------------------------------------------------------------- */
const $ = (sel) => document.querySelector(sel);

class Ui {
	constructor() {
		this.client = null;
		this.contacts = new Map(); // bare JID -> {name, resources: Map, li}
		this.history = new Map(); // bare JID -> [{dir, text}]
		this.peer = '';
		this.loginError = ''; // set by loginFailed, shown when the session ends
		$('#login').addEventListener('submit', (e) => this.login(e));
		$('#send').addEventListener('submit', (e) => this.sendMessage(e));
		$('#logout').addEventListener('click', () => this.client?.logout());
		addEventListener('pagehide', () => this.client?.poll.leave());
	}
	status(text, isError = false) {
		const s = $('#status');
		s.textContent = text;
		s.classList.toggle('error', isError);
	}
	login(e) {
		e.preventDefault();
		const form = e.target;
		const jid = form.jid.value.trim();
		if (!/^[^@/\s]+@[^@/\s]+$/.test(jid))
			return this.status('The JID must look like user@domain.', true);
		form.querySelector('button').disabled = true;
		this.client = new Client(jid, form.password.value, this);
		form.password.value = '';
		this.client.start();
	}
	online(full) {
		$('#me').textContent = full;
		$('#login').hidden = true;
		$('#chat').hidden = false;
		$('#logout').hidden = false;
		this.status(`Online as ${full}.`);
	}
	showLogin() {
		this.client = null;
		this.contacts.clear();
		this.history.clear();
		this.peer = '';
		$('#roster').replaceChildren();
		$('#messages').replaceChildren();
		$('#peer').textContent = 'Pick a contact';
		$('#me').textContent = '';
		$('#chat').hidden = true;
		$('#logout').hidden = true;
		$('#login').hidden = false;
		$('#login button').disabled = false;
		this.setSendable(false);
	}
	loginFailed(text) {
		this.loginError = text;
	}
	// ended REASON: the session is over; null is a clean logout.
	ended(reason) {
		if (!this.client)
			return;
		const text = this.loginError || (reason ? `The session was lost: ${reason}. Log in again.` : 'Logged out.');
		this.loginError = '';
		this.showLogin();
		this.status(text, Boolean(reason) || text.startsWith('Login failed'));
	}
	contact(jid) {
		let c = this.contacts.get(jid);
		if (!c) {
			const li = document.createElement('li');
			li.dataset.jid = jid;
			const button = document.createElement('button');
			button.type = 'button';
			button.className = 'name';
			button.addEventListener('click', () => this.select(jid));
			const state = document.createElement('span');
			state.className = 'presence';
			li.append(button, state);
			$('#roster').append(li);
			c = { name: '', resources: new Map(), li };
			this.contacts.set(jid, c);
			this.drawContact(jid);
		}
		return c;
	}
	rosterItem(jid, name, subscription) {
		if (!jid)
			return;
		if (subscription === 'remove') {
			this.contacts.get(jid)?.li.remove();
			this.contacts.delete(jid);
			return;
		}
		this.contact(jid).name = name || '';
		this.drawContact(jid);
	}
	presence(jid, res, show) {
		const c = this.contact(jid);
		if (show)
			c.resources.set(res, show);
		else
			c.resources.delete(res);
		this.drawContact(jid);
	}
	drawContact(jid) {
		const c = this.contacts.get(jid);
		const shows = [...c.resources.values()];
		const show = shows.includes('online') ? 'online' : shows[0] || '';
		c.li.dataset.presence = show ? 'online' : 'offline';
		c.li.dataset.show = show || 'offline';
		c.li.querySelector('.name').textContent = c.name || jid;
		c.li.querySelector('.presence').textContent = show || 'offline';
		c.li.classList.toggle('selected', jid === this.peer);
	}
	select(jid) {
		this.peer = jid;
		for (const other of this.contacts.keys())
			this.drawContact(other);
		this.contact(jid).li.classList.remove('unread');
		$('#peer').textContent = `Chat with ${jid}`;
		this.drawMessages();
		this.setSendable(true);
		$('#send input').focus();
	}
	setSendable(on) {
		$('#send input').disabled = !on;
		$('#send button').disabled = !on;
	}
	message(jid, dir, text) {
		if (!this.history.has(jid))
			this.history.set(jid, []);
		this.history.get(jid).push({ dir, text });
		if (jid === this.peer)
			this.drawMessages();
		else
			this.contact(jid).li.classList.add('unread');
	}
	drawMessages() {
		const items = (this.history.get(this.peer) || []).map(({ dir, text }) => {
			const li = document.createElement('li');
			li.className = `msg ${dir}`;
			li.textContent = text;
			return li;
		});
		$('#messages').replaceChildren(...items);
		$('#messages').lastElementChild?.scrollIntoView({ block: 'nearest' });
	}
	sendMessage(e) {
		e.preventDefault();
		const input = e.target.text;
		const text = input.value;
		if (!text.trim() || !this.peer || !this.client)
			return;
		this.client.chat(this.peer, text);
		input.value = '';
	}
}

new Ui();
