import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { isPlatformError } from '../../core/errors.ts'
import { type GenerateSummary, generateOlist, OLIST_FILES } from '../../data/index.ts'
import { loadAll, tempDir } from './support.ts'

const ORDERS = OLIST_FILES.orders.name
const ITEMS = OLIST_FILES.items.name
const REVIEWS = OLIST_FILES.reviews.name
const SELLERS = OLIST_FILES.sellers.name
const NO_SUCH_ID = 'ffffffffffffffffffffffffffffffff'

/** Splits a file into physical lines (LF), keeping the text of each. */
async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).replace(/\n$/, '').split('\n')
}

/** First 1-based line from `from` on where a record starts right after a one-line record. */
function recordBoundary(fileLines: string[], from: number): number {
  const oneLine = /^[0-9a-f]{32},[0-9a-f]{32},[1-5],[^"]*$/
  for (let line = from; line <= fileLines.length; line++) {
    if (oneLine.test(fileLines[line - 2]!)) return line
  }
  throw new Error('no record boundary found')
}

/** Inserts `extra` so it becomes physical line `at` (1-based) of the file. */
function insertAt(fileLines: string[], at: number, extra: string): void {
  fileLines.splice(at - 1, 0, extra)
}

describe('loadOlist fault injection', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let generated: GenerateSummary
  let customerId: string

  before(async () => {
    ;({ dir, cleanup } = await tempDir('faults'))
    generated = await generateOlist({ scale: 0.01, seed: 5, outDir: dir })
    const orders = await lines(join(dir, ORDERS))
    customerId = orders[1]!.split(',')[1]!
  })
  after(() => cleanup())

  it('reports each bad line with its line number and column and loads every good row', async () => {
    const order = (id: string, status: string, purchase: string) =>
      [id, customerId, status, purchase, '', '', '', '2018-02-01 00:00:00'].join(',')
    const orders = await lines(join(dir, ORDERS))
    insertAt(orders, 3, order('a'.repeat(32), 'delivered', '2017-13-45 10:00:00'))
    insertAt(orders, 10, order('b'.repeat(32), 'delivered', ''))
    insertAt(orders, 20, order('c'.repeat(32), 'lost', '2018-01-01 10:00:00'))
    await writeFile(join(dir, ORDERS), `${orders.join('\n')}\n`)

    const items = await lines(join(dir, ITEMS))
    const [, , productId, sellerId] = items[1]!.split(',')
    insertAt(
      items,
      5,
      [NO_SUCH_ID, 1, productId, sellerId, '2018-01-01 00:00:00', '10.00', '5.00'].join(','),
    )
    await writeFile(join(dir, ITEMS), `${items.join('\n')}\n`)

    // An unclosed quote in the middle: the parser swallows text up to the next quote; only the
    // broken line may be lost.
    const reviews = await lines(join(dir, REVIEWS))
    const orderId = orders[1]!.split(',')[0]!
    const brokenAt = recordBoundary(reviews, Math.floor(reviews.length / 2))
    insertAt(
      reviews,
      brokenAt,
      [
        'd'.repeat(32),
        orderId,
        '5',
        '',
        '"never closed, sadly',
        '2018-01-01 00:00:00',
        '2018-01-02 10:00:00',
      ].join(','),
    )
    await writeFile(join(dir, REVIEWS), `${reviews.join('\n')}\n`)

    const { summary, rejects } = await loadAll(dir)
    const brief = rejects.map((r) => ({ file: r.file, line: r.line, column: r.column }))
    assert.deepEqual(brief, [
      { file: ORDERS, line: 3, column: 'order_purchase_timestamp' },
      { file: ORDERS, line: 10, column: 'order_purchase_timestamp' },
      { file: ORDERS, line: 20, column: 'order_status' },
      { file: ITEMS, line: 5, column: 'order_id' },
      { file: REVIEWS, line: brokenAt, column: 'review_comment_message' },
    ])
    for (const r of rejects) assert.ok(r.reason.includes(r.column!), r.reason)
    assert.match(rejects[1]!.reason, /required/)
    assert.match(rejects[4]!.reason, /quote/)
    for (const [file, count] of Object.entries(generated.files)) {
      assert.equal(summary.files[file as keyof typeof summary.files].rows, count, file)
    }
    assert.equal(summary.files[ORDERS].rejected, 3)
    assert.equal(summary.files[REVIEWS].rejected, 1)
  })

  it('fails the file with CSV_INVALID on a wrong header', async () => {
    const sellers = await lines(join(dir, SELLERS))
    sellers[0] = 'seller_id,seller_zip_code,seller_city,seller_state'
    await writeFile(join(dir, SELLERS), `${sellers.join('\n')}\n`)
    await assert.rejects(loadAll(dir), (error: unknown) => {
      assert.ok(isPlatformError(error, 'CSV_INVALID'))
      assert.match((error as Error).message, /olist_sellers_dataset\.csv: header must be exactly/)
      return true
    })
  })
})

describe('quoted multi-line values', () => {
  let dir: string
  let cleanup: () => Promise<void>

  before(async () => {
    ;({ dir, cleanup } = await tempDir('multiline'))
    await generateOlist({ scale: 0.01, seed: 9, outDir: dir })
  })
  after(() => cleanup())

  it('parses a multi-line review comment as one row and keeps later line numbers right', async () => {
    const orderId = (await lines(join(dir, ORDERS)))[1]!.split(',')[0]!
    const review = (id: string, score: string, message: string) =>
      [
        id.repeat(32),
        orderId,
        score,
        '',
        message,
        '2018-01-10 00:00:00',
        '2018-01-11 08:00:00',
      ].join(',')
    const text = [
      OLIST_FILES.reviews.columns.map((c) => c.name).join(','),
      review('1', '5', 'ok'),
      review('2', '4', '"first line, with comma\r\nsecond ""quoted"" line\nthird line"'),
      review('3', '3', ''),
      review('4', '9', 'bad score'),
      review('5', '5', '"one more\nmulti-line"'),
      review('6', '5', '"2018-02-30 is not a date"').replace(
        '2018-01-10 00:00:00',
        '2018-02-30 00:00:00',
      ),
    ].join('\n')
    await writeFile(join(dir, REVIEWS), `${text}\n`)
    const messages: (string | null)[] = []
    const { summary, rejects } = await loadAll(dir, (file, row) => {
      if (file === REVIEWS) messages.push(row.review_comment_message)
    })
    assert.equal(summary.files[REVIEWS].rows, 4)
    assert.deepEqual(messages, [
      'ok',
      'first line, with comma\r\nsecond "quoted" line\nthird line',
      null,
      'one more\nmulti-line',
    ])
    assert.deepEqual(
      rejects.map((r) => [r.line, r.column]),
      [
        [7, 'review_score'],
        [10, 'review_creation_date'],
      ],
    )
  })
})
