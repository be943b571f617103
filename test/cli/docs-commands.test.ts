/**
 * The docs name only commands and flags that exist: every `kappa …` in README.md and docs/*.md
 * (code spans and code blocks) is checked against commander's own help of that command, so a
 * renamed or removed command or flag fails here until the docs follow.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { repoRoot } from '../support/stack.ts'

/** A command as its help describes it: its flags and its subcommands. */
interface CommandHelp {
  readonly flags: ReadonlySet<string>
  readonly commands: ReadonlySet<string>
}

/** Reads commander's help text: the names under "Commands:", the long flags under "Options:". */
export function parseHelp(text: string): CommandHelp {
  const section = (title: string) => {
    const start = text.indexOf(`\n${title}:\n`)
    if (start < 0) return []
    const rest = text.slice(start + title.length + 3)
    const end = rest.search(/\n\S/)
    return (end < 0 ? rest : rest.slice(0, end)).split('\n')
  }
  const commands = section('Commands')
    .map((line) => /^ {2}([a-z][\w-]*)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined)
  // Only the option's own column: its description may name other flags.
  const flags = section('Options').flatMap((line) => {
    const term = /^ {2}\S/.test(line) ? line.trim().split(/\s{2,}/)[0]! : ''
    return [...term.matchAll(/--[a-z][\w-]*/g)].map((m) => m[0])
  })
  return { flags: new Set(flags), commands: new Set(commands) }
}

/** One mention: the words after `kappa` up to the end of that command line. */
export interface Mention {
  readonly where: string
  readonly words: readonly string[]
}

/** Code spans and code-block lines of a Markdown text. */
function codeOf(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].flatMap((m) =>
    m[1]!.split('\n'),
  )
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '')
  const spans = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!)
  return [...blocks, ...spans]
}

/**
 * Every `kappa <words>` in a Markdown text. A mention ends where its shell command does (a
 * pipe, `&&`, `;`, a comment) or where the next `kappa` starts; `\|` in a table cell means
 * "or" and is read as a space.
 */
export function mentionsIn(markdown: string, where: string): Mention[] {
  const mentions: Mention[] = []
  for (const code of codeOf(markdown)) {
    const text = code.replaceAll('\\|', ' ')
    const starts = [...text.matchAll(/(?:^|[\s(/$])(?:npx\s+)?kappa(?:\.js)?\s+(?=[a-z-])/g)]
    starts.forEach((match, i) => {
      const from = match.index! + match[0].length
      const to = starts[i + 1]?.index ?? text.length
      const command = text.slice(from, to).split(/\s(?:\||&&|;|#)|[;#]/)[0]!
      const words = command
        .split(/\s+/)
        .map((w) => w.replace(/^["'[(]+|["'\])…,.:]+$/g, ''))
        .filter(Boolean)
      if (words.length > 0) mentions.push({ where, words })
    })
  }
  return mentions
}

/** What is wrong with a mention, given each command's help (keyed "run", "stack up", …). */
export function problemsOf(mention: Mention, help: ReadonlyMap<string, CommandHelp>): string[] {
  const [name, ...rest] = mention.words
  const root = help.get('')!
  const shown = `kappa ${mention.words.join(' ')} (${mention.where})`
  if (!root.commands.has(name!)) return [`${shown}: no command ${name}`]
  const command = help.get(name!)!
  const problems: string[] = []
  // A command with subcommands: each bare word that follows is one of them (`stack up | down`).
  if (command.commands.size > 0) {
    for (const word of rest.filter((w) => /^[a-z]/.test(w))) {
      if (!command.commands.has(word)) problems.push(`${shown}: no command ${name} ${word}`)
    }
  }
  for (const flag of rest.filter((w) => w.startsWith('--')).map((w) => w.split('=')[0]!)) {
    if (!command.flags.has(flag)) problems.push(`${shown}: ${name} has no flag ${flag}`)
  }
  return problems
}

const execFileAsync = promisify(execFile)

async function helpOf(args: readonly string[]): Promise<CommandHelp> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [join(repoRoot, 'bin', 'kappa.js'), ...args, '--help'],
    { cwd: repoRoot, encoding: 'utf8' },
  )
  return parseHelp(stdout)
}

/** `kappa --help`, then the help of each command and of each subcommand. */
async function kappaHelp(): Promise<Map<string, CommandHelp>> {
  const help = new Map<string, CommandHelp>([['', await helpOf([])]])
  const names = [...help.get('')!.commands].filter((n) => n !== 'help')
  for (const [name, h] of await Promise.all(
    names.map(async (n) => [n, await helpOf([n])] as const),
  )) {
    help.set(name, h)
  }
  return help
}

function docs(): Array<{ where: string; text: string }> {
  const dir = join(repoRoot, 'docs')
  const pages = readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`)
  return ['README.md', ...pages].map((where) => ({
    where,
    text: readFileSync(join(repoRoot, where), 'utf8'),
  }))
}

test('every kappa command and flag the docs name exists in kappa --help', {
  timeout: 180_000,
}, async () => {
  const help = await kappaHelp()
  const mentions = docs().flatMap(({ where, text }) => mentionsIn(text, where))
  assert.ok(mentions.length > 30, `only ${mentions.length} kappa commands found in the docs`)
  const named = new Set(mentions.map((m) => m.words[0]))
  for (const command of ['demo', 'replay', 'simulate', 'stack', 'lineage']) {
    assert.ok(named.has(command), `the docs never name kappa ${command}`)
  }
  assert.deepEqual(
    mentions.flatMap((m) => problemsOf(m, help)),
    [],
  )
})

test('the check finds a command or flag that does not exist', () => {
  const help = new Map<string, CommandHelp>([
    ['', { flags: new Set(['--help']), commands: new Set(['replay', 'stack']) }],
    ['replay', { flags: new Set(['--all', '--dry-run', '--help']), commands: new Set() }],
    ['stack', { flags: new Set(['--help']), commands: new Set(['up', 'down']) }],
  ])
  const markdown = [
    '| `kappa replay [jobs…\\|--all] [--dry-run]` | ok |',
    '| `kappa stack up \\| down \\| restart` | a subcommand that is not there |',
    '```bash',
    'npx kappa replay --all --fast | tail   # a flag that is not there',
    'kappa rebuild order-lifecycle',
    '```',
    'prose mentioning kappa replay --nothing is not checked, nor `kappa: an error line`',
  ].join('\n')
  const problems = mentionsIn(markdown, 'x.md').flatMap((m) => problemsOf(m, help))
  assert.deepEqual(problems, [
    'kappa replay --all --fast (x.md): replay has no flag --fast',
    'kappa rebuild order-lifecycle (x.md): no command rebuild',
    'kappa stack up down restart (x.md): no command stack restart',
  ])
  assert.deepEqual(
    parseHelp(
      'Usage: kappa x\n\nOptions:\n  --until <time>  an as-of build; see --other\n  -h, --help  help\n\nCommands:\n  up  Start\n  help [command]  help\n',
    ),
    { flags: new Set(['--until', '--help']), commands: new Set(['up', 'help']) },
  )
})
