// Every relative link in README.md and docs/**/*.md points at a file of the repository, and every
// `#anchor` at a heading of the page it names (GitHub's heading ids). README is the front page and
// the deep sections live in docs/: a moved or renamed section must not leave a dead link behind.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import GithubSlugger from 'github-slugger'
import { lexer, walkTokens, type Token } from 'marked'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')

/** Markdown pages checked: README.md and every .md under docs/. */
function pages(base: string): string[] {
  const docs = join(base, 'docs')
  const inDocs = existsSync(docs)
    ? readdirSync(docs, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => join(docs, f))
    : []
  return [join(base, 'README.md'), ...inDocs]
}

/** The text a heading renders to (code spans keep their text, link and emphasis marks go). */
function plainText(tokens: Token[] | undefined): string {
  let out = ''
  for (const t of tokens ?? []) {
    if ('tokens' in t && t.tokens && t.tokens.length > 0) out += plainText(t.tokens)
    else if ('text' in t && typeof t.text === 'string') out += t.text
  }
  return out
}

interface Parsed {
  hrefs: string[]
  anchors: Set<string>
}

function parse(file: string): Parsed {
  const tokens = lexer(readFileSync(file, 'utf8'))
  const hrefs: string[] = []
  const anchors = new Set<string>()
  const slugger = new GithubSlugger()
  walkTokens(tokens, (t) => {
    if (t.type === 'link' || t.type === 'image') hrefs.push(t.href)
    else if (t.type === 'heading') anchors.add(slugger.slug(plainText(t.tokens)))
  })
  return { hrefs, anchors }
}

/** Broken relative links of the pages under `base`, as "page: href (why)". */
function brokenLinks(base: string): string[] {
  const cache = new Map<string, Parsed>()
  const parsed = (file: string): Parsed => {
    let p = cache.get(file)
    if (!p) cache.set(file, (p = parse(file)))
    return p
  }
  const broken: string[] = []
  for (const page of pages(base)) {
    for (const href of parsed(page).hrefs) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) continue // http:, https:, mailto:
      const [pathPart = '', anchor] = href.split('#', 2)
      const path = decodeURIComponent(pathPart.split('?')[0] ?? '')
      const target = path === '' ? page : resolve(dirname(page), path)
      const where = `${relative(base, page)}: ${href}`
      if (!existsSync(target)) {
        broken.push(`${where} (no file ${relative(base, target)})`)
        continue
      }
      if (anchor === undefined || anchor === '') continue
      if (statSync(target).isDirectory() || !target.endsWith('.md')) {
        broken.push(`${where} (an anchor into a file that is not a markdown page)`)
        continue
      }
      if (!parsed(target).anchors.has(decodeURIComponent(anchor).toLowerCase())) {
        broken.push(`${where} (no heading #${anchor} in ${relative(base, target)})`)
      }
    }
  }
  return broken
}

describe('documentation links', () => {
  it('every relative link in README.md and docs/ resolves to a file, and every #anchor to a heading', () => {
    expect(pages(root).length).toBeGreaterThan(5)
    expect(brokenLinks(root)).toEqual([])
  })

  it('README links every page of docs/', () => {
    const linked = new Set(parse(join(root, 'README.md')).hrefs.map((h) => resolve(root, h.split('#')[0] ?? '')))
    const unlinked = pages(root)
      .slice(1)
      .filter((p) => !linked.has(p))
      .map((p) => relative(root, p))
    expect(unlinked).toEqual([])
  })

  describe('the checker', () => {
    const base = mkdtempSync(join(tmpdir(), 'docs-links-'))
    afterAll(() => rmSync(base, { recursive: true, force: true }))
    mkdirSync(join(base, 'docs', 'img'), { recursive: true })
    writeFileSync(join(base, 'docs', 'img', 'a.png'), '')
    writeFileSync(
      join(base, 'docs', 'ops.md'),
      '# Operations\n\n## The store\'s hot path (`JournaledStore`)\n\n![a](img/a.png) [home](../README.md#front-page)\n',
    )
    const readme = (body: string): void =>
      writeFileSync(join(base, 'README.md'), `# Front page\n\n${body}\n\n\`\`\`\n[in code](nowhere.md)\n\`\`\`\n`)

    it('accepts links to files, images, headings (GitHub ids) and external URLs', () => {
      readme(
        '[ops](docs/ops.md) [hot](docs/ops.md#the-stores-hot-path-journaledstore) [self](#front-page) ' +
          '[web](https://example.org/x.md) [mail](mailto:a@b.c) `[code span](missing.md)`',
      )
      expect(brokenLinks(base)).toEqual([])
    })

    it('reports a link to a missing file', () => {
      readme('[gone](docs/moved.md) [ops](docs/ops.md)')
      expect(brokenLinks(base)).toEqual(['README.md: docs/moved.md (no file docs/moved.md)'])
    })

    it('reports an anchor that names no heading, in this page or another', () => {
      readme('[ops](docs/ops.md#metrics) [self](#nowhere)')
      expect(brokenLinks(base)).toEqual([
        'README.md: docs/ops.md#metrics (no heading #metrics in docs/ops.md)',
        'README.md: #nowhere (no heading #nowhere in README.md)',
      ])
    })

    it('reports a broken link in a page under docs/', () => {
      readme('[ops](docs/ops.md)')
      writeFileSync(join(base, 'docs', 'ops.md'), '# Operations\n\n![a](img/b.png)\n')
      expect(brokenLinks(base)).toEqual(['docs/ops.md: img/b.png (no file docs/img/b.png)'])
    })
  })
})
