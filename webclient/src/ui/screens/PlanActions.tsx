import { useState } from "preact/hooks";
import { SKIP_REASONS, type CarePlan, type SkipReason } from "../../db";
import { LocalRefusal, planDetail } from "../../data";
import {
  MAX_SKIP_NOTE,
  reschedulePlan,
  skipPlan,
  snoozedWindow,
  snoozePlan,
  SNOOZES,
  type Snooze,
} from "../../data/planChanges";
import { fmtDate, t, useLocale } from "../../i18n";
import { tw } from "../../i18n/messages/work";
import { today } from "../../time";
import { DateWindow, windowError } from "../components/DateWindow";
import { Choices, Field } from "../components/Field";
import { TierBadge } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { href, navigate } from "../router";
import { purposeTitle } from "./Today";
import type { ScreenProps } from "./types";
import "../screens.css";

type Errors = Partial<Record<"due_to" | "skip_note" | "form", string>>;

/** What the local refusal says about each field, in the user's words. */
function refusalErrors(error: unknown, words: Record<string, string>): Errors {
  if (!(error instanceof LocalRefusal)) return { form: String((error as Error).message) };
  const found: Errors = {};
  for (const name of Object.keys(error.fields)) {
    (found as Record<string, string>)[name] = words[name] ?? error.message;
  }
  return { ...found, form: t("form.fixErrors") };
}

/**
 * One plan's "not now", new dates, or skip with a reason (issue 13, Today triaged).
 * Each is a change queued offline (`update_plan`); Today shows it at once.
 */
export function PlanActions({ route }: ScreenProps) {
  useLocale();
  const id = route.params.id ?? "";
  const live = useLive(() => planDetail(id), [id]);
  if (!live.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  const detail = live.value;
  if (detail === undefined) {
    return (
      <section class="fb-screen">
        <p>{t("task.missing")}</p>
        <a class="fb-button fb-secondary" href={href("today")}>
          {t("form.toToday")}
        </a>
      </section>
    );
  }
  const { plan, customer, open } = detail;
  const title = purposeTitle(plan);
  return (
    <section class="fb-screen" aria-labelledby="plan-title">
      <a class="fb-back" href={href("today")}>
        {t("form.toToday")}
      </a>
      <h1 id="plan-title">{tw("work.planTitle", { title })}</h1>
      <p class="fb-meta">
        {customer && (
          <>
            <a href={href("customer", { id: customer.id })}>{customer.name}</a>{" "}
            <TierBadge tier={customer.tier} />{" "}
          </>
        )}
        {t(`purpose.${plan.purpose}`)} · {t(`channel.${plan.channel}`)}
      </p>
      <p class="fb-meta" data-testid="plan-window">
        {tw("work.window", { from: fmtDate(plan.due_from), to: fmtDate(plan.due_to) })}
      </p>
      {open ? (
        <>
          <SnoozeButtons plan={plan} />
          <RescheduleForm plan={plan} />
          <SkipForm plan={plan} />
        </>
      ) : (
        <p class="fb-empty" data-testid="plan-closed">
          {plan.status === "cancelled" && plan.skip_reason
            ? tw("work.skipped", { reason: tw(`work.reason.${plan.skip_reason}`) })
            : tw("work.closed", {
                status: tw(plan.status === "done" ? "work.status.done" : "work.status.cancelled"),
              })}
        </p>
      )}
    </section>
  );
}

function SnoozeButtons({ plan }: { plan: CarePlan }) {
  const [busy, setBusy] = useState(false);
  const day = today();
  const options = SNOOZES.flatMap((snooze) => {
    const window = snoozedWindow(plan, snooze, day);
    return window ? [{ snooze, date: window.due_to }] : [];
  });
  if (options.length === 0) return null;

  async function snooze(choice: Snooze) {
    setBusy(true);
    try {
      await snoozePlan(plan.id, choice);
      navigate("today");
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="fb-group" aria-labelledby="plan-snooze">
      <h2 id="plan-snooze">{tw("work.snooze")}</h2>
      <div class="fb-actions">
        {options.map(({ snooze: choice, date }) => (
          <button
            key={choice}
            type="button"
            class="fb-button fb-secondary"
            data-testid={`snooze-${choice}`}
            disabled={busy}
            onClick={() => snooze(choice)}
          >
            {tw("work.snoozeTo", { label: tw(`work.snooze.${choice}`), date: fmtDate(date) })}
          </button>
        ))}
      </div>
    </section>
  );
}

function RescheduleForm({ plan }: { plan: CarePlan }) {
  const day = today();
  const [from, setFrom] = useState(plan.due_from < day ? day : plan.due_from);
  const [to, setTo] = useState(plan.due_to < day ? day : plan.due_to);
  const [errors, setErrors] = useState<Errors>({});

  async function save(event: Event) {
    event.preventDefault();
    const problem = windowError(from, to);
    const found: Errors = problem ? { due_to: problem } : {};
    if (Object.keys(found).length > 0) {
      setErrors({ ...found, form: t("form.fixErrors") });
      return;
    }
    try {
      await reschedulePlan(plan.id, from, to);
      navigate("today");
    } catch (error) {
      setErrors(refusalErrors(error, { due_to: tw("work.errOrder") }));
    }
  }

  return (
    <section class="fb-group" aria-labelledby="plan-reschedule">
      <h2 id="plan-reschedule">{tw("work.reschedule")}</h2>
      <form class="fb-form" data-testid="reschedule-form" onSubmit={save} noValidate>
        <DateWindow
          from={from}
          to={to}
          onChange={(f, u) => {
            setFrom(f);
            setTo(u);
          }}
          error={errors.due_to}
        />
        <p class="fb-error" role="alert" hidden={!errors.form}>
          {errors.form}
        </p>
        <button type="submit" class="fb-button" data-testid="reschedule-save">
          {tw("work.rescheduleSave")}
        </button>
      </form>
    </section>
  );
}

function SkipForm({ plan }: { plan: CarePlan }) {
  const [reason, setReason] = useState<SkipReason | null>(null);
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<Errors & { reason?: string }>({});

  async function save(event: Event) {
    event.preventDefault();
    const found: Errors & { reason?: string } = {};
    const text = note.trim();
    if (reason === null) found.reason = t("form.required");
    if (reason === "other" && text === "") found.skip_note = tw("work.errSkipNote");
    if (text.length > MAX_SKIP_NOTE)
      found.skip_note = tw("work.errTooLong", { max: MAX_SKIP_NOTE, count: text.length });
    if (reason === null || Object.keys(found).length > 0) {
      setErrors({ ...found, form: t("form.fixErrors") });
      return;
    }
    try {
      await skipPlan(plan.id, reason, text || null);
      navigate("today");
    } catch (error) {
      setErrors(refusalErrors(error, { skip_note: tw("work.errSkipNote") }));
    }
  }

  return (
    <section class="fb-group" aria-labelledby="plan-skip">
      <h2 id="plan-skip">{tw("work.skip")}</h2>
      <form class="fb-form" data-testid="skip-form" onSubmit={save} noValidate>
        <Choices
          legend={tw("work.skipReason")}
          name="skip_reason"
          options={SKIP_REASONS.map((code) => ({ value: code, label: tw(`work.reason.${code}`) }))}
          value={reason}
          onChange={setReason}
          error={errors.reason}
        />
        <Field
          label={reason === "other" ? tw("work.skipNoteOther") : tw("work.skipNote")}
          error={errors.skip_note}
        >
          {(props) => (
            <textarea
              {...props}
              name="skip_note"
              rows={2}
              value={note}
              onInput={(e) => setNote(e.currentTarget.value)}
            />
          )}
        </Field>
        <p class="fb-error" role="alert" hidden={!errors.form}>
          {errors.form}
        </p>
        <button type="submit" class="fb-button fb-danger" data-testid="skip-save">
          {tw("work.skipSave")}
        </button>
      </form>
    </section>
  );
}
