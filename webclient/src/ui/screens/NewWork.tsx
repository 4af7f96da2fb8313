import { useState } from "preact/hooks";
import type { Channel, Purpose } from "../../db";
import {
  createPlan,
  createTask,
  LocalRefusal,
  searchCustomers,
  type CustomerSummary,
} from "../../data";
import { t, useLocale } from "../../i18n";
import { tw } from "../../i18n/messages/work";
import { today } from "../../time";
import { DateWindow, windowError } from "../components/DateWindow";
import { Field, FormFooter, SelectField } from "../components/Field";
import { TierBadge } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { href, navigate, type Route } from "../router";
import type { ScreenProps } from "./types";
import "../screens.css";

const PURPOSES: Purpose[] = [
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
const CHANNELS: Channel[] = ["phone", "visit", "sms", "email", "im"];
/** Matches listed under the search box: enough to pick from on a phone's screen. */
const MATCHES = 6;
// As the server's schemas (tasks/schemas.py, plans/schemas.py).
const MAX = { title: 200, planTitle: 120, notes: 4000 };

type Errors = Partial<
  Record<"customer" | "title" | "due_date" | "due_to" | "notes" | "form", string>
>;

/** Back to the customer's card when opened from it (?customer=), else to Today. */
function leave(route: Route): void {
  const customer = route.query.get("customer");
  if (customer) navigate("customer", { id: customer });
  else navigate("today");
}

function backHref(route: Route): string {
  const customer = route.query.get("customer");
  return customer ? href("customer", { id: customer }) : href("today");
}

function tooLong(errors: Errors, name: "title" | "notes", value: string, max: number): void {
  if (value.length > max) errors[name] = tw("work.errTooLong", { max, count: value.length });
}

function refused(error: unknown, found: Errors): Errors {
  if (!(error instanceof LocalRefusal)) return { form: String((error as Error).message) };
  for (const name of Object.keys(error.fields)) {
    (found as Record<string, string>)[name] =
      name === "due_date" || name === "due_to" ? tw("work.errPast") : error.message;
  }
  return { ...found, form: t("form.fixErrors") };
}

/**
 * The customer a task or plan is about: fixed when the form was opened from the
 * customer's card, else found by name, number or phone on this device.
 */
function CustomerPicker({
  value,
  onChange,
  optional,
  error,
}: {
  value: CustomerSummary | null;
  onChange: (customer: CustomerSummary | null) => void;
  optional: boolean;
  error?: string | undefined;
}) {
  const [q, setQ] = useState("");
  const found = useLive(() => (q.trim() ? searchCustomers({ q }) : Promise.resolve([])), [q]);
  if (value) {
    return (
      <div class="fb-field" data-testid="picked-customer">
        <span class="fb-label">{tw("work.customer")}</span>
        <p>
          <strong>{value.name}</strong> <TierBadge tier={value.tier} />{" "}
          <button type="button" class="fb-button fb-secondary" onClick={() => onChange(null)}>
            {tw("work.customerChange")}
          </button>
        </p>
      </div>
    );
  }
  const matches = (found.value ?? []).slice(0, MATCHES);
  return (
    <>
      <Field
        label={
          optional
            ? tw("work.customerSearch")
            : `${tw("work.customer")}: ${tw("work.customerSearch")}`
        }
        error={error}
      >
        {(props) => (
          <input
            {...props}
            type="search"
            name="customer_search"
            autoComplete="off"
            value={q}
            onInput={(e) => setQ(e.currentTarget.value)}
          />
        )}
      </Field>
      {q.trim() && (
        <ul class="fb-list fb-picker" data-testid="customer-matches">
          {matches.length === 0 && <li class="fb-empty">{tw("work.customerNoMatch")}</li>}
          {matches.map((customer) => (
            <li key={customer.id}>
              <button
                type="button"
                class="fb-button fb-secondary"
                data-testid="customer-match"
                onClick={() => onChange(customer)}
              >
                {customer.name} · {customer.external_no}
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function NotesField({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
}) {
  return (
    <Field label={tw("work.notes")} error={error}>
      {(props) => (
        <textarea
          {...props}
          name="notes"
          rows={3}
          value={value}
          onInput={(e) => onChange(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}

/** The customer named by ?customer=, once read from the device. */
function useStartCustomer(route: Route) {
  const id = route.query.get("customer") ?? "";
  return useLive(
    async () => (id ? ((await searchCustomers()).find((c) => c.id === id) ?? null) : null),
    [id],
  );
}

export function NewTask({ route }: ScreenProps) {
  useLocale();
  const start = useStartCustomer(route);
  if (!start.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  return <TaskForm route={route} start={start.value ?? null} />;
}

function TaskForm({ route, start }: { route: Route; start: CustomerSummary | null }) {
  const [customer, setCustomer] = useState(start);
  const [title, setTitle] = useState("");
  const [due, setDue] = useState(today());
  const [notes, setNotes] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [saving, setSaving] = useState(false);

  async function save(event: Event) {
    event.preventDefault();
    const found: Errors = {};
    if (!title.trim()) found.title = t("form.required");
    tooLong(found, "title", title.trim(), MAX.title);
    tooLong(found, "notes", notes.trim(), MAX.notes);
    // As the visit form refuses a next step due in the past (LogVisit.tsx).
    if (due && due < today()) found.due_date = tw("work.errPast");
    if (Object.keys(found).length > 0) {
      setErrors({ ...found, form: t("form.fixErrors") });
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      await createTask({
        title: title.trim(),
        customer_id: customer?.id ?? null,
        due_date: due || null,
        notes: notes.trim() || null,
      });
      leave(route);
    } catch (error) {
      setErrors(refused(error, {}));
      setSaving(false);
    }
  }

  return (
    <section class="fb-screen" aria-labelledby="new-task-title">
      <a class="fb-back" href={backHref(route)}>
        {start ? t("form.backTo", { name: start.name }) : t("form.toToday")}
      </a>
      <h1 id="new-task-title">{tw("work.newTask")}</h1>
      <form class="fb-form" data-testid="new-task-form" onSubmit={save} noValidate>
        <CustomerPicker value={customer} onChange={setCustomer} optional />
        <Field label={tw("work.title")} error={errors.title}>
          {(props) => (
            <input
              {...props}
              name="title"
              value={title}
              onInput={(e) => setTitle(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label={tw("work.due")} error={errors.due_date}>
          {(props) => (
            <input
              {...props}
              type="date"
              name="due_date"
              min={today()}
              value={due}
              onInput={(e) => setDue(e.currentTarget.value)}
            />
          )}
        </Field>
        <NotesField value={notes} onChange={setNotes} error={errors.notes} />
        <FormFooter
          error={errors.form}
          saving={saving}
          label={tw("work.saveTask")}
          testid="task-create"
          cancelHref={backHref(route)}
        />
      </form>
    </section>
  );
}

export function NewPlan({ route }: ScreenProps) {
  useLocale();
  const start = useStartCustomer(route);
  if (!start.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  return <PlanForm route={route} start={start.value ?? null} />;
}

function PlanForm({ route, start }: { route: Route; start: CustomerSummary | null }) {
  const [customer, setCustomer] = useState(start);
  const [purpose, setPurpose] = useState<Purpose>("routine");
  const [channel, setChannel] = useState<Channel>("phone");
  const [from, setFrom] = useState(today());
  const [to, setTo] = useState(today());
  const [title, setTitle] = useState("");
  const [notes, setNotes] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [saving, setSaving] = useState(false);

  async function save(event: Event) {
    event.preventDefault();
    const found: Errors = {};
    if (customer === null) found.customer = t("form.required");
    const problem = windowError(from, to);
    if (problem) found.due_to = problem;
    if (title.trim().length > MAX.planTitle)
      found.title = tw("work.errTooLong", { max: MAX.planTitle, count: title.trim().length });
    tooLong(found, "notes", notes.trim(), MAX.notes);
    if (customer === null || Object.keys(found).length > 0) {
      setErrors({ ...found, form: t("form.fixErrors") });
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      await createPlan({
        customer_id: customer.id,
        purpose,
        channel,
        due_from: from,
        due_to: to,
        title: title.trim() || null,
        notes: notes.trim() || null,
      });
      leave(route);
    } catch (error) {
      setErrors(refused(error, {}));
      setSaving(false);
    }
  }

  return (
    <section class="fb-screen" aria-labelledby="new-plan-title">
      <a class="fb-back" href={backHref(route)}>
        {start ? t("form.backTo", { name: start.name }) : t("form.toToday")}
      </a>
      <h1 id="new-plan-title">{tw("work.newPlan")}</h1>
      <form class="fb-form" data-testid="new-plan-form" onSubmit={save} noValidate>
        <CustomerPicker
          value={customer}
          onChange={setCustomer}
          optional={false}
          error={errors.customer}
        />
        <SelectField
          label={tw("work.purpose")}
          name="purpose"
          options={PURPOSES}
          prefix="purpose."
          value={purpose}
          onChange={setPurpose}
        />
        <SelectField
          label={tw("work.channel")}
          name="channel"
          options={CHANNELS}
          prefix="channel."
          value={channel}
          onChange={setChannel}
        />
        <DateWindow
          from={from}
          to={to}
          onChange={(f, u) => {
            setFrom(f);
            setTo(u);
          }}
          error={errors.due_to}
        />
        <Field label={tw("work.titleOptional")} error={errors.title}>
          {(props) => (
            <input
              {...props}
              name="title"
              value={title}
              onInput={(e) => setTitle(e.currentTarget.value)}
            />
          )}
        </Field>
        <NotesField value={notes} onChange={setNotes} error={errors.notes} />
        <FormFooter
          error={errors.form}
          saving={saving}
          label={tw("work.savePlan")}
          testid="plan-create"
          cancelHref={backHref(route)}
        />
      </form>
    </section>
  );
}
