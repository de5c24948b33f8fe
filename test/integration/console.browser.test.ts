// The operator console (docs/console.md), as a person would use it, in a real browser: Debian's chromium driven by
// playwright-core (no browser download; CHROMIUM_PATH or /usr/bin/chromium), axe-core run inside
// each page. Sign in; find a quarantined unknown-device message; fix devices.csv, reload from the
// page, release it and see the adapter receive it; acknowledge an obligation; as a viewer find no
// button that changes anything and get 403 when posting anyway; a cross-site form post is refused;
// a hostile document renders as text and runs nothing; no serious or critical axe violation on
// any page; screenshots at 1280x800 and at a phone width. Without chromium the file fails, saying
// how to install it (.ci/run installs it).
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, post, waitFor } from './harness.js'
import { demoDocument, LEGACY_TOKEN, OPERATOR, postDemo, startConsoleWorld, VIEWER } from './console-world.js'
import type { ConsoleWorld } from './console-world.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const HAVE_CHROMIUM = existsSync(CHROMIUM)
const CI = process.env.CI === 'true'
// UPDATE_SCREENSHOTS=1 writes the screenshots over the committed ones in docs/console/
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs/console') : mkdtempSync(join(tmpdir(), 'dccgw-console-shots-'))
const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8')
const DESKTOP = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }
const EVIL = '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;'

// No skips in this project (test/deploy-binaries.ts): without chromium the file fails, saying how to get it.
if (!HAVE_CHROMIUM) {
  it('chromium is installed', () => {
    throw new Error(
      `no chromium at ${CHROMIUM}${CI ? ' (CI: .ci/run should have installed it)' : ''}. ` +
        'Install it once with: sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium (or set CHROMIUM_PATH)',
    )
  })
} else describe(`operator console in chromium (${CHROMIUM})`, () => {
  let w: ConsoleWorld
  let browser: Browser
  let operator: BrowserContext
  let page: Page
  const problems: string[] = []
  const visited = new Set<string>()

  /** watches a page for script dialogs, page errors and CSP violations: none may happen */
  function watch(p: Page): Page {
    p.on('dialog', (d) => (problems.push(`dialog: ${d.message()}`), void d.dismiss()))
    p.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
    p.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`))
    return p
  }

  async function axe(p: Page): Promise<void> {
    // evaluate() runs over the DevTools protocol, outside the page's CSP (which forbids inline script)
    if (!(await p.evaluate('typeof window.axe !== "undefined"'))) await p.evaluate(AXE)
    const result = (await p.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })`)) as {
      violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[]
    }
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    expect(bad.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), p.url()).toEqual([])
    visited.add(new URL(p.url()).pathname.replace(/[0-9a-f-]{36}/, '{id}'))
  }

  async function shot(p: Page, name: string, phoneToo = false): Promise<void> {
    await p.setViewportSize(DESKTOP)
    await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false })
    if (phoneToo) {
      await p.setViewportSize(PHONE)
      // readable at a phone width: nothing but a table inside its own scroller is wider than the screen
      expect(await p.evaluate('document.documentElement.scrollWidth'), `${name} at ${PHONE.width}px`).toBeLessThanOrEqual(PHONE.width)
      await p.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true })
      await p.setViewportSize(DESKTOP)
    }
  }

  const flash = (p: Page) => p.locator('.flash').innerText()
  const adminGet = async (path: string) =>
    (await (await fetch(w.gw.url + path, { headers: { authorization: `Bearer ${LEGACY_TOKEN}` } })).json()) as { items: { id: string }[] }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    w = await startConsoleWorld()
    await postDemo(w.gw, 'unknown-device.xml')
    await postDemo(w.gw, 'critical-alert-stale-cos.xml')
    await postDemo(w.gw, 'scheduled-read-stale-cos.xml')
    await postDemo(w.gw, 'critical-alert-acme-supplied.xml')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    operator = await browser.newContext({ viewport: DESKTOP })
    page = watch(await operator.newPage())
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await w?.close()
  })

  it('signs in with the keyboard and lands on the overview', async () => {
    await page.goto(`${w.gw.url}/console/quarantine`)
    expect(new URL(page.url()).pathname).toBe('/console/login')
    await axe(page)
    await shot(page, 'login')
    await page.getByLabel('Admin credential').fill(OPERATOR.token)
    await page.keyboard.press('Enter')
    await page.waitForURL('**/console/quarantine')
    await page.getByRole('link', { name: 'Overview' }).click()
    await expect(page.getByRole('heading', { level: 1 })).toBeDefined()
    expect(await page.locator('h1').innerText()).toBe('Overview')
    expect(await page.locator('svg[role="img"]').getAttribute('aria-label')).toMatch(/quarantine 1/)
    await axe(page)
    await shot(page, 'overview', true)
  }, 60_000)

  it('finds the quarantined unknown-device message, fixes devices.csv, reloads from the page, releases it, and the adapter receives it', async () => {
    await page.getByRole('link', { name: 'Quarantine', exact: true }).click()
    await page.getByLabel('Reason').selectOption('unknown-device')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/reason=unknown-device/)
    await axe(page)
    await shot(page, 'quarantine', true)
    const rows = page.locator('table.worklist tbody tr')
    expect(await rows.count()).toBe(1)
    await rows.first().getByRole('link').click()
    await page.waitForURL(/\/console\/quarantine\/[0-9a-f-]{36}$/)
    const facts = await page.locator('main').innerText()
    expect(facts).toContain('unknown-device')
    expect(facts).toContain('8F0F Credit Below Disablement Threshold (prepayment mode)')
    expect(facts).toContain('00-12-34-56-78-AB-CD-99:90-B3-D5-1F-30-01-00-00:10')
    await axe(page)
    await shot(page, 'quarantine-item')
    const itemUrl = page.url()

    // the registry fix: the device joins an MPAN ACME supplies
    appendFileSync(join(w.world.dir, 'devices.csv'), '00-12-34-56-78-AB-CD-99,ESME,1200012345679\n')
    await page.getByRole('link', { name: 'Registry', exact: true }).click()
    expect(await page.locator('main').innerText()).toContain('changed: reload to use it')
    await page.getByRole('button', { name: 'Reload the registry' }).click()
    expect(await flash(page)).toMatch(/^Registry reloaded: 8 registrations, 7 devices/)
    await axe(page)
    await shot(page, 'registry')

    await page.goto(itemUrl)
    await page.getByRole('button', { name: 'Release' }).click()
    await page.waitForURL('**/console/quarantine')
    const released = await flash(page)
    expect(released).toMatch(/^Released: re-evaluated as deliver \(responsible\), message 00-12-34-56-78-AB-CD-99:90-B3-D5-1F-30-01-00-00:10@/)
    const got = await waitFor('the adapter to receive the released message', () =>
      w.adapter.received.find((r) => r.headers['idempotency-key'] === '00-12-34-56-78-AB-CD-99:90-B3-D5-1F-30-01-00-00:10@2025-03-14T10:00:00.000Z'), 20_000)
    expect(got.body.equals(demoDocument('unknown-device.xml'))).toBe(true)
    expect(got.headers['x-dcc-gateway-reason']).toBe('responsible')
  }, 90_000)

  it('acknowledges an obligation from the page, and the trail shows who', async () => {
    await page.getByRole('link', { name: 'Obligations', exact: true }).click()
    await axe(page)
    await shot(page, 'obligations', true)
    await page.getByRole('button', { name: /^Acknowledge critical-forward for BRITE/ }).click()
    expect(await flash(page)).toBe('Acknowledged.')
    const main = await page.locator('main').innerText()
    expect(main).toMatch(/Status\s+acknowledged/)
    expect(main).toMatch(/Acknowledged\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ by console:olivia@/)
    expect(main).toContain('Contacts of BRITE')
    await axe(page)
    await shot(page, 'obligation')
  }, 60_000)

  it('stale-CoS sorts by a column and downloads CSV; the audit log is filterable by who', async () => {
    await page.getByRole('link', { name: 'Stale CoS' }).click()
    await page.getByRole('link', { name: /^MPxN/ }).click()
    expect(await page.locator('th[aria-sort]').innerText()).toMatch(/MPxN/)
    expect(await page.locator('tbody tr').first().innerText()).toContain('1412345678901')
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()])
    expect(readFileSync((await download.path())!, 'utf8')).toMatch(/^party,mpxn,supplyStartDate/)
    await axe(page)
    await shot(page, 'stale-cos')
    await page.getByRole('link', { name: 'Audit', exact: true }).click()
    await page.getByLabel('Actor contains').fill('olivia')
    await page.getByLabel('Action').selectOption('quarantine.release')
    await page.getByRole('button', { name: 'Filter' }).click()
    const audit = await page.locator('tbody').innerText()
    expect(audit).toMatch(/console:olivia@\S+\s+quarantine\.release\s+[0-9a-f-]{36}\s+deliver\/responsible/)
    await page.goto(`${w.gw.url}/console/audit`)
    await axe(page)
    await shot(page, 'audit')
  }, 60_000)

  it('a quarantined document carrying <script> and "onerror= payloads renders as text and runs nothing', async () => {
    const base = demoDocument('unknown-device.xml').toString()
    const doc = base
      .replace('00-12-34-56-78-AB-CD-99:90-B3-D5-1F-30-01-00-00:10', EVIL)
      .replace('<sr:Body>', '<sr:Body><!-- </pre><script>alert(3)</script><img src=x onerror="alert(4)"> -->')
    const r = await post(`${w.gw.url}/duis`, doc)
    expect(r.status).toBe(422)
    await page.goto(`${w.gw.url}/console/quarantine`)
    await page.goto(`${w.gw.url}/console/quarantine/${r.json.quarantineId}`)
    await page.getByRole('link', { name: 'Show the raw document' }).click()
    await page.waitForURL(/raw=1/)
    expect(await page.locator('pre.raw').innerText()).toContain('</pre><script>alert(3)</script><img src=x onerror="alert(4)">')
    expect(await page.locator('main').innerText()).toContain('"><img src=x onerror=alert(1)><script>alert(2)</script>')
    expect(await page.evaluate('document.querySelectorAll("script:not([src]), img, [onerror]").length')).toBe(0)
    await axe(page)
    expect(problems).toEqual([]) // no alert() dialog, no page error, no CSP violation on any page so far
  }, 60_000)

  it('a viewer finds no button that changes anything, and gets 403 when posting anyway', async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP })
    const v = watch(await ctx.newPage())
    await v.goto(`${w.gw.url}/console/login`)
    await v.getByLabel('Admin credential').fill(VIEWER.token)
    await v.getByRole('button', { name: 'Sign in' }).click()
    await v.waitForURL('**/console/')
    const item = (await adminGet('/admin/quarantine')).items[0]!.id
    const obligation = (await adminGet('/admin/obligations?status=all')).items[0]!.id
    for (const p of ['/console/', '/console/quarantine?reason=malformed', `/console/quarantine/${item}`, '/console/obligations?status=all', `/console/obligations/${obligation}`, '/console/stale-cos', '/console/audit', '/console/registry']) {
      await v.goto(w.gw.url + p)
      const buttons = await v.locator('button').allInnerTexts()
      expect(buttons.filter((b) => !/Sign out|Filter|Show/.test(b)), p).toEqual([])
      expect(await v.locator('form[method="post"]:not([action="/console/logout"])').count(), p).toBe(0)
    }
    const csrf = await v.locator('input[name="csrf"]').first().inputValue()
    const tries = [`/console/quarantine/${item}/release`, '/console/registry/reload', `/console/obligations/${obligation}/ack`]
    for (const path of tries) {
      const res = await ctx.request.post(w.gw.url + path, { form: { csrf }, headers: { origin: w.gw.url }, maxRedirects: 0 })
      expect(res.status(), path).toBe(403)
    }
    await ctx.close()
  }, 60_000)

  it('a form on another site posting to the console is refused', async () => {
    const gwUrl = new URL(w.gw.url)
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(`<!doctype html><form id="f" method="post" action="${w.gw.url}/console/registry/reload"><input name="csrf" value="guess"></form><script>document.getElementById('f').submit()</script>`)
    })
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()))
    try {
      const reloadsBefore = (await adminGet('/admin/audit?action=registry.reload')).items.length
      const p = await operator.newPage() // the signed-in operator visits a hostile page
      const answer = p.waitForResponse((r) => r.url().startsWith(`${w.gw.url}/console/registry/reload`))
      // localhost and 127.0.0.1 are different sites to the browser
      await p.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`)
      expect((await answer).status()).toBe(403)
      expect(await p.locator('body').innerText()).toContain('A form from another site cannot change anything here.')
      const reloadsAfter = (await adminGet('/admin/audit?action=registry.reload')).items.length
      expect(reloadsAfter).toBe(reloadsBefore)
      expect(gwUrl.hostname).toBe('127.0.0.1')
      await p.close()
    } finally {
      evil.closeAllConnections()
      await new Promise((r) => evil.close(r))
    }
  }, 60_000)

  it('axe found no serious or critical violation on any page', () => {
    expect([...visited].sort()).toEqual([
      '/console/', '/console/audit', '/console/login', '/console/obligations', '/console/obligations/{id}',
      '/console/quarantine', '/console/quarantine/{id}', '/console/registry', '/console/stale-cos',
    ])
  })
})
