/**
 * The default range of the ClickHouse dashboards: event time is the data's own, and Olist's
 * orders span Sep 2016 to Oct 2018, their promised dates a few weeks later.
 */
export const OLIST_TIME_RANGE = { from: '2016-09-01T00:00:00.000Z', to: '2019-01-01T00:00:00.000Z' }
