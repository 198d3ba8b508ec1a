// poll-chat.mjs: the XEP-0025 polling page (/poll/) chats with Converse.js
// (/, over BOSH) in Debian's Chromium, end to end through http-filed,
// pollgw, boshd and xmpp-routerd.
//   node tests/browser/poll-chat.mjs URL SHOTDIR JID_A PW_A JID_B PW_B [TIMEOUT_MS]
// URL is the site's root. A and B must already be each other's contacts
// (subscription both). Two browser contexts: A opens URL/poll/?keys=4 (so
// that the page changes key chains every fourth request) and first logs in
// with a wrong password (the form must say so and come back), then with the
// right one; B opens URL and logs in to Converse. Then: A's roster shows B
// online, B's shows A online, a message typed in the polling page shows in
// Converse, a reply typed in Converse shows in the polling page; every key
// A's page sent follows XEP-0025 (SHA-1 of each key is the key before, or
// the new key given with it); A logs out (B sees A go offline), logs in
// again, and a request whose key the test spoils must get -3:0 and the page
// must say the session was lost.
// Prints "ok STEP" or "fail STEP: detail" per step, saves a screenshot per
// step (NN-step.png) into SHOTDIR, exits 0 only when every step passed, 1
// otherwise, 100 on bad usage. Every wait is bounded by TIMEOUT_MS (default
// 20000). Requests to other origins, uncaught exceptions and CSP violations
// fail the last step, no-page-errors. Never downloads a browser:
// /usr/bin/chromium only (PARLEY_CHROMIUM overrides it).
// PARLEY_POLL_TRACE=FILE appends every /http-poll/ exchange to FILE.
import { chromium } from 'playwright-core';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';

const CHROMIUM = process.env.PARLEY_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
	'--no-sandbox', '--disable-gpu', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--no-first-run',
	'--disable-quic',
];
const CONVERSE_LOGIN = 'form#converse-login';
const trace = process.env.PARLEY_POLL_TRACE || '';

const argv = process.argv.slice(2);
if (argv.length < 6 || argv.length > 7) {
	console.error('usage: node poll-chat.mjs URL SHOTDIR JID_A PW_A JID_B PW_B [TIMEOUT_MS]');
	process.exit(100);
}
const [url, shotdir, jidA, pwA, jidB, pwB] = argv;
const timeout = Number(argv[6] || 20000);
if (!(timeout > 0)) {
	console.error('poll-chat.mjs: TIMEOUT_MS must be a positive number');
	process.exit(100);
}
const origin = new URL(url).origin;
const pollPage = new URL('poll/?keys=4', url).href;
mkdirSync(shotdir, { recursive: true });

let failures = 0;
let shotno = 0;
const note = (s) => console.error(`poll-chat.mjs: ${s}`);
const firstLine = (e) => String(e?.message ?? e).split('\n')[0];

// A person: a browser context of its own, its page and what went wrong.
class Person {
	constructor(name, jid, pw) {
		Object.assign(this, { name, jid, pw, problems: [], polls: [] });
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
		// the polling requests' bodies, in order (one is in flight at a time)
		this.page.on('request', (req) => {
			if (req.url().includes('/http-poll/'))
				this.polls.push(req.postData() ?? '');
		});
		this.page.on('pageerror', (e) => this.problems.push(`uncaught exception: ${firstLine(e)}`));
		this.page.on('console', (m) => {
			if (/Content.Security.Policy/i.test(m.text()))
				this.problems.push(`CSP violation: ${m.text()}`);
			if (m.type() === 'error')
				note(`${this.name} console error: ${m.text()}`);
		});
		this.page.on('response', (r) => {
			if (r.status() >= 400)
				note(`${this.name}: ${r.status()} for ${r.url()}`);
		});
		if (trace) {
			this.page.on('requestfinished', async (req) => {
				if (!req.url().includes('/http-poll/'))
					return;
				const res = await req.response().catch(() => null);
				const body = res ? await res.text().catch(() => '?') : '-';
				const t = new Date().toISOString().slice(11, 23);
				appendFileSync(trace, `${t} ${this.name} >> ${req.postData() ?? ''}\n` +
					`${t} ${this.name} << ${res?.status()} X-Poll-ID: ${res?.headers()['x-poll-id']} ${body}\n`);
			});
		}
	}
	takeProblems() { return this.problems.splice(0); }
}

async function shot(person, step) {
	shotno += 1;
	const file = `${shotdir}/${String(shotno).padStart(2, '0')}-${step}.png`;
	await person.page.screenshot({ path: file }).catch((e) =>
		note(`screenshot ${file}: ${firstLine(e)}`));
}

// step NAME PERSON FN: runs FN, prints ok/fail, screenshots PERSON's page.
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

// ---- the polling page ---------------------------------------------------------
const status = (p) => p.page.locator('#status');
const pollContact = (p, jid) => p.page.locator(`#roster li[data-jid="${jid}"]`);

async function pollLoginForm(p, pw) {
	const form = p.page.locator('form#login');
	await form.locator('input[name="jid"]').fill(p.jid);
	await form.locator('input[name="password"]').fill(pw);
	await form.locator('button[type="submit"]').click();
}

async function pollLogin(p) {
	await pollLoginForm(p, p.pw);
	await p.page.locator('#chat').waitFor({ state: 'visible' });
	await p.page.locator('form#login').waitFor({ state: 'hidden' });
	const me = await p.page.locator('#me').innerText();
	if (!me.startsWith(`${p.jid}/`))
		throw new Error(`the page says it is "${me}", not ${p.jid}/...`);
}

// The page shows the login form again and a status matching RE.
async function pollBackAtForm(p, re) {
	await p.page.locator('form#login').waitFor({ state: 'visible' });
	await p.page.locator('#chat').waitFor({ state: 'hidden' });
	const deadline = Date.now() + timeout;
	let text = '';
	while (Date.now() < deadline) {
		text = await status(p).innerText();
		if (re.test(text))
			return text;
		await p.page.waitForTimeout(100); // polling the status line
	}
	throw new Error(`status is "${text}", expected ${re}`);
}

// checkKeys BODIES: every session's keys follow XEP-0025: a session starts
// with identifier 0; then base64(sha1(key)) equals the key of the request
// before, or the new key that came with it. Returns how many chains were
// changed, or throws naming the first request that breaks the rule.
function checkKeys(bodies) {
	const b64sha1 = (s) => createHash('sha1').update(s, 'utf8').digest('base64');
	let expect = null;
	let changes = 0;
	bodies.forEach((body, i) => {
		const m = /^([^;,]*);([^;,]+)(?:;([^;,]+))?,/.exec(body);
		if (!m)
			throw new Error(`request ${i} is not "id;key[;newkey],...": ${body.slice(0, 80)}`);
		const [, id, key, newkey] = m;
		if (id === '0') {
			if (newkey)
				throw new Error(`request ${i} opens a session with a new key too`);
		} else if (expect === null) {
			throw new Error(`request ${i} (id ${id}) comes before any session was opened`);
		} else if (b64sha1(key) !== expect) {
			throw new Error(`request ${i}: base64(sha1(${key})) is not the key before, ${expect}`);
		}
		if (newkey)
			changes += 1;
		expect = newkey || key;
	});
	return changes;
}

// ---- Converse -------------------------------------------------------------------
const converseItem = (p, jid) => p.page.locator(`converse-roster a.open-chat[data-jid="${jid}"]`);
const converseChat = (p, jid) => p.page.locator(`converse-chat[jid="${jid}"]`);

async function converseLogin(p) {
	const form = p.page.locator(CONVERSE_LOGIN);
	await form.locator('input[name="jid"]').fill(p.jid);
	await form.locator('input[name="password"]').fill(p.pw);
	await form.locator('[type="submit"]').click();
	await p.page.locator('converse-roster').waitFor({ state: 'visible' });
	await form.waitFor({ state: 'detached' });
}

const nonce = `${process.pid}-${Date.now() % 100000}`;
const a = new Person('poll-page', jidA, pwA);
const b = new Person('converse', jidB, pwB);
let browser;

async function run() {
	browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
	await a.open(browser);
	await b.open(browser);

	if (!await step('load-poll-page', a, async () => {
		const r = await a.page.goto(pollPage, { waitUntil: 'load', timeout });
		if (!r || !r.ok())
			throw new Error(`page load: ${r ? r.status() : 'no response'}`);
		await a.page.locator('form#login input[name="jid"]').waitFor({ state: 'visible' });
	}))
		return;
	await step('poll-wrong-password', a, async () => {
		await pollLoginForm(a, `${a.pw}-wrong`);
		return pollBackAtForm(a, /Login failed/);
	});
	if (!await step('poll-login', a, () => pollLogin(a)))
		return;

	if (!await step('load-converse', b, async () => {
		const r = await b.page.goto(url, { waitUntil: 'load', timeout });
		if (!r || !r.ok())
			throw new Error(`page load: ${r ? r.status() : 'no response'}`);
		await b.page.locator(`${CONVERSE_LOGIN} input[name="jid"]`).waitFor({ state: 'visible' });
	}))
		return;
	if (!await step('converse-login', b, () => converseLogin(b)))
		return;

	await step('poll-roster-shows-b-online', a, () =>
		a.page.locator(`#roster li[data-jid="${jidB}"][data-presence="online"]`).waitFor());
	await step('converse-shows-a-online', b, () =>
		converseItem(b, jidA).locator('.contact-name--online').waitFor());

	const m1 = `hello from the polling page ${nonce} <&>`;
	const m2 = `hello back from Converse ${nonce}`;
	await step('message-poll-to-converse', b, async () => {
		await converseItem(b, jidA).click();
		await converseChat(b, jidA).locator('textarea.chat-textarea').waitFor({ state: 'visible' });
		await pollContact(a, jidB).locator('button.name').click();
		const input = a.page.locator('#send input[name="text"]');
		await input.fill(m1);
		await input.press('Enter');
		await a.page.locator('#messages .msg.out', { hasText: m1 }).waitFor();
		await converseChat(b, jidA).locator('.chat-msg__text', { hasText: m1 }).first().waitFor();
	});
	await step('message-converse-to-poll', a, async () => {
		const ta = converseChat(b, jidA).locator('textarea.chat-textarea');
		await ta.fill(m2);
		await ta.press('Enter');
		await a.page.locator('#messages .msg.in', { hasText: m2 }).waitFor();
	});
	await step('poll-keys-follow-xep-0025', a, () => {
		const changes = checkKeys(a.polls);
		if (changes < 1)
			throw new Error(`${a.polls.length} requests and no key chain change (keys=4)`);
		return `${a.polls.length} requests, ${changes} key chain changes`;
	});

	await step('poll-logout', b, async () => {
		await a.page.locator('#logout').click();
		await pollBackAtForm(a, /Logged out/);
		const last = a.polls.at(-1) ?? '';
		if (!last.endsWith('</stream:stream>'))
			throw new Error(`the last request does not end the stream: ${last.slice(-80)}`);
		// Converse shows A offline once the stream's end reached the router
		await converseItem(b, jidA).locator('.contact-name--online').waitFor({ state: 'detached' });
	});

	if (!await step('poll-login-again', a, () => pollLogin(a)))
		return;
	await step('poll-key-error', a, async () => {
		// The next request goes out with a key that is not in the chain:
		// the server must answer -3:0 and the page give the session up.
		await a.page.route('**/http-poll/', async (route) => {
			await a.page.unroute('**/http-poll/');
			const body = route.request().postData() ?? '';
			const spoilt = body.replace(/^([^;]*);[^;,]*/, '$1;AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
			await route.continue({ postData: spoilt });
		});
		return pollBackAtForm(a, /-3:0/);
	});
	return true;
}

try {
	if (!await run()) {
		failures += 1;
		console.log('fail remaining-steps: not run after the failure above');
	}
	if (a.page && b.page)
		await step('no-page-errors', a, () => {
			const all = [...a.takeProblems().map((s) => `poll-page: ${s}`),
				...b.takeProblems().map((s) => `converse: ${s}`)];
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
