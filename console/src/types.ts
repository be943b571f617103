/** The shapes of the answers to the documents in queries.ts (what the console reads of them). */
import type { AsOf } from './api.ts'

export type Quadrant = 'STAR' | 'VOLUME_DRIVER' | 'NICHE_GEM' | 'QUESTION_MARK'

export interface DelayItem {
  readonly orderItemId: number
  readonly productId: string
  readonly category: string | null
  readonly categoryEnglish: string | null
  readonly quadrant: Quadrant
}

export interface DeliveryDelay {
  readonly orderId: string
  readonly status: 'OPEN' | 'DELIVERED_LATE'
  readonly daysLate: number
  readonly tier: Quadrant
  readonly customerState: string | null
  readonly estimatedDeliveryAt: string
  readonly deliveredAt: string | null
  readonly purchaseAt: string | null
  readonly items: readonly DelayItem[]
}

export interface DeliveryDelays {
  readonly deliveryDelays: {
    readonly totalCount: number
    readonly asOf: AsOf
    readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null }
    readonly edges: readonly { readonly node: DeliveryDelay }[]
  }
}

export interface Categories {
  readonly salesRankings: {
    readonly entries: readonly { readonly key: string; readonly categoryEnglish: string | null }[]
  }
}

export interface SalesRank {
  readonly rank: number
  readonly key: string
  readonly category: string | null
  readonly categoryEnglish: string | null
  readonly units: number
  readonly revenue: number
  readonly cumulativeRevenue: number
  readonly cumulativeShare: number
}

export interface SalesRankings {
  readonly salesRankings: {
    readonly by: 'CATEGORY' | 'PRODUCT'
    readonly totalCount: number
    readonly totalRevenue: number
    readonly from: string | null
    readonly to: string | null
    readonly asOf: AsOf
    readonly entries: readonly SalesRank[]
  }
}

export interface MonthSales {
  readonly month: string
  readonly quantity: number
  readonly revenue: number
  readonly averageUnitPrice: number
}

export interface MonthlySales {
  readonly monthlySales: {
    readonly by: 'ALL' | 'CATEGORY' | 'PRODUCT'
    readonly key: string | null
    readonly quantity: number
    readonly revenue: number
    readonly from: string | null
    readonly to: string | null
    readonly asOf: AsOf
    readonly months: readonly MonthSales[]
  }
}

export interface ReviewTierGroup {
  readonly tier: Quadrant
  readonly reviews: number
  readonly averageScore: number | null
  readonly scores: readonly {
    readonly score: number
    readonly reviews: number
    readonly share: number
  }[]
}

export interface ReviewDistribution {
  readonly reviewDistribution: {
    readonly reviews: number
    readonly asOf: AsOf
    readonly groups: readonly ReviewTierGroup[]
  }
}

export interface MonthLeadTime {
  readonly month: string
  readonly orders: number
  readonly deliveredOrders: number
  readonly lateOrders: number
  readonly approveDays: number | null
  readonly carrierDays: number | null
  readonly customerDays: number | null
  readonly totalDays: number | null
}

export interface LeadTime {
  readonly leadTimeByMonth: {
    readonly from: string | null
    readonly to: string | null
    readonly asOf: AsOf
    readonly months: readonly MonthLeadTime[]
  }
}

export interface Thresholds {
  readonly price: number
  readonly volume: number
  readonly volumeRule: 'AT_LEAST_MEDIAN' | 'MORE_THAN_ONE'
}

export interface PortfolioCategory {
  readonly category: string
  readonly categoryEnglish: string | null
  readonly products: number
  readonly units: number
  readonly revenue: number
  readonly medianUnits: number
  readonly medianPrice: number
  readonly thresholds: Thresholds
  readonly quadrants: readonly { readonly quadrant: Quadrant; readonly products: number }[]
}

export interface PortfolioSummary {
  readonly portfolioSummary: {
    readonly asOf: AsOf
    readonly categories: readonly PortfolioCategory[]
  }
}

export interface PortfolioProduct {
  readonly productId: string
  readonly units: number
  readonly averageUnitPrice: number
  readonly revenue: number
  readonly quadrant: Quadrant
}

export interface PortfolioMatrix {
  readonly portfolioMatrix: {
    readonly category: string
    readonly categoryEnglish: string | null
    readonly medianUnits: number | null
    readonly medianPrice: number | null
    readonly from: string | null
    readonly to: string | null
    readonly asOf: AsOf
    readonly thresholds: Thresholds | null
    readonly quadrants: readonly {
      readonly quadrant: Quadrant
      readonly name: string
      readonly products: number
      readonly units: number
      readonly revenue: number
    }[]
    readonly products: readonly PortfolioProduct[]
  }
}

export interface OrderLocation {
  readonly zip: string | null
  readonly city: string | null
  readonly state: string | null
  readonly lat: number | null
  readonly lng: number | null
}

export interface OrderLifecycle {
  readonly status: string
  readonly purchaseAt: string | null
  readonly approvedAt: string | null
  readonly deliveredCarrierAt: string | null
  readonly deliveredCustomerAt: string | null
  readonly canceledAt: string | null
  readonly estimatedDeliveryAt: string | null
  readonly approveLeadDays: number | null
  readonly carrierLeadDays: number | null
  readonly customerLeadDays: number | null
  readonly totalLeadDays: number | null
  readonly delayDays: number | null
  readonly isLate: boolean
}

export interface OrderItem {
  readonly orderItemId: number
  readonly productId: string
  readonly category: string | null
  readonly categoryEnglish: string | null
  readonly price: number
  readonly freight: number
  readonly quadrant: Quadrant
  readonly sellerId: string
  readonly joinStatus: string
  readonly missing: readonly string[]
  readonly sellerLocation: OrderLocation
}

export interface OrderView {
  readonly orderId: string
  readonly customerId: string | null
  readonly asOf: AsOf
  readonly lifecycle: OrderLifecycle | null
  readonly items: readonly OrderItem[]
  readonly payments: {
    readonly total: number | null
    readonly types: readonly string[]
    readonly maxInstallments: number | null
  } | null
  readonly customer: { readonly customerId: string; readonly location: OrderLocation } | null
  readonly reviews: readonly {
    readonly reviewId: string
    readonly score: number
    readonly createdAt: string
    readonly answeredAt: string | null
  }[]
  readonly join: { readonly status: string; readonly missing: readonly string[] } | null
}

export interface OrderAnswer {
  readonly order: OrderView | null
}

export interface TopKEntry {
  readonly rank: number
  readonly key: string
  readonly estimatedCount: number
  readonly errorBound: number
  readonly lowerBound: number
}

export interface TopK {
  readonly topK: {
    readonly bucket: string
    readonly dimension: 'PRODUCT' | 'CATEGORY'
    readonly bucketStart: string | null
    readonly bucketEnd: string | null
    readonly total: number
    readonly epsilon: number
    readonly delta: number
    readonly errorBound: number
    readonly partitions: number
    readonly asOf: AsOf
    readonly entries: readonly TopKEntry[]
  }
}

export interface PipelineJob {
  readonly name: string
  readonly state: string | null
  readonly stateSource: string | null
  readonly healthy: boolean | null
  readonly reason: string | null
  readonly paused: string | null
  readonly generation: number | null
  readonly liveGeneration: number | null
  readonly lag: number | null
  readonly deadLetters: number | null
  readonly recordsApplied: number | null
  readonly recordsPerSecond: number | null
  readonly pendingFlushes: number | null
  readonly groupJoins: number | null
  readonly members: number | null
  readonly consumerGroup: string | null
  readonly asOf: AsOf | null
}

export interface PipelineAnswer {
  readonly pipeline: {
    readonly asOf: AsOf
    readonly jobs: readonly PipelineJob[]
    readonly tables: readonly {
      readonly name: string
      readonly job: string
      readonly generation: number | null
      readonly liveGeneration: number | null
      readonly rows: number | null
    }[]
  }
}

export interface Generation {
  readonly job: string
  readonly generation: number
  readonly status: 'LIVE' | 'BUILDING' | 'RETIRED' | 'AS_OF' | 'DROPPED'
  readonly kind: 'FULL' | 'AS_OF'
  readonly buildState: string
  readonly jobVersion: string
  readonly until: string | null
  readonly createdAt: string
  readonly builtAt: string | null
  readonly buildSeconds: number | null
  readonly note: string | null
  readonly tables: readonly {
    readonly table: string
    readonly physical: string
    readonly rows: number
  }[]
}

export interface ReplayProgress {
  readonly job: string
  readonly generation: number
  readonly kind: string
  readonly state: string
  readonly consumed: number
  readonly target: number
  readonly ratio: number
  readonly recordsPerSecond: number | null
  readonly etaSeconds: number | null
  readonly lag: number
  readonly pendingFlushes: number
  readonly note: string | null
}

export interface GenerationsAnswer {
  readonly generations: readonly Generation[]
  readonly replayProgress: readonly ReplayProgress[]
}
