import type { Logger } from '../../core/logger.ts'
import { type LoadOlistOptions, type LoadSummary, loadOlist } from '../load/load-olist.ts'
import type { CsvReject } from '../load/reject-report.ts'
import {
  type CustomerRow,
  type GeolocationRow,
  OLIST_FILES,
  type OlistRowArgs,
  type OrderItemRow,
  type OrderPaymentRow,
  type OrderReviewRow,
  type OrderRow,
  type ProductRow,
  type SellerRow,
} from '../olist/files.ts'

/** The validated Olist rows the timeline is built from, indexed the way it reads them. */
export interface OlistDataset {
  /** Fact rows in file order. */
  readonly orders: readonly OrderRow[]
  readonly items: readonly OrderItemRow[]
  readonly payments: readonly OrderPaymentRow[]
  readonly reviews: readonly OrderReviewRow[]
  readonly customers: ReadonlyMap<string, CustomerRow>
  readonly sellers: ReadonlyMap<string, SellerRow>
  readonly products: ReadonlyMap<string, ProductRow>
  /** Portuguese category name → English name. */
  readonly categories: ReadonlyMap<string, string>
  /** The first geolocation row of each zip prefix in file order (the file repeats zips). */
  readonly geolocations: ReadonlyMap<string, GeolocationRow>
}

export interface LoadDatasetOptions {
  readonly dir: string
  readonly logger: Logger
  readonly onReject: (reject: CsvReject) => void
}

/** Streams the valid rows of the nine files to `onRow`, in load order; rejects go to onReject. */
export function loadRows(
  options: LoadDatasetOptions,
  onRow: LoadOlistOptions['onRow'],
): Promise<LoadSummary> {
  return loadOlist({ dir: options.dir, logger: options.logger, onReject: options.onReject, onRow })
}

/** Loads the nine files through the validating loader; rejected rows are left out. */
export async function loadDataset(
  options: LoadDatasetOptions,
): Promise<{ dataset: OlistDataset; summary: LoadSummary }> {
  const orders: OrderRow[] = []
  const items: OrderItemRow[] = []
  const payments: OrderPaymentRow[] = []
  const reviews: OrderReviewRow[] = []
  const customers = new Map<string, CustomerRow>()
  const sellers = new Map<string, SellerRow>()
  const products = new Map<string, ProductRow>()
  const categories = new Map<string, string>()
  const geolocations = new Map<string, GeolocationRow>()
  const onRow = (...[file, row]: OlistRowArgs): void => {
    switch (file) {
      case OLIST_FILES.orders.name:
        orders.push(row)
        break
      case OLIST_FILES.items.name:
        items.push(row)
        break
      case OLIST_FILES.payments.name:
        payments.push(row)
        break
      case OLIST_FILES.reviews.name:
        reviews.push(row)
        break
      case OLIST_FILES.customers.name:
        customers.set(row.customer_id, row)
        break
      case OLIST_FILES.sellers.name:
        sellers.set(row.seller_id, row)
        break
      case OLIST_FILES.products.name:
        products.set(row.product_id, row)
        break
      case OLIST_FILES.categories.name:
        categories.set(row.product_category_name, row.product_category_name_english)
        break
      case OLIST_FILES.geolocation.name:
        if (!geolocations.has(row.geolocation_zip_code_prefix)) {
          geolocations.set(row.geolocation_zip_code_prefix, row)
        }
        break
    }
  }
  const summary = await loadRows(options, onRow)
  const dataset = {
    orders,
    items,
    payments,
    reviews,
    customers,
    sellers,
    products,
    categories,
    geolocations,
  }
  return { dataset, summary }
}
