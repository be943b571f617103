/** A derived table: its stable reader name and the DDL of one physical generation. */
export interface TableDefinition {
  readonly name: string
  /** CREATE TABLE for `physical` (e.g. `fact_order_lead_days__g2`). */
  readonly createStatement: (physical: string) => string
}
