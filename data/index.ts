export {
  type GenerateOlistOptions,
  type GenerateProgress,
  type GenerateSummary,
  generateOlist,
} from './generate/generate-olist.ts'
export { type ProgressOptions, ProgressReporter, type TextWriter } from './generate/progress.ts'
export {
  type FileLoadSummary,
  type LoadOlistOptions,
  type LoadSummary,
  loadOlist,
} from './load/load-olist.ts'
export { type CsvReject, writeRejectReport } from './load/reject-report.ts'
export {
  type CategoryTranslationRow,
  type ColumnSpec,
  type CustomerRow,
  type FileSpec,
  type GeolocationRow,
  LOAD_ORDER,
  OLIST_FILES,
  type OlistFileKey,
  type OlistFileName,
  type OlistRow,
  type OlistRowArgs,
  type OlistRowByName,
  ORDER_STATUSES,
  type OrderItemRow,
  type OrderPaymentRow,
  type OrderReviewRow,
  type OrderRow,
  type OrderStatus,
  PAYMENT_TYPES,
  type PaymentType,
  type ProductRow,
  type SellerRow,
} from './olist/files.ts'
export { formatTimestamp, parseTimestamp } from './olist/values.ts'
