// Starts a Tongban server on a fresh SQLite data directory and a free port,
// and launches Debian's chromium through playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = new URL('.', import.meta.url).pathname;
const BIN = process.env.TONGBAN_BIN || resolve(here, '../../target/debug/tongban');

function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'tongban-browser-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited: ${log}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`server did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    log: () => log,
    // Runs a command of the same binary on this server's data, e.g.
    // `tickets sweep --date …`; gives what it printed.
    async run(args) {
      const p = spawn(BIN, [...args, '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      p.stderr.on('data', (d) => { out += d; });
      const code = await new Promise((r) => p.once('exit', r));
      if (code !== 0) throw new Error(`tongban ${args.join(' ')} exited ${code}: ${out}`);
      return out;
    },
    async stop() {
      proc.kill('SIGINT');
      await new Promise((r) => { proc.once('exit', r); setTimeout(r, 5000); });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function login(page, base, username, password = 'tongban-demo') {
  await page.goto(`${base}/login`);
  await page.fill('#f-username', username);
  await page.fill('#f-password', password);
  await Promise.all([page.waitForNavigation(), page.click('main button')]);
}

// A page logged in as `user` (none: anonymous) in its own browser context,
// so each user has their own cookie session; `options` are the context's
// (viewport, bypassCSP, ...).
export async function pageAs(browser, base, user, options = {}) {
  const ctx = await browser.newContext(options);
  const page = await ctx.newPage();
  if (user) await login(page, base, user);
  return page;
}

// Clicks something that submits a form (or follows a link) and waits for the
// resulting page; returns the response of that page.
export async function submit(page, sel) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(sel)]);
  return response;
}

// The trimmed text of an element.
export async function text(page, sel) {
  return (await page.locator(sel).innerText()).trim();
}

// axe-core, injected into pages whose context bypasses the CSP.
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

// The serious and critical axe-core violations on the page as it is now, one
// line each (with up to three of the elements), prefixed by `label`.
export async function axeProblems(page, label) {
  await page.addScriptTag({ path: AXE });
  const { violations } = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ['violations'] }));
  const problems = [];
  for (const v of violations) {
    if (v.impact !== 'serious' && v.impact !== 'critical') continue;
    const nodes = v.nodes.slice(0, 3).map((n) =>
      `      ${n.target.join(' ')}  ${n.html.replace(/\s+/g, ' ').slice(0, 160)}`);
    problems.push(`${label}: ${v.id} (${v.impact}, ${v.nodes.length} nodes) ${v.help}\n${nodes.join('\n')}`);
  }
  return problems;
}

// Whether the page as it is now scrolls sideways at the current viewport
// width: null, or a line prefixed by `label` naming the elements where the
// overflow starts (those sticking out past the right edge while their parent
// does not or, when no box sticks out, those whose text spills out), widest
// first.
export async function overflowProblem(page, label) {
  const o = await page.evaluate(() => {
    const w = window.innerWidth;
    const scroll = document.documentElement.scrollWidth;
    if (scroll <= w + 1) return null;
    // Sticking out past the right edge, unless a scrolling or clipping box
    // within the page holds it (a wide table in its own scroll box is fine).
    const held = (e) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== 'visible' && a.getBoundingClientRect().right <= w + 1) return true;
      }
      return false;
    };
    const out = (e) => e.getBoundingClientRect().right > w + 1 && !held(e);
    const seen = new Map();
    const add = (e, width, right, suffix = '') => {
      const name = `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}`
        + `${typeof e.className === 'string' && e.className.trim() ? `.${e.className.trim().split(/\s+/).join('.')}` : ''}${suffix}`;
      const prev = seen.get(name);
      if (prev) { prev.n += 1; return; }
      seen.set(name, { name, n: 1, width, right,
        text: (e.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60) });
    };
    const all = [...document.querySelectorAll('body *')].filter((e) => e.tagName !== 'BR' && out(e));
    const roots = all.filter((e) => !e.parentElement || !out(e.parentElement));
    for (const e of roots.length ? roots : all) {
      const r = e.getBoundingClientRect();
      add(e, r.width, r.right);
    }
    if (!all.length) {
      // No box sticks out: then it is content (an unbreakable line of text)
      // spilling out of its box; name the innermost such boxes.
      const spills = (e) => e.scrollWidth > e.clientWidth + 1
        && getComputedStyle(e).overflowX === 'visible' && !held(e)
        && e.getBoundingClientRect().left + e.scrollWidth > w + 1;
      const spilling = [...document.querySelectorAll('body, body *')].filter(spills);
      for (const e of spilling.filter((x) => ![...x.children].some(spills))) {
        const r = e.getBoundingClientRect();
        add(e, e.scrollWidth, r.left + e.scrollWidth, ' (content)');
      }
    }
    const wide = [...seen.values()].sort((a, b) => b.width - a.width).slice(0, 5)
      .map((x) => `${x.name}${x.n > 1 ? ` (x${x.n})` : ''} width ${Math.round(x.width)}`
        + ` right ${Math.round(x.right)} "${x.text}"`);
    return { w, scroll, wide };
  });
  return o && `${label}: scrollWidth ${o.scroll} > ${o.w}\n      ${o.wide.join('\n      ')}`;
}
