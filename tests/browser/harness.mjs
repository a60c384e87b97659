// Starts a Tongban server on a fresh SQLite data directory and a free port,
// and launches Debian's chromium through playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';
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
// so each user has their own cookie session.
export async function pageAs(browser, base, user) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  if (user) await login(page, base, user);
  return page;
}

// Clicks something that submits a form and waits for the resulting page.
export async function submit(page, sel) {
  await Promise.all([page.waitForNavigation(), page.click(sel)]);
}

// The trimmed text of an element.
export async function text(page, sel) {
  return (await page.locator(sel).innerText()).trim();
}
