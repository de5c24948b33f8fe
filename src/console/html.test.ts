import { describe, expect, it } from 'vitest'
import { consoleHref, escapeHtml, html, trusted } from './html.js'

describe('html tagged template', () => {
  it('escapes every interpolated string, in text and in quoted attributes', () => {
    const id = '<script>alert(1)</script>'
    const attr = '" onerror="alert(1)'
    const out = html`<p title="${attr}">${id}</p><a title='${"' x='1"}'>${'`'}</a>`.text
    expect(out).toBe(
      '<p title="&quot; onerror=&quot;alert(1)">&lt;script&gt;alert(1)&lt;/script&gt;</p><a title=\'&#39; x=&#39;1\'>&#96;</a>',
    )
    expect(out).not.toContain('<script')
  })

  it('escapes & first, so entities in the input are shown, not decoded', () => {
    expect(escapeHtml('&lt;b&gt;')).toBe('&amp;lt;b&amp;gt;')
  })

  it('nests templates without escaping them twice, and escapes each item of an array', () => {
    const rows = ['<a>', 'b&c'].map((s) => html`<li>${s}</li>`)
    expect(html`<ul>${rows}</ul>`.text).toBe('<ul><li>&lt;a&gt;</li><li>b&amp;c</li></ul>')
    expect(html`${['<i>', trusted('<b>')]}`.text).toBe('&lt;i&gt;<b>')
  })

  it('renders null, undefined and false as nothing, numbers and bigints as text', () => {
    expect(html`${null}${undefined}${false}|${0}|${2n ** 64n}|${true}`.text).toBe('|0|18446744073709551616|true')
  })

  it('a plain object is not markup: its string form is escaped', () => {
    const sneaky = { toString: () => '<img src=x onerror=alert(1)>' } as unknown as string
    expect(html`${sneaky}`.text).toBe('&lt;img src=x onerror=alert(1)&gt;')
  })

  it('builds console links with every parameter value percent-encoded', () => {
    expect(consoleHref('/console/quarantine', { reason: 'unknown-device', mpxn: '"><script>', empty: '', none: undefined })).toBe(
      '/console/quarantine?reason=unknown-device&mpxn=%22%3E%3Cscript%3E',
    )
  })
})
