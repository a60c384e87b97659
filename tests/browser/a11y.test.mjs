// Everyone can use the service: for every demo account, and for a visitor
// who has not signed in, the landing page and every page of the menu have no
// serious or critical accessibility faults (axe-core, at desktop width), and
// none of them scrolls sideways on a 390 px phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, axeProblems, overflowProblem } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// null: signed out.
const ACCOUNTS = [null, 'applicant', 'clerk', 'reviewer', 'head', 'concierge',
  'catalog', 'supervisor', 'officer', 'admin'];

// A fresh context for `user` at `width`; the CSP is bypassed only so that
// axe-core can be injected.
async function open(user, width, height) {
  const ctx = await browser.newContext({ viewport: { width, height }, bypassCSP: true });
  const page = await ctx.newPage();
  if (user) await login(page, server.base, user);
  else await page.goto(`${server.base}/`);
  return { ctx, page };
}

// The pages `user` reaches first: where they land and their menu links;
// a visitor also gets the sign-in page and a service guide found from the
// home page.
async function pagesOf(page, user) {
  const landing = new URL(page.url()).pathname;
  const hrefs = await page.locator('header nav a').evaluateAll((as) =>
    as.map((a) => a.getAttribute('href')).filter((h) => h && !h.startsWith('/lang/')
      && !h.startsWith('/login')));
  const paths = [landing, ...hrefs];
  if (!user) {
    paths.push('/login');
    await page.click('ul.tiles a');
    let guide = await page.locator('a.result-name').first().getAttribute('href', { timeout: 5000 })
      .catch(() => null);
    if (!guide) {
      await page.goto(`${server.base}/items`);
      guide = await page.locator('a.result-name').first().getAttribute('href');
    }
    assert.ok(guide, 'a service guide is linked from the home page or the search');
    paths.push(guide);
  }
  return [...new Set(paths)];
}

const who = (user) => user || '(signed out)';

test('no serious or critical axe-core violation on any role\'s pages (1280 px)', async () => {
  const problems = [];
  for (const user of ACCOUNTS) {
    const { ctx, page } = await open(user, 1280, 900);
    for (const path of await pagesOf(page, user)) {
      const r = await page.goto(`${server.base}${path}`);
      assert.equal(r.status(), 200, `${who(user)} opens ${path}`);
      problems.push(...await axeProblems(page, `${who(user)} ${path}`));
    }
    await ctx.close();
  }
  assert.deepEqual(problems, [], `accessibility violations:\n${problems.join('\n')}`);
});

test('no page of any role scrolls sideways on a 390 px phone', async () => {
  const problems = [];
  for (const user of ACCOUNTS) {
    const { ctx, page } = await open(user, 390, 844);
    for (const path of await pagesOf(page, user)) {
      const r = await page.goto(`${server.base}${path}`);
      assert.equal(r.status(), 200, `${who(user)} opens ${path}`);
      const o = await overflowProblem(page, `${who(user)} ${path}`);
      if (o) problems.push(o);
    }
    await ctx.close();
  }
  assert.deepEqual(problems, [], `horizontal overflow at 390 px:\n${problems.join('\n')}`);
});
