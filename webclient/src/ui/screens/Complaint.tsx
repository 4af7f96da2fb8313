import { useState } from "preact/hooks";
import type { Complaint as ComplaintRow, ComplaintStatus } from "../../db";
import { addComplaintNote, complaintDetail, transitionComplaint } from "../../data";
import { fmtDateTime, locale, t, useLocale } from "../../i18n";
import { LIMITS } from "../../limits";
import { now } from "../../time";
import { stepFacts } from "../components/complaintSteps";
import { Choices, Field, limitError } from "../components/Field";
import { TierBadge } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { href } from "../router";
import type { ScreenProps } from "./types";
import "../screens.css";

/** The words on the button that moves a complaint from `from` to `to`. */
function actionLabel(from: ComplaintStatus, to: ComplaintStatus): string {
  if (to === "in_progress") return t(from === "received" ? "complaint.start" : "complaint.reopen");
  // No step leads back to "received" (COMPLAINT_TRANSITIONS), so it has no button words.
  if (to === "received") return to;
  return t(`complaint.to.${to}`);
}

export function Complaint({ route }: ScreenProps) {
  useLocale();
  const id = route.params.id ?? "";
  const live = useLive(() => complaintDetail(id), [id]);
  if (!live.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  const detail = live.value;
  if (detail === undefined) {
    return (
      <section class="fb-screen">
        <h1>{t("complaint.missingTitle")}</h1>
        <p>{t("complaint.missing")}</p>
        <a class="fb-button fb-secondary" href={href("today")}>
          {t("form.toToday")}
        </a>
      </section>
    );
  }
  const { complaint: c, customer, category } = detail;
  const overdue =
    (c.status === "received" || c.status === "in_progress") &&
    Date.parse(c.deadline_at) < now().getTime();
  return (
    <article class="fb-screen" aria-labelledby="complaint-title" data-testid="complaint-detail">
      {customer && (
        <a class="fb-back" href={href("customer", { id: customer.id })}>
          {t("form.backTo", { name: customer.name })}
        </a>
      )}
      <h1 id="complaint-title">
        {t("complaint.title")}
        {category ? ` · ${locale() === "zh-CN" ? category.name_zh : category.name_en}` : ""}
      </h1>
      <p class="fb-meta">
        <span class={`fb-status-tag fb-cs-${c.status}`} data-testid="complaint-status">
          {t(`complaintStatus.${c.status}`)}
        </span>{" "}
        {customer && (
          <>
            {customer.name} <TierBadge tier={customer.tier} />
          </>
        )}
        {c._local || c._base ? ` · ${t("card.notSynced")}` : ""}
      </p>
      <dl class="fb-dl">
        <div>
          <dt>{t("complaint.description")}</dt>
          <dd class="fb-notes">{c.description}</dd>
        </div>
        <div>
          <dt>{t("complaint.severity")}</dt>
          <dd>{t(`severity.${c.severity}`)}</dd>
        </div>
        <div>
          <dt>{t("complaint.intake")}</dt>
          <dd>{t(`intake.${c.intake_channel}`)}</dd>
        </div>
        <div>
          <dt>{t("complaint.received")}</dt>
          <dd>{fmtDateTime(c.received_at)}</dd>
        </div>
        <div>
          <dt>{t("complaint.deadline")}</dt>
          <dd class={overdue ? "fb-overdue-text" : ""}>
            {fmtDateTime(c.deadline_at)}
            {overdue ? ` · ${t("card.overdue")}` : ""}
          </dd>
        </div>
        {c.resolution && (
          <div>
            <dt>{t("complaint.resolution")}</dt>
            <dd class="fb-notes">{c.resolution}</dd>
          </div>
        )}
        {c.satisfaction !== null && (
          <div>
            <dt>{t("complaint.satisfaction")}</dt>
            <dd>{t("complaint.satisfactionOf", { score: c.satisfaction })}</dd>
          </div>
        )}
        {c.reopen_count > 0 && (
          <div>
            <dt>{t("complaint.reopened")}</dt>
            <dd>{c.reopen_count}</dd>
          </div>
        )}
      </dl>

      <Steps complaint={c} allowed={detail.allowedNext} />

      <section class="fb-section" aria-labelledby="complaint-history">
        <h2 id="complaint-history">{t("complaint.history")}</h2>
        {detail.steps.length === 0 && <p class="fb-empty">{t("complaint.noHistory")}</p>}
        <ol class="fb-timeline">
          {detail.steps.map((step) => (
            <li key={step.id} data-testid="complaint-event">
              <span class="fb-meta">
                {fmtDateTime(step.at)}
                {step.pending ? ` · ${t("card.notSynced")}` : ""}
              </span>
              {step.to_status && (
                <span>
                  {step.from_status
                    ? t("complaint.moved", {
                        from: t(`complaintStatus.${step.from_status}`),
                        to: t(`complaintStatus.${step.to_status}`),
                      })
                    : t(`complaintStatus.${step.to_status}`)}
                </span>
              )}
              {step.note && <span class="fb-notes">{step.note}</span>}
              {stepFacts(step).map((fact) => (
                <span key={fact} class="fb-notes">
                  {fact}
                </span>
              ))}
            </li>
          ))}
        </ol>
        <NoteBox id={c.id} />
      </section>
    </article>
  );
}

function Steps({ complaint, allowed }: { complaint: ComplaintRow; allowed: ComplaintStatus[] }) {
  const [chosen, setChosen] = useState<ComplaintStatus | null>(null);
  const [resolution, setResolution] = useState("");
  const [satisfaction, setSatisfaction] = useState<number | null>(null);
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState("");

  async function go(to: ComplaintStatus) {
    setError(null);
    try {
      await transitionComplaint(complaint.id, to, {
        ...(note.trim() ? { note: note.trim() } : {}),
        ...(to === "resolved" ? { resolution: resolution.trim() } : {}),
        ...(to === "closed" ? { satisfaction } : {}),
      });
      setChosen(null);
      setNote("");
      setResolution("");
      setSatisfaction(null);
      setMessage(t("complaint.movedTo", { status: t(`complaintStatus.${to}`) }));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  function pick(to: ComplaintStatus) {
    setMessage("");
    setError(null);
    if (to === "resolved" || to === "closed") setChosen(to);
    else void go(to);
  }

  function confirm(event: Event) {
    event.preventDefault();
    if (chosen === "resolved" && !resolution.trim()) return setError(t("complaint.errResolution"));
    // Over a limit: the field says so itself.
    if (chosen === "resolved" && limitError(resolution, LIMITS.complaintResolution)) return;
    if (limitError(note, LIMITS.complaintStepNote)) return;
    if (chosen === "closed" && satisfaction === null)
      return setError(t("complaint.errSatisfaction"));
    if (chosen) void go(chosen);
  }

  return (
    <section class="fb-section" aria-labelledby="complaint-next">
      <h2 id="complaint-next">{t("complaint.next")}</h2>
      <div class="fb-actions">
        {allowed.map((to) => (
          <button
            key={to}
            type="button"
            class={`fb-button ${to === "in_progress" && complaint.status !== "received" ? "fb-secondary" : ""}`}
            data-testid="complaint-transition"
            data-to={to}
            aria-expanded={to === "resolved" || to === "closed" ? chosen === to : undefined}
            onClick={() => pick(to)}
          >
            {actionLabel(complaint.status, to)}
          </button>
        ))}
      </div>
      {chosen && (
        <form class="fb-form fb-inline-form" onSubmit={confirm} noValidate>
          {chosen === "resolved" && (
            <Field
              label={t("complaint.resolution")}
              error={error}
              limit={{ text: resolution, max: LIMITS.complaintResolution }}
            >
              {(props) => (
                <textarea
                  {...props}
                  name="resolution"
                  rows={3}
                  required
                  value={resolution}
                  onInput={(e) => setResolution(e.currentTarget.value)}
                />
              )}
            </Field>
          )}
          {chosen === "closed" && (
            <Choices
              legend={t("complaint.satisfactionAsk")}
              name="satisfaction"
              options={([1, 2, 3, 4, 5] as const).map((n) => ({
                value: n,
                label: t(`complaint.score.${n}`),
              }))}
              value={satisfaction}
              onChange={setSatisfaction}
              error={error}
            />
          )}
          <Field
            label={t("complaint.stepNote")}
            limit={{ text: note, max: LIMITS.complaintStepNote }}
          >
            {(props) => (
              <input
                {...props}
                name="note"
                value={note}
                onInput={(e) => setNote(e.currentTarget.value)}
              />
            )}
          </Field>
          <div class="fb-actions">
            <button type="submit" class="fb-button" data-testid="complaint-confirm">
              {actionLabel(complaint.status, chosen)}
            </button>
            <button type="button" class="fb-button fb-secondary" onClick={() => setChosen(null)}>
              {t("action.cancel")}
            </button>
          </div>
        </form>
      )}
      {!chosen && error && (
        <p class="fb-error" role="alert">
          {error}
        </p>
      )}
      <p class="fb-status" role="status">
        {message}
      </p>
    </section>
  );
}

function NoteBox({ id }: { id: string }) {
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState("");

  async function add(event: Event) {
    event.preventDefault();
    if (!note.trim()) return setError(t("form.required"));
    if (limitError(note, LIMITS.complaintNote)) return;
    setError(null);
    await addComplaintNote(id, note.trim());
    setNote("");
    setMessage(t("complaint.noteAdded"));
  }

  return (
    <form class="fb-form" onSubmit={add} noValidate>
      <Field
        label={t("complaint.note")}
        error={error}
        limit={{ text: note, max: LIMITS.complaintNote }}
      >
        {(props) => (
          <textarea
            {...props}
            name="note"
            rows={2}
            value={note}
            onInput={(e) => {
              setNote(e.currentTarget.value);
              // "Required." is about an empty box: typing answers it.
              if (e.currentTarget.value.trim()) setError(null);
            }}
            // Left empty: the note was given up, not missing.
            onBlur={(e) => {
              if (!e.currentTarget.value.trim()) setError(null);
            }}
          />
        )}
      </Field>
      <button type="submit" class="fb-button fb-secondary" data-testid="complaint-add-note">
        {t("complaint.addNote")}
      </button>
      <p class="fb-status" role="status">
        {message}
      </p>
    </form>
  );
}
