import { useState } from "preact/hooks";
import { api } from "../../api";
import { t } from "../../i18n";
import type { ScreenProps } from "../../screens";
import type { Tier } from "../../types";
import { CellInput, fieldError, WriteError } from "../../ui/forms";
import { useResource } from "../../ui/resource";
import { Async, Notice } from "../../ui/States";
import { ColumnHeads, TableBox } from "../../ui/Table";

export function Tiers(_props: ScreenProps) {
  const tiers = useResource(() => api.tiers(), []);
  return (
    <section data-testid="tiers">
      <h1>{t("tiers.title")}</h1>
      <p class="cn-muted">{t("tiers.hint")}</p>
      <Async resource={tiers}>
        {(list) => (
          <TableBox caption={t("tiers.title")} testid="tier-table">
            <ColumnHeads
              columns={[
                t("tiers.rank"),
                t("tiers.code"),
                t("tiers.nameZh"),
                t("tiers.nameEn"),
                t("tiers.interval"),
                t("tiers.hours"),
                t("console.actions"),
              ]}
            />
            <tbody>
              {list.map((tier) => (
                <TierRow key={tier.id} tier={tier} onSaved={tiers.reload} />
              ))}
            </tbody>
          </TableBox>
        )}
      </Async>
    </section>
  );
}

function TierRow({ tier, onSaved }: { tier: Tier; onSaved: () => void }) {
  const [row, setRow] = useState({
    name_zh: tier.name_zh,
    name_en: tier.name_en,
    contact_interval_days: String(tier.contact_interval_days),
    complaint_response_hours: String(tier.complaint_response_hours),
  });
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const cell = (name: keyof typeof row, label: string, type: "text" | "number" = "text") => (
    <CellInput
      type={type}
      size={type === "number" ? 5 : 10}
      label={`${tier.code}: ${label}`}
      value={row[name]}
      onValue={(value) => {
        setRow((r) => ({ ...r, [name]: value }));
        setSaved(false);
      }}
      error={fieldError(error, name)}
    />
  );
  async function save() {
    setError(null);
    try {
      await api.updateTier(tier.id, {
        name_zh: row.name_zh,
        name_en: row.name_en,
        contact_interval_days: Number(row.contact_interval_days),
        complaint_response_hours: Number(row.complaint_response_hours),
        version: tier.version,
      });
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <tr>
      <td>{tier.rank}</td>
      <th scope="row">{tier.code}</th>
      {cell("name_zh", t("tiers.nameZh"))}
      {cell("name_en", t("tiers.nameEn"))}
      {cell("contact_interval_days", t("tiers.interval"), "number")}
      {cell("complaint_response_hours", t("tiers.hours"), "number")}
      <td>
        <button type="button" class="cn-button cn-secondary cn-small" onClick={() => void save()}>
          {t("tiers.saveRow", { name: tier.code })}
        </button>
        {saved && <Notice kind="ok">{t("console.saved")}</Notice>}
        <WriteError error={error} fields={["name_zh"]} inline />
      </td>
    </tr>
  );
}
