import { describe, expect, it } from 'vitest'
import { isXmlContentType } from './http-util.js'

describe('isXmlContentType', () => {
  it('accepts application/xml and text/xml in any case, with any parameters', () => {
    for (const v of ['application/xml', 'text/xml', 'Application/XML', 'application/xml; charset=utf-8', ' TEXT/xml ;charset=UTF-16']) expect(isXmlContentType(v), v).toBe(true)
  })
  it('refuses anything else', () => {
    for (const v of [undefined, '', 'application/json', 'application/xml+soap', 'text/xmlx', 'application/x-xml']) expect(isXmlContentType(v), String(v)).toBe(false)
  })
})
