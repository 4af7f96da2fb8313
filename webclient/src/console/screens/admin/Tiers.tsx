import { useState } from "preact/hooks";
import { api } from "../../api";
import { t } from "../../i18n";
import type { ScreenProps } from "../../screens";
import type { Tier } from "../../types";
import { fieldError } from "../../ui/forms";
import { useResource } from "../../ui/resource";
import { Async, errorText, Notice } from "../../ui/States";
import { TableBox } from "../../ui/Table";

export function Tiers(_props: ScreenProps) {
  const tiers = useResource(() => api.tiers(), []);
  return (
    <section data-testid="tiers">
      <h1>{t("tiers.title")}</h1>
      <p class="cn-muted">{t("tiers.hint")}</p>
      <Async resource={tiers}>
        {(list) => (
          <TableBox caption={t("tiers.title")} testid="tier-table">
            <thead>
              <tr>
                <th scope="col">{t("tiers.rank")}</th>
                <th scope="col">{t("tiers.code")}</th>
                <th scope="col">{t("tiers.nameZh")}</th>
                <th scope="col">{t("tiers.nameEn")}</th>
                <th scope="col">{t("tiers.interval")}</th>
                <th scope="col">{t("tiers.hours")}</th>
                <th scope="col">{t("console.actions")}</th>
              </tr>
            </thead>
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
  const cell = (name: keyof typeof row, label: string, type = "text") => {
    const problem = fieldError(error, name);
    return (
      <td>
        <input
          type={type as "text"}
          aria-label={`${tier.code}: ${label}`}
          aria-invalid={problem ? true : undefined}
          value={row[name]}
          size={type === "number" ? 5 : 10}
          onInput={(e) => {
            const value = e.currentTarget.value;
            setRow((r) => ({ ...r, [name]: value }));
            setSaved(false);
          }}
        />
        {problem && <p class="cn-error">{problem}</p>}
      </td>
    );
  };
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
        {error !== null && !fieldError(error, "name_zh") && (
          <p class="cn-error">{errorText(error)}</p>
        )}
      </td>
    </tr>
  );
}
