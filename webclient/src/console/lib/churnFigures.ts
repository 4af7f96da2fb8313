/** A churn run's figures as the console shows them: shares as percentages, AUC to 3 places. */
import { fmtFixed, noData, t } from "../i18n";

export function pct(share: number | null | undefined): string {
  return share === null || share === undefined ? noData() : `${fmtFixed(share * 100, 1)}%`;
}

export function auc(value: number | null | undefined): string {
  return value === null || value === undefined ? noData() : fmtFixed(value, 3);
}

/** "0.812 (0.640)": the model's figure with the rules' beside it. */
export function vsRules(model: string, rules: string): string {
  return t("churn.vsRules", { model, rules });
}

/** "2025-02 – 2025-12" */
export function monthSpan(from: string, to: string): string {
  return from.slice(0, 7) === to.slice(0, 7)
    ? from.slice(0, 7)
    : `${from.slice(0, 7)} – ${to.slice(0, 7)}`;
}
