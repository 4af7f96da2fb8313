import { fmtNumber, noData, t } from "../i18n";
import { load } from "../lib/table";

/**
 * A portfolio against its capacity: the numbers in words, the bar for the eye only.
 * Over capacity the bar turns red and says so in words too (never by colour alone).
 */
export function CapacityBar({
  name,
  size,
  capacity,
  after,
}: {
  name?: string;
  size: number | null;
  capacity: number | null;
  /** A size to come (a dry run): drawn as a second, hatched bar. */
  after?: number | null;
}) {
  const share = load(size, capacity);
  const afterShare = after === undefined || after === null ? null : load(after, capacity);
  const over = (share ?? 0) > 1;
  const pct = (value: number | null) => `${Math.min((value ?? 0) * 100, 100)}%`;
  return (
    <div
      class={`cn-capacity${over ? " cn-over" : ""}`}
      data-testid="capacity"
      data-name={name}
      data-size={size ?? ""}
    >
      {name && <span class="cn-capacity-name">{name}</span>}
      <span class="cn-capacity-track" aria-hidden="true">
        <span class="cn-capacity-fill" style={{ width: pct(share) }} />
        {afterShare !== null && (
          <span class="cn-capacity-after" style={{ width: pct(afterShare) }} />
        )}
      </span>
      <span class="cn-capacity-text">
        {size === null || capacity === null
          ? noData()
          : t("console.capacity", { size: fmtNumber(size), capacity: fmtNumber(capacity) })}
        {after !== undefined && after !== null && after !== size && <> → {fmtNumber(after)}</>}
        {over && <strong class="cn-over-label"> · {t("console.capacityOver")}</strong>}
      </span>
    </div>
  );
}
