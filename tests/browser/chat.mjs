// chat.mjs: two people chat in Parley's web client (Converse.js 14) in
// Debian's Chromium, end to end through http-filed, boshd and xmpp-routerd.
//   node tests/browser/chat.mjs URL SHOTDIR JID1 PW1 JID2 PW2 JID3 [TIMEOUT_MS]
// Two browser contexts (separate storage, like two people) load URL and log
// in as JID1 and JID2; JID1 adds JID2 through the "Add a contact" dialog,
// JID2 accepts the request (and JID1 too if Converse asks it); each waits
// to see the other online; they exchange messages both ways; page 1 is
// reloaded and must be logged in again (Converse's own session restore, or
// the login form filled again, which is reported) and chat again; then
// page 1 opens a chat with JID3 (a plain XMPP client the caller drives),
// sends "ping from JID1 NONCE" and waits for a message from JID3 that
// is "pong NONCE" (the caller answers it so).
// Prints one line per step, "ok STEP" or "fail STEP: detail", saves a
// screenshot per step (NN-step.png) into SHOTDIR, exits 0 only when every
// step passed, 1 otherwise, 100 on bad usage. Every wait is bounded by
// TIMEOUT_MS (default 20000). Requests to any other origin are refused and
// fail the last step, no-page-errors, as uncaught exceptions in either
// page do. Never downloads a browser: /usr/bin/chromium only
// (PARLEY_CHROMIUM overrides it). PARLEY_BOSH_TRACE=FILE appends every
// BOSH request and response of both pages to FILE.
import { chromium } from 'playwright-core';
import { appendFileSync, mkdirSync } from 'node:fs';

const CHROMIUM = process.env.PARLEY_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
	'--no-sandbox', '--disable-gpu', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--no-first-run',
	'--disable-quic',
];
const LOGIN = 'form#converse-login';
const trace = process.env.PARLEY_BOSH_TRACE || '';

const argv = process.argv.slice(2);
if (argv.length < 7 || argv.length > 8) {
	console.error('usage: node chat.mjs URL SHOTDIR JID1 PW1 JID2 PW2 JID3 [TIMEOUT_MS]');
	process.exit(100);
}
const [url, shotdir, jid1, pw1, jid2, pw2, jid3] = argv;
const timeout = Number(argv[7] || 20000);
if (!(timeout > 0)) {
	console.error('chat.mjs: TIMEOUT_MS must be a positive number');
	process.exit(100);
}
const origin = new URL(url).origin;
mkdirSync(shotdir, { recursive: true });

let failures = 0;
let shotno = 0;
const note = (s) => console.error(`chat.mjs: ${s}`);
const firstLine = (e) => String(e?.message ?? e).split('\n')[0];

// A person: a browser context of its own, its page and what went wrong.
class Person {
	constructor(name, jid, pw) {
		Object.assign(this, { name, jid, pw, problems: [], sent: [] });
	}
	async open(browser) {
		this.context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
		this.context.setDefaultTimeout(timeout);
		this.page = await this.context.newPage();
		await this.page.route('**/*', (route) => {
			const target = route.request().url();
			if (new URL(target).origin === origin)
				return route.continue();
			this.problems.push(`request to another origin refused: ${target}`);
			return route.abort('blockedbyclient');
		});
		// what this page sent over BOSH, for the details of failures
		this.page.on('request', (req) => {
			if (req.url().includes('/http-bind') && req.postData())
				this.sent.push(req.postData());
		});
		this.page.on('pageerror', (e) => this.problems.push(`uncaught exception: ${firstLine(e)}`));
		this.page.on('console', (m) => {
			if (m.type() === 'error')
				note(`${this.name} console error: ${m.text()}`);
		});
		this.page.on('response', (r) => {
			if (r.status() >= 400)
				note(`${this.name}: ${r.status()} for ${r.url()}`);
		});
		if (trace) {
			// every BOSH exchange, for diagnosis (PARLEY_BOSH_TRACE=FILE)
			this.page.on('requestfinished', async (req) => {
				if (!req.url().includes('/http-bind'))
					return;
				const res = await req.response().catch(() => null);
				const body = res ? await res.text().catch(() => '?') : '-';
				const t = new Date().toISOString().slice(11, 23);
				appendFileSync(trace, `${t} ${this.name} >> ${req.postData() ?? ''}\n` +
					`${t} ${this.name} << ${res?.status()} ${body}\n`);
			});
		}
	}
	// the chat box with JID (fullscreen mode shows one at a time)
	chat(jid) { return this.page.locator(`converse-chat[jid="${jid}"]`); }
	rosterItem(jid) {
		return this.page.locator(`converse-roster a.open-chat[data-jid="${jid}"]`);
	}
	// Problems seen by the page event handlers since the last call.
	takeProblems() { return this.problems.splice(0); }
}

async function shot(person, step) {
	shotno += 1;
	const file = `${shotdir}/${String(shotno).padStart(2, '0')}-${step}.png`;
	await person.page.screenshot({ path: file }).catch((e) =>
		note(`screenshot ${file}: ${firstLine(e)}`));
}

// step NAME PERSON FN: runs FN, prints ok/fail, screenshots PERSON's page.
// Returns true when it passed.
async function step(name, person, fn) {
	let detail = null;
	try {
		const r = await fn();
		if (typeof r === 'string')
			note(`${name}: ${r}`);
	} catch (e) {
		detail = firstLine(e);
	}
	await shot(person, name);
	if (detail) {
		failures += 1;
		console.log(`fail ${name}: ${detail}`);
		return false;
	}
	console.log(`ok ${name}`);
	return true;
}

// Logged in: the roster is shown and the login form is gone.
async function waitLoggedIn(p) {
	await p.page.locator('converse-roster').waitFor({ state: 'visible' });
	await p.page.locator(LOGIN).waitFor({ state: 'detached' });
}

async function login(p) {
	const form = p.page.locator(LOGIN);
	await form.locator('input[name="jid"]').fill(p.jid);
	await form.locator('input[name="password"]').fill(p.pw);
	await form.locator('[type="submit"]').click();
	await waitLoggedIn(p);
}

// Closes a dialog left open by an earlier step (an error, say), noting
// its text, so that later steps are not blocked by it.
async function closeDialogs(p) {
	const shown = p.page.locator('.modal.show');
	for (const m of await shown.all()) {
		note(`${p.name}: closing a dialog left open: ${(await m.innerText()).replace(/\s+/g, ' ').trim()}`);
		await m.locator('button.btn-close, button[data-bs-dismiss="modal"], .close').first().click().catch(() => {});
	}
	await shown.first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
}

// Opens an item of the contacts heading's dropdown ("Add a contact", ...).
async function contactsMenu(p, item) {
	await closeDialogs(p);
	const dd = p.page.locator('converse-roster converse-dropdown.dropdown--contacts');
	await dd.locator('button.dropdown-toggle').click();
	await dd.locator(`a.dropdown-item.${item}`).click();
}

// Accepts FROM's contact request if Converse shows one; returns whether
// it did (an already authorised request needs nothing).
async function acceptRequest(p, from) {
	const item = p.page.locator('converse-roster-contact').filter({
		has: p.page.locator(`a.open-chat[data-jid="${from}"]`),
	}).filter({ has: p.page.locator('a.accept-xmpp-request') });
	await item.locator('button.dropdown-toggle').click();
	await item.locator('a.accept-xmpp-request').click();
	const modal = p.page.locator('converse-accept-contact-request-modal');
	await modal.locator('form button[type="submit"]').click();
	await modal.locator('form').waitFor({ state: 'hidden' });
}

// Waits until P's roster shows JID online.
async function waitOnline(p, jid) {
	await p.rosterItem(jid).locator('.contact-name--online').waitFor();
}

async function openChat(p, jid) {
	await p.rosterItem(jid).click();
	await p.chat(jid).locator('textarea.chat-textarea').waitFor({ state: 'visible' });
}

async function send(p, jid, text) {
	const ta = p.chat(jid).locator('textarea.chat-textarea');
	await ta.fill(text);
	await ta.press('Enter');
	// our own copy shows up in our chat box
	await p.chat(jid).locator('.chat-msg__text', { hasText: text }).waitFor();
}

async function waitMessage(p, jid, text) {
	await p.chat(jid).locator('.chat-msg__text', { hasText: text }).first().waitFor();
}

const nonce = `${process.pid}-${Date.now() % 100000}`;
const p1 = new Person('page1', jid1, pw1);
const p2 = new Person('page2', jid2, pw2);
let browser;

async function run() {
	browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
	await p1.open(browser);
	await p2.open(browser);

	for (const p of [p1, p2]) {
		const ok = await step(`load-${p.name}`, p, async () => {
			const r = await p.page.goto(url, { waitUntil: 'load', timeout });
			if (!r || !r.ok())
				throw new Error(`page load: ${r ? r.status() : 'no response'}`);
			await p.page.locator(`${LOGIN} input[name="jid"]`).waitFor({ state: 'visible' });
		});
		if (!ok)
			return;
		if (!await step(`login-${p.name}`, p, () => login(p)))
			return;
	}

	if (!await step('add-contact', p1, async () => {
		await contactsMenu(p1, 'add-contact');
		const modal = p1.page.locator('converse-add-contact-modal form.add-xmpp-contact');
		await modal.locator('input[name="jid"]').fill(jid2);
		await modal.locator('input[name="name"]').fill(jid2.split('@')[0]);
		await modal.locator('button[type="submit"]').click();
		await modal.waitFor({ state: 'hidden' });
		await p1.rosterItem(jid2).waitFor();
	}))
		return;

	if (!await step('accept-request', p2, async () => {
		await p2.rosterItem(jid1).waitFor();
		await acceptRequest(p2, jid1);
	}))
		return;

	// Converse authorises JID2's request back by itself, as JID1 asked
	// first; should it ask, accept it through the UI.
	const online1 = await step('page1-sees-page2-online', p1, async () => {
		const deadline = Date.now() + timeout;
		const accept = p1.page.locator(`converse-roster-contact:has(a.open-chat[data-jid="${jid2}"]) a.accept-xmpp-request`);
		const online = p1.rosterItem(jid2).locator('.contact-name--online');
		while (Date.now() < deadline) {
			if (await online.count())
				return;
			if (await accept.count()) {
				await acceptRequest(p1, jid2);
				note('page1 had to accept the request of page2 too');
			}
			await p1.page.waitForTimeout(200); // polling the roster
		}
		throw new Error(`${jid2} not shown online in ${jid1}'s roster after ${timeout} ms`);
	});
	// Accepting must also ask for JID1's presence (RFC 6121 3.1.5); the
	// step says whether page 2 ever sent that subscribe.
	await step('page2-sees-page1-online', p2, async () => {
		try {
			await waitOnline(p2, jid1);
		} catch (e) {
			const re = new RegExp(`<presence[^>]*to="${jid1}"[^>]*type="subscribe"|<presence[^>]*type="subscribe"[^>]*to="${jid1}"`);
			const asked = p2.sent.some((b) => re.test(b));
			throw new Error(`${jid1} not shown online in ${jid2}'s roster after ${timeout} ms; ` +
				(asked ? `page2 did send <presence type="subscribe" to="${jid1}">`
					: `page2 never sent <presence type="subscribe" to="${jid1}"> (accepting a request in Converse did not subscribe back), so ${jid2} is not subscribed to ${jid1}'s presence`));
		}
	});
	// Chatting needs no subscription: go on either way.
	if (!online1)
		return;

	await step('open-chats', p1, async () => {
		await openChat(p1, jid2);
		await openChat(p2, jid1);
	});
	const m1 = `hello from page1 ${nonce}`;
	const m2 = `hello back from page2 ${nonce}`;
	await step('message-page1-to-page2', p2, async () => {
		await send(p1, jid2, m1);
		await waitMessage(p2, jid1, m1);
	});
	await step('message-page2-to-page1', p1, async () => {
		await send(p2, jid1, m2);
		await waitMessage(p1, jid2, m2);
	});

	let how = '';
	const before = p1.sent.length;
	if (!await step('reload-page1', p1, async () => {
		await p1.page.reload({ waitUntil: 'load', timeout });
		// Either Converse restores the session (roster shown without the
		// form) or it shows the login form: then log in again.
		const roster = p1.page.locator('converse-roster');
		const form = p1.page.locator(`${LOGIN} input[name="jid"]`);
		await roster.or(form).first().waitFor({ state: 'visible' });
		if (await form.isVisible()) {
			how = 'login form shown after reload: logged in again';
			await login(p1);
		} else {
			await waitLoggedIn(p1);
			how = 'session restored by Converse without the login form';
		}
		await waitOnline(p1, jid2);
		const auth = p1.sent.slice(before).some((b) => /<auth /.test(b));
		return `${how}${auth ? ' (Converse authenticated again over BOSH)' : ''}`;
	}))
		return;
	await step('history-after-reload', p1, async () => {
		await openChat(p1, jid2);
		await waitMessage(p1, jid2, m2);
	});
	const m3 = `after reload from page1 ${nonce}`;
	const m4 = `after reload from page2 ${nonce}`;
	await step('message-after-reload-page1-to-page2', p2, async () => {
		await send(p1, jid2, m3);
		await waitMessage(p2, jid1, m3);
	});
	await step('message-after-reload-page2-to-page1', p1, async () => {
		await send(p2, jid1, m4);
		await waitMessage(p1, jid2, m4);
	});

	if (!await step('open-chat-third', p1, async () => {
		await contactsMenu(p1, 'new-chat');
		const form = p1.page.locator('converse-new-chat-modal form');
		await form.locator('input[name="jid"]').fill(jid3);
		await form.locator('button[type="submit"]').click();
		await p1.chat(jid3).locator('textarea.chat-textarea').waitFor({ state: 'visible' });
	}))
		return;
	await step('message-to-third', p1, () => send(p1, jid3, `ping from ${jid1} ${nonce}`));
	await step('answer-from-third', p1, () => waitMessage(p1, jid3, `pong ${nonce}`));
	return true;
}

try {
	if (!await run()) {
		failures += 1;
		console.log('fail remaining-steps: not run after the failure above');
	}
	// Uncaught exceptions and requests to other origins in either page,
	// all along: one step of their own, so that the chat steps above
	// say whether chatting works.
	if (p1.page && p2.page)
		await step('no-page-errors', p1, () => {
			const all = [...p1.takeProblems().map((s) => `page1: ${s}`),
				...p2.takeProblems().map((s) => `page2: ${s}`)];
			if (all.length)
				throw new Error([...new Set(all)].join('; '));
		});
} catch (e) {
	failures += 1;
	console.log(`fail browser: ${firstLine(e)}`);
} finally {
	await browser?.close().catch(() => {});
}
process.exit(failures ? 1 : 0);
