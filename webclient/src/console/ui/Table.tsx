import type { ComponentChildren } from "preact";
import { t } from "../i18n";
import type { SortState } from "../lib/table";

/**
 * A column header that sorts its table: a button inside the <th>, which carries
 * `aria-sort` so a screen reader says how the table is ordered.
 */
export function SortHeader<K extends string>({
  column,
  label,
  sort,
  onSort,
  numeric = false,
}: {
  column: K;
  label: ComponentChildren;
  sort: SortState<K>;
  onSort: (column: K) => void;
  numeric?: boolean;
}) {
  const active = sort.key === column;
  return (
    <th
      scope="col"
      class={numeric ? "cn-num" : undefined}
      aria-sort={active ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}
    >
      <button type="button" class="cn-sort" onClick={() => onSort(column)} data-column={column}>
        {label}
        <span aria-hidden="true" class="cn-sort-mark">
          {active ? (sort.dir === "asc" ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
}

/** A column of figures: its header is right-aligned like its cells. */
export interface NumericColumn {
  numeric: ComponentChildren;
}

/** A table's header row: one `<th scope="col">` a label, `{ numeric: label }` for figures. */
export function ColumnHeads({ columns }: { columns: (ComponentChildren | NumericColumn)[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column, i) =>
          typeof column === "object" && column !== null && "numeric" in column ? (
            <th key={i} scope="col" class="cn-num">
              {column.numeric}
            </th>
          ) : (
            <th key={i} scope="col">
              {column}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}

/** A table that scrolls sideways on its own on a narrow screen, with a caption. */
export function TableBox({
  caption,
  children,
  testid,
  wide = false,
}: {
  caption: ComponentChildren;
  children: ComponentChildren;
  testid?: string;
  /** Many numeric columns: let the headers wrap. */
  wide?: boolean;
}) {
  return (
    // A scrollable region must be reachable by keyboard (axe: scrollable-region-focusable).
    <div
      class="cn-tablebox"
      tabIndex={0}
      role="region"
      aria-label={typeof caption === "string" ? caption : undefined}
    >
      <table class={wide ? "cn-table cn-wide" : "cn-table"} data-testid={testid}>
        <caption class="cn-sr">{caption}</caption>
        {children}
      </table>
    </div>
  );
}

/** Page n of m, with previous and next. */
export function Pager({
  page,
  pages,
  total,
  onPage,
}: {
  page: number;
  pages: number;
  total: number;
  onPage: (page: number) => void;
}) {
  return (
    <nav class="cn-pager" aria-label={t("console.page", { page, pages: Math.max(pages, 1) })}>
      <button
        type="button"
        class="cn-button cn-secondary"
        disabled={page <= 1}
        onClick={() => onPage(page - 1)}
      >
        {t("console.prev")}
      </button>
      <span>
        {t("console.page", { page, pages: Math.max(pages, 1) })} ·{" "}
        {t("console.total", { count: total })}
      </span>
      <button
        type="button"
        class="cn-button cn-secondary"
        disabled={page >= pages}
        onClick={() => onPage(page + 1)}
      >
        {t("console.next")}
      </button>
    </nav>
  );
}
