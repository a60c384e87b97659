// 靠前服务: the concierge follows the key project and applies for the
// enterprise under its authorization; a refused authorization says why;
// the enterprise raises a difficulty ticket that climbs to the department's
// head when nobody answers in time, is answered and rated; the escalated
// ticket of the demo shows its climb; a stage is applied for with one form
// and decided by two departments side by side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, pageAs, submit, text } from './harness.mjs';

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

const BUILD = '11339901MB000001254011201001000'; // 建筑工程施工许可证核发 (住建局)
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const day = (offset) => {
  const d = new Date(Date.now() + offset * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(d);
};
const as = (user) => pageAs(browser, server.base, user);

test('the concierge applies for the enterprise within its authorization; the project shows its stages', async () => {
  const base = server.base;
  const concierge = await as('concierge');
  // The concierge lands on their projects: the key project first, marked.
  assert.equal(new URL(concierge.url()).pathname, '/projects');
  const first = concierge.locator('#projects tbody tr').first();
  assert.match(await first.innerText(), /重点项目.*示范区人民医院新院区/s);
  await Promise.all([concierge.waitForNavigation(), first.locator('a').click()]);
  const projectUrl = concierge.url();
  // Stage 1 done by two departments in parallel, stage 2 under way, the
  // parallel item beside it, the visit, and the escalated ticket.
  assert.match(await text(concierge, '#stage-1-used'), /已完成/);
  assert.match(await text(concierge, '#stage-1'), /示范区发展和改革局[\s\S]*示范区自然资源和规划局/);
  assert.match(await text(concierge, '#stage-2-used'), /已用 \d+ 个工作日/);
  assert.match(await text(concierge, '#stage-9'), /不动产首次登记/);
  assert.match(await text(concierge, '#visits'), /消防/);
  // 建设用地规划许可, completed 8 working days ago, within the rating
  // window: the concierge rates it for the enterprise, under its
  // authorization (the rating is the enterprise's).
  await Promise.all([
    concierge.waitForNavigation(),
    concierge.locator('#stage-1 tbody tr', { hasText: '建设用地规划许可证核发' }).locator('a').click(),
  ]);
  await submit(concierge, '#rate-link');
  await concierge.check('#level-5');
  for (const k of ['efficiency', 'guide_accuracy', 'convenience', 'usability']) await concierge.selectOption(`#f-indicators_${k}`, '5');
  await submit(concierge, '#submit-rating');
  assert.match(await text(concierge, '#given'), /非常满意/);
  await concierge.goto(projectUrl);
  await Promise.all([concierge.waitForNavigation(), concierge.locator('#project-tickets a').first().click()]);
  assert.match(await text(concierge, '#escalation'), /督查|负责人/);

  // Applying for stage 3 for the enterprise: the case is the enterprise's
  // and every step names both.
  await concierge.goto(`${base}/items/${BUILD}/apply`);
  await concierge.fill('#f-on_behalf_of', 'enterprise');
  await submit(concierge, '#start-application');
  const m = new URL(concierge.url()).pathname.match(/^\/cases\/(\d+)\/materials$/);
  assert.ok(m, `on the materials page, got ${concierge.url()}: ${await concierge.locator('main').innerText()}`);
  for (const i of [0, 2]) {
    await concierge.setInputFiles(`#f-file-${i}`, { name: `m${i}.pdf`, mimeType: 'application/pdf', buffer: PDF });
    await submit(concierge, `#upload-${i}`);
  }
  await submit(concierge, '#continue');
  await submit(concierge, '#submit-application');
  assert.equal(await text(concierge, 'h1'), '申请已提交');
  const caseNo = await text(concierge, '#case-no');
  const enterprise = await as('enterprise');
  await enterprise.goto(`${base}/cases/${m[1]}`);
  assert.match(await enterprise.locator('main').innerText(), /钱专员（帮办代办） 代 示范城建投资集团有限公司/);
  // Grouped under the project: stage 3 starts.
  await concierge.goto(projectUrl);
  await concierge.fill('#f-case_no', caseNo);
  await submit(concierge, '#add-case');
  assert.match(await text(concierge, '#stage-3'), new RegExp(caseNo));
  assert.match(await text(concierge, '#stage-3-used'), /已用 0 个工作日/);

  // 示范置业 authorized the concierge only until yesterday: refused with the reason.
  const e2 = await as('enterprise2');
  await e2.goto(`${base}/mandates`);
  await e2.fill('#f-concierge', 'concierge');
  await e2.fill('#f-valid_from', day(-60));
  await e2.fill('#f-valid_to', day(-1));
  await e2.setInputFiles('#f-letter', { name: '授权委托书.pdf', mimeType: 'application/pdf', buffer: PDF });
  await submit(e2, '#grant-mandate');
  assert.match(await text(e2, '#mandates'), /已到期/);
  await concierge.goto(`${base}/items/${BUILD}/apply`);
  await concierge.fill('#f-on_behalf_of', 'enterprise2');
  await submit(concierge, '#start-application');
  assert.match(await text(concierge, '#error-summary'), /授权委托已于.*到期/);
});

test('the enterprise raises a difficulty ticket; overdue, it climbs to the head; the department answers; the enterprise rates it', async () => {
  const base = server.base;
  const enterprise = await as('enterprise');
  await enterprise.goto(`${base}/tickets`);
  await enterprise.selectOption('#f-project_id', { label: '示范区人民医院新院区建设项目' });
  await enterprise.fill('#f-title', '施工许可与人防审查的先后');
  await enterprise.fill('#f-problem', '人防设计审查是否必须在施工许可之前完成？');
  await enterprise.fill('#f-items', BUILD);
  await submit(enterprise, '#raise-ticket');
  const ticketUrl = enterprise.url();
  assert.match(await text(enterprise, '#state'), /待受理/);
  assert.equal(await enterprise.locator('#escalation').count(), 0);
  // Nobody answers within the 3 working days: the sweep, as of the 4th
  // working day on the legal calendar, takes it to 住建局's head, who is
  // told (the supervisors only 2 working days after that).
  const fourth = (await server.run(['calendar', 'add-workdays', day(0), '4'])).trim().split('\n').pop();
  const swept = await server.run(['tickets', 'sweep', '--date', fourth, '--allow-future']);
  assert.match(swept, /^[1-9]\d* escalated to department heads/);
  await enterprise.reload();
  assert.match(await text(enterprise, '#escalation'), /已提醒部门负责人/);
  const headZj = await as('head_zj');
  await headZj.goto(`${base}/notifications`);
  assert.match(await headZj.locator('main').innerText(), /施工许可与人防审查的先后/);
  const zj = await as('reviewer_zj');
  await zj.goto(`${base}/tickets`);
  assert.match(await text(zj, '#tickets'), /施工许可与人防审查的先后/);
  await zj.goto(ticketUrl);
  await zj.fill('#f-note', '可并联办理：人防审查结论作为施工许可的告知承诺事项，开工前补交。');
  await submit(zj, '#act-answer');
  assert.match(await text(zj, '#state'), /已答复/);
  await enterprise.goto(ticketUrl);
  assert.match(await text(enterprise, '#answer'), /并联办理/);
  await submit(enterprise, '#act-resolve');
  await enterprise.check('input[name=level][value="5"]');
  await submit(enterprise, '#rate-ticket');
  assert.match(await text(enterprise, '#rating'), /^5 \/ 5/);
  assert.match(await text(enterprise, '#ticket-events'), /提出诉求[\s\S]*答复[\s\S]*确认解决[\s\S]*评价/);
});

test('the concierge applies for stage 1 with one form and one set of materials; two departments decide in parallel', async () => {
  const base = server.base;
  const concierge = await as('concierge');
  // A new project of the enterprise, registered by its concierge.
  await concierge.goto(`${base}/projects`);
  await concierge.fill('#f-code', '2611-339901-04-01-718206');
  await concierge.fill('#f-name', '示范区第二实验学校建设项目');
  await concierge.fill('#f-owner', 'enterprise');
  await concierge.fill('#f-division', '339901');
  await concierge.selectOption('#f-kind', 'government');
  await concierge.fill('#f-land_area', '42000');
  await concierge.fill('#f-floor_area', '56000');
  await concierge.fill('#f-investment', '48000');
  await concierge.fill('#f-planned_start', day(90));
  await concierge.fill('#f-planned_finish', day(700));
  await submit(concierge, '#register-project');
  const projectUrl = concierge.url();
  assert.match(new URL(projectUrl).pathname, /^\/projects\/\d+$/, await concierge.locator('main').innerText());
  assert.match(await text(concierge, '#stage-1'), /未开始/);

  // One form, one set of materials for the stage's three items.
  await submit(concierge, '#apply-stage-1');
  const m = new URL(concierge.url()).pathname.match(/^\/bundle-cases\/(\d+)\/materials$/);
  assert.ok(m, `on the materials page, got ${concierge.url()}: ${await concierge.locator('main').innerText()}`);
  const slotIds = await concierge.locator('tr.slot').evaluateAll((rows) => rows.map((r) => r.id.replace('slot-', '')));
  assert.ok(slotIds.length > 0);
  for (const i of slotIds) {
    await concierge.setInputFiles(`#f-file-${i}`, { name: `m${i}.pdf`, mimeType: 'application/pdf', buffer: PDF });
    await submit(concierge, `#upload-${i}`);
  }
  await submit(concierge, '#continue');
  assert.equal(await concierge.locator('#check-items li').count(), 3);
  await submit(concierge, '#submit-bundle');
  assert.match(new URL(concierge.url()).pathname, /^\/bundle-cases\/\d+\/submitted$/);
  const bundleNo = await text(concierge, '#bundle-no');
  await concierge.goto(`${base}/bundle-cases/${m[1]}`);
  const subs = await concierge.locator('#sub-cases tbody tr').evaluateAll((rows) => rows.map((r) => ({
    id: r.dataset.case,
    item: r.querySelector('a').innerText.trim(),
  })));
  assert.equal(subs.length, 3);

  // The enterprise sees the stage application on its project, in its name.
  const enterprise = await as('enterprise');
  await enterprise.goto(projectUrl);
  assert.match(await text(enterprise, '#stage-1-application'), new RegExp(bundleNo));
  assert.match(await text(enterprise, '#stage-1-used'), /已用 0 个工作日/);
  await enterprise.goto(`${base}/cases/${subs[0].id}`);
  assert.match(await enterprise.locator('main').innerText(), /钱专员（帮办代办） 代 示范城建投资集团有限公司/);

  // One window accepts all three.
  const clerk = await as('clerk');
  await clerk.goto(`${base}/bundle-cases/${m[1]}`);
  await clerk.locator('#intake-form select').evaluateAll((ss) => ss.forEach((x) => { x.value = 'ok'; }));
  await submit(clerk, '#accept-all');
  assert.match(await text(clerk, '#flash'), /已受理/);

  // 发改局 and 自然资源规划局 each decide their own item, side by side.
  const decideAs = async (reviewerName, headName, sub) => {
    const reviewer = await as(reviewerName);
    await reviewer.goto(`${base}/cases/${sub.id}`);
    await reviewer.fill('#f-opinion', '材料齐全，符合要求，同意。');
    await reviewer.check('#agree-yes');
    await submit(reviewer, '#complete-review');
    const head = await as(headName);
    await head.goto(`${base}/cases/${sub.id}`);
    await head.fill('#f-decide-reason', '符合法定条件，准予许可。');
    await head.check('#approve-yes');
    await submit(head, '#decide');
    assert.equal(await head.locator('#error-summary').count(), 0, await head.locator('main').innerText());
  };
  const record = subs.find((s) => s.item.startsWith('企业投资项目备案'));
  const siting = subs.find((s) => s.item.startsWith('建设项目用地预审'));
  await decideAs('reviewer_fg', 'head_fg', record);
  await decideAs('reviewer_zr', 'head_zr', siting);

  // The project page: both decided, the third still under review, the
  // stage's days against its target.
  await concierge.goto(projectUrl);
  const rows = await concierge.locator('#stage-1 tbody tr').allInnerTexts();
  assert.match(rows.find((r) => r.includes('企业投资项目备案')), /示范区发展和改革局[\s\S]*准予许可/);
  assert.match(rows.find((r) => r.includes('用地预审')), /示范区自然资源和规划局[\s\S]*准予许可/);
  assert.doesNotMatch(rows.find((r) => r.includes('建设用地规划许可')), /准予许可/);
  assert.match(await text(concierge, '#stage-1'), /目标时限：30 个工作日/);
  assert.match(await text(concierge, '#stage-1-used'), /已用 0 个工作日/);
  assert.doesNotMatch(await text(concierge, '#stage-1-used'), /已完成/);

  // 联合验收: the completion stage applied for, 住建局 arranges one joint
  // inspection with 自然资源规划局 for 规划核实; each records its finding
  // on the project's page; the last gives the one result.
  await concierge.goto(projectUrl);
  await submit(concierge, '#apply-stage-4');
  const slots4 = await concierge.locator('tr.slot').evaluateAll((rows) => rows.map((r) => r.id.replace('slot-', '')));
  for (const i of slots4) {
    await concierge.setInputFiles(`#f-file-${i}`, { name: `c${i}.pdf`, mimeType: 'application/pdf', buffer: PDF });
    await submit(concierge, `#upload-${i}`);
  }
  await submit(concierge, '#continue');
  await submit(concierge, '#submit-bundle');
  const zj = await as('reviewer_zj');
  await zj.goto(projectUrl);
  await zj.fill('#f-inspect_on', day(0));
  await zj.fill('#f-inspect_at', '09:30');
  await zj.fill('#f-place', '学校工地东门');
  await zj.selectOption('#f-departments', { label: '示范区自然资源和规划局' });
  await submit(zj, '#schedule-inspection');
  const inspection = zj.locator('section.inspection').first();
  assert.match(await inspection.innerText(), /示范区住房和城乡建设局[\s\S]*待出具/);
  assert.match(await inspection.innerText(), /示范区自然资源和规划局[\s\S]*待出具/);
  await zj.locator('section.inspection input[value="yes"]').check();
  await submit(zj, 'section.inspection button');
  const zr = await as('reviewer_zr');
  await zr.goto(projectUrl);
  // Not passed needs what to put right: the error points at the note.
  await zr.locator('section.inspection input[value="no"]').check();
  await submit(zr, 'section.inspection button');
  assert.match(await text(zr, '#error-summary'), /整改/);
  await zr.locator('section.inspection input[value="yes"]').check();
  await submit(zr, 'section.inspection button');
  await enterprise.goto(projectUrl);
  assert.match(await enterprise.locator('section.inspection').first().innerText(), /联合验收合格/);
  await enterprise.goto(`${base}/notifications`);
  assert.match(await enterprise.locator('main').innerText(), /联合验收合格/);
});
