// The life of one licence application, across five users: the applicant
// applies with a document missing, the window issues the one-time correction
// notice, the applicant supplies it, the case is accepted, suspended for an
// expert review, extended once, decided, certified and delivered; the public
// progress page then shows it without personal data.
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

const ITEM = '11339901MB000000114010103001000'; // 公共场所卫生许可（新证）
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

// Today in the server's time zone, as YYYY-MM-DD.
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

// N working days after a date, through the public calendar API (null when the
// year's holiday schedule is not known yet).
async function addWorkdays(date, n) {
  const r = await fetch(`${server.base}/api/v1/calendar/add-workdays?date=${date}&n=${n}`);
  if (!r.ok) return null;
  return (await r.json()).date;
}

const as = (user) => pageAs(browser, server.base, user);

async function state(page) {
  return page.locator('#case-state').getAttribute('data-state');
}

async function upload(page, i) {
  await page.setInputFiles(`#f-file-${i}`, { name: `m${i}.pdf`, mimeType: 'application/pdf', buffer: PDF });
  await submit(page, `#upload-${i}`);
  assert.equal(await page.locator('#error-summary').count(), 0, `upload ${i}: ${await page.locator('main').innerText()}`);
  assert.match(await page.locator(`#material-${i}`).innerText(), new RegExp(`m${i}\\.pdf`), `material ${i} uploaded`);
}

test('an application goes from submission through correction, suspension and extension to delivery', async () => {
  const base = server.base;
  const day = today();

  // 1. The applicant applies, leaving the health certificates out.
  const applicant = await as('applicant');
  await applicant.goto(`${base}/items/${ITEM}`);
  await submit(applicant, '#apply');
  await applicant.fill('#f-form_venue_name', '西湖宾馆');
  await applicant.fill('#f-form_venue_address', '杭州市西湖区北山街1号');
  await applicant.fill('#f-form_area', '1200');
  await applicant.selectOption('#f-form_venue_type', '住宿场所');
  await submit(applicant, '#start-application');
  const m = new URL(applicant.url()).pathname.match(/^\/cases\/(\d+)\/materials$/);
  assert.ok(m, `on the materials page, got ${applicant.url()}`);
  const caseUrl = `${base}/cases/${m[1]}`;
  // The 营业执照 is 免提交: the e-licence library provides it, nothing to upload.
  assert.equal(await applicant.locator('#f-file-1').count(), 0);
  assert.match(await text(applicant, '#material-1'), /免提交.*电子证照库/);
  for (const i of [0, 2]) await upload(applicant, i);
  await submit(applicant, '#continue');
  assert.match(await text(applicant, '#missing-warning'), /从业人员健康合格证明/);
  await submit(applicant, '#submit-application');
  // The confirmation page: the number, the code of the progress lookup, what happens next.
  assert.equal(new URL(applicant.url()).pathname, `${new URL(caseUrl).pathname}/submitted`);
  assert.equal(await text(applicant, 'h1'), '申请已提交');
  const caseNo = await text(applicant, '#case-no');
  const code = await text(applicant, '#verify-code');
  assert.ok(caseNo && code, 'case number and verification code shown');
  assert.match(await text(applicant, '#next-steps'), /5个工作日/);
  await submit(applicant, '#view-case');
  assert.equal(new URL(applicant.url()).pathname, new URL(caseUrl).pathname);
  assert.equal(await state(applicant), 'submitted');
  assert.equal(await text(applicant, '#case-no'), caseNo);

  // 2. The clerk checks the documents and issues the one-time correction notice.
  const clerk = await as('clerk');
  await clerk.goto(caseUrl);
  // Nothing is preselected: the clerk checks each line; one left unchecked is refused.
  for (const i of [0, 1, 2, 3]) assert.equal(await clerk.locator(`#f-problem-${i}`).inputValue(), '', `line ${i} not preselected`);
  await clerk.selectOption('#f-problem-0', 'defective');
  await submit(clerk, '#issue-correction');
  assert.match(await text(clerk, '#error-summary'), /第2项材料尚未核对/);
  assert.equal(await state(clerk), 'submitted');
  await clerk.selectOption('#f-problem-0', 'defective');
  await clerk.selectOption('#f-problem-1', 'ok');
  await clerk.selectOption('#f-problem-2', 'ok');
  await clerk.selectOption('#f-problem-3', 'missing');
  await clerk.fill('input[name=note_0]', '申请人未签字');
  // A form entry is wrong too: the notice names it.
  await clerk.check('#f-fix-venue_name');
  await clerk.fill('#f-fixnote-venue_name', '名称应与营业执照一致');
  await submit(clerk, '#issue-correction');
  assert.equal(await state(clerk), 'correction');
  const notice = clerk.locator('#documents a', { hasText: '补正材料一次性告知书' });
  assert.equal(await notice.count(), 1, 'correction notice listed');
  await submit(clerk, '#documents a:has-text("补正材料一次性告知书")');
  const listed = await text(clerk, '#doc-materials');
  assert.match(listed, /公共场所卫生许可申请表/);
  assert.match(listed, /从业人员健康合格证明/);
  assert.match(listed, /申请人未签字/);
  assert.match(listed, /申请信息：场所名称/);
  assert.match(listed, /名称应与营业执照一致/);
  // The clerk does not get the applicant's buttons: only the window's own
  // (receiving corrections in person), in the window's words.
  await clerk.goto(caseUrl);
  // The window may enter the corrected details the applicant brings, in its own words.
  assert.match(await text(clerk, '#save-corrections'), /记录窗口更正/);
  assert.match(await text(clerk, '#supply'), /窗口已收取补正材料/);
  assert.doesNotMatch(await clerk.locator('#actions').innerText(), /补正完毕，重新提交/);

  // 3. The applicant corrects exactly what the notice names: supplying with
  // nothing done is refused, naming each thing still to do.
  await applicant.goto(caseUrl);
  assert.match(await text(applicant, '#pending-corrections'), /公共场所卫生许可申请表.*从业人员健康合格证明.*场所名称/);
  await submit(applicant, '#supply');
  assert.match(await text(applicant, '#error-summary'), /尚未按一次性告知书补正/);
  assert.equal(await state(applicant), 'correction');
  assert.equal(await applicant.locator('#correct-form [name^="form."]').count(), 1, 'only the named field');
  await applicant.fill('#f-form_venue_name', '西湖宾馆有限公司');
  await submit(applicant, '#save-corrections');
  assert.doesNotMatch(await text(applicant, '#pending-corrections'), /场所名称/);
  await submit(applicant, '#upload-corrections');
  await upload(applicant, 0);
  await upload(applicant, 3);
  await applicant.goto(caseUrl);
  await submit(applicant, '#supply');
  assert.equal(await state(applicant), 'submitted');

  // 4. The clerk accepts: the clock starts today.
  await clerk.goto(caseUrl);
  await submit(clerk, '#accept');
  assert.equal(await state(clerk), 'review');
  assert.equal(await text(clerk, '#accepted-on'), day);
  assert.equal(await text(clerk, '#promised-due'), await addWorkdays(day, 10));
  assert.equal(await text(clerk, '#legal-due'), await addWorkdays(day, 20));

  // The extension below may count into a year whose holiday notice is not
  // out yet: such a date is computed provisionally, never left blank.
  const due30 = await addWorkdays(day, 30);
  assert.ok(due30, 'the calendar counts 30 working days, provisionally if need be');

  // 5. The reviewer stops the clock for an expert review, then resumes it.
  const reviewer = await as('reviewer');
  await reviewer.goto(caseUrl);
  await reviewer.click('#suspend-box summary');
  await reviewer.selectOption('#f-procedure', '专家评审');
  await reviewer.fill('#f-note', '需组织专家现场评审');
  await submit(reviewer, '#suspend');
  assert.equal(await state(reviewer), 'suspended');
  assert.equal(await reviewer.locator('#documents a', { hasText: '特别程序告知书' }).count(), 1);
  await submit(reviewer, '#resume');
  assert.equal(await state(reviewer), 'review');
  assert.equal(await text(reviewer, '#suspended-days'), '0');

  // 6. The head extends the legal limit, once.
  const head = await as('head');
  await head.goto(caseUrl);
  await head.click('#extend-box summary');
  await head.fill('#f-days', '10');
  await head.fill('#f-extend-reason', '专家评审意见需进一步核实');
  await submit(head, '#extend');
  assert.equal(await head.locator('#error-summary').count(), 0, await head.locator('main').innerText());
  assert.equal(await text(head, '#legal-due'), due30);
  assert.equal(await text(head, '#promised-due'), await addWorkdays(day, 20));
  assert.equal(await text(head, '#extension-days'), '10');
  const why = await text(head, '#clock-explanation');
  assert.match(why, /专家评审/);
  assert.match(why, /延长10个工作日/);
  assert.equal(await head.locator('#extend-box').count(), 0, 'only one extension');

  // 6b. Dates that never vanish (SPEC §3): a date in a year without a notice
  // is labelled 暂定, the case stays in supervision, and entering the notice
  // recomputes it and tells the applicant.
  const prov = await (await fetch(`${base}/api/v1/calendar/add-workdays?date=${day}&n=30`)).json();
  assert.equal(await head.locator('#legal-provisional').count(), prov.provisional ? 1 : 0);
  if (prov.provisional) {
    const year = prov.date.slice(0, 4);
    assert.match(await text(head, '#provisional-note'), new RegExp(`${year}年节假日安排尚未公布`));
    const supervisor = await as('supervisor');
    await supervisor.goto(`${base}/work`);
    assert.ok((await supervisor.locator('main').innerText()).includes(caseNo), 'still supervised');
    await supervisor.context().close();
    // The notice (a stand-in for the test) makes the provisional date itself a day off.
    const admin = await as('admin');
    await admin.goto(`${base}/admin/calendar`);
    assert.match(await text(admin, '#calendar-provisional'), new RegExp(year));
    await admin.fill('#f-year', year);
    await admin.fill('#f-source', 'test stand-in');
    await admin.fill('#f-days', `${year}-01-01 off 元旦\n${prov.date} off 调休`);
    await submit(admin, '#save-calendar');
    assert.match(await text(admin, '#calendar-notice'), /已重新计算\d+件办件的期限/);
    await admin.context().close();
    await head.goto(caseUrl);
    assert.equal(await head.locator('#legal-provisional').count(), 0);
    const moved = await addWorkdays(day, 30);
    assert.notEqual(moved, prov.date);
    assert.equal(await text(head, '#legal-due'), moved);
    await applicant.goto(`${base}/notifications`);
    const told = await applicant.locator('#notifications li').allInnerTexts();
    assert.ok(told.some((n) => n.includes(`期限已按${year}年节假日安排确定`) && n.includes(moved)), told.join('\n'));
  }

  // 7. Review, decision, certificate, delivery.
  await reviewer.goto(caseUrl);
  await reviewer.fill('#f-opinion', '符合卫生许可条件，同意。');
  await reviewer.check('#agree-yes');
  await submit(reviewer, '#complete-review');
  assert.equal(await state(reviewer), 'decision');
  await head.goto(caseUrl);
  await head.fill('#f-decide-reason', '经审查符合条件，准予许可。');
  assert.equal(await head.locator('input[name=approve]:checked').count(), 0, 'no decision is preselected');
  await head.check('#approve-yes');
  await submit(head, '#decide');
  assert.equal(await state(head), 'certifying');
  assert.equal(await text(head, '#certificate-due'), await addWorkdays(day, 10));
  await reviewer.goto(caseUrl);
  await submit(reviewer, '#issue');
  assert.equal(await state(reviewer), 'delivering');
  // 制证 signed an electronic certificate; its QR code leads to a public
  // verification page that anyone can open.
  const lid = await text(reviewer, '#certificates .licence-id');
  assert.match(lid, /^1\.2\.156\.3005\.2\./);
  const checker = await as(null);
  await checker.goto(`${base}/verify/${lid}`);
  assert.equal(await checker.locator('#cert-status').getAttribute('data-status'), 'valid');
  assert.equal(await checker.locator('#cert-signature').getAttribute('data-valid'), 'yes');
  assert.match(await text(checker, '#cert-fields'), /公共场所卫生许可证/);
  assert.doesNotMatch(await text(checker, '#cert-fields'), /西湖宾馆/, 'the application is not public');
  await clerk.goto(caseUrl);
  await submit(clerk, '#deliver');
  assert.equal(await state(clerk), 'completed');

  // 8. Anyone can track the case with its number and code, without personal data.
  const visitor = await as(null);
  await visitor.goto(`${base}/progress`);
  await visitor.fill('#f-case_no', caseNo);
  await visitor.fill('#f-code', code);
  await submit(visitor, '#lookup');
  assert.ok(await visitor.locator('#progress-result').isVisible());
  assert.match(await text(visitor, '#public-state'), /已办结/);
  assert.equal(await text(visitor, '#public-promised'), await addWorkdays(day, 20));
  const body = await visitor.locator('body').innerText();
  assert.ok(!body.includes('张三'), 'no applicant name');
  assert.ok(!body.includes('330102199003070027'), 'no ID number');
  // A wrong code is refused with the error summary.
  await visitor.goto(`${base}/progress`);
  await visitor.fill('#f-case_no', caseNo);
  await visitor.fill('#f-code', code === '000000' ? '111111' : '000000');
  await submit(visitor, '#lookup');
  assert.equal(await visitor.locator('#error-summary').count(), 1);
  assert.equal(await visitor.locator('#progress-result').count(), 0);

  for (const p of [applicant, clerk, reviewer, head, visitor]) await p.context().close();
});
