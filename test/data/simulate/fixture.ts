import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { formatTimestamp, OLIST_FILES, type OlistFileKey } from '../../../data/index.ts'

/** A 32-char hex id from a short hex prefix, readable in assertions. */
export const id = (prefix: string): string => prefix.padEnd(32, '0')

const MINUTE = 60_000
const DAY = 86_400_000
export const T0 = Date.UTC(2018, 0, 1, 10, 0, 0)
const at = (ms: number) => formatTimestamp(T0 + ms)
export const time = { MINUTE, DAY }

export const ids = {
  o1: id('a1'),
  o2: id('a2'),
  o3: id('a3'),
  o4: id('a4'),
  c1: id('c1'),
  c2: id('c2'),
  c3: id('c3'),
  c4: id('c4'),
  p1: id('b1'),
  p2: id('b2'),
  p3: id('b3'),
  s1: id('d1'),
  s2: id('d2'),
  r1: id('e1'),
  r2: id('e2'),
} as const

/**
 * Four orders: o1 delivered on time with a review; o2 delivered late, 2 items and 2
 * payments, its carrier date before its approval (an Olist anomaly) and a review dated
 * before the purchase; o3 approved then canceled; o4 shipped and never delivered.
 * Zip 01001 has two geolocation rows (the first wins); zip 09999 (s2) and 04004 (c4) have none.
 */
const rows: Record<OlistFileKey, string[][]> = {
  customers: [
    [ids.c1, id('f1'), '01001', 'sao paulo', 'SP'],
    [ids.c2, id('f2'), '1001', 'sao paulo', 'SP'],
    [ids.c3, id('f3'), '03003', 'campinas', 'SP'],
    [ids.c4, id('f4'), '04004', 'santos', 'SP'],
  ],
  sellers: [
    [ids.s1, '02002', 'curitiba', 'PR'],
    [ids.s2, '09999', 'recife', 'PE'],
  ],
  products: [
    [ids.p1, 'beleza_saude', '40', '300', '1', '500', '20', '10', '15'],
    [ids.p2, '', '', '', '', '', '', '', ''],
    [ids.p3, 'sem_traducao', '30', '200', '2', '800', '30', '20', '10'],
  ],
  categories: [['beleza_saude', 'health_beauty']],
  geolocation: [
    ['01001', '-23.55', '-46.63', 'sao paulo', 'SP'],
    ['01001', '-23.56', '-46.64', 'sao paulo', 'SP'],
    ['02002', '-25.42', '-49.27', 'curitiba', 'PR'],
    ['03003', '-22.90', '-47.06', 'campinas', 'SP'],
  ],
  orders: [
    // order_id, customer_id, status, purchase, approved, carrier, delivered, estimated
    [ids.o1, ids.c1, 'delivered', at(0), at(10 * MINUTE), at(DAY), at(3 * DAY), at(10 * DAY)],
    [
      ids.o2,
      ids.c2,
      'delivered',
      at(5 * MINUTE),
      at(20 * MINUTE),
      at(15 * MINUTE),
      at(12 * DAY),
      at(8 * DAY),
    ],
    [ids.o3, ids.c3, 'canceled', at(30 * MINUTE), at(40 * MINUTE), '', '', at(9 * DAY)],
    [
      ids.o4,
      ids.c4,
      'shipped',
      at(2 * DAY),
      at(2 * DAY + 60 * MINUTE),
      at(3 * DAY + 60 * MINUTE),
      '',
      at(12 * DAY),
    ],
  ],
  items: [
    [ids.o1, '1', ids.p1, ids.s1, at(2 * DAY), '10.00', '2.00'],
    [ids.o2, '1', ids.p1, ids.s1, at(2 * DAY), '10.00', '2.00'],
    [ids.o2, '2', ids.p2, ids.s2, at(2 * DAY), '20.00', '3.00'],
    [ids.o3, '1', ids.p3, ids.s1, at(2 * DAY), '30.00', '4.00'],
    [ids.o4, '1', ids.p1, ids.s1, at(4 * DAY), '10.00', '2.00'],
  ],
  payments: [
    [ids.o1, '1', 'credit_card', '1', '12.00'],
    [ids.o2, '1', 'credit_card', '2', '30.00'],
    [ids.o2, '2', 'voucher', '1', '5.00'],
    [ids.o3, '1', 'boleto', '1', '34.00'],
    [ids.o4, '1', 'debit_card', '1', '12.00'],
  ],
  reviews: [
    [ids.r1, ids.o1, '5', '', 'otimo', at(4 * DAY), at(5 * DAY)],
    [ids.r2, ids.o2, '1', 'ruim', '', at(0), at(DAY)],
  ],
}

/** Writes the nine fixture CSVs into `dir`. */
export async function writeFixture(dir: string): Promise<void> {
  for (const [key, lines] of Object.entries(rows) as [OlistFileKey, string[][]][]) {
    const spec = OLIST_FILES[key]
    const header = spec.columns.map((c) => c.name).join(',')
    const body = lines.map((fields) => `${fields.join(',')}\n`).join('')
    await writeFile(join(dir, spec.name), `${header}\n${body}`)
  }
}
