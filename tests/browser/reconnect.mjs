// reconnect.mjs: Parley's web client (Converse.js 14) in Debian's Chromium
// loses its BOSH session when boshd is restarted, and must reconnect by
// itself: nobody types the password again.
//   node tests/browser/reconnect.mjs URL SHOTDIR JID PW PEER NONCE [TIMEOUT_MS]
// The page loads URL, logs in as JID (the only time the password is
// typed), opens a chat with PEER (a plain XMPP client the caller drives)
// and chats both ways; then it has the caller restart boshd, watches the
// BOSH traffic until Converse has ended the old session, made a new one,
// authenticated and bound again, with the login form never shown, and
// chats both ways again.
// It talks with the caller in lines. On stdout: "ok STEP" or "fail STEP:
// detail" (one per step; a screenshot NN-STEP.png goes to SHOTDIR),
// "sent TEXT" (the page sent TEXT to PEER: the caller checks that PEER
// got it), "want TEXT" (the caller has PEER send TEXT to JID; the page
// waits for it) and "restart-boshd" (the caller restarts boshd and writes
// "restarted" on stdin once it is ready again, anything else if not).
// With PARLEY_EXPECT=kept in the environment, boshd is expected to hand
// its sessions over to its successor (--state-dir, a planned restart): the
// page must then keep its session through the restart, with no new
// session, no new authentication, no terminate and no HTTP error, and chat
// both ways after it.
// Exits 0 when every step passed, 1 otherwise, 100 on bad usage. Every
// wait is bounded by TIMEOUT_MS (default 20000), the reconnection by
// twice that. Requests to other origins are refused and reported, as are
// uncaught exceptions (step no-page-errors). Never downloads a browser:
// /usr/bin/chromium only (PARLEY_CHROMIUM overrides it).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';

const CHROMIUM = process.env.PARLEY_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
	'--no-sandbox', '--disable-gpu', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--no-first-run',
	'--disable-quic',
];
const LOGIN = 'form#converse-login';

const argv = process.argv.slice(2);
if (argv.length < 6 || argv.length > 7) {
	console.error('usage: node reconnect.mjs URL SHOTDIR JID PW PEER NONCE [TIMEOUT_MS]');
	process.exit(100);
}
const [url, shotdir, jid, pw, peer, nonce] = argv;
const timeout = Number(argv[6] || 20000);
if (!(timeout > 0)) {
	console.error('reconnect.mjs: TIMEOUT_MS must be a positive number');
	process.exit(100);
}
const origin = new URL(url).origin;
const expectKept = process.env.PARLEY_EXPECT === 'kept';
mkdirSync(shotdir, { recursive: true });

const note = (s) => console.error(`reconnect.mjs: ${s}`);
const firstLine = (e) => String(e?.message ?? e).split('\n')[0];
const say = (s) => console.log(s);

// ---- the caller's answers, one line each on stdin ------------------------------
const answers = [];
let waiter = null;
const stdin = createInterface({ input: process.stdin });
stdin.on('line', (l) => {
	if (waiter) waiter(l);
	else answers.push(l);
});
stdin.on('close', () => waiter?.(null));
function answer(ms) {
	if (answers.length)
		return Promise.resolve(answers.shift());
	return new Promise((resolve, reject) => {
		const t = setTimeout(() => {
			waiter = null;
			reject(new Error(`no answer on stdin in ${ms} ms`));
		}, ms);
		waiter = (l) => {
			clearTimeout(t);
			waiter = null;
			resolve(l);
		};
	});
}

// ---- the page and what it exchanged over BOSH ----------------------------------------
let browser, page;
const problems = [];
// every /http-bind exchange, in the order they ended: { t0, t, sent,
// status, body }: sent at t0, answered at t (ms), status 0 if it failed
const bosh = [];
const started = new WeakMap();
let shotno = 0;
let failures = 0;

async function open() {
	browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	context.setDefaultTimeout(timeout);
	page = await context.newPage();
	await page.route('**/*', (route) => {
		const target = route.request().url();
		if (new URL(target).origin === origin)
			return route.continue();
		problems.push(`request to another origin refused: ${target}`);
		return route.abort('blockedbyclient');
	});
	page.on('pageerror', (e) => problems.push(`uncaught exception: ${firstLine(e)}`));
	page.on('console', (m) => {
		if (m.type() === 'error')
			note(`console error: ${m.text()}`);
	});
	page.on('request', (req) => started.set(req, Date.now()));
	page.on('requestfinished', async (req) => {
		if (!req.url().includes('/http-bind'))
			return;
		const t = Date.now();
		const res = await req.response().catch(() => null);
		const body = res ? await res.text().catch(() => '') : '';
		bosh.push({ t0: started.get(req) ?? t, t, sent: req.postData() ?? '',
			status: res?.status() ?? 0, body });
	});
	page.on('requestfailed', (req) => {
		if (req.url().includes('/http-bind'))
			bosh.push({ t0: started.get(req) ?? Date.now(), t: Date.now(),
				sent: req.postData() ?? '', status: 0,
				body: req.failure()?.errorText ?? '' });
	});
}

async function shot(step) {
	shotno += 1;
	const file = `${shotdir}/${String(shotno).padStart(2, '0')}-${step}.png`;
	await page.screenshot({ path: file }).catch((e) => note(`screenshot ${file}: ${firstLine(e)}`));
}

// step NAME FN: runs FN, prints ok/fail, takes a screenshot; true if passed.
async function step(name, fn) {
	let detail = null;
	try {
		const r = await fn();
		if (typeof r === 'string')
			note(`${name}: ${r}`);
	} catch (e) {
		detail = firstLine(e);
	}
	await shot(name);
	if (detail) {
		failures += 1;
		say(`fail ${name}: ${detail}`);
		return false;
	}
	say(`ok ${name}`);
	return true;
}

// ---- Converse's UI (as tests/browser/chat.mjs) ---------------------------------------------
const chat = () => page.locator(`converse-chat[jid="${peer}"]`);
async function waitLoggedIn() {
	await page.locator('converse-roster').waitFor({ state: 'visible' });
	await page.locator(LOGIN).waitFor({ state: 'detached' });
}
async function send(text) {
	const ta = chat().locator('textarea.chat-textarea');
	await ta.fill(text);
	await ta.press('Enter');
	await chat().locator('.chat-msg__text', { hasText: text }).waitFor();
	say(`sent ${text}`);
}
async function receive(text, ms = timeout) {
	say(`want ${text}`);
	await chat().locator('.chat-msg__text', { hasText: text }).first().waitFor({ timeout: ms });
}

// ---- reading the BOSH exchanges ---------------------------------------------------------
const isTerminate = (x) => /<body [^>]*type=['"]terminate['"]/.test(x.body);
const condition = (x) => (x.body.match(/<body [^>]*condition=['"]([^'"]+)['"]/) || [])[1] || '';
const isCreation = (x) => /<body /.test(x.sent) && !/<body [^>]*\bsid=/.test(x.sent);
const isAuth = (x) => /<auth /.test(x.sent);
const isSuccess = (x) => x.status === 200 && /<success[ />]/.test(x.body);
const isBound = (x) => x.status === 200 && /<bind [^>]*>\s*<jid>/.test(x.body);
const isPresence = (x) => /<presence(?![^>]*type=)[ />]/.test(x.sent);
const describe = (x) => x.status === 200 ? `terminate ${condition(x) || '(no condition)'}` :
	x.status ? `HTTP ${x.status}` : `request failed (${x.body})`;

// What happened to the BOSH traffic since index FROM: how the old
// session ended, and each stage of the new one in order: created,
// authenticated (an <auth/> then a <success/>), bound, initial presence
// sent (indexes into xs; -1 for a stage not reached yet).
function since(from) {
	const xs = bosh.slice(from);
	// the first exchange from index I on that matches PRED
	const at = (i, pred) => i < 0 ? -1 : xs.findIndex((x, j) => j >= i && pred(x));
	const ended = xs.findIndex((x) => isTerminate(x) || x.status !== 200);
	const created = xs.findIndex((x) => isCreation(x) && x.status === 200 && !isTerminate(x));
	const auth = at(created, isAuth);
	const success = at(auth, isSuccess);
	const bound = at(success, isBound);
	const presence = at(bound, isPresence);
	return { xs, ended, created, auth, success, bound, presence };
}

async function run() {
	await open();
	if (!await step('load', async () => {
		const r = await page.goto(url, { waitUntil: 'load', timeout });
		if (!r || !r.ok())
			throw new Error(`page load: ${r ? r.status() : 'no response'}`);
		await page.locator(`${LOGIN} input[name="jid"]`).waitFor({ state: 'visible' });
	}))
		return false;
	if (!await step('login', async () => {
		const form = page.locator(LOGIN);
		await form.locator('input[name="jid"]').fill(jid);
		await form.locator('input[name="password"]').fill(pw);
		await form.locator('[type="submit"]').click();
		await waitLoggedIn();
	}))
		return false;
	if (!await step('open-chat', async () => {
		const dd = page.locator('converse-roster converse-dropdown.dropdown--contacts');
		await dd.locator('button.dropdown-toggle').click();
		await dd.locator('a.dropdown-item.new-chat').click();
		const form = page.locator('converse-new-chat-modal form');
		await form.locator('input[name="jid"]').fill(peer);
		await form.locator('button[type="submit"]').click();
		await chat().locator('textarea.chat-textarea').waitFor({ state: 'visible' });
	}))
		return false;
	if (!await step('chat-before-a-to-b', () => send(`before restart from A ${nonce}`)))
		return false;
	if (!await step('chat-before-b-to-a', () => receive(`before restart from B ${nonce}`)))
		return false;

	// boshd restarted: from here on, nobody types anything into the page
	const from = bosh.length;
	const t0 = Date.now();
	if (!await step('boshd-restarted', async () => {
		say('restart-boshd');
		const a = await answer(30000);
		if (a !== 'restarted')
			throw new Error(`the caller answered ${JSON.stringify(a)}`);
	}))
		return false;
	if (expectKept)
		return keptThrough(from, t0);
	if (!await step('reconnected-by-itself', async () => {
		const deadline = Date.now() + 2 * timeout;
		const form = page.locator(LOGIN);
		let s = since(from);
		while (s.presence < 0) {
			if (await form.isVisible())
				throw new Error('Converse gave up and shows the login form; BOSH since the restart: ' +
					s.xs.map(describeExchange).join(' | '));
			if (Date.now() > deadline)
				throw new Error(`no new bound session with presence after ${2 * timeout} ms; BOSH since the restart: ` +
					s.xs.map(describeExchange).join(' | '));
			await page.waitForTimeout(100); // polling the exchanges the page makes
			s = since(from);
		}
		await waitLoggedIn();
		const ended = s.ended >= 0 ? describe(s.xs[s.ended]) : 'nothing seen';
		const timeline = s.xs.slice(0, s.presence + 1).map((x) =>
			`[${x.t0 - t0}..${x.t - t0}ms] ${x.status === 200 && !isTerminate(x) ? 200 : describe(x)}`);
		return `old session ended by: ${ended}; new session bound and online ` +
			`${s.xs[s.presence].t - t0} ms after the restart was asked; ` +
			`BOSH exchanges [sent..answered, from the restart request]: ${timeline.join(', ')}`;
	}))
		return false;
	await step('chat-after-reconnect-b-to-a', () => receive(`after restart from B ${nonce}`));
	await step('chat-after-reconnect-a-to-b', () => send(`after restart from A ${nonce}`));
	// Converse authenticated again with the password it kept from the
	// login (nothing was typed since): the login form never came back.
	await step('password-not-asked-again', async () => {
		if (await page.locator(LOGIN).count())
			throw new Error('the login form is on the page');
		const xs = bosh.slice(from);
		const auths = xs.filter(isAuth).length;
		const successes = xs.filter(isSuccess).length;
		if (!auths || !successes)
			throw new Error(`${auths} SASL <auth/> sent and ${successes} <success/> got since the restart`);
		return `${auths} SASL <auth/> sent, ${successes} <success/> got since the restart: ` +
			'authenticated with the password kept from the login form';
	});
	return true;
}

const sidOf = (x) => (x.sent.match(/<body [^>]*\bsid=['"]([^'"]+)['"]/) || [])[1] || '';

// After a planned restart with hand-over: the same session goes on.
async function keptThrough(from, t0) {
	const sidBefore = bosh.slice(0, from).map(sidOf).filter(Boolean).pop();
	await step('chat-after-handover-b-to-a', () => receive(`after restart from B ${nonce}`));
	await step('chat-after-handover-a-to-b', () => send(`after restart from A ${nonce}`));
	return step('session-kept', async () => {
		if (await page.locator(LOGIN).count())
			throw new Error('the login form is on the page');
		const xs = bosh.slice(from);
		const bad = xs.filter((x) => isTerminate(x) || x.status !== 200 ||
			isCreation(x) || isAuth(x) || (sidOf(x) && sidOf(x) !== sidBefore));
		if (!sidBefore || bad.length)
			throw new Error(`since the restart (sid before: ${sidBefore}): ` +
				bad.map(describeExchange).join(' | '));
		const slowest = Math.max(...xs.map((x) => x.t - x.t0));
		return `${xs.length} BOSH exchanges since the restart, all 200 on sid ${sidBefore}, ` +
			`no new session or authentication; the slowest took ${slowest} ms ` +
			`(restart asked at +0: ${xs.slice(0, 6).map((x) => `[${x.t0 - t0}..${x.t - t0}ms]`).join(', ')})`;
	});
}

function describeExchange(x) {
	const sent = x.sent.replace(/\s+/g, ' ').slice(0, 120);
	const got = x.body.replace(/\s+/g, ' ').slice(0, 160);
	return `${sent} -> ${x.status} ${got}`;
}

try {
	if (!await run()) {
		failures += 1;
		say('fail remaining-steps: not run after the failure above');
	}
	if (page)
		await step('no-page-errors', () => {
			if (problems.length)
				throw new Error([...new Set(problems)].join('; '));
		});
} catch (e) {
	failures += 1;
	say(`fail browser: ${firstLine(e)}`);
} finally {
	await browser?.close().catch(() => {});
	stdin.close();
}
process.exit(failures ? 1 : 0);
