import { useState } from "preact/hooks";
import { ApiError, api } from "../api";
import { t } from "../i18n";
import { go, href } from "../router";
import type { ScreenProps } from "../screens";
import type { Campaign, CampaignInput, CampaignKind, SessionUser } from "../types";
import { Check, fieldError, Select, TextArea, TextInput } from "../ui/forms";
import { useTeams } from "../ui/Pickers";
import { errorText, Notice } from "../ui/States";
import { word } from "./AtRisk";
import { localDate } from "../../time";

const TIERS = ["diamond", "emerald", "platinum", "sapphire", "gold", "crystal"];
const STAGES = ["onboarding", "introduction", "maturity", "warning", "churned"];
const KINDS: CampaignKind[] = ["retention", "privilege", "marketing"];

export function CampaignNew({ user }: ScreenProps) {
  return (
    <section data-testid="campaign-new">
      <p>
        <a href={href("campaigns")}>← {t("camp.back")}</a>
      </p>
      <h1>{t("camp.newTitle")}</h1>
      <CampaignForm user={user} onSaved={(c) => go(href("campaign", { id: c.id }))} />
    </section>
  );
}

function inMonth(days: number): string {
  const d = new Date();
  d.setDate(d.getDate() + days);
  return localDate(d);
}

/** The campaign form, for a new campaign or a draft (with `campaign`). */
export function CampaignForm({
  user,
  campaign,
  onSaved,
}: {
  user: SessionUser;
  campaign?: Campaign;
  onSaved: (campaign: Campaign) => void;
}) {
  const seg = campaign?.segment ?? {};
  const [name, setName] = useState(campaign?.name ?? "");
  const [kind, setKind] = useState<CampaignKind>(campaign?.kind ?? "retention");
  const [offer, setOffer] = useState(campaign?.offer ?? "");
  const [teamId, setTeamId] = useState(campaign?.team_id ?? "");
  const [startsOn, setStartsOn] = useState(campaign?.starts_on ?? localDate(new Date()));
  const [endsOn, setEndsOn] = useState(campaign?.ends_on ?? inMonth(30));
  const [tiers, setTiers] = useState<string[]>(seg.tiers ?? []);
  const [stages, setStages] = useState<string[]>(seg.stages ?? []);
  const [warning, setWarning] = useState(
    seg.open_warning === true ? "true" : seg.open_warning === false ? "false" : "",
  );
  const [spendMin, setSpendMin] = useState(seg.spend_min ?? "");
  const [spendMax, setSpendMax] = useState(seg.spend_max ?? "");
  const [ids, setIds] = useState((seg.customer_ids ?? []).join("\n"));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const teams = useTeams(user);

  const toggle = (list: string[], set: (v: string[]) => void, code: string, on: boolean) =>
    set(on ? [...list, code] : list.filter((c) => c !== code));

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const customerIds = ids.split(/\s+/).filter(Boolean);
    const body: CampaignInput = {
      name,
      kind,
      offer,
      starts_on: startsOn,
      ends_on: endsOn,
      segment: {
        ...(tiers.length ? { tiers } : {}),
        ...(stages.length ? { stages } : {}),
        ...(warning ? { open_warning: warning === "true" } : {}),
        ...(spendMin ? { spend_min: spendMin } : {}),
        ...(spendMax ? { spend_max: spendMax } : {}),
        ...(customerIds.length ? { customer_ids: customerIds } : {}),
      },
      ...(user.role === "admin" ? { team_id: teamId || null } : {}),
    };
    try {
      const saved = campaign
        ? await api.updateCampaign(campaign.id, { ...body, version: campaign.version })
        : await api.createCampaign(body);
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const e = (path: string) => fieldError(error, path);
  return (
    <form class="cn-panel" onSubmit={submit} noValidate data-testid="campaign-form">
      <div class="cn-form-grid">
        <TextInput
          label={t("camp.name")}
          name="name"
          value={name}
          onValue={setName}
          error={e("name")}
        />
        <Select
          label={t("camp.kind")}
          name="kind"
          value={kind}
          onValue={(v) => setKind(v as CampaignKind)}
          options={KINDS.map((k) => ({ value: k, label: t(`camp.kind.${k}`) }))}
          error={e("kind")}
        />
        {user.role === "admin" && (
          <Select
            label={t("camp.team")}
            name="team_id"
            value={teamId}
            onValue={setTeamId}
            error={e("team_id")}
            options={[
              { value: "", label: t("camp.teamAll") },
              ...(teams.data ?? []).map((x) => ({ value: x.id, label: x.name })),
            ]}
          />
        )}
        <TextInput
          label={t("camp.startsOn")}
          name="starts_on"
          type="date"
          value={startsOn}
          onValue={setStartsOn}
          error={e("starts_on")}
        />
        <TextInput
          label={t("camp.endsOn")}
          name="ends_on"
          type="date"
          value={endsOn}
          onValue={setEndsOn}
          error={e("ends_on")}
        />
      </div>
      <TextArea
        label={t("camp.offer")}
        name="offer"
        value={offer}
        onValue={setOffer}
        error={e("offer")}
      />
      <fieldset class="cn-fieldset">
        <legend>{t("camp.segment")}</legend>
        <p class="cn-muted">{t("camp.segmentHint")}</p>
        <fieldset class="cn-inline">
          <legend>{t("camp.tiers")}</legend>
          {TIERS.map((code) => (
            <Check
              key={code}
              name="tiers"
              label={word("tier", code)}
              checked={tiers.includes(code)}
              onChange={(on) => toggle(tiers, setTiers, code, on)}
            />
          ))}
          {e("segment.tiers") && <p class="cn-error">{e("segment.tiers")}</p>}
        </fieldset>
        <fieldset class="cn-inline">
          <legend>{t("camp.stages")}</legend>
          {STAGES.map((code) => (
            <Check
              key={code}
              name="stages"
              label={word("stage", code)}
              checked={stages.includes(code)}
              onChange={(on) => toggle(stages, setStages, code, on)}
            />
          ))}
        </fieldset>
        <div class="cn-form-grid">
          <Select
            label={t("camp.openWarning")}
            name="open_warning"
            value={warning}
            onValue={setWarning}
            options={[
              { value: "", label: t("assign.any") },
              { value: "true", label: t("console.yes") },
              { value: "false", label: t("console.no") },
            ]}
          />
          <TextInput
            label={t("camp.spendMin")}
            name="spend_min"
            type="number"
            min={0}
            step="0.01"
            value={spendMin}
            onValue={setSpendMin}
            error={e("segment.spend_min")}
          />
          <TextInput
            label={t("camp.spendMax")}
            name="spend_max"
            type="number"
            min={0}
            step="0.01"
            value={spendMax}
            onValue={setSpendMax}
            error={e("segment.spend_max")}
          />
        </div>
        <TextArea
          label={t("camp.customerIds")}
          name="customer_ids"
          value={ids}
          onValue={setIds}
          error={e("segment.customer_ids")}
        />
      </fieldset>
      {error instanceof ApiError && Object.keys(error.fields).length > 0 ? (
        <Notice kind="error">{t("console.fieldsInvalid")}</Notice>
      ) : (
        error !== null && <Notice kind="error">{errorText(error)}</Notice>
      )}
      <p class="cn-actions">
        <button type="submit" class="cn-button" disabled={busy} data-testid="campaign-save">
          {t("camp.save")}
        </button>
      </p>
    </form>
  );
}
