/**
 * For each derived table: its identity, how each column is compared, and a reference
 * query over the CSV files (see source.ts) that spells out the table's definition
 * independently of the job that builds it.
 */
import { days, ingestTime, sourceCtes } from './source.ts'

/**
 * How a column is brought to one comparable form on both sides: `ms` timestamps are epoch
 * millis (the table holds DateTime64, the reference millis), `float` is rounded to 6
 * decimals (sums may add in another order), `bool` is 0/1 (Bool against UInt8).
 */
export type ColumnKind = 'value' | 'ms' | 'float' | 'bool'

export interface ParityTable {
  /** The stable name readers query: a view with FINAL over the live generation. */
  readonly name: string
  readonly identity: readonly string[]
  readonly columns: Readonly<Record<string, ColumnKind>>
  /** Extra WITH entries after the source ones. */
  readonly with?: string
  /** SELECT over the source CTEs giving every column of `columns`, timestamps in millis. */
  readonly reference: string
  /** Columns whose values may differ by up to this much (why: at the column). */
  readonly tolerance?: Readonly<Record<string, number>>
  /**
   * Columns left out of the comparison, each with the reason: they are in the table but
   * cannot be derived from the files alone.
   */
  readonly excluded?: Readonly<Record<string, string>>
}

const DAY_MS = 86_400_000

const leadDays: ParityTable = {
  name: 'fact_order_lead_days',
  identity: ['order_id'],
  columns: {
    order_id: 'value',
    customer_id: 'value',
    status: 'value',
    purchase_at: 'ms',
    approved_at: 'ms',
    delivered_carrier_at: 'ms',
    delivered_customer_at: 'ms',
    estimated_delivery_at: 'ms',
    canceled_at: 'ms',
    approve_lead_days: 'float',
    carrier_lead_days: 'float',
    customer_lead_days: 'float',
    total_lead_days: 'float',
    promised_lead_days: 'float',
    delay_days: 'value',
    is_late: 'bool',
    version: 'value',
  },
  // Version: one per known fact (customer, five status times, estimated date).
  reference: `
    SELECT order_id, customer_id, status,
      purchase_ms AS purchase_at,
      approved_ms AS approved_at,
      carrier_ms AS delivered_carrier_at,
      delivered_ms AS delivered_customer_at,
      estimated_ms AS estimated_delivery_at,
      canceled_ms AS canceled_at,
      ${days('purchase_ms', 'approved_ms')} AS approve_lead_days,
      ${days('approved_ms', 'carrier_ms')} AS carrier_lead_days,
      ${days('carrier_ms', 'delivered_ms')} AS customer_lead_days,
      ${days('purchase_ms', 'delivered_ms')} AS total_lead_days,
      ${days('purchase_ms', 'estimated_ms')} AS promised_lead_days,
      delay_days, is_late,
      (customer_id != '') + 1 + (approved_ms IS NOT NULL) + (carrier_ms IS NOT NULL)
        + (delivered_ms IS NOT NULL) + (canceled_ms IS NOT NULL)
        + (estimated_ms IS NOT NULL) AS version
    FROM lifecycle`,
}

/** The parity run's partition count: open delays depend on each partition's watermark. */
export const PARITY_PARTITIONS = 3

const utcDayOf = (ms: string) => `toDate(fromUnixTimestamp64Milli(${ms}, 'UTC'))`

/**
 * Open delays are judged against each partition's final event-time watermark: the lower of the
 * latest status and the latest promised-date event times of the orders in that partition (the
 * partition of an order is Kafka's murmur2 of its id, which ClickHouse has as kafkaMurmurHash).
 * Late deliveries close with a version above any open one: 10^9 + the order's fact count.
 */
const orderDelay: ParityTable = {
  name: 'order_delay',
  identity: ['order_id'],
  columns: {
    order_id: 'value',
    customer_id: 'value',
    delay_state: 'value',
    purchase_at: 'ms',
    estimated_delivery_at: 'ms',
    delivered_customer_at: 'ms',
    delay_days: 'value',
    version: 'value',
  },
  with: `
  watermarks AS (
    SELECT kafkaMurmurHash(order_id) % ${PARITY_PARTITIONS} AS partition,
      least(maxIf(event_time, topic = 'orderStatus'),
        maxIf(event_time, topic = 'estimatedDeliveryDate')) AS watermark
    FROM records
    WHERE topic IN ('orderStatus', 'estimatedDeliveryDate')
    GROUP BY partition
  ),
  judged AS (
    SELECT l.*,
      toInt32(dateDiff('day', ${utcDayOf('estimated_ms')}, ${utcDayOf('w.watermark')})) AS overdue
    FROM lifecycle AS l
    INNER JOIN watermarks AS w ON w.partition = kafkaMurmurHash(l.order_id) % ${PARITY_PARTITIONS}
    WHERE l.estimated_ms IS NOT NULL
  )`,
  reference: `
    SELECT order_id, customer_id,
      if(delivered_ms IS NULL, 'open', 'delivered_late') AS delay_state,
      purchase_ms AS purchase_at,
      estimated_ms AS estimated_delivery_at,
      delivered_ms AS delivered_customer_at,
      toInt32(if(delivered_ms IS NULL, overdue, delay_days)) AS delay_days,
      toUInt64(if(delivered_ms IS NULL, overdue,
        1000000000 + (customer_id != '') + 1 + (approved_ms IS NOT NULL)
          + (carrier_ms IS NOT NULL) + 1 + (estimated_ms IS NOT NULL))) AS version
    FROM judged
    WHERE canceled_ms IS NULL
      AND ((delivered_ms IS NULL AND overdue > 0) OR (delivered_ms IS NOT NULL AND delay_days > 0))`,
}

const reviewLeadDays: ParityTable = {
  name: 'fact_review_answer_lead_days',
  identity: ['order_id', 'review_id'],
  columns: {
    order_id: 'value',
    review_id: 'value',
    review_score: 'value',
    review_creation_date: 'ms',
    review_answer_timestamp: 'ms',
    answer_lead_days: 'float',
    creation_lead_days: 'float',
    delay_days: 'value',
    is_late: 'bool',
    version: 'value',
  },
  // Version: the review, plus its answer, the delivery and the estimated date once known.
  reference: `
    SELECT r.order_id AS order_id, r.review_id AS review_id, r.review_score AS review_score,
      r.creation_ms AS review_creation_date,
      r.answer_ms AS review_answer_timestamp,
      ${days('r.creation_ms', 'r.answer_ms')} AS answer_lead_days,
      ${days('l.delivered_ms', 'r.creation_ms')} AS creation_lead_days,
      l.delay_days AS delay_days,
      ifNull(l.is_late, 0) AS is_late,
      1 + (r.answer_ms IS NOT NULL) + (l.delivered_ms IS NOT NULL)
        + (l.estimated_ms IS NOT NULL) AS version
    FROM reviews AS r
    LEFT JOIN lifecycle AS l ON l.order_id = r.order_id`,
}

/** One row per order line; the line's month is its order's purchase month (UTC). */
const salesLines = `
  SELECT i.order_id AS order_id, i.order_item_id AS order_item_id,
    toStartOfMonth(toDate(fromUnixTimestamp64Milli(o.purchase_ms, 'UTC'))) AS month,
    i.product_id AS product_id,
    p.category_name AS category_name,
    p.category_name_english AS category_name_english,
    1 AS quantity,
    i.price AS revenue,
    i.freight_value AS freight,
    o.canceled_ms IS NOT NULL AS canceled,
    if(canceled, 2, 1) AS version
  FROM items AS i
  INNER JOIN orders AS o ON o.order_id = i.order_id
  LEFT JOIN products AS p ON p.product_id = i.product_id`

const salesItems: ParityTable = {
  name: 'fact_sales_items',
  identity: ['order_id', 'order_item_id'],
  columns: {
    order_id: 'value',
    order_item_id: 'value',
    month: 'value',
    product_id: 'value',
    category_name: 'value',
    category_name_english: 'value',
    quantity: 'value',
    revenue: 'float',
    freight: 'float',
    canceled: 'bool',
    version: 'value',
  },
  reference: salesLines,
}

/** Monthly units, revenue and average price of the lines of orders not canceled. */
const monthlySales = (name: string, keys: readonly string[]): ParityTable => ({
  name,
  identity: keys,
  columns: {
    ...Object.fromEntries(keys.map((key) => [key, 'value' as const])),
    quantity: 'value',
    revenue: 'float',
    avg_unit_price: 'float',
  },
  // Sums in whole cents, exact whatever the order. Named apart from the line columns: an
  // alias equal to a column name would shadow that column inside sum().
  reference: `
    SELECT ${keys.join(', ')},
      count() AS quantity,
      sum(toInt64(round(line_revenue * 100))) AS cents,
      round(cents / 100, 2) AS revenue,
      -- The contract: the exact average, rounded half up to the cent.
      intDiv(2 * cents + count(), 2 * count()) / 100 AS avg_unit_price
    FROM (SELECT *, revenue AS line_revenue FROM (${salesLines}) WHERE NOT canceled)
    GROUP BY ${keys.join(', ')}`,
})

const orderDetail: ParityTable = {
  name: 'fact_order_detail',
  identity: ['order_id', 'order_item_id'],
  columns: {
    order_id: 'value',
    order_item_id: 'value',
    purchase_at: 'ms',
    customer_id: 'value',
    customer_state: 'value',
    customer_city: 'value',
    customer_zip: 'value',
    customer_lat: 'float',
    customer_lng: 'float',
    product_id: 'value',
    category_name: 'value',
    category_name_english: 'value',
    seller_id: 'value',
    seller_state: 'value',
    seller_city: 'value',
    seller_zip: 'value',
    seller_lat: 'float',
    seller_lng: 'float',
    price: 'float',
    freight_value: 'float',
    payment_total: 'float',
    payment_types: 'value',
    max_installments: 'value',
    join_status: 'value',
    missing: 'value',
    version: 'value',
  },
  // The join window: an order whose events (items, payments, statuses) span more than 7
  // days of event time has timed out. The version counts the order's inputs: items,
  // payments, the purchase, the customer id, each lookup resolved (customer and its zip,
  // each distinct seller and its zip, each distinct product) and the timeout.
  with: `
  payment_summary AS (
    SELECT order_id,
      uniqExact(payment_sequential) AS payment_count,
      round(sum(payment_value), 2) AS total,
      arraySort(groupUniqArray(payment_type)) AS types,
      max(payment_installments) AS max_installments
    FROM payments GROUP BY order_id
  ),
  item_lookups AS (
    SELECT i.order_id AS order_id,
      uniqExact(i.order_item_id) AS item_count,
      uniqExactIf(i.seller_id, s.seller_id IS NOT NULL)
        + uniqExactIf(i.seller_id, sg.zip IS NOT NULL)
        + uniqExactIf(i.product_id, p.product_id IS NOT NULL) AS resolved
    FROM items AS i
    LEFT JOIN sellers AS s ON s.seller_id = i.seller_id
    LEFT JOIN geo AS sg ON sg.zip = s.zip
    LEFT JOIN products AS p ON p.product_id = i.product_id
    GROUP BY i.order_id
  ),
  join_window AS (
    SELECT order_id, max(event_time) - min(event_time) > ${7 * DAY_MS} AS timed_out
    FROM records WHERE topic IN ('orderItem', 'payment', 'orderStatus')
    GROUP BY order_id
  ),
  order_version AS (
    SELECT o.order_id AS order_id, w.timed_out AS timed_out,
      il.item_count + ifNull(ps.payment_count, 0) + 1 + (o.customer_id != '')
        + (c.customer_id IS NOT NULL) + (cg.zip IS NOT NULL) + il.resolved
        + w.timed_out AS version
    FROM orders AS o
    INNER JOIN item_lookups AS il ON il.order_id = o.order_id
    LEFT JOIN payment_summary AS ps ON ps.order_id = o.order_id
    LEFT JOIN customers AS c ON c.customer_id = o.customer_id
    LEFT JOIN geo AS cg ON cg.zip = c.zip
    LEFT JOIN join_window AS w ON w.order_id = o.order_id
  )`,
  reference: `
    SELECT i.order_id AS order_id, i.order_item_id AS order_item_id,
      o.purchase_ms AS purchase_at,
      o.customer_id AS customer_id,
      c.state AS customer_state, c.city AS customer_city, c.zip AS customer_zip,
      cg.lat AS customer_lat, cg.lng AS customer_lng,
      i.product_id AS product_id,
      p.category_name AS category_name, p.category_name_english AS category_name_english,
      i.seller_id AS seller_id,
      s.state AS seller_state, s.city AS seller_city, s.zip AS seller_zip,
      sg.lat AS seller_lat, sg.lng AS seller_lng,
      i.price AS price, i.freight_value AS freight_value,
      ps.total AS payment_total, ps.types AS payment_types,
      ps.max_installments AS max_installments,
      arrayConcat(
        if(c.customer_id IS NULL, ['customer'], []),
        if(cg.zip IS NULL, ['customer_geolocation'], []),
        if(ps.order_id IS NULL, ['payments'], []),
        if(p.product_id IS NULL, ['product'], []),
        if(o.order_id IS NULL, ['purchase'], []),
        if(s.seller_id IS NULL, ['seller'], []),
        if(sg.zip IS NULL, ['seller_geolocation'], [])) AS missing,
      multiIf(empty(missing), 'completed', v.timed_out, 'timed_out', 'waiting') AS join_status,
      v.version AS version
    FROM items AS i
    LEFT JOIN orders AS o ON o.order_id = i.order_id
    LEFT JOIN customers AS c ON c.customer_id = o.customer_id
    LEFT JOIN geo AS cg ON cg.zip = c.zip
    LEFT JOIN products AS p ON p.product_id = i.product_id
    LEFT JOIN sellers AS s ON s.seller_id = i.seller_id
    LEFT JOIN geo AS sg ON sg.zip = s.zip
    LEFT JOIN payment_summary AS ps ON ps.order_id = i.order_id
    LEFT JOIN order_version AS v ON v.order_id = i.order_id`,
}

const userLocation: ParityTable = {
  name: 'dim_user_location',
  identity: ['user_type', 'user_id'],
  columns: {
    user_type: 'value',
    user_id: 'value',
    customer_unique_id: 'value',
    zip: 'value',
    city: 'value',
    state: 'value',
    lat: 'float',
    lng: 'float',
    version: 'value',
  },
  // Customers of any order and sellers of any item. Version: the entity record's
  // ingest_time doubled, plus one when its zip has coordinates.
  reference: `
    SELECT 'customer' AS user_type, c.customer_id AS user_id,
      CAST(c.customer_unique_id, 'Nullable(String)') AS customer_unique_id,
      c.zip AS zip, c.city AS city, c.state AS state, g.lat AS lat, g.lng AS lng,
      ${ingestTime('e.user_id', 'e.published')} * 2 + (g.zip IS NOT NULL) AS version
    FROM entities AS e
    INNER JOIN customers AS c ON c.customer_id = e.user_id
    LEFT JOIN geo AS g ON g.zip = c.zip
    WHERE e.user_type = 'customer'
    UNION ALL
    SELECT 'seller' AS user_type, s.seller_id AS user_id,
      CAST(NULL, 'Nullable(String)') AS customer_unique_id,
      s.zip AS zip, s.city AS city, s.state AS state, g.lat AS lat, g.lng AS lng,
      ${ingestTime('e.user_id', 'e.published')} * 2 + (g.zip IS NOT NULL) AS version
    FROM entities AS e
    INNER JOIN sellers AS s ON s.seller_id = e.user_id
    LEFT JOIN geo AS g ON g.zip = s.zip
    WHERE e.user_type = 'seller'`,
}

const audit: ParityTable = {
  name: 'pipeline_audit',
  identity: ['order_id'],
  columns: {
    order_id: 'value',
    status: 'value',
    purchase_at: 'ms',
    approved_at: 'ms',
    delivered_carrier_at: 'ms',
    delivered_customer_at: 'ms',
    canceled_at: 'ms',
    estimated_delivery_arrived: 'bool',
    item_count: 'value',
    payment_count: 'value',
    review_count: 'value',
    first_ingest_time: 'ms',
    last_ingest_time: 'ms',
    late_events: 'value',
    out_of_order_events: 'value',
    missing: 'value',
    version: 'value',
  },
  // The ingest times are the simulator's (publish time + a hash-chosen 50..99 ms), not
  // the wall clock's, so they follow from the files. A record is late an hour after its
  // event time, and out of order when a record of a later lifecycle stage (purchase, items
  // and payments 0; approval and estimated date 1; carrier 2; delivery 3) was ingested
  // strictly before it. Version: the distinct records seen.
  with: `
  arrivals AS (
    SELECT order_id,
      uniqExactIf(key, topic = 'orderItem') AS item_count,
      uniqExactIf(key, topic = 'payment') AS payment_count,
      uniqExactIf(key, topic = 'review') AS review_count,
      min(ingest) AS first_ingest_time,
      max(ingest) AS last_ingest_time,
      countIf(ingest - event_time > 3600000) AS late_events,
      groupUniqArrayIf((stage, ingest, topic, key), stage >= 0) AS staged,
      uniqExact(topic, key) AS version
    FROM (
      SELECT *, toInt64(${ingestTime('key', 'published')}) AS ingest,
        multiIf(topic IN ('orderItem', 'payment') OR endsWith(key, ':purchase'), 0,
          topic = 'estimatedDeliveryDate' OR endsWith(key, ':approved'), 1,
          endsWith(key, ':delivered_carrier'), 2,
          endsWith(key, ':delivered_customer'), 3, -1) AS stage
      FROM records)
    GROUP BY order_id
  )`,
  reference: `
    SELECT l.order_id AS order_id, l.status AS status,
      l.purchase_ms AS purchase_at,
      l.approved_ms AS approved_at,
      l.carrier_ms AS delivered_carrier_at,
      l.delivered_ms AS delivered_customer_at,
      l.canceled_ms AS canceled_at,
      l.estimated_ms IS NOT NULL AS estimated_delivery_arrived,
      a.item_count AS item_count, a.payment_count AS payment_count,
      a.review_count AS review_count,
      a.first_ingest_time AS first_ingest_time, a.last_ingest_time AS last_ingest_time,
      a.late_events AS late_events,
      arrayCount(r -> arrayExists(s -> s.1 > r.1 AND s.2 < r.2, a.staged), a.staged)
        AS out_of_order_events,
      l.delivered_ms IS NOT NULL AS delivered,
      delivered OR l.carrier_ms IS NOT NULL AS shipped,
      shipped OR l.approved_ms IS NOT NULL AS approved,
      arrayConcat(
        if(l.purchase_ms IS NULL, ['purchase'], []),
        if(shipped AND l.approved_ms IS NULL, ['approved'], []),
        if(delivered AND l.carrier_ms IS NULL, ['delivered_carrier'], []),
        if(approved AND l.estimated_ms IS NULL, ['estimated_delivery_date'], []),
        if(l.canceled_ms IS NULL AND a.item_count = 0, ['order_item'], []),
        if(a.payment_count = 0, ['payment'], [])) AS missing,
      a.version AS version
    FROM lifecycle AS l
    INNER JOIN arrivals AS a ON a.order_id = l.order_id`,
}

export const parityTables: readonly ParityTable[] = [
  leadDays,
  orderDelay,
  orderDetail,
  userLocation,
  salesItems,
  monthlySales('fact_monthly_sales_by_product', [
    'month',
    'product_id',
    'category_name',
    'category_name_english',
  ]),
  monthlySales('fact_monthly_sales_by_category', [
    'month',
    'category_name',
    'category_name_english',
  ]),
  reviewLeadDays,
  audit,
]

const normalize = (column: string, kind: ColumnKind, side: 'table' | 'reference') => {
  const name = `\`${column}\``
  switch (kind) {
    case 'ms':
      return side === 'table' ? `toUnixTimestamp64Milli(${name}) AS ${name}` : name
    case 'float':
      return `round(${name}, 6) AS ${name}`
    case 'bool':
      return `toUInt8(${name}) AS ${name}`
    case 'value':
      return name
  }
}

const select = (table: ParityTable, side: 'table' | 'reference') =>
  Object.entries(table.columns)
    .map(([column, kind]) => normalize(column, kind, side))
    .join(', ')

/** The compared columns of the job's table, normalized. */
export const tableQuery = (table: ParityTable): string =>
  `SELECT ${select(table, 'table')} FROM ${table.name}`

/** The reference rows over the CSVs in `dir`, normalized as `tableQuery`. */
export const referenceQuery = (table: ParityTable, dir: string): string =>
  `WITH ${sourceCtes(dir)}${table.with ? `,${table.with}` : ''}
  SELECT ${select(table, 'reference')} FROM (${table.reference})`
