/**
 * A churn run's features and the tree's rules in words. The server keeps a rule's
 * conditions as codes ({feature, op, value, low}, server/churn/learn.py); the names of
 * the features are the `churn.feature.*` messages, this file is the one place that
 * puts a feature, an operator and a value together.
 */
import { fmtMoney, fmtNumber, hasMessage, t } from "../i18n";
import type { RuleCondition } from "../types";

const SERVICE_SPEND = /^spend_(.+?)(_change_3m)?$/;

/** A feature's name in the current language; an unknown one as it is. */
export function featureName(feature: string): string {
  const key = `churn.feature.${feature}`;
  if (hasMessage(key)) return t(key);
  const service = SERVICE_SPEND.exec(feature);
  if (service) {
    const serviceKey = `churn.service.${service[1]}`;
    const name = hasMessage(serviceKey) ? t(serviceKey) : service[1]!;
    return t(service[2] ? "churn.feature.spendServiceChange" : "churn.feature.spendService", {
      service: name,
    });
  }
  return feature;
}

/** A change against earlier months is a share (-0.35: down 35%); spend is money. */
function valueText(feature: string, value: unknown): string {
  if (typeof value !== "number") return categoryText(feature, String(value ?? ""));
  if (feature.includes("_change")) {
    const pct = Math.round(value * 100);
    return `${pct > 0 ? "+" : ""}${fmtNumber(pct)}%`;
  }
  if (feature.startsWith("spend_")) return fmtMoney(value);
  return fmtNumber(Math.round(value * 100) / 100);
}

function categoryText(feature: string, value: string): string {
  const key = feature === "tier" ? `tier.${value}` : `churn.${feature}.${value}`;
  return hasMessage(key) ? t(key) : value;
}

/** One condition of a rule: "complaints in 3 months ≥ 2", "tier is Gold". */
export function conditionText(condition: RuleCondition): string {
  const { feature, op, value, low } = condition;
  if (feature === "warning_open" && (op === "le" || op === "ge" || op === "gt")) {
    const open = op === "le" ? typeof value === "number" && value >= 1 : true;
    return t(open ? "churn.warningOpen" : "churn.noWarningOpen");
  }
  const key = `churn.op.${op}`;
  if (!hasMessage(key)) return `${feature} ${op} ${String(value ?? "")}`;
  return t(key, {
    feature: featureName(feature),
    value: valueText(feature, value),
    low: low === undefined || low === null ? "" : valueText(feature, low),
  });
}

/** A rule's conditions joined; no condition (a tree of one leaf) is everyone. */
export function ruleText(conditions: RuleCondition[], separator: string): string {
  if (conditions.length === 0) return t("churn.rules.everyone");
  return conditions.map(conditionText).join(separator);
}
