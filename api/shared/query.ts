import type { ApiContext } from '../builder.ts'
import { apiError } from '../errors.ts'

/** ClickHouse's error code for a query stopped at `max_execution_time`. */
const TIMEOUT_EXCEEDED = '159'

/** A trailing SETTINGS clause of the query itself, which the limit joins. */
const TRAILING_SETTINGS = /\bSETTINGS\s+[^()]*$/i

/**
 * The limit goes in the query's own SETTINGS clause, not in `clickhouse_settings`: embedded
 * chDB turns those into `SET` statements on its one session, so a limit meant for one API
 * read would hold for every later query of the process, sink inserts and replay diffs too.
 */
function withTimeLimit(query: string, timeoutMs: number): string {
  const limit = `max_execution_time = ${timeoutMs / 1000}, timeout_overflow_mode = 'throw'`
  const sql = query.trimEnd()
  return TRAILING_SETTINGS.test(sql) ? `${sql}, ${limit}` : `${sql}\nSETTINGS ${limit}`
}

/**
 * Runs one read query with the request's time limit. 64-bit integers come back as numbers
 * (the table declarations' read types count on it). A query stopped by the limit becomes a
 * typed TIMEOUT error; any other failure is unexpected and left to be masked.
 */
export async function select<R>(
  ctx: Pick<ApiContext, 'clickhouse' | 'queryTimeoutMs'>,
  query: string,
  params: Record<string, unknown> = {},
): Promise<R[]> {
  try {
    const result = await ctx.clickhouse.query({
      query: withTimeLimit(query, ctx.queryTimeoutMs),
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    return await result.json<R>()
  } catch (error) {
    if ((error as { code?: string }).code === TIMEOUT_EXCEEDED) {
      throw apiError('TIMEOUT', `the query took longer than ${ctx.queryTimeoutMs} ms`, {
        limitMs: ctx.queryTimeoutMs,
      })
    }
    throw error
  }
}
