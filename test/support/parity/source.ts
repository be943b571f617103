/**
 * The Olist CSV files as ClickHouse table expressions, and the simulator's publishing rules
 * restated in SQL, for references computed straight from the files. Nothing here imports
 * job, simulator or loader code: a reference that shared code with the jobs could share
 * their bugs.
 */
import { join } from 'node:path'

/** A SQL string literal. */
export const literal = (text: string): string =>
  `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`

/**
 * Settings for reading the CSVs the way the loader does: fields as written (no trimming,
 * no single-quote strings), and NULL (not a default) for an outer join's missing side.
 */
export const sourceSettings = {
  format_csv_allow_single_quotes: 0,
  input_format_csv_trim_whitespaces: 0,
  join_use_nulls: 1,
  output_format_json_quote_64bit_integers: 0,
} as const

/** Every column is read as text and typed in SQL, so an empty field is visible as ''. */
const files = {
  orders: [
    'olist_orders_dataset.csv',
    'order_id String, customer_id String, order_status String, order_purchase_timestamp String, ' +
      'order_approved_at String, order_delivered_carrier_date String, ' +
      'order_delivered_customer_date String, order_estimated_delivery_date String',
  ],
  items: [
    'olist_order_items_dataset.csv',
    'order_id String, order_item_id String, product_id String, seller_id String, ' +
      'shipping_limit_date String, price String, freight_value String',
  ],
  payments: [
    'olist_order_payments_dataset.csv',
    'order_id String, payment_sequential String, payment_type String, ' +
      'payment_installments String, payment_value String',
  ],
  reviews: [
    'olist_order_reviews_dataset.csv',
    'review_id String, order_id String, review_score String, review_comment_title String, ' +
      'review_comment_message String, review_creation_date String, review_answer_timestamp String',
  ],
  customers: [
    'olist_customers_dataset.csv',
    'customer_id String, customer_unique_id String, customer_zip_code_prefix String, ' +
      'customer_city String, customer_state String',
  ],
  sellers: [
    'olist_sellers_dataset.csv',
    'seller_id String, seller_zip_code_prefix String, seller_city String, seller_state String',
  ],
  products: [
    'olist_products_dataset.csv',
    'product_id String, product_category_name String, product_name_lenght String, ' +
      'product_description_lenght String, product_photos_qty String, product_weight_g String, ' +
      'product_length_cm String, product_height_cm String, product_width_cm String',
  ],
  categories: [
    'product_category_name_translation.csv',
    'product_category_name String, product_category_name_english String',
  ],
  geolocation: [
    'olist_geolocation_dataset.csv',
    'geolocation_zip_code_prefix String, geolocation_lat String, geolocation_lng String, ' +
      'geolocation_city String, geolocation_state String',
  ],
} as const

/** "YYYY-MM-DD HH:MM:SS" (UTC) → epoch millis; an empty field → NULL. */
const millis = (column: string) =>
  `toUnixTimestamp64Milli(parseDateTime64BestEffortOrNull(nullIf(${column}, ''), 3, 'UTC'))`

/** The files drop leading zeros of zip prefixes; lookups compare them padded to 5 digits. */
const zip = (column: string) => `leftPad(${column}, 5, '0')`

/**
 * The 32-bit FNV-1a hash of an ASCII key as docs/operations.md states the simulator's ingest delay:
 * `ingest_time` = publish time + 50..99 ms, chosen by the hash of the record key.
 */
const ingestDelay = (key: string) =>
  `(50 + arrayFold((acc, c) -> bitAnd(bitXor(acc, toUInt64(c)) * 16777619, 4294967295), ` +
  `arrayMap(i -> ascii(substring(${key}, i, 1)), range(1, length(${key}) + 1)), ` +
  `toUInt64(2166136261)) % 50)`

const DAY_MS = 86_400_000

/**
 * The WITH clause every reference starts from: the nine files, typed, plus the timeline the
 * simulator derives (docs/operations.md, "Data and the simulator").
 *
 * - `orders`: one row per order with the event times of the statuses the simulator
 *   publishes. A step is published at the running maximum of the times so far (`*_pub`);
 *   canceled and unavailable orders get `canceled` at the latest known time; the estimated
 *   date is published with the approval, so an order never approved has none.
 * - `geo`: the first row of each zip in file order (`_row_number` is the file position).
 * - `records`: every order-scoped record (topic, key, publish time, event time), the input
 *   of the per-record columns of pipeline_audit.
 * - `entities`: when each customer and seller was first published (with the first
 *   purchase that references it), for dim_user_location's version.
 */
export function sourceCtes(dir: string): string {
  const file = (name: keyof typeof files) => {
    const [path, structure] = files[name]
    return `file(${literal(join(dir, path))}, 'CSVWithNames', ${literal(structure)})`
  }
  return `
  orders AS (
    SELECT
      order_id,
      customer_id,
      order_status AS source_status,
      assumeNotNull(${millis('order_purchase_timestamp')}) AS purchase_ms,
      ${millis('order_approved_at')} AS approved_ms,
      ${millis('order_delivered_carrier_date')} AS carrier_ms,
      ${millis('order_delivered_customer_date')} AS delivered_ms,
      greatest(purchase_ms, ifNull(approved_ms, purchase_ms)) AS approved_pub,
      greatest(approved_pub, ifNull(carrier_ms, approved_pub)) AS carrier_pub,
      greatest(carrier_pub, ifNull(delivered_ms, carrier_pub)) AS delivered_pub,
      if(source_status IN ('canceled', 'unavailable'), delivered_pub, NULL) AS canceled_ms,
      if(approved_ms IS NULL, NULL, ${millis('order_estimated_delivery_date')}) AS estimated_ms
    FROM ${file('orders')}
  ),
  items AS (
    SELECT order_id, toUInt32(order_item_id) AS order_item_id, product_id, seller_id,
      toFloat64(price) AS price, toFloat64(freight_value) AS freight_value
    FROM ${file('items')}
  ),
  payments AS (
    SELECT order_id, toUInt32(payment_sequential) AS payment_sequential, payment_type,
      toUInt16(payment_installments) AS payment_installments,
      toFloat64(payment_value) AS payment_value
    FROM ${file('payments')}
  ),
  reviews AS (
    SELECT review_id, order_id, toUInt8(review_score) AS review_score,
      assumeNotNull(${millis('review_creation_date')}) AS creation_ms,
      ${millis('review_answer_timestamp')} AS answer_ms
    FROM ${file('reviews')}
  ),
  customers AS (
    SELECT customer_id, customer_unique_id, ${zip('customer_zip_code_prefix')} AS zip,
      customer_city AS city, customer_state AS state
    FROM ${file('customers')}
  ),
  sellers AS (
    SELECT seller_id, ${zip('seller_zip_code_prefix')} AS zip, seller_city AS city,
      seller_state AS state
    FROM ${file('sellers')}
  ),
  products AS (
    SELECT p.product_id AS product_id,
      nullIf(p.product_category_name, '') AS category_name,
      c.product_category_name_english AS category_name_english
    FROM ${file('products')} AS p
    LEFT JOIN ${file('categories')} AS c
      ON c.product_category_name = p.product_category_name
  ),
  geo AS (
    SELECT ${zip('geolocation_zip_code_prefix')} AS zip,
      argMin(toFloat64(geolocation_lat), _row_number) AS lat,
      argMin(toFloat64(geolocation_lng), _row_number) AS lng
    FROM ${file('geolocation')}
    GROUP BY zip
  ),
  records AS (
    SELECT order_id, 'orderStatus' AS topic, concat(order_id, ':purchase') AS key,
      purchase_ms AS published, purchase_ms AS event_time FROM orders
    UNION ALL
    SELECT order_id, 'orderStatus', concat(order_id, ':approved'), approved_pub,
      assumeNotNull(approved_ms) FROM orders WHERE approved_ms IS NOT NULL
    UNION ALL
    SELECT order_id, 'estimatedDeliveryDate', order_id, approved_pub,
      assumeNotNull(approved_ms) FROM orders WHERE approved_ms IS NOT NULL
    UNION ALL
    SELECT order_id, 'orderStatus', concat(order_id, ':delivered_carrier'), carrier_pub,
      assumeNotNull(carrier_ms) FROM orders WHERE carrier_ms IS NOT NULL
    UNION ALL
    SELECT order_id, 'orderStatus', concat(order_id, ':delivered_customer'), delivered_pub,
      assumeNotNull(delivered_ms) FROM orders WHERE delivered_ms IS NOT NULL
    UNION ALL
    SELECT order_id, 'orderStatus', concat(order_id, ':canceled'), delivered_pub,
      delivered_pub FROM orders WHERE canceled_ms IS NOT NULL
    UNION ALL
    SELECT i.order_id, 'orderItem', concat(i.order_id, ':', toString(i.order_item_id)),
      o.purchase_ms, o.purchase_ms FROM items AS i INNER JOIN orders AS o USING order_id
    UNION ALL
    SELECT p.order_id, 'payment', concat(p.order_id, ':', toString(p.payment_sequential)),
      o.purchase_ms, o.purchase_ms FROM payments AS p INNER JOIN orders AS o USING order_id
    UNION ALL
    SELECT r.order_id, 'review', concat(r.review_id, ':', r.order_id),
      greatest(r.creation_ms, o.purchase_ms), r.creation_ms
    FROM reviews AS r INNER JOIN orders AS o USING order_id
  ),
  entities AS (
    SELECT 'customer' AS user_type, customer_id AS user_id, min(purchase_ms) AS published
    FROM orders GROUP BY customer_id
    UNION ALL
    SELECT 'seller', i.seller_id, min(o.purchase_ms)
    FROM items AS i INNER JOIN orders AS o USING order_id GROUP BY i.seller_id
  ),
  lifecycle AS (
    SELECT *,
      multiIf(canceled_ms IS NOT NULL, 'canceled',
        delivered_ms IS NOT NULL, 'delivered_customer',
        carrier_ms IS NOT NULL, 'delivered_carrier',
        approved_ms IS NOT NULL, 'approved',
        'purchase') AS status,
      if(delivered_ms IS NULL OR estimated_ms IS NULL, NULL,
        toInt64(dateDiff('day', toDate(fromUnixTimestamp64Milli(estimated_ms, 'UTC')),
          toDate(fromUnixTimestamp64Milli(delivered_ms, 'UTC'))))) AS delay_days,
      ifNull(delay_days > 0, 0) AS is_late
    FROM orders
  )`
}

/** `ingest_time` of a record of `records` or `entities`, from its key and publish time. */
export const ingestTime = (key: string, published: string): string =>
  `(${published} + ${ingestDelay(key)})`

/** Fractional days from `from` to `to` (millis); NULL when either is. */
export const days = (from: string, to: string): string => `((${to} - ${from}) / ${DAY_MS})`
