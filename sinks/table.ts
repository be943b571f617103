/** A derived table: its stable reader name and the DDL of one physical generation. */
export interface TableDefinition {
  readonly name: string
  /** CREATE TABLE for `physical` (e.g. `fact_order_lead_days__g2`). */
  readonly createStatement: (physical: string) => string
  /**
   * Views built on the stable name (e.g. a monthly aggregate over an item-level table);
   * they follow the live generation because the stable name does.
   */
  readonly derivedViews?: ReadonlyArray<{ readonly name: string; readonly query: string }>
}
