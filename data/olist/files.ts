/**
 * The nine Olist CSV files: names, exact headers and column types. Loader and generator both
 * read these specs, so a column can only change in one place.
 */

export const ORDER_STATUSES = [
  'delivered',
  'shipped',
  'canceled',
  'unavailable',
  'invoiced',
  'processing',
  'created',
  'approved',
] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

export const PAYMENT_TYPES = [
  'credit_card',
  'boleto',
  'voucher',
  'debit_card',
  'not_defined',
] as const
export type PaymentType = (typeof PAYMENT_TYPES)[number]

interface ColumnBase {
  readonly name: string
  readonly optional?: boolean
}
export interface IdColumn extends ColumnBase {
  readonly type: 'id'
}
export interface StringColumn extends ColumnBase {
  readonly type: 'string'
}
export interface ZipColumn extends ColumnBase {
  readonly type: 'zip'
}
export interface TimestampColumn extends ColumnBase {
  readonly type: 'timestamp'
}
export interface IntColumn extends ColumnBase {
  readonly type: 'int'
  readonly min?: number
  readonly max?: number
}
export interface DecimalColumn extends ColumnBase {
  readonly type: 'decimal'
  /** Fraction digits the generator writes; the loader accepts any. */
  readonly digits: number
}
export interface EnumColumn extends ColumnBase {
  readonly type: 'enum'
  readonly values: readonly string[]
}
export type ColumnSpec =
  | IdColumn
  | StringColumn
  | ZipColumn
  | TimestampColumn
  | IntColumn
  | DecimalColumn
  | EnumColumn
export type ColumnType = ColumnSpec['type']

/** A reference that must resolve to an id already loaded from another file. */
export interface ReferenceSpec {
  readonly column: string
  /** Parent file name; a plain string here because the names are derived from the specs below. */
  readonly file: string
}

export interface FileSpec {
  readonly name: string
  readonly columns: readonly ColumnSpec[]
  /** Single-column primary key whose ids later files reference; duplicates are rejected. */
  readonly key?: string
  readonly references: readonly ReferenceSpec[]
}

const money = <N extends string>(name: N) => ({ name, type: 'decimal', digits: 2 }) as const
const coordinate = <N extends string>(name: N) => ({ name, type: 'decimal', digits: 8 }) as const
const optionalInt = <N extends string>(name: N) =>
  ({ name, type: 'int', min: 0, optional: true }) as const

export const OLIST_FILES = {
  customers: {
    name: 'olist_customers_dataset.csv',
    key: 'customer_id',
    columns: [
      { name: 'customer_id', type: 'id' },
      { name: 'customer_unique_id', type: 'id' },
      { name: 'customer_zip_code_prefix', type: 'zip' },
      { name: 'customer_city', type: 'string' },
      { name: 'customer_state', type: 'string' },
    ],
    references: [],
  },
  sellers: {
    name: 'olist_sellers_dataset.csv',
    key: 'seller_id',
    columns: [
      { name: 'seller_id', type: 'id' },
      { name: 'seller_zip_code_prefix', type: 'zip' },
      { name: 'seller_city', type: 'string' },
      { name: 'seller_state', type: 'string' },
    ],
    references: [],
  },
  products: {
    name: 'olist_products_dataset.csv',
    key: 'product_id',
    columns: [
      { name: 'product_id', type: 'id' },
      { name: 'product_category_name', type: 'string', optional: true },
      optionalInt('product_name_lenght'),
      optionalInt('product_description_lenght'),
      optionalInt('product_photos_qty'),
      optionalInt('product_weight_g'),
      optionalInt('product_length_cm'),
      optionalInt('product_height_cm'),
      optionalInt('product_width_cm'),
    ],
    references: [],
  },
  categories: {
    name: 'product_category_name_translation.csv',
    key: 'product_category_name',
    columns: [
      { name: 'product_category_name', type: 'string' },
      { name: 'product_category_name_english', type: 'string' },
    ],
    references: [],
  },
  geolocation: {
    name: 'olist_geolocation_dataset.csv',
    columns: [
      { name: 'geolocation_zip_code_prefix', type: 'zip' },
      coordinate('geolocation_lat'),
      coordinate('geolocation_lng'),
      { name: 'geolocation_city', type: 'string' },
      { name: 'geolocation_state', type: 'string' },
    ],
    references: [],
  },
  orders: {
    name: 'olist_orders_dataset.csv',
    key: 'order_id',
    columns: [
      { name: 'order_id', type: 'id' },
      { name: 'customer_id', type: 'id' },
      { name: 'order_status', type: 'enum', values: ORDER_STATUSES },
      { name: 'order_purchase_timestamp', type: 'timestamp' },
      { name: 'order_approved_at', type: 'timestamp', optional: true },
      { name: 'order_delivered_carrier_date', type: 'timestamp', optional: true },
      { name: 'order_delivered_customer_date', type: 'timestamp', optional: true },
      { name: 'order_estimated_delivery_date', type: 'timestamp' },
    ],
    references: [{ column: 'customer_id', file: 'olist_customers_dataset.csv' }],
  },
  items: {
    name: 'olist_order_items_dataset.csv',
    columns: [
      { name: 'order_id', type: 'id' },
      { name: 'order_item_id', type: 'int', min: 1 },
      { name: 'product_id', type: 'id' },
      { name: 'seller_id', type: 'id' },
      { name: 'shipping_limit_date', type: 'timestamp' },
      money('price'),
      money('freight_value'),
    ],
    references: [
      { column: 'order_id', file: 'olist_orders_dataset.csv' },
      { column: 'product_id', file: 'olist_products_dataset.csv' },
      { column: 'seller_id', file: 'olist_sellers_dataset.csv' },
    ],
  },
  payments: {
    name: 'olist_order_payments_dataset.csv',
    columns: [
      { name: 'order_id', type: 'id' },
      { name: 'payment_sequential', type: 'int', min: 1 },
      { name: 'payment_type', type: 'enum', values: PAYMENT_TYPES },
      { name: 'payment_installments', type: 'int', min: 0 },
      money('payment_value'),
    ],
    references: [{ column: 'order_id', file: 'olist_orders_dataset.csv' }],
  },
  reviews: {
    name: 'olist_order_reviews_dataset.csv',
    columns: [
      { name: 'review_id', type: 'id' },
      { name: 'order_id', type: 'id' },
      { name: 'review_score', type: 'int', min: 1, max: 5 },
      { name: 'review_comment_title', type: 'string', optional: true },
      { name: 'review_comment_message', type: 'string', optional: true },
      { name: 'review_creation_date', type: 'timestamp' },
      { name: 'review_answer_timestamp', type: 'timestamp' },
    ],
    references: [{ column: 'order_id', file: 'olist_orders_dataset.csv' }],
  },
} as const satisfies Record<string, FileSpec>

export type OlistFileKey = keyof typeof OLIST_FILES
export type OlistFileName = (typeof OLIST_FILES)[OlistFileKey]['name']

/** Parents before children, so references resolve against ids already seen. */
export const LOAD_ORDER = [
  'customers',
  'sellers',
  'products',
  'categories',
  'geolocation',
  'orders',
  'items',
  'payments',
  'reviews',
] as const satisfies readonly OlistFileKey[]

/** Parsed value of one column: timestamps are epoch millis (UTC), zips are 5-digit strings. */
type ValueOf<C> = C extends { readonly type: 'enum'; readonly values: readonly (infer V)[] }
  ? V
  : C extends { readonly type: 'int' | 'decimal' | 'timestamp' }
    ? number
    : string
type CellOf<C> = C extends { readonly optional: true } ? ValueOf<C> | null : ValueOf<C>

export type RowOf<S extends { readonly columns: readonly ColumnSpec[] }> = {
  -readonly [C in S['columns'][number] as C['name']]: CellOf<C>
}

type Files = typeof OLIST_FILES
export type CustomerRow = RowOf<Files['customers']>
export type SellerRow = RowOf<Files['sellers']>
export type ProductRow = RowOf<Files['products']>
export type CategoryTranslationRow = RowOf<Files['categories']>
export type GeolocationRow = RowOf<Files['geolocation']>
export type OrderRow = RowOf<Files['orders']>
export type OrderItemRow = RowOf<Files['items']>
export type OrderPaymentRow = RowOf<Files['payments']>
export type OrderReviewRow = RowOf<Files['reviews']>

/** Row type by file name, for handlers that receive any file. */
export type OlistRowByName = { [K in OlistFileKey as Files[K]['name']]: RowOf<Files[K]> }
export type OlistRow = OlistRowByName[OlistFileName]
/** `(file, row)` pairs; a handler narrowing on `file` gets the matching row type. */
export type OlistRowArgs = {
  [N in OlistFileName]: [file: N, row: OlistRowByName[N]]
}[OlistFileName]
