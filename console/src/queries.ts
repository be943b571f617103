/**
 * Every GraphQL document the console sends, in one place (no DOM here: the console's tests ask
 * the API the same questions to check what the pages show).
 */

const asOf = 'asOf { job generation watermark freshnessSeconds }'

export const DELIVERY_DELAYS = `query ConsoleDeliveryDelays($filter: DelayFilter, $first: Int, $after: String, $orderBy: DelayOrder) {
  deliveryDelays(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    ${asOf}
    pageInfo { hasNextPage endCursor }
    edges { node {
      orderId status daysLate tier customerState estimatedDeliveryAt deliveredAt purchaseAt
      items { orderItemId productId category categoryEnglish quadrant }
    } }
  }
}`

/** The delivery filters' category choices: every category with sales. */
export const CATEGORIES = `query ConsoleCategories {
  salesRankings(by: CATEGORY, first: 100) { entries { key categoryEnglish } }
}`

export const SALES_RANKINGS = `query ConsoleSalesRankings($by: SalesRankingBy!, $first: Int, $from: String, $to: String) {
  salesRankings(by: $by, first: $first, from: $from, to: $to) {
    by totalCount totalRevenue from to
    ${asOf}
    entries { rank key category categoryEnglish units revenue cumulativeRevenue cumulativeShare }
  }
}`

export const MONTHLY_SALES = `query ConsoleMonthlySales($by: MonthlySalesBy!, $key: String, $from: String, $to: String) {
  monthlySales(by: $by, key: $key, from: $from, to: $to) {
    by key quantity revenue from to
    ${asOf}
    months { month quantity revenue averageUnitPrice }
  }
}`

/** The range pickers' choices: every month with sales. */
export const MONTHS = `query ConsoleMonths { monthlySales(by: ALL) { months { month } } }`

export const REVIEW_DISTRIBUTION = `query ConsoleReviewDistribution {
  reviewDistribution(groupBy: TIER) {
    reviews
    ${asOf}
    groups { tier reviews averageScore scores { score reviews share } }
  }
}`

export const LEAD_TIME = `query ConsoleLeadTime($from: String, $to: String) {
  leadTimeByMonth(from: $from, to: $to) {
    from to
    ${asOf}
    months { month orders deliveredOrders lateOrders approveDays carrierDays customerDays totalDays }
  }
}`

export const PORTFOLIO_SUMMARY = `query ConsolePortfolioSummary($from: String, $to: String) {
  portfolioSummary(from: $from, to: $to) {
    ${asOf}
    categories {
      category categoryEnglish products units revenue medianUnits medianPrice
      thresholds { price volume volumeRule }
      quadrants { quadrant products }
    }
  }
}`

export const PORTFOLIO_MATRIX = `query ConsolePortfolioMatrix($category: String!, $from: String, $to: String) {
  portfolioMatrix(category: $category, from: $from, to: $to) {
    category categoryEnglish medianUnits medianPrice from to
    ${asOf}
    thresholds { price volume volumeRule }
    quadrants { quadrant name products units revenue }
    products { productId units averageUnitPrice revenue quadrant }
  }
}`

const location = 'zip city state lat lng'

export const ORDER = `query ConsoleOrder($id: String!) {
  order(id: $id) {
    orderId customerId
    ${asOf}
    lifecycle {
      status purchaseAt approvedAt deliveredCarrierAt deliveredCustomerAt canceledAt estimatedDeliveryAt
      approveLeadDays carrierLeadDays customerLeadDays totalLeadDays delayDays isLate
    }
    items {
      orderItemId productId category categoryEnglish price freight quadrant sellerId joinStatus missing
      sellerLocation { ${location} }
    }
    payments { total types maxInstallments }
    customer { customerId location { ${location} } }
    reviews { reviewId score createdAt answeredAt }
    join { status missing }
  }
}`

export const TOP_K = `query ConsoleTopK($bucket: TopKBucket!, $dimension: TopKDimension, $at: String, $k: Int) {
  topK(bucket: $bucket, dimension: $dimension, at: $at, k: $k) {
    bucket dimension bucketStart bucketEnd total epsilon delta errorBound partitions
    ${asOf}
    entries { rank key estimatedCount errorBound lowerBound }
  }
}`

export const PIPELINE = `query ConsolePipeline {
  pipeline {
    ${asOf}
    jobs {
      name state stateSource healthy reason paused generation liveGeneration lag deadLetters
      recordsApplied recordsPerSecond pendingFlushes groupJoins members consumerGroup
      ${asOf}
    }
    tables { name job generation liveGeneration rows }
  }
}`

const generation = `job generation status kind buildState jobVersion until createdAt builtAt buildSeconds note
  tables { table physical rows }`

export const GENERATIONS = `query ConsoleGenerations {
  generations { ${generation} }
  replayProgress {
    job generation kind state consumed target ratio recordsPerSecond etaSeconds lag pendingFlushes note
  }
}`

export const SWAP = `mutation ConsoleSwap($job: String!, $generation: Int!) {
  swap(job: $job, generation: $generation) { ${generation} }
}`

export const ROLLBACK = `mutation ConsoleRollback($job: String!) {
  rollback(job: $job) { ${generation} }
}`
