import { useRef, useState } from "preact/hooks";
import type { CarePlan, Channel, Customer, CustomerResponse, Purpose } from "../../db";
import { customerCard, openPlans, pickMatchingPlan } from "../../data";
import type { Compressed } from "../../data/photos";
import { fmtDate, fmtDateTime, fmtNumber, t, useLocale } from "../../i18n";
import { LIMITS } from "../../limits";
import { isoWithOffset, localDate, now, today } from "../../time";
import { Choices, Field, FormFooter, limitError, SelectField } from "../components/Field";
import { LazyPhotoPicker, visitLogger } from "../components/LazyPhotos";
import { useLive } from "../components/useLive";
import { checkInVerdict, locate, MAX_DISTANCE_M, type Fix, type LocationProblem } from "../geo";
import { href, navigate, type Route } from "../router";
import type { ScreenProps } from "./types";
import "../screens.css";

export const CHANNELS: Channel[] = ["visit", "phone", "sms", "email", "im"];
export const PURPOSES: Purpose[] = [
  "routine",
  "birthday",
  "holiday",
  "contract_expiry",
  "welcome",
  "introduction_check",
  "retention",
  "complaint_followup",
  "marketing",
  "win_back",
];
const RESPONSES: CustomerResponse[] = ["positive", "neutral", "negative"];

/** Where a saved form returns: Today when it was opened from there, else the card. */
export function returnTo(route: Route, customerId: string): void {
  if (route.query.get("from") === "today") navigate("today");
  else navigate("customer", { id: customerId });
}

/** `?channel=phone`: opened to log a call just made (ui/callback.ts). */
function channelOf(route: Route): Channel | undefined {
  return CHANNELS.find((c) => c === route.query.get("channel"));
}

export function LogVisit({ route }: ScreenProps) {
  useLocale();
  const id = route.params.id ?? "";
  const live = useLive(() => customerCard(id), [id]);
  if (!live.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  if (live.value === undefined) return <Missing />;
  const planId = route.query.get("plan");
  const plan = live.value.plans.find((p) => p.id === planId) ?? null;
  return (
    <VisitForm route={route} customer={live.value.customer} plans={live.value.plans} plan={plan} />
  );
}

export function Missing() {
  return (
    <section class="fb-screen">
      <h1>{t("card.missingTitle")}</h1>
      <p>{t("card.missing")}</p>
      <a class="fb-button fb-secondary" href={href("portfolio")}>
        {t("card.toPortfolio")}
      </a>
    </section>
  );
}

interface CheckIn {
  at: Date;
  locating: boolean;
  fix: Fix | null;
  /** Why there is no fix (an in-person check-in only). */
  problem?: LocationProblem | null;
}

type Errors = Partial<
  Record<"outcome" | "notes" | "next_step" | "next_step_due" | "products" | "form", string>
>;

/** The plan select's value for "fulfils no plan". */
const NO_PLAN = "none";

function VisitForm({
  route,
  customer,
  plans,
  plan,
}: {
  route: Route;
  customer: Customer;
  /** The customer's plans (any status), as the card holds them. */
  plans: CarePlan[];
  /** The plan the form was opened for (?plan=), if any. */
  plan: CarePlan | null;
}) {
  const opened = useRef(now());
  const [channel, setChannel] = useState<Channel>(plan?.channel ?? channelOf(route) ?? "visit");
  const [purpose, setPurpose] = useState<Purpose>(plan?.purpose ?? "routine");
  // null: the user has not picked one since the purpose last changed (the default holds).
  const [planChoice, setPlanChoice] = useState<string | null>(null);
  const [privileges, setPrivileges] = useState(false);
  const [checkIn, setCheckIn] = useState<CheckIn | null>(null);
  const [checkOut, setCheckOut] = useState<Date | null>(null);
  const [outcome, setOutcome] = useState("");
  const [notes, setNotes] = useState("");
  const [products, setProducts] = useState("");
  const [response, setResponse] = useState<CustomerResponse | null>(null);
  const [nextStep, setNextStep] = useState("");
  const [nextDue, setNextDue] = useState("");
  const [photos, setPhotos] = useState<Compressed[]>([]);
  const [errors, setErrors] = useState<Errors>({});
  const [saving, setSaving] = useState(false);
  const inPerson = channel === "visit";

  // The plan the visit fulfils: the one it was opened for while the purpose is that
  // plan's, else the plan the server's matching rule picks for the purpose and the day
  // of the visit (data/queries.ts `pickMatchingPlan`), unless the user chose.
  const open = openPlans(plans);
  const day = localDate(checkIn?.at ?? opened.current);
  const opener =
    plan && plan.purpose === purpose && open.some((p) => p.id === plan.id) ? plan : undefined;
  const fallback = (opener ?? pickMatchingPlan(open, purpose, day))?.id ?? NO_PLAN;
  const picked =
    planChoice === NO_PLAN || open.some((p) => p.id === planChoice) ? planChoice : null;
  const chosenPlan = picked ?? fallback;

  async function doCheckIn() {
    const at = now();
    setCheckOut(null);
    if (!inPerson) {
      setCheckIn({ at, locating: false, fix: null });
      return;
    }
    setCheckIn({ at, locating: true, fix: null });
    const { fix, problem } = await locate();
    // A second tap meanwhile started a newer check-in: keep that one.
    setCheckIn((current) => (current?.at === at ? { at, locating: false, fix, problem } : current));
  }

  async function save(event: Event) {
    event.preventDefault();
    const productList = products
      .split(/[,，、\n]/)
      .map((p) => p.trim())
      .filter(Boolean);
    const found: Errors = {};
    if (nextDue && !nextStep.trim()) found.next_step_due = t("visit.errNextDueNeedsStep");
    else if (nextDue && nextDue < today()) found.next_step_due = t("visit.errNextDuePast");
    for (const [name, text, max] of [
      ["outcome", outcome, LIMITS.visitOutcome],
      ["notes", notes, LIMITS.visitNotes],
      ["next_step", nextStep, LIMITS.visitNextStep],
    ] as const) {
      const long = limitError(text, max);
      if (long) found[name] = long;
    }
    if (productList.length > 20 || productList.some((p) => p.length > 60))
      found.products = t("visit.errProducts");
    if (Object.keys(found).length > 0) {
      setErrors({ ...found, form: t("form.fixErrors") });
      return;
    }
    setErrors({});
    setSaving(true);
    const fix = inPerson && checkIn && !checkIn.locating ? checkIn.fix : null;
    try {
      // With photos, the visit and its photos are kept in one transaction, or neither.
      const log = await visitLogger(photos, customer.id);
      await log({
        customer_id: customer.id,
        channel,
        purpose,
        plan_id: chosenPlan === NO_PLAN ? null : chosenPlan,
        started_at: isoWithOffset(checkIn?.at ?? opened.current),
        ended_at: checkOut ? isoWithOffset(checkOut) : null,
        ...(fix
          ? {
              latitude: fix.latitude,
              longitude: fix.longitude,
              accuracy_m: fix.accuracy_m,
              location_age_s: fix.location_age_s,
            }
          : {}),
        outcome: outcome.trim() || null,
        notes: notes.trim() || null,
        products_discussed: productList,
        customer_response: response,
        privileges_explained: privileges,
        next_step: nextStep.trim() || null,
        next_step_due: nextDue || null,
      });
      returnTo(route, customer.id);
    } catch (error) {
      setErrors({ form: (error as Error).message });
      setSaving(false);
    }
  }

  return (
    <section class="fb-screen" aria-labelledby="visit-title">
      <a class="fb-back" href={href("customer", { id: customer.id })}>
        {t("form.backTo", { name: customer.name })}
      </a>
      <h1 id="visit-title">{t("visit.title", { name: customer.name })}</h1>
      <form class="fb-form" data-testid="visit-form" onSubmit={save} noValidate>
        <SelectField
          label={t("visit.channel")}
          name="channel"
          options={CHANNELS}
          prefix="channel."
          value={channel}
          onChange={setChannel}
        />
        <SelectField
          label={t("visit.purpose")}
          name="purpose"
          options={PURPOSES}
          prefix="purpose."
          value={purpose}
          onChange={(next) => {
            setPurpose(next);
            setPlanChoice(null);
          }}
        />
        <Field label={t("visit.plan")} hint={t("visit.planHint")}>
          {(props) => (
            <select
              {...props}
              name="plan_id"
              value={chosenPlan}
              onChange={(e) => setPlanChoice(e.currentTarget.value)}
            >
              {open.map((p) => (
                <option key={p.id} value={p.id}>
                  {t("visit.planOption", {
                    title: p.title,
                    purpose: t(`purpose.${p.purpose}`),
                    from: fmtDate(p.due_from),
                    to: fmtDate(p.due_to),
                  })}
                </option>
              ))}
              <option value={NO_PLAN}>{t("visit.planNone")}</option>
            </select>
          )}
        </Field>

        <fieldset class="fb-checkin">
          <legend>{t("visit.timeAndPlace")}</legend>
          <div class="fb-actions">
            <button type="button" class="fb-button" data-testid="check-in" onClick={doCheckIn}>
              {checkIn ? t("visit.checkInAgain") : t("visit.checkIn")}
            </button>
            <button
              type="button"
              class="fb-button fb-secondary"
              data-testid="check-out"
              disabled={checkIn === null}
              onClick={() => setCheckOut(now())}
            >
              {t("visit.checkOut")}
            </button>
          </div>
          <p class="fb-status" role="status" data-testid="check-in-status">
            <CheckInStatus checkIn={checkIn} inPerson={inPerson} customer={customer} />
          </p>
          {checkOut && (
            <p class="fb-meta" data-testid="check-out-status">
              {t("visit.checkedOut", { time: fmtDateTime(isoWithOffset(checkOut)) })}
            </p>
          )}
        </fieldset>

        <Field
          label={t("visit.outcome")}
          error={errors.outcome}
          limit={{ text: outcome, max: LIMITS.visitOutcome }}
        >
          {(props) => (
            <input
              {...props}
              name="outcome"
              value={outcome}
              onInput={(e) => setOutcome(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          label={t("visit.notes")}
          error={errors.notes}
          limit={{ text: notes, max: LIMITS.visitNotes }}
        >
          {(props) => (
            <textarea
              {...props}
              name="notes"
              rows={4}
              value={notes}
              onInput={(e) => setNotes(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label={t("visit.products")} hint={t("visit.productsHint")} error={errors.products}>
          {(props) => (
            <input
              {...props}
              name="products"
              value={products}
              onInput={(e) => setProducts(e.currentTarget.value)}
            />
          )}
        </Field>
        <label class="fb-check">
          <input
            type="checkbox"
            name="privileges_explained"
            checked={privileges}
            onChange={(e) => setPrivileges(e.currentTarget.checked)}
          />
          <span>{t("visit.privileges")}</span>
        </label>
        <Choices
          legend={t("visit.response")}
          name="customer_response"
          options={RESPONSES.map((r) => ({ value: r, label: t(`response.${r}`) }))}
          value={response}
          onChange={setResponse}
        />
        <Field
          label={t("visit.nextStep")}
          hint={t("visit.nextStepHint")}
          error={errors.next_step}
          limit={{ text: nextStep, max: LIMITS.visitNextStep }}
        >
          {(props) => (
            <input
              {...props}
              name="next_step"
              value={nextStep}
              onInput={(e) => setNextStep(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label={t("visit.nextDue")} error={errors.next_step_due}>
          {(props) => (
            <input
              {...props}
              type="date"
              name="next_step_due"
              min={today()}
              value={nextDue}
              onInput={(e) => setNextDue(e.currentTarget.value)}
            />
          )}
        </Field>
        <LazyPhotoPicker photos={photos} onChange={setPhotos} />
        <FormFooter
          error={errors.form}
          saving={saving}
          label={t("visit.save")}
          testid="visit-save"
          cancelHref={href("customer", { id: customer.id })}
        />
      </form>
    </section>
  );
}

function CheckInStatus({
  checkIn,
  inPerson,
  customer,
}: {
  checkIn: CheckIn | null;
  inPerson: boolean;
  customer: Customer;
}) {
  if (checkIn === null) return <>{t("visit.notCheckedIn")}</>;
  const time = fmtDateTime(isoWithOffset(checkIn.at));
  if (!inPerson) return <>{t("visit.startedAt", { time })}</>;
  if (checkIn.locating) return <>{t("visit.locating", { time })}</>;
  const { verdict, distance_m } = checkInVerdict(checkIn.fix, customer);
  const fix = checkIn.fix;
  return (
    <>
      <span
        class={`fb-flag fb-flag-${verdict}`}
        data-testid="location-verdict"
        data-verdict={verdict}
      >
        {t(`visit.verdict.${verdict}`)}
      </span>
      {checkIn.problem && (
        <span data-testid="location-problem">{` · ${t(`visit.problem.${checkIn.problem}`)}`}</span>
      )}
      {verdict === "out_of_range" && ` · ${t("visit.tooFar", { max: fmtNumber(MAX_DISTANCE_M) })}`}
      {" · "}
      {t("visit.checkedInAt", { time })}
      {fix &&
        ` · ${t("visit.accuracy", {
          accuracy: fmtNumber(fix.accuracy_m),
          age: fmtNumber(fix.location_age_s),
        })}`}
      {distance_m !== null && ` · ${t("visit.distance", { distance: fmtNumber(distance_m) })}`}
    </>
  );
}
