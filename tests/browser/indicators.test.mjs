// 效能评估 (issue 15): the supervisor opens the dashboard, filters one
// department, opens its 超期 number and lands on exactly the overdue cases;
// a department head sees only their department and another one is not
// found. The pages pass axe-core and fit a 360 px phone.
//
// A fresh demo server holds some weeks of work, including applications
// accepted 30 working days ago and still undecided (past their promise).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, pageAs, submit, text, axeProblems, overflowProblem,
} from './harness.mjs';

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

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 360, height: 780 };

async function as(user) {
  return pageAs(browser, server.base, user, { viewport: DESKTOP, bypassCSP: true });
}

async function checks(page, label, problems) {
  problems.push(...await axeProblems(page, label));
  await page.setViewportSize(PHONE);
  const o = await overflowProblem(page, label);
  if (o) problems.push(o);
  await page.setViewportSize(DESKTOP);
}

// The last 120 days: the demo's late work is inside whatever today is.
function lastDays(n) {
  const to = new Date();
  const from = new Date(to.getTime() - n * 86400000);
  const iso = (d) => d.toISOString().slice(0, 10);
  return { from: iso(from), to: iso(to) };
}

test('the supervisor filters a department and opens exactly its overdue cases; the head sees only theirs', async () => {
  const problems = [];
  // The head's own department, as their dashboard names it.
  const head = await as('head');
  await head.goto(`${server.base}/work`);
  await submit(head, '#nav-dashboard');
  assert.equal(new URL(head.url()).pathname, '/indicators/dashboard');
  assert.equal(await head.locator('#f-department').count(), 0, 'a head cannot pick another department');
  const own = (await text(head, '#own-department')).replace(/^部门：/, '').trim();
  assert.ok(own.length > 0, 'the head is told whose figures these are');
  await checks(head, 'head dashboard', problems);

  const sup = await as('supervisor');
  await sup.goto(`${server.base}/work`);
  await submit(sup, '#nav-dashboard');
  const { from, to } = lastDays(120);
  await sup.selectOption('#f-period', 'custom');
  await sup.fill('#f-from', from);
  await sup.fill('#f-to', to);
  const value = await sup.locator('#f-department option', { hasText: own }).first().getAttribute('value');
  assert.ok(value, `the supervisor can pick ${own}`);
  await sup.selectOption('#f-department', value);
  await submit(sup, '#filter');
  assert.match(sup.url(), new RegExp(`department=${value}`));
  await checks(sup, 'supervisor dashboard', problems);
  const otherValue = await sup.locator('#f-department option').evaluateAll(
    (os, mine) => os.map((o) => o.value).find((v) => v && v !== mine), value);
  assert.ok(otherValue, `the demo has another department: ${sup.url()} ${await sup.locator('main').innerText()}`);
  const tile = sup.locator('#tile-overdue strong');
  const overdue = Number(await tile.innerText());
  assert.ok(overdue >= 1, `the demo's late work shows as 超期 (${overdue})`);
  await submit(sup, '#tile-overdue a');
  assert.equal(new URL(sup.url()).pathname, '/indicators/cases');
  const rows = sup.locator('#cases tr.case');
  assert.equal(await rows.count(), overdue, 'the list is exactly the number');
  for (const over of await sup.locator('#cases td.over').allInnerTexts()) {
    assert.ok(Number(over) > 0, `each listed case is past its promise (${over})`);
  }
  for (const dep of await sup.locator('#cases td[data-label="部门"]').allInnerTexts()) {
    assert.equal(dep.trim(), own, 'only the filtered department');
  }
  await checks(sup, 'overdue cases', problems);

  // The head asking for another department's figures: not found.
  const r = await head.goto(`${server.base}/indicators/dashboard?department=${otherValue}`);
  assert.equal(r.status(), 404);
  assert.deepEqual(problems, []);
});
