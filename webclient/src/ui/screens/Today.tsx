import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { agendaFor, completeTask, syncState, todayLocal, type AgendaItem } from "../../data";
import { itemKey, triage, type Triaged } from "../../data/triage";
import { fmtDate, fmtDateTime, locale, t, useLocale } from "../../i18n";
import type { Purpose } from "../../db";
import { TierBadge } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { href } from "../router";
import type { ScreenProps } from "./types";

/** Items shown before "n more": the rest waits one tap away, so the page stays short. */
const TODAY_SHOWN = 8;
const OVERDUE_SHOWN = 3;

interface Agenda {
  date: string;
  /** False until the first full sync has brought the portfolio. */
  hasCopy: boolean;
  sections: Triaged;
}

async function loadAgenda(): Promise<Agenda> {
  const date = todayLocal();
  const [items, state] = await Promise.all([agendaFor(date), syncState()]);
  return { date, hasCopy: state.hasCopy, sections: triage(items, date) };
}

/**
 * The day's decisions (data/triage.ts): what is due today, most urgent first; then the
 * overdue (the first few, the rest folded), the next seven days and later, folded with
 * their counts, so a phone's screen holds today, not a month.
 */
export function Today({ engine }: ScreenProps) {
  useLocale();
  // Not read again after each page of a full sync: once, when its last page is stored.
  const agenda = useLive(loadAgenda, [], engine.fullSync);
  const firstSync = engine.fullSync.value;
  const value = agenda.value;
  const s = value?.sections;
  const total = s ? s.today.length + s.overdue.length + s.week.length + s.later.length : 0;
  return (
    <section class="fb-screen" aria-labelledby="today-title">
      <div class="fb-today-head">
        <h1 id="today-title">{t("today.title")}</h1>
        <nav class="fb-today-new" aria-label={t("today.new")}>
          <a class="fb-button fb-secondary" href={href("newTask")} data-testid="new-task">
            {t("today.newTask")}
          </a>
          <a class="fb-button fb-secondary" href={href("newPlan")} data-testid="new-plan">
            {t("today.newPlan")}
          </a>
        </nav>
      </div>
      {value && <p class="fb-meta">{fmtDate(value.date)}</p>}
      {firstSync ? (
        <p class="fb-empty">{t("today.firstSync")}</p>
      ) : !agenda.ready || !s ? (
        <p class="fb-empty">{t("today.loading")}</p>
      ) : total === 0 ? (
        <p class="fb-empty">{value.hasCopy ? t("today.nothing") : t("today.firstSync")}</p>
      ) : (
        <>
          <section class="fb-group" aria-labelledby="today-due" data-testid="section-today">
            <h2 id="today-due">
              {t("today.due")} <span class="fb-count-badge">{s.today.length}</span>
            </h2>
            {s.today.length === 0 ? (
              <p class="fb-empty">{t("today.nothingToday")}</p>
            ) : (
              <Shortened items={s.today} shown={TODAY_SHOWN} more="today.moreToday" />
            )}
          </section>
          {s.overdue.length > 0 && (
            <section class="fb-group" aria-labelledby="today-overdue" data-testid="section-overdue">
              <h2 id="today-overdue">
                {t("today.overdue")} <span class="fb-count-badge">{s.overdue.length}</span>
              </h2>
              <Shortened items={s.overdue} shown={OVERDUE_SHOWN} more="today.more" />
            </section>
          )}
          {s.week.length > 0 && (
            <Fold testid="section-week" summary={t("today.week")} count={s.week.length}>
              <AgendaList items={s.week} dated />
            </Fold>
          )}
          {s.later.length > 0 && (
            <Fold testid="section-later" summary={t("today.later")} count={s.later.length}>
              <AgendaList items={s.later} dated />
            </Fold>
          )}
        </>
      )}
    </section>
  );
}

/** The first `shown` items, and the rest folded under "n more". */
function Shortened({
  items,
  shown,
  more,
}: {
  items: AgendaItem[];
  shown: number;
  more: "today.more" | "today.moreToday";
}) {
  return (
    <>
      <AgendaList items={items.slice(0, shown)} />
      {items.length > shown && (
        <Fold testid="fold-more" summary={t(more, { count: items.length - shown })}>
          <AgendaList items={items.slice(shown)} />
        </Fold>
      )}
    </>
  );
}

/** Folded until tapped; its rows are not even built until then (a month of plans is long). */
function Fold({
  summary,
  count,
  testid,
  children,
}: {
  summary: string;
  count?: number;
  testid: string;
  children: ComponentChildren;
}) {
  const [open, setOpen] = useState(false);
  return (
    <details
      class="fb-fold"
      data-testid={testid}
      onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}
    >
      <summary>
        {summary}
        {count !== undefined && <span class="fb-count-badge"> {count}</span>}
      </summary>
      {open && children}
    </details>
  );
}

function AgendaList({ items, dated = false }: { items: AgendaItem[]; dated?: boolean }) {
  return (
    <ul class="fb-list">
      {items.map((item) => (
        <AgendaRow key={itemKey(item)} item={item} date={dated ? item.due : undefined} />
      ))}
    </ul>
  );
}

/** A plan's title in the user's language. */
export function purposeTitle(plan: { purpose: Purpose; title: string }): string {
  // Generated plans carry a Chinese title; in English the purpose says the same.
  return locale() === "zh-CN" ? plan.title : t(`today.purpose.${plan.purpose}`);
}

function reasonText(reason: { code: string; text_zh?: string; text_en?: string }): string {
  return (locale() === "zh-CN" ? reason.text_zh : reason.text_en) ?? reason.code;
}

/** Where one tap on the item goes, what it says, and when it is due. */
function describe(item: AgendaItem): { link: string; title: string; when: string } {
  switch (item.type) {
    case "plan":
      if (item.campaign) {
        // Done by recording what the customer did with the offer (a visit may follow).
        return {
          link: href("campaignTarget", { id: item.campaign.target.id }, { from: "today" }),
          title: item.campaign.campaign.name,
          when: t(item.overdue ? "today.planOverdue" : "today.planDue", {
            date: fmtDate(item.plan.due_to),
          }),
        };
      }
      return {
        link: href("logVisit", { id: item.plan.customer_id }, { plan: item.plan.id }),
        title: purposeTitle(item.plan),
        when: item.overdue
          ? t("today.planOverdue", { date: fmtDate(item.plan.due_to) })
          : t("today.planDue", { date: fmtDate(item.plan.due_to) }),
      };
    case "task":
      return {
        link: href("task", { id: item.task.id }),
        title: item.task.title,
        when: item.task.due_date
          ? t(item.overdue ? "today.taskOverdue" : "today.taskDue", {
              date: fmtDate(item.task.due_date),
            })
          : "",
      };
    case "complaint":
      return {
        link: href("complaint", { id: item.complaint.id }),
        title: item.complaint.description,
        when: t(item.overdue ? "today.complaintOverdue" : "today.complaintDue", {
          time: fmtDateTime(item.complaint.deadline_at),
        }),
      };
    case "warning":
      return {
        link: href("warning", { id: item.warning.id }),
        title: item.warning.reasons.map(reasonText).join("; ") || t("today.warningNoReason"),
        when: t("today.warningOpened", { date: fmtDate(item.warning.opened_at) }),
      };
    case "birthday":
      return {
        link: href("customer", { id: item.customer.id }),
        title: t("today.birthdayOf", { name: item.customer.name }),
        when: "",
      };
  }
}

function AgendaRow({ item, date }: { item: AgendaItem; date?: string | undefined }) {
  const { link, title, when: dated } = describe(item);
  // "By today" under "Due today" says nothing; a deadline's hour still does.
  const when = item.type !== "complaint" && item.due === todayLocal() ? "" : dated;
  const customer = item.customer;
  const kind = item.type === "plan" && item.campaign ? "campaign" : item.type;
  const phone = customer?.phone ?? null;
  return (
    <li
      class={`fb-agenda fb-agenda-${item.type}${item.overdue ? " fb-overdue" : ""}`}
      data-testid="agenda-item"
      data-type={kind}
      data-key={itemKey(item)}
    >
      <a class="fb-agenda-main" href={link}>
        <span class="fb-agenda-kind">
          {t(`today.kind.${kind}`)}
          {date && <span> · {fmtDate(date)}</span>}
        </span>
        <span class="fb-row-name">{title}</span>
        <span class="fb-meta">
          {customer && item.type !== "birthday" && <span>{customer.name} </span>}
          {customer && <TierBadge tier={customer.tier} />}
          {when && <span> {when}</span>}
        </span>
      </a>
      {item.type === "task" && <CompleteTask id={item.task.id} title={title} />}
      {item.type === "plan" && !item.campaign && (
        <span class="fb-item-actions">
          <a
            class="fb-button fb-secondary"
            href={href("plan", { id: item.plan.id })}
            data-testid="plan-actions"
          >
            {t("today.planActions")}
            <span class="fb-visually-hidden"> {title}</span>
          </a>
        </span>
      )}
      {item.type === "birthday" && phone && (
        <span class="fb-item-actions">
          <a class="fb-button fb-secondary" href={`tel:${phone}`}>
            {t("today.call")}
            <span class="fb-visually-hidden"> {customer?.name}</span>
          </a>
          <a class="fb-button fb-secondary" href={`sms:${phone}`}>
            {t("today.sms")}
            <span class="fb-visually-hidden"> {customer?.name}</span>
          </a>
        </span>
      )}
    </li>
  );
}

function CompleteTask({ id, title }: { id: string; title: string }) {
  const [busy, setBusy] = useState(false);
  return (
    <span class="fb-item-actions">
      <button
        type="button"
        class="fb-button"
        data-testid="task-complete"
        disabled={busy}
        aria-label={t("today.completeTask", { title })}
        onClick={async () => {
          setBusy(true);
          try {
            await completeTask(id);
          } finally {
            setBusy(false);
          }
        }}
      >
        {t("today.done")}
      </button>
    </span>
  );
}
