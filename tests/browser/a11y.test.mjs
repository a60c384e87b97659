// Everyone can use the service: for every demo account, and for a visitor
// who has not signed in, the landing page and every page of the menu have no
// serious or critical accessibility faults (axe-core, at desktop width), and
// none of them scrolls sideways on a 390 px phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, launchBrowser, login } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

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
      await page.addScriptTag({ path: AXE });
      const { violations } = await page.evaluate(() =>
        // eslint-disable-next-line no-undef
        axe.run(document, { resultTypes: ['violations'] }));
      for (const v of violations) {
        if (v.impact !== 'serious' && v.impact !== 'critical') continue;
        const nodes = v.nodes.slice(0, 3).map((n) =>
          `      ${n.target.join(' ')}  ${n.html.replace(/\s+/g, ' ').slice(0, 160)}`);
        problems.push(`${who(user)} ${path}: ${v.id} (${v.impact}, ${v.nodes.length} nodes) ${v.help}\n${nodes.join('\n')}`);
      }
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
      const o = await page.evaluate(() => {
        const w = window.innerWidth;
        const scroll = document.documentElement.scrollWidth;
        if (scroll <= w + 1) return null;
        // The elements that stick out past the right edge while their parent
        // does not: where the overflow starts. Widest first.
        const out = (e) => e.getBoundingClientRect().right > w + 1;
        const seen = new Map();
        const all = [...document.querySelectorAll('body *')].filter(out);
        const roots = all.filter((e) => !e.parentElement || !out(e.parentElement));
        for (const e of roots.length ? roots : all) {
          const r = e.getBoundingClientRect();
          const name = `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}`
            + `${typeof e.className === 'string' && e.className.trim() ? `.${e.className.trim().split(/\s+/).join('.')}` : ''}`;
          const prev = seen.get(name);
          if (prev) { prev.n += 1; continue; }
          seen.set(name, { name, n: 1, width: r.width, right: r.right,
            text: (e.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60) });
        }
        const wide = [...seen.values()].sort((a, b) => b.width - a.width).slice(0, 5)
          .map((x) => `${x.name}${x.n > 1 ? ` (x${x.n})` : ''} width ${Math.round(x.width)}`
            + ` right ${Math.round(x.right)} "${x.text}"`);
        return { w, scroll, wide };
      });
      if (o) problems.push(`${who(user)} ${path}: scrollWidth ${o.scroll} > ${o.w}\n      ${o.wide.join('\n      ')}`);
    }
    await ctx.close();
  }
  assert.deepEqual(problems, [], `horizontal overflow at 390 px:\n${problems.join('\n')}`);
});
