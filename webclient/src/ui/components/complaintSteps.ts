import type { ComplaintStep } from "../../data/queries";
import { fmtNumber, t } from "../../i18n";

/**
 * The facts a complaint step carries besides its note, worded in the user's language:
 * the resolution it gave, the satisfaction a reopen cleared. The server keeps them as
 * values (docs: complaint events), never as prose.
 */
export function stepFacts(
  step: Pick<ComplaintStep, "resolution" | "prior_satisfaction">,
): string[] {
  const facts: string[] = [];
  if (step.resolution) facts.push(t("complaint.stepResolution", { text: step.resolution }));
  if (step.prior_satisfaction != null)
    facts.push(t("complaint.stepPriorSatisfaction", { score: fmtNumber(step.prior_satisfaction) }));
  return facts;
}
