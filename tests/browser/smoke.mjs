// smoke.mjs: loads Parley's web chat page in Debian's Chromium and checks
// that Converse.js shows its login form.
//   node tests/browser/smoke.mjs URL SCREENSHOT.png [TIMEOUT_MS]
// Passes (exit 0) when the form's address and password fields are visible,
// no script threw, every same-origin request succeeded and nothing was asked
// of any other origin (such requests are refused, not sent). Fails with
// exit 1 and one line per reason; exit 100 on bad usage. The screenshot is
// taken in both cases, so a failure can be looked at. Needs playwright-core
// (`npm ci --prefix tests/browser`) and /usr/bin/chromium (Debian package
// `chromium`); it never downloads a browser.
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.PARLEY_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
	'--no-sandbox', '--disable-gpu', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--no-first-run',
	'--disable-quic',
];
const LOGIN_FORM = 'form#converse-login';
const LOGIN_FIELDS = [`${LOGIN_FORM} input[name="jid"]`,
	`${LOGIN_FORM} input[name="password"]`];

function usage() {
	console.error('usage: node smoke.mjs URL SCREENSHOT.png [TIMEOUT_MS]');
	process.exit(100);
}

const [url, shot, timeout_arg] = process.argv.slice(2);
if (!url || !shot || process.argv.length > 5)
	usage();
const timeout = Number(timeout_arg || 20000);
let origin;
try {
	origin = new URL(url).origin;
} catch {
	usage();
}
if (!(timeout > 0))
	usage();

const problems = [];
const note = (what) => console.error(`smoke: ${what}`);

// Wires the page's events to the problem list; refuses foreign requests.
async function watch(page) {
	await page.route('**/*', (route) => {
		const target = route.request().url();
		if (new URL(target).origin === origin)
			return route.continue();
		problems.push(`request to another origin refused: ${target}`);
		return route.abort('blockedbyclient');
	});
	page.on('pageerror', (e) => problems.push(`uncaught exception: ${e.message}`));
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning')
			note(`console ${m.type()}: ${m.text()}`);
	});
	page.on('response', (r) => {
		if (r.status() >= 400)
			problems.push(`${r.status()} for ${r.url()}`);
	});
	page.on('requestfailed', (r) => {
		if (new URL(r.url()).origin === origin)
			problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`);
	});
}

async function run(browser) {
	const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
	await watch(page);
	try {
		const response = await page.goto(url, { waitUntil: 'load', timeout });
		if (!response || !response.ok())
			problems.push(`page load: ${response ? response.status() : 'no response'}`);
		for (const field of LOGIN_FIELDS)
			await page.waitForSelector(field, { state: 'visible', timeout });
		await page.evaluate(() => document.fonts.ready); // for the screenshot
	} catch (e) {
		problems.push(`login form not shown: ${e.message.split('\n')[0]}`);
	}
	await page.screenshot({ path: shot }).catch((e) =>
		problems.push(`screenshot ${shot}: ${e.message}`));
}

let browser;
try {
	browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
	await run(browser);
} catch (e) {
	problems.push(`browser: ${e.message.split('\n')[0]}`);
} finally {
	await browser?.close();
}
for (const p of problems)
	note(p);
if (problems.length) {
	note(`FAIL ${url} (screenshot: ${shot})`);
	process.exit(1);
}
note(`ok: ${url} shows the Converse login form (screenshot: ${shot})`);
