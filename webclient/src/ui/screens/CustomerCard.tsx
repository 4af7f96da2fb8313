import type { ComponentChildren } from "preact";
import type { ChurnWarning, Customer, WarningReason } from "../../db";
import { customerCard, openPlans, type CustomerCard as Card } from "../../data";
import {
  fmtDate,
  fmtDateTime,
  fmtMoney,
  hasMessage,
  locale,
  t,
  useLocale,
  type MessageKey,
} from "../../i18n";
import { today } from "../../time";
import { fmtMonth } from "../components/format";
import { LazyVisitPhotos } from "../components/LazyPhotos";
import { Address } from "../components/MapLinks";
import { Sparkline } from "../components/Sparkline";
import { TaskItem } from "../components/TaskItem";
import { TierBadge } from "../components/TierBadge";
import { useLive } from "../components/useLive";
import { href } from "../router";
import { campaignLine, outcomeText } from "./CampaignOutcome";
import type { ScreenProps } from "./types";
import "../screens.css";

/** Months of spend shown as figures under the line. */
const RECENT_MONTHS = 3;
const RECENT_VISITS = 10;

/** A warning's reason in the current language, falling back to its code. */
export function reasonText(reason: WarningReason): string {
  const text = locale() === "zh-CN" ? reason.text_zh : reason.text_en;
  if (text) return text;
  const note = typeof reason.note === "string" ? `: ${reason.note}` : "";
  // Reason codes come from the server: one this app has no words for shows as it is.
  const key = `reason.${reason.code}`;
  return `${hasMessage(key) ? t(key) : key}${note}`;
}

export function CustomerCard({ route }: ScreenProps) {
  useLocale();
  const id = route.params.id ?? "";
  const live = useLive(() => customerCard(id), [id]);
  if (!live.ready) return <p class="fb-screen">{t("portfolio.loading")}</p>;
  const card = live.value;
  if (card === undefined) {
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
  const { customer } = card;
  return (
    <article class="fb-screen fb-card" data-testid="customer-card" data-id={customer.id}>
      <header class="fb-card-head">
        <a class="fb-back" href={href("portfolio")}>
          {t("card.backToPortfolio")}
        </a>
        <h1>{customer.name}</h1>
        <p class="fb-meta">
          <TierBadge tier={card.tier} /> {t(`stage.${customer.stage}`)} ·{" "}
          {t(`kind.${customer.kind}`)} · {customer.external_no}
        </p>
        {card.conflicts.length > 0 && (
          <p class="fb-notice">
            <a href={href("sync")}>{t("card.conflicts", { count: card.conflicts.length })}</a>
          </p>
        )}
      </header>

      <Actions customer={customer} />
      <Warnings warnings={card.warnings} customer={customer} />
      <Spend card={card} />
      <Plans card={card} />
      {card.campaigns.length > 0 && <Campaigns card={card} />}
      <Tasks card={card} />
      <Complaints card={card} />
      <Visits card={card} />
      <Profile customer={customer} />
      {(customer.kind === "organisation" || card.contacts.length > 0) && <Contacts card={card} />}
    </article>
  );
}

function Section({
  id,
  title,
  children,
}: {
  id: string;
  title: string;
  children: ComponentChildren;
}) {
  return (
    <section class="fb-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function Actions({ customer }: { customer: Customer }) {
  const phone = customer.phone?.replace(/\s+/g, "");
  return (
    <nav class="fb-quick" aria-label={t("card.actions")}>
      {phone && (
        <a class="fb-button" href={`tel:${phone}`} data-testid="call-link">
          {t("card.call")}
        </a>
      )}
      {phone && (
        <a class="fb-button" href={`sms:${phone}`} data-testid="sms-link">
          {t("card.sms")}
        </a>
      )}
      <a
        class="fb-button"
        href={href("logVisit", { id: customer.id })}
        data-testid="log-visit-button"
      >
        {t("card.logVisit")}
      </a>
      <a
        class="fb-button fb-secondary"
        href={href("logComplaint", { id: customer.id })}
        data-testid="log-complaint-button"
      >
        {t("card.logComplaint")}
      </a>
      <a
        class="fb-button fb-secondary"
        href={href("newTask", {}, { customer: customer.id })}
        data-testid="new-task-button"
      >
        {t("today.newTask")}
      </a>
      <a
        class="fb-button fb-secondary"
        href={href("newPlan", {}, { customer: customer.id })}
        data-testid="new-plan-button"
      >
        {t("today.newPlan")}
      </a>
    </nav>
  );
}

function Warnings({ warnings, customer }: { warnings: ChurnWarning[]; customer: Customer }) {
  const open = warnings.filter((w) => w.status === "open");
  const flag = customer.stage !== "churned" && (
    <a
      class="fb-button fb-secondary"
      href={href("flagWarning", { id: customer.id })}
      data-testid="flag-risk-button"
    >
      {t("card.flagRisk")}
    </a>
  );
  if (open.length === 0) return flag ? <p class="fb-quick">{flag}</p> : null;
  return (
    <Section id="card-warnings" title={t("card.warnings")}>
      <ul class="fb-list">
        {open.map((w) => (
          <li key={w.id} class="fb-item fb-warning" data-testid="warning-item" data-id={w.id}>
            <ul class="fb-reasons">
              {w.reasons.map((reason, i) => (
                <li key={i}>{reasonText(reason)}</li>
              ))}
            </ul>
            <p class="fb-meta">
              {t(`warningSource.${w.source}`)} ·{" "}
              {t("card.warningOpened", { date: fmtDate(w.opened_at) })} ·{" "}
              {w.cause_analysis ? t("card.warningAnswered") : t("card.warningUnanswered")}
            </p>
            <a class="fb-button fb-secondary" href={href("warning", { id: w.id })}>
              {w.cause_analysis ? t("card.warningReview") : t("card.warningAnswer")}
            </a>
          </li>
        ))}
      </ul>
      {flag}
    </Section>
  );
}

function Spend({ card }: { card: Card }) {
  const { months, total } = card.spend;
  if (months.length === 0) return null;
  const recent = months
    .map((month, i) => ({ month, value: total[i] ?? null }))
    .slice(-RECENT_MONTHS);
  return (
    <Section id="card-spend" title={t("card.spend")}>
      <div class="fb-spend">
        <Sparkline months={months} values={total} />
        <table class="fb-spend-table">
          <caption class="fb-sr">{t("card.spendRecent")}</caption>
          <tbody>
            {recent.map((row) => (
              <tr key={row.month}>
                <th scope="row">{fmtMonth(row.month)}</th>
                <td>{row.value === null ? "—" : fmtMoney(row.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}

function Plans({ card }: { card: Card }) {
  const open = openPlans(card.plans);
  const done = card.plans
    .filter((p) => p.status === "done")
    .sort((a, b) => (b.completed_at ?? "").localeCompare(a.completed_at ?? ""));
  const day = today();
  return (
    <Section id="card-plans" title={t("card.plans")}>
      {open.length === 0 && <p class="fb-empty">{t("card.noPlans")}</p>}
      <ul class="fb-list">
        {open.map((plan) => (
          <li
            key={plan.id}
            class={`fb-item${plan.due_to < day ? " fb-overdue" : ""}`}
            data-testid="plan-item"
            data-id={plan.id}
            data-status={plan.status}
          >
            <div class="fb-item-main">
              <span class="fb-item-title">{plan.title}</span>
              <span class="fb-meta">
                {t(`purpose.${plan.purpose}`)} · {t(`channel.${plan.channel}`)} ·{" "}
                {t("card.planWindow", { from: fmtDate(plan.due_from), to: fmtDate(plan.due_to) })}
                {plan.due_to < day ? ` · ${t("card.overdue")}` : ""}
              </span>
            </div>
            <a
              class="fb-button fb-secondary"
              href={href("logVisit", { id: card.customer.id }, { plan: plan.id })}
            >
              {t("card.logForPlan")}
            </a>
          </li>
        ))}
      </ul>
      {done.length > 0 && (
        <details class="fb-more">
          <summary>{t("card.donePlans", { count: done.length })}</summary>
          <ul class="fb-list">
            {done.map((plan) => (
              <li
                key={plan.id}
                class="fb-item"
                data-testid="plan-item"
                data-id={plan.id}
                data-status={plan.status}
              >
                <div class="fb-item-main">
                  <span class="fb-item-title">{plan.title}</span>
                  <span class="fb-meta">
                    {t(`purpose.${plan.purpose}`)} ·{" "}
                    {t("card.planDone", { date: fmtDate(plan.completed_at) })}
                    {plan._local || plan._base ? ` · ${t("card.notSynced")}` : ""}
                  </span>
                </div>
              </li>
            ))}
          </ul>
        </details>
      )}
    </Section>
  );
}

function Campaigns({ card }: { card: Card }) {
  return (
    <Section id="card-campaigns" title={t("campaign.section")}>
      <ul class="fb-list">
        {card.campaigns.map((view) => {
          const { target, campaign } = view;
          return (
            <li
              key={target.id}
              class="fb-item"
              data-testid="campaign-item"
              data-id={target.id}
              data-outcome={target.outcome ?? ""}
            >
              <div class="fb-item-main">
                <span class="fb-item-title">{campaign.name}</span>
                <span class="fb-meta">{campaignLine(view)}</span>
                <span class="fb-meta fb-notes">{campaign.offer}</span>
                <span class="fb-meta">
                  {outcomeText(target)}
                  {view.unsynced ? ` · ${t("card.notSynced")}` : ""}
                </span>
              </div>
              <a
                class="fb-button fb-secondary"
                href={href("campaignTarget", { id: target.id })}
                data-testid="campaign-open"
              >
                {view.open
                  ? t(target.outcome ? "campaign.change" : "campaign.record")
                  : t("campaign.view")}
                <span class="fb-visually-hidden"> {campaign.name}</span>
              </a>
            </li>
          );
        })}
      </ul>
    </Section>
  );
}

function Tasks({ card }: { card: Card }) {
  const open = card.tasks.filter((task) => task.status === "open");
  const closed = card.tasks.filter((task) => task.status !== "open");
  return (
    <Section id="card-tasks" title={t("card.tasks")}>
      {open.length === 0 && <p class="fb-empty">{t("card.noTasks")}</p>}
      <ul class="fb-list">
        {open.map((task) => (
          <TaskItem key={task.id} task={task} />
        ))}
      </ul>
      {closed.length > 0 && (
        <details class="fb-more">
          <summary>{t("card.doneTasks", { count: closed.length })}</summary>
          <ul class="fb-list">
            {closed.map((task) => (
              <TaskItem key={task.id} task={task} />
            ))}
          </ul>
        </details>
      )}
    </Section>
  );
}

function Complaints({ card }: { card: Card }) {
  return (
    <Section id="card-complaints" title={t("card.complaints")}>
      {card.complaints.length === 0 && <p class="fb-empty">{t("card.noComplaints")}</p>}
      <ul class="fb-list">
        {card.complaints.map((c) => (
          <li key={c.id}>
            <a
              class="fb-row"
              href={href("complaint", { id: c.id })}
              data-testid="complaint-item"
              data-id={c.id}
            >
              <span class="fb-row-head">
                <span class="fb-row-name">{c.description}</span>
                <span class={`fb-status-tag fb-cs-${c.status}`}>
                  {t(`complaintStatus.${c.status}`)}
                </span>
              </span>
              <span class="fb-meta">
                {t(`severity.${c.severity}`)} · {fmtDateTime(c.received_at)}
                {c._local || c._base ? ` · ${t("card.notSynced")}` : ""}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </Section>
  );
}

function Visits({ card }: { card: Card }) {
  const visits = card.visits.slice(0, RECENT_VISITS);
  return (
    <Section id="card-visits" title={t("card.visits")}>
      {card.visits.length === 0 && <p class="fb-empty">{t("card.noVisits")}</p>}
      <ul class="fb-list">
        {visits.map((v) => (
          <li key={v.id} class="fb-item" data-testid="visit-item" data-id={v.id}>
            <div class="fb-item-main">
              <a class="fb-item-title" href={href("visit", { id: v.id })} data-testid="visit-link">
                {fmtDateTime(v.started_at)} · {t(`channel.${v.channel}`)}
              </a>
              <span class="fb-meta">
                {t(`purpose.${v.purpose}`)}
                {v.channel === "visit" ? ` · ${t(`location.${v.location_status}`)}` : ""}
                {v.customer_response ? ` · ${t(`response.${v.customer_response}`)}` : ""}
                {v.privileges_explained ? ` · ${t("card.privilegesExplained")}` : ""}
                {v._local ? ` · ${t("card.notSynced")}` : ""}
              </span>
              {(v.outcome || v.notes) && (
                <span class="fb-meta fb-notes">{v.outcome ?? v.notes}</span>
              )}
            </div>
            <LazyVisitPhotos visit={v} />
          </li>
        ))}
      </ul>
      {card.visits.length > RECENT_VISITS && (
        <p class="fb-meta">{t("card.moreVisits", { count: card.visits.length - RECENT_VISITS })}</p>
      )}
    </Section>
  );
}

function Profile({ customer: c }: { customer: Customer }) {
  const rows: [string, ComponentChildren][] = [];
  const add = (key: MessageKey, value: ComponentChildren | null | undefined | false) => {
    if (value !== null && value !== undefined && value !== false && value !== "")
      rows.push([t(key), value]);
  };
  add("profile.phone", c.phone && <a href={`tel:${c.phone}`}>{c.phone}</a>);
  add("profile.phone2", c.phone2 && <a href={`tel:${c.phone2}`}>{c.phone2}</a>);
  add("profile.email", c.email && <a href={`mailto:${c.email}`}>{c.email}</a>);
  add("profile.address", (c.address || c.latitude !== null) && <Address place={c} />);
  add(
    "profile.birthday",
    c.birthday && `${fmtDate(c.birthday)}${c.birthday_lunar ? ` (${t("profile.lunar")})` : ""}`,
  );
  add("profile.gender", c.gender && c.gender !== "unknown" && t(`gender.${c.gender}`));
  add(
    c.kind === "organisation" ? "profile.industry" : "profile.employer",
    c.kind === "organisation" ? c.industry : [c.employer, c.position].filter(Boolean).join(" · "),
  );
  add("profile.interests", c.interests);
  add("profile.plan", c.plan_name);
  add("profile.products", c.products.length > 0 && c.products.join(", "));
  add("profile.contractEnd", c.contract_end_date && fmtDate(c.contract_end_date));
  add("profile.activation", c.activation_date && fmtDate(c.activation_date));
  add("profile.portedIn", c.ported_in && t("profile.yes"));
  for (const d of c.special_dates) rows.push([d.label, fmtDate(d.date)]);
  add("profile.notes", c.notes);
  return (
    <Section id="card-profile" title={t("card.profile")}>
      <dl class="fb-dl">
        {rows.map(([label, value], i) => (
          <div key={i}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <a
        class="fb-button fb-secondary"
        href={href("editProfile", { id: c.id })}
        data-testid="edit-profile-button"
      >
        {t("card.editProfile")}
      </a>
    </Section>
  );
}

function Contacts({ card }: { card: Card }) {
  return (
    <Section id="card-contacts" title={t("card.contacts")}>
      {card.contacts.length === 0 && <p class="fb-empty">{t("card.noContacts")}</p>}
      <ul class="fb-list">
        {card.contacts.map((p) => (
          <li key={p.id} class="fb-item">
            <div class="fb-item-main">
              <span class="fb-item-title">
                {p.name}
                {/* The space outside the tag: inside it, an inline-block drops it. */}
                {p.is_decision_maker && " "}
                {p.is_decision_maker && (
                  <span class="fb-status-tag">{t("card.decisionMaker")}</span>
                )}
              </span>
              <span class="fb-meta">{[p.title, p.email].filter(Boolean).join(" · ")}</span>
            </div>
            {p.phone && (
              <a
                class="fb-button fb-secondary"
                href={`tel:${p.phone.replace(/\s+/g, "")}`}
                aria-label={t("card.callContact", { name: p.name })}
              >
                {t("card.call")}
              </a>
            )}
            <a
              class="fb-button fb-secondary"
              href={href("contact", { id: card.customer.id, contactId: p.id })}
              data-testid="contact-edit"
            >
              {t("card.edit")}
              <span class="fb-visually-hidden"> {p.name}</span>
            </a>
          </li>
        ))}
      </ul>
      {card.customer.kind === "organisation" && (
        <a
          class="fb-button fb-secondary"
          href={href("contact", { id: card.customer.id, contactId: "new" })}
          data-testid="contact-add"
        >
          {t("card.addContact")}
        </a>
      )}
    </Section>
  );
}
