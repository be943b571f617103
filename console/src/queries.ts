/**
 * Every GraphQL document the console sends, in one place (no DOM here: the console's tests ask
 * the API the same questions to check what the pages show). Answer and variable types come
 * from these documents (gql.tada, see graphql.ts).
 */
import { graphql } from './graphql.ts'

export const AS_OF = graphql(`
  fragment AsOfFields on AsOf { job generation watermark freshnessSeconds }
`)

export const DELIVERY_DELAYS = graphql(
  `query ConsoleDeliveryDelays($filter: DelayFilter, $first: Int, $after: String, $orderBy: DelayOrder) {
    deliveryDelays(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
      totalCount
      asOf { ...AsOfFields }
      pageInfo { hasNextPage endCursor }
      edges { node {
        orderId status daysLate tier customerState estimatedDeliveryAt deliveredAt purchaseAt
        items { orderItemId productId category categoryEnglish quadrant }
      } }
    }
  }`,
  [AS_OF],
)

/** The delivery filters' category choices: every category with sales. */
export const CATEGORIES = graphql(`
  query ConsoleCategories {
    salesRankings(by: CATEGORY, first: 100) { entries { key categoryEnglish } }
  }
`)

export const SALES_RANKINGS = graphql(
  `query ConsoleSalesRankings($by: SalesRankingBy!, $first: Int, $from: String, $to: String) {
    salesRankings(by: $by, first: $first, from: $from, to: $to) {
      by totalCount totalRevenue from to
      asOf { ...AsOfFields }
      entries { rank key category categoryEnglish units revenue cumulativeRevenue cumulativeShare }
    }
  }`,
  [AS_OF],
)

export const MONTHLY_SALES = graphql(
  `query ConsoleMonthlySales($by: MonthlySalesBy!, $key: String, $from: String, $to: String) {
    monthlySales(by: $by, key: $key, from: $from, to: $to) {
      by key quantity revenue from to
      asOf { ...AsOfFields }
      months { month quantity revenue averageUnitPrice }
    }
  }`,
  [AS_OF],
)

/** The range pickers' choices: every month with sales. */
export const MONTHS = graphql(`
  query ConsoleMonths { monthlySales(by: ALL) { months { month } } }
`)

export const REVIEW_DISTRIBUTION = graphql(
  `query ConsoleReviewDistribution {
    reviewDistribution(groupBy: TIER) {
      reviews
      asOf { ...AsOfFields }
      groups { tier reviews averageScore scores { score reviews share } }
    }
  }`,
  [AS_OF],
)

export const LEAD_TIME = graphql(
  `query ConsoleLeadTime($from: String, $to: String) {
    leadTimeByMonth(from: $from, to: $to) {
      from to
      asOf { ...AsOfFields }
      months { month orders deliveredOrders lateOrders approveDays carrierDays customerDays totalDays }
    }
  }`,
  [AS_OF],
)

export const PORTFOLIO_SUMMARY = graphql(
  `query ConsolePortfolioSummary($from: String, $to: String) {
    portfolioSummary(from: $from, to: $to) {
      asOf { ...AsOfFields }
      categories {
        category categoryEnglish products units revenue medianUnits medianPrice
        thresholds { price volume volumeRule }
        quadrants { quadrant products }
      }
    }
  }`,
  [AS_OF],
)

export const PORTFOLIO_MATRIX = graphql(
  `query ConsolePortfolioMatrix($category: String!, $from: String, $to: String) {
    portfolioMatrix(category: $category, from: $from, to: $to) {
      category categoryEnglish medianUnits medianPrice from to
      asOf { ...AsOfFields }
      thresholds { price volume volumeRule }
      quadrants { quadrant name products units revenue }
      products { productId units averageUnitPrice revenue quadrant }
    }
  }`,
  [AS_OF],
)

export const LOCATION = graphql(`
  fragment LocationFields on OrderLocation { zip city state lat lng }
`)

export const ORDER = graphql(
  `query ConsoleOrder($id: String!) {
    order(id: $id) {
      orderId customerId
      asOf { ...AsOfFields }
      lifecycle {
        status purchaseAt approvedAt deliveredCarrierAt deliveredCustomerAt canceledAt estimatedDeliveryAt
        approveLeadDays carrierLeadDays customerLeadDays totalLeadDays promisedLeadDays delayDays isLate
      }
      items {
        orderItemId productId category categoryEnglish price freight quadrant sellerId joinStatus missing
        sellerLocation { ...LocationFields }
      }
      payments { total types maxInstallments }
      customer { customerId location { ...LocationFields } }
      reviews { reviewId score createdAt answeredAt }
      join { status missing }
    }
  }`,
  [AS_OF, LOCATION],
)

export const TOP_K = graphql(
  `query ConsoleTopK($bucket: TopKBucket!, $dimension: TopKDimension, $at: String, $k: Int) {
    topK(bucket: $bucket, dimension: $dimension, at: $at, k: $k) {
      bucket dimension bucketStart bucketEnd total epsilon delta errorBound partitions
      asOf { ...AsOfFields }
      entries { rank key estimatedCount errorBound lowerBound }
    }
  }`,
  [AS_OF],
)

export const PIPELINE_JOBS = graphql(
  `query ConsolePipelineJobs {
    pipeline {
      asOf { ...AsOfFields }
      jobs {
        name state stateSource healthy reason paused generation liveGeneration lag deadLetters
        recordsApplied recordsPerSecond pendingFlushes groupJoins members consumerGroup
        asOf { ...AsOfFields }
      }
    }
  }`,
  [AS_OF],
)

export const PIPELINE_TABLES = graphql(
  `query ConsolePipelineTables {
    pipeline {
      asOf { ...AsOfFields }
      tables { name job generation liveGeneration rows }
    }
  }`,
  [AS_OF],
)

export const GENERATION = graphql(`
  fragment GenerationFields on Generation {
    job generation status kind buildState jobVersion until createdAt builtAt buildSeconds note
    tables { table physical rows }
  }
`)

export const GENERATIONS = graphql(
  `query ConsoleGenerations {
    generations { ...GenerationFields }
    replayProgress {
      job generation kind state consumed target ratio recordsPerSecond etaSeconds lag pendingFlushes note
    }
  }`,
  [GENERATION],
)

export const SWAP = graphql(
  `mutation ConsoleSwap($job: String!, $generation: Int!) {
    swap(job: $job, generation: $generation) { ...GenerationFields }
  }`,
  [GENERATION],
)

export const ROLLBACK = graphql(
  `mutation ConsoleRollback($job: String!) {
    rollback(job: $job) { ...GenerationFields }
  }`,
  [GENERATION],
)
