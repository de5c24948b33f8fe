// Comments cite what a reader of the repository can open: the DUIS/GBCS element, the SEC rule, a
// file, or the page of docs/ (or the README section) that holds the rule. Not the issue tracker's
// numbers, not the notes kept outside the repository (the contract, style and domain notes by
// section), and not a source file or doc that does not exist. The forms refused are in FORBIDDEN
// and in the examples of the last test below.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const FOLDERS = ['src', 'test', 'bench', 'scripts']

/** Every comment of a TypeScript/JavaScript source, found by the compiler (not by a regex over strings). */
function comments(fileName: string, text: string): { line: number; text: string }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true)
  const seen = new Set<number>()
  const out: { line: number; text: string }[] = []
  const take = (ranges: readonly ts.CommentRange[] | undefined): void => {
    for (const r of ranges ?? []) {
      if (seen.has(r.pos)) continue
      seen.add(r.pos)
      out.push({ line: source.getLineAndCharacterOfPosition(r.pos).line + 1, text: text.slice(r.pos, r.end) })
    }
  }
  const visit = (node: ts.Node): void => {
    take(ts.getLeadingCommentRanges(text, node.getFullStart()))
    take(ts.getTrailingCommentRanges(text, node.getEnd()))
    node.forEachChild(visit)
  }
  take(ts.getLeadingCommentRanges(text, 0))
  visit(source)
  return out.sort((a, b) => a.line - b.line)
}

const FORBIDDEN: [RegExp, string][] = [
  [/\bcontract\s*\(?\s*(§|section\b)/i, 'cites the contract notes'],
  [/\bstyle\s*(§|section\b)/i, 'cites the style notes'],
  [/\bdomain(\s+(notes|primer))?\s*(§|section\b)/i, 'cites the domain notes'],
  [/\bissues?\s+#?\d+/i, 'cites an issue number'],
  [/(^|[^&\w/])#\d+\b/, 'cites an issue number'],
]

/** What is wrong with one comment's citations; `base` is the repository the paths are checked in. */
function problems(comment: string, base: string): string[] {
  const found: string[] = []
  for (const [re, why] of FORBIDDEN) {
    const m = re.exec(comment)
    if (m) found.push(`${why}: "${m[0].trim()}"`)
  }
  // A repository path to a source file or a doc must exist; a path inside another repository
  // ("SmartDCCInnovation/gbcs-parser src/util.ts") is that repository's, not ours.
  for (const m of comment.matchAll(/(?<![\w./-])(src\/[\w./-]+\.(?:ts|js)|docs\/[\w./-]+\.md)\b/g)) {
    const before = comment.slice(0, m.index)
    if (/[\w.-]+\/[\w.-]+\s*\(?$/.test(before)) continue
    const path = m[1] as string
    const candidates = path.endsWith('.js') ? [path, path.replace(/\.js$/, '.ts')] : [path]
    if (!candidates.some((p) => existsSync(join(base, p)))) found.push(`names ${path}, which does not exist`)
  }
  return found
}

function sources(): string[] {
  return FOLDERS.flatMap((folder) =>
    readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(ts|mts|mjs|js)$/.test(f) && !/(^|\/)(node_modules|\.cache|results)\//.test(f))
      .map((f) => join(root, folder, f)),
  )
}

describe('comments cite what exists in the repository', () => {
  it('no comment in src/, test/, bench/ or scripts/ cites an issue, the contract/style/domain notes or a missing path', () => {
    const files = sources()
    expect(files.filter((f) => f.startsWith(join(root, 'src'))).length).toBeGreaterThan(100)
    const found: string[] = []
    for (const file of files) {
      for (const c of comments(file, readFileSync(file, 'utf8'))) {
        for (const p of problems(c.text, root)) found.push(`${relative(root, file)}:${c.line}: ${p}`)
      }
    }
    expect(found).toEqual([])
  })

  it('finds comments and only comments', () => {
    const text = [
      '// issue #14 rule 3',
      'const s = "see issue #9 // not a comment", t = `contract §3 ${1}`',
      'const r = /#13/ /* style §4 */',
      '/**',
      ' * Delivery (contract §4)',
      ' */',
      'export function f(): void {} // Issue 15 (3)',
    ].join('\n')
    const found = comments('x.ts', text).map((c) => [c.line, problems(c.text, root).length > 0])
    expect(found).toEqual([[1, true], [3, true], [4, true], [7, true]])
  })

  it('rejects each kind of dead citation and keeps the ones a reader can open', () => {
    const bad = [
      '// the decision (contract §3)',
      '// Style §4: the schema is the source',
      '// (domain notes §6)',
      '/** Registry files (contract section 5). */',
      '// Issue #17: compiled snapshots',
      '// before issue 15 (receipt-based deadlines)',
      '// the store port (#13)',
      '// wired in src/gateway.ts',
      '// see docs/nowhere.md',
    ]
    for (const c of bad) expect(problems(c, root), c).not.toEqual([])
    const good = [
      '// DUIS ResponseID = originator:target:counter (GBCS 0xDF critical); SR 6.23, SECMP0121',
      '// the decision (README, "Decisions and reasons"; docs/decisions.md, "Dates")',
      "// SignatureValue carries `&#13;` like DCC Boxed; RFC 4051 §3.4.2",
      '// alert code table in SmartDCCInnovation/gbcs-parser (src/util.ts `alertCodes`)',
      '// wired in src/gateway/index.ts and src/pipeline.js',
    ]
    for (const c of good) expect(problems(c, root), c).toEqual([])
  })
})
