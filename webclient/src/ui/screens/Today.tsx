import { useState } from "preact/hooks";
import { agendaForDays, completeTask, syncState, todayLocal, type AgendaItem } from "../../data";
import { fmtDate, fmtDateTime, locale, t, useLocale } from "../../i18n";
import type { Purpose } from "../../db";
import { localDate } from "../../time";
import { TierBadge } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { href } from "../router";
import type { ScreenProps } from "./types";

const WEEK_DAYS = 7;

interface Agenda {
  date: string;
  /** False until the first full sync has brought the portfolio. */
  hasCopy: boolean;
  /** Overdue work and what is due today, in agendaFor's order. */
  today: AgendaItem[];
  /** What falls due in the rest of the week, each on the first day it appears. */
  week: { date: string; item: AgendaItem }[];
}

function itemKey(item: AgendaItem): string {
  switch (item.type) {
    case "plan":
      return `plan:${item.plan.id}`;
    case "task":
      return `task:${item.task.id}`;
    case "complaint":
      return `complaint:${item.complaint.id}`;
    case "warning":
      return `warning:${item.warning.id}`;
    case "birthday":
      return `birthday:${item.customer.id}`;
  }
}

function addDays(date: string, days: number): string {
  const day = new Date(`${date}T12:00:00`);
  day.setDate(day.getDate() + days);
  return localDate(day);
}

/**
 * Today and the days after it. A later day's agenda repeats what is still open from
 * before (overdue work, unanswered warnings): each item is listed once, on its first day.
 */
async function weekAgenda(): Promise<Agenda> {
  const date = todayLocal();
  const days = Array.from({ length: WEEK_DAYS }, (_, k) => addDays(date, k));
  const [today = [], ...later] = await agendaForDays(days);
  const seen = new Set(today.map(itemKey));
  const week: Agenda["week"] = [];
  for (const [k, items] of later.entries()) {
    const day = days[k + 1]!;
    for (const item of items) {
      const key = itemKey(item);
      if (seen.has(key)) continue;
      seen.add(key);
      week.push({ date: day, item });
    }
  }
  return { date, hasCopy: (await syncState()).hasCopy, today, week };
}

export function Today({ engine }: ScreenProps) {
  useLocale();
  // Not read again after each page of a full sync: once, when its last page is stored.
  const agenda = useLive(weekAgenda, [], engine.fullSync);
  const firstSync = engine.fullSync.value;
  const value = agenda.value;
  const overdue = value?.today.filter((item) => item.overdue) ?? [];
  const due = value?.today.filter((item) => !item.overdue) ?? [];
  return (
    <section class="fb-screen" aria-labelledby="today-title">
      <h1 id="today-title">{t("today.title")}</h1>
      {value && <p class="fb-meta">{fmtDate(value.date)}</p>}
      <a class="fb-more-link" href={href("warnings")} data-testid="warnings-link">
        {t("warnings.link")}
      </a>
      {firstSync ? (
        <p class="fb-empty">{t("today.firstSync")}</p>
      ) : !agenda.ready ? (
        <p class="fb-empty">{t("today.loading")}</p>
      ) : value && value.today.length + value.week.length === 0 ? (
        <p class="fb-empty">{value.hasCopy ? t("today.nothing") : t("today.firstSync")}</p>
      ) : (
        <>
          {overdue.length > 0 && (
            <AgendaGroup id="today-overdue" title={t("today.overdue")} items={overdue} />
          )}
          <AgendaGroup
            id="today-due"
            title={t("today.due")}
            items={due}
            empty={t("today.nothingToday")}
          />
          {value && value.week.length > 0 && (
            <AgendaGroup
              id="today-week"
              title={t("today.week")}
              items={value.week.map((entry) => entry.item)}
              dates={value.week.map((entry) => entry.date)}
            />
          )}
        </>
      )}
    </section>
  );
}

function AgendaGroup({
  id,
  title,
  items,
  dates,
  empty,
}: {
  id: string;
  title: string;
  items: AgendaItem[];
  dates?: string[];
  empty?: string;
}) {
  return (
    <section class="fb-group" aria-labelledby={id}>
      <h2 id={id}>
        {title} <span class="fb-count-badge">{items.length}</span>
      </h2>
      {items.length === 0 ? (
        <p class="fb-empty">{empty}</p>
      ) : (
        <ul class="fb-list">
          {items.map((item, i) => (
            <AgendaRow key={itemKey(item)} item={item} date={dates?.[i]} />
          ))}
        </ul>
      )}
    </section>
  );
}

function purposeTitle(plan: { purpose: Purpose; title: string }): string {
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
  const { link, title, when } = describe(item);
  const customer = item.customer;
  const kind = item.type === "plan" && item.campaign ? "campaign" : item.type;
  const phone = customer?.phone ?? null;
  return (
    <li
      class={`fb-agenda fb-agenda-${item.type}${item.overdue ? " fb-overdue" : ""}`}
      data-testid="agenda-item"
      data-type={kind}
    >
      <a class="fb-agenda-main" href={link}>
        <span class="fb-agenda-kind">
          {t(`today.kind.${kind}`)}
          {item.overdue && <span class="fb-flag"> · {t("today.overdueFlag")}</span>}
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
