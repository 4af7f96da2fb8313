/**
 * What the screens read, from the local copy only: it answers the same with or
 * without signal. Wrap a call in Dexie's `liveQuery` to follow changes.
 */
import {
  db,
  type AssignmentHistory,
  type Campaign,
  type CampaignTarget,
  type CarePlan,
  type ChurnWarning,
  type Complaint,
  type ComplaintCategory,
  type ComplaintEvent,
  type ComplaintStatus,
  type Contact,
  type Customer,
  type IndicatorFigure,
  type IndicatorUnit,
  type IsoDate,
  type IsoDateTime,
  type MyNumbers,
  type MyPeriodNumbers,
  type OutboxEntry,
  type Purpose,
  type ResultEntry,
  type Stage,
  type StoredMyNumbers,
  type SyncConflict,
  type Task,
  type Tier,
  type User,
  type Uuid,
  type Visit,
} from "../db";
import { INDICATOR_CODES } from "../figures";
import { addDays, localDate, now } from "../time";
import { COMPLAINT_TRANSITIONS, OPEN_PLAN_STATUSES } from "./overlay";
import {
  findCustomers,
  preparePortfolio,
  type CustomerSearch,
  type PortfolioIndex,
  type PortfolioRow,
} from "./portfolio";
import { byUrgency, WEEK_DAYS } from "./triage";

// --- customers --------------------------------------------------------------------

export interface CustomerSummary {
  id: Uuid;
  name: string;
  external_no: string;
  phone: string | null;
  kind: Customer["kind"];
  /** An individual's employer, or the organisation's own name for the trade. */
  employer: string | null;
  stage: Stage;
  tier: Pick<Tier, "code" | "name_zh" | "name_en" | "rank"> | null;
  contract_end_date: IsoDate | null;
  /** A change of this device is not yet confirmed by the server. */
  unsynced: boolean;
}

export function unsynced(row: { _local?: true; _base?: object }): boolean {
  return row._local === true || row._base !== undefined;
}

export function summary(customer: Customer, tiers: Map<Uuid, Tier>): CustomerSummary {
  const tier = tiers.get(customer.tier_id);
  return {
    id: customer.id,
    name: customer.name,
    external_no: customer.external_no,
    phone: customer.phone,
    kind: customer.kind,
    employer: customer.employer,
    stage: customer.stage,
    tier: tier
      ? { code: tier.code, name_zh: tier.name_zh, name_en: tier.name_en, rank: tier.rank }
      : null,
    contract_end_date: customer.contract_end_date,
    unsynced: unsynced(customer),
  };
}

async function tiersById(): Promise<Map<Uuid, Tier>> {
  return new Map((await db.tiers.toArray()).map((tier) => [tier.id, tier]));
}

/**
 * What the portfolio list searches, read in one go: a few hundred rows beat an index
 * per filter, and substring search needs a scan anyway (data/portfolio.ts answers
 * each keystroke from it). Visits only when the list needs the last contact, spend
 * only for its sort: on a phone they are most of the rows.
 */
export async function loadPortfolio(
  needs: { lastContact?: boolean; spend?: boolean } = {},
): Promise<PortfolioIndex> {
  const [customers, tiers, contacts, visits, spend] = await Promise.all([
    db.customers.toArray(),
    db.tiers.toArray(),
    db.contacts.toArray(),
    needs.lastContact ? db.visits.toArray() : undefined,
    needs.spend ? db.monthly_spend.toArray() : undefined,
  ]);
  return preparePortfolio({ customers, tiers, contacts, visits, spend });
}

/** The portfolio as `search` asks (see data/portfolio.ts). */
export async function searchCustomers(search: CustomerSearch = {}): Promise<PortfolioRow[]> {
  const index = await loadPortfolio({
    lastContact: search.notContactedDays !== undefined || search.sort === "last_contact",
    spend: search.sort === "spend",
  });
  return findCustomers(index, search, now());
}

export interface SpendTable {
  /** YYYY-MM-01, oldest first. */
  months: IsoDate[];
  /** Per service, one decimal string (or null) per month. */
  services: Record<string, (string | null)[]>;
  /** Per month, the sum of the services (decimal string), or null without any row. */
  total: (string | null)[];
}

/** A campaign's target with its campaign and plan, as the customer card and its form show it. */
export interface CampaignTargetView {
  target: CampaignTarget;
  campaign: Campaign;
  plan: CarePlan | null;
  /** The campaign runs: an outcome may still be recorded (a closed one is final). */
  open: boolean;
  /** An outcome of this device is not yet confirmed by the server. */
  unsynced: boolean;
}

export interface CustomerCard {
  customer: Customer;
  tier: Tier | null;
  manager: User | null;
  contacts: Contact[];
  spend: SpendTable;
  plans: CarePlan[];
  visits: Visit[];
  complaints: Complaint[];
  tasks: Task[];
  warnings: ChurnWarning[];
  assignments: AssignmentHistory[];
  conflicts: SyncConflict[];
  /** Targets of launched (running first) and closed campaigns. */
  campaigns: CampaignTargetView[];
}

/** Cents, exactly: amounts are decimal strings and must not pass through floats. */
function cents(amount: string): bigint {
  const [whole = "0", frac = ""] = amount.trim().split(".");
  const negative = whole.startsWith("-");
  const value = BigInt(whole.replace("-", "") || "0") * 100n + BigInt((frac + "00").slice(0, 2));
  return negative ? -value : value;
}

function decimal(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  return `${negative ? "-" : ""}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
}

export function spendTable(
  rows: { month: IsoDate; service: string; amount: string }[],
): SpendTable {
  const months = [...new Set(rows.map((r) => r.month))].sort();
  const index = new Map(months.map((m, i) => [m, i]));
  const services: Record<string, (string | null)[]> = {};
  const totals: (bigint | null)[] = months.map(() => null);
  for (const row of rows) {
    const i = index.get(row.month) ?? 0;
    (services[row.service] ??= months.map(() => null))[i] = row.amount;
    totals[i] = (totals[i] ?? 0n) + cents(row.amount);
  }
  return { months, services, total: totals.map((t) => (t === null ? null : decimal(t))) };
}

const newestFirst =
  <T>(key: (row: T) => string) =>
  (a: T, b: T) =>
    key(b).localeCompare(key(a));

/** Everything the device holds about one customer; undefined when it is not (or no longer) here. */
/** Rows without those this device removed and the server has not confirmed (delete_contact). */
export function visible<T extends { _deleted?: true }>(rows: T[]): T[] {
  return rows.filter((row) => !row._deleted);
}

export async function customerCard(id: Uuid): Promise<CustomerCard | undefined> {
  const customer = await db.customers.get(id);
  if (customer === undefined) return undefined;
  const [
    tier,
    manager,
    contacts,
    spend,
    plans,
    visits,
    complaints,
    tasks,
    warnings,
    assignments,
    conflicts,
    campaigns,
  ] = await Promise.all([
    db.tiers.get(customer.tier_id),
    customer.manager_id ? db.users.get(customer.manager_id) : undefined,
    db.contacts.where("customer_id").equals(id).toArray(),
    db.monthly_spend.where("customer_id").equals(id).toArray(),
    db.care_plans.where("customer_id").equals(id).toArray(),
    db.visits.where("customer_id").equals(id).toArray(),
    db.complaints.where("customer_id").equals(id).toArray(),
    db.tasks.where("customer_id").equals(id).toArray(),
    db.churn_warnings.where("customer_id").equals(id).toArray(),
    db.assignment_history.where("customer_id").equals(id).toArray(),
    db.sync_conflicts.where("customer_id").equals(id).toArray(),
    db.campaign_targets.where("customer_id").equals(id).toArray().then(targetViews),
  ]);
  return {
    customer,
    tier: tier ?? null,
    manager: manager ?? null,
    contacts: visible(contacts).sort(
      (a, b) =>
        Number(b.is_decision_maker) - Number(a.is_decision_maker) || a.name.localeCompare(b.name),
    ),
    spend: spendTable(spend),
    plans: plans.sort((a, b) => a.due_to.localeCompare(b.due_to)),
    visits: visits.sort(newestFirst((v) => v.started_at)),
    complaints: complaints.sort(newestFirst((c) => c.received_at)),
    tasks: tasks.sort((a, b) => (a.due_date ?? "9999").localeCompare(b.due_date ?? "9999")),
    warnings: warnings.sort(newestFirst((w) => w.opened_at)),
    assignments: assignments.sort(newestFirst((a) => a.at)),
    conflicts: conflicts.filter((c) => c.status === "open"),
    campaigns,
  };
}

/**
 * Targets with their campaigns and plans: a draft's (never sent to a phone) or one
 * whose campaign the device does not hold are left out. Running campaigns first, then
 * the one ending first.
 */
async function targetViews(targets: CampaignTarget[]): Promise<CampaignTargetView[]> {
  const [campaigns, plans] = await Promise.all([
    db.campaigns.bulkGet(targets.map((t) => t.campaign_id)),
    db.care_plans.bulkGet(targets.map((t) => t.plan_id ?? "")),
  ]);
  const views: CampaignTargetView[] = [];
  targets.forEach((target, i) => {
    const campaign = campaigns[i];
    if (campaign === undefined || campaign.status === "draft") return;
    views.push({
      target,
      campaign,
      plan: plans[i] ?? null,
      open: campaign.status === "launched",
      unsynced: unsynced(target),
    });
  });
  return views.sort(
    (a, b) =>
      Number(b.open) - Number(a.open) ||
      a.campaign.ends_on.localeCompare(b.campaign.ends_on) ||
      a.campaign.name.localeCompare(b.campaign.name),
  );
}

export interface CampaignTargetDetail extends CampaignTargetView {
  customer: CustomerSummary | null;
}

/** One campaign target, for its outcome form; undefined when the device does not hold it. */
export async function campaignTargetDetail(id: Uuid): Promise<CampaignTargetDetail | undefined> {
  const target = await db.campaign_targets.get(id);
  if (target === undefined) return undefined;
  const [view] = await targetViews([target]);
  if (view === undefined) return undefined;
  return { ...view, customer: await customerSummary(target.customer_id) };
}

// --- plans ------------------------------------------------------------------------

const byDueThenId = (a: CarePlan, b: CarePlan) =>
  a.due_to.localeCompare(b.due_to) || a.due_from.localeCompare(b.due_from) || cmp(a.id, b.id);

/** Code-point order, as the server compares ids (never a locale's collation). */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Plans a contact can still complete (planned or missed), the first due first. */
export function openPlans(plans: CarePlan[]): CarePlan[] {
  return plans.filter((p) => OPEN_PLAN_STATUSES.includes(p.status)).sort(byDueThenId);
}

/**
 * The plan a contact for `purpose` on `day` fulfils, among one customer's `plans`: the
 * rule of server/plans/services.py `matching_plan`. Same purpose, still open (planned,
 * or missed: late is not gone), its window opened by `day`; of several, the earliest
 * due_to, then the earliest due_from, then the smallest id. A plan whose window opens
 * later is not fulfilled early.
 */
export function pickMatchingPlan(
  plans: CarePlan[],
  purpose: Purpose,
  day: IsoDate,
): CarePlan | undefined {
  return openPlans(plans).find((p) => p.purpose === purpose && p.due_from <= day);
}

/** The customer's open plan that a contact for `purpose` on `day` (local) fulfils, if any. */
export async function matchingPlan(
  customerId: Uuid,
  purpose: Purpose,
  day: IsoDate,
): Promise<CarePlan | undefined> {
  const plans = await db.care_plans.where("customer_id").equals(customerId).toArray();
  return pickMatchingPlan(plans, purpose, day);
}

/** The tiers, most valuable first (for filters). */
export async function tierList(): Promise<Tier[]> {
  return db.tiers.orderBy("rank").toArray();
}

/** How many customers the device holds. */
export function portfolioSize(): Promise<number> {
  return db.customers.count();
}

/** Complaint categories still in use, for a new complaint. */
export async function complaintCategories(): Promise<ComplaintCategory[]> {
  return (await db.complaint_categories.toArray()).filter((c) => c.active);
}

export async function customerSummary(id: Uuid | null): Promise<CustomerSummary | null> {
  const customer = id ? await db.customers.get(id) : undefined;
  if (customer === undefined) return null;
  const tier = await db.tiers.get(customer.tier_id);
  return summary(customer, new Map(tier ? [[tier.id, tier]] : []));
}

/** A step of a complaint's loop: recorded by the server, or queued on this device. */
export type ComplaintStep =
  | (ComplaintEvent & { pending: false })
  | {
      pending: true;
      id: Uuid;
      at: string;
      from_status: null;
      to_status: ComplaintStatus | null;
      note: string | null;
      resolution: string | null;
      prior_satisfaction: null;
    };

export interface ComplaintDetail {
  complaint: Complaint;
  customer: CustomerSummary | null;
  category: ComplaintCategory | null;
  /** Oldest first; changes of this device not yet sent come last, marked pending. */
  steps: ComplaintStep[];
  /** The statuses the complaint may go to from its current one. */
  allowedNext: ComplaintStatus[];
}

export async function complaintDetail(id: Uuid): Promise<ComplaintDetail | undefined> {
  const complaint = await db.complaints.get(id);
  if (complaint === undefined) return undefined;
  const [customer, category, events, queued] = await Promise.all([
    customerSummary(complaint.customer_id),
    db.complaint_categories.get(complaint.category_id),
    db.complaint_events.where("complaint_id").equals(id).toArray(),
    // Notes have no local row until the server answers: the outbox is where they wait.
    db.outbox
      .toCollection()
      .filter(
        (entry): entry is OutboxEntry<"add_complaint_note" | "transition_complaint"> =>
          (entry.status === "pending" || entry.status === "sending") &&
          (entry.name === "add_complaint_note" || entry.name === "transition_complaint") &&
          entry.args.id === id,
      )
      .sortBy("seq"),
  ]);
  const pending: ComplaintStep[] = queued.map((entry) => ({
    pending: true,
    id: entry.mutation_id,
    at: entry.client_time,
    from_status: null,
    to_status: entry.name === "transition_complaint" ? entry.args.to : null,
    note: entry.args.note ?? null,
    resolution: entry.name === "transition_complaint" ? (entry.args.resolution ?? null) : null,
    prior_satisfaction: null,
  }));
  return {
    complaint,
    customer,
    category: category ?? null,
    steps: [
      ...events
        .sort((a, b) => a.at.localeCompare(b.at))
        .map((event) => ({ ...event, pending: false as const })),
      ...pending,
    ],
    allowedNext: COMPLAINT_TRANSITIONS[complaint.status],
  };
}

export interface TaskDetail {
  task: Task;
  customer: CustomerSummary | null;
  unsynced: boolean;
}

export async function taskDetail(id: Uuid): Promise<TaskDetail | undefined> {
  const task = await db.tasks.get(id);
  if (task === undefined) return undefined;
  return { task, customer: await customerSummary(task.customer_id), unsynced: unsynced(task) };
}

export interface PlanDetail {
  plan: CarePlan;
  customer: CustomerSummary | null;
  /** Still to do (planned or missed): it may be moved or skipped. */
  open: boolean;
  unsynced: boolean;
}

export async function planDetail(id: Uuid): Promise<PlanDetail | undefined> {
  const plan = await db.care_plans.get(id);
  if (plan === undefined) return undefined;
  return {
    plan,
    customer: await customerSummary(plan.customer_id),
    open: OPEN_PLAN_STATUSES.includes(plan.status),
    unsynced: unsynced(plan),
  };
}

export interface WarningDetail {
  warning: ChurnWarning;
  customer: CustomerSummary | null;
}

export async function warningDetail(id: Uuid): Promise<WarningDetail | undefined> {
  const warning = await db.churn_warnings.get(id);
  if (warning === undefined) return undefined;
  return { warning, customer: await customerSummary(warning.customer_id) };
}

// --- agenda -----------------------------------------------------------------------

/** A campaign's plan: done by recording the customer's outcome. */
export interface AgendaCampaign {
  target: CampaignTarget;
  campaign: Campaign;
}

export type AgendaItem = (
  | {
      type: "plan";
      plan: CarePlan;
      customer: CustomerSummary | null;
      /** The campaign target the plan was made for, while its campaign runs. */
      campaign: AgendaCampaign | null;
    }
  | { type: "task"; task: Task; customer: CustomerSummary | null }
  | { type: "complaint"; complaint: Complaint; customer: CustomerSummary | null }
  | { type: "warning"; warning: ChurnWarning; customer: CustomerSummary | null }
  | { type: "birthday"; customer: CustomerSummary }
) & {
  /**
   * The local day it falls due: a plan's window ends, a task's due date, a
   * complaint's deadline, a birthday this week; a warning's opening day.
   */
  due: IsoDate;
  /** Past its day (a warning never is: it waits for an answer). */
  overdue: boolean;
};

const UNRESOLVED: Complaint["status"][] = ["received", "in_progress"];

/** An item before its `overdue` flag is worked out (each member of the union alone). */
type Undated<T> = T extends unknown ? Omit<T, "overdue"> : never;

/**
 * Everything open on the device on `date` (YYYY-MM-DD, local), most urgent first
 * (data/triage.ts `byUrgency`; `triage` puts them in Today's sections): unresolved
 * complaints, open (planned or missed) plans, open tasks with a due date, unanswered
 * warnings, and birthdays in the coming week (solar ones: a lunar date moves).
 * The device holds only its user's scope, so every open item here is theirs to do.
 */
export async function agendaFor(date: IsoDate): Promise<AgendaItem[]> {
  const tiers = await tiersById();
  const [people, plans, tasks, complaints, warnings] = await Promise.all([
    db.customers.toArray(),
    db.care_plans.where("status").anyOf(OPEN_PLAN_STATUSES).toArray(),
    db.tasks
      .where("[status+due_date]")
      .between(["open", ""], ["open", "\uffff"], true, true)
      .toArray(),
    db.complaints.where("status").anyOf(UNRESOLVED).toArray(),
    db.churn_warnings.where("status").equals("open").toArray(),
  ]);
  const customers = new Map(people.map((c) => [c.id, summary(c, tiers)]));
  const campaignOf = await campaignsByPlan(plans.map((p) => p.id));
  const customerOf = (id: Uuid | null) => (id ? (customers.get(id) ?? null) : null);
  const items: AgendaItem[] = [];
  const add = (item: Undated<AgendaItem>) =>
    items.push({ ...item, overdue: item.type !== "warning" && item.due < date } as AgendaItem);

  for (const complaint of complaints) {
    const due = localDate(new Date(complaint.deadline_at));
    add({ type: "complaint", complaint, customer: customerOf(complaint.customer_id), due });
  }
  for (const plan of plans) {
    const campaign = campaignOf.get(plan.id) ?? null;
    add({ type: "plan", plan, customer: customerOf(plan.customer_id), campaign, due: plan.due_to });
  }
  for (const task of tasks) {
    if (task.due_date !== null)
      add({ type: "task", task, customer: customerOf(task.customer_id), due: task.due_date });
  }
  for (const warning of warnings) {
    if (warning.cause_analysis === null) {
      const due = localDate(new Date(warning.opened_at));
      add({ type: "warning", warning, customer: customerOf(warning.customer_id), due });
    }
  }
  const week = Array.from({ length: WEEK_DAYS }, (_, k) => addDays(date, k));
  const dayOf = new Map(week.map((day) => [day.slice(5), day]));
  for (const person of people) {
    const day = person.birthday && !person.birthday_lunar && dayOf.get(person.birthday.slice(5));
    const customer = customers.get(person.id);
    if (day && customer) add({ type: "birthday", customer, due: day });
  }
  return items.sort(byUrgency(date));
}

async function campaignsByPlan(planIds: Uuid[]): Promise<Map<Uuid, AgendaCampaign>> {
  const targets = await db.campaign_targets.where("plan_id").anyOf(planIds).toArray();
  const campaigns = await db.campaigns.bulkGet(targets.map((t) => t.campaign_id));
  const found = new Map<Uuid, AgendaCampaign>();
  targets.forEach((target, i) => {
    const campaign = campaigns[i];
    if (target.plan_id && campaign?.status === "launched")
      found.set(target.plan_id, { target, campaign });
  });
  return found;
}

// --- my numbers -------------------------------------------------------------------

/** One indicator in both periods. A figure is null when the server sent none for it. */
export interface IndicatorLine {
  code: string;
  unit: IndicatorUnit;
  current: IndicatorFigure | null;
  previous: IndicatorFigure | null;
  /** This period's points (weighted indicators only); null: no data, it does not count. */
  points: number | null;
}

export interface MyNumbersView {
  /** When the device fetched them: the screen's "as of". */
  fetchedAt: IsoDateTime;
  current: MyPeriodNumbers;
  previous: MyPeriodNumbers;
  /** The rank in the team this period, only when the lead lets managers see it. */
  rank: { rank: number; teamSize: number } | null;
  /** The last 6 months' weighted scores, oldest first. */
  trend: MyNumbers["trend"];
  /** In this period's scorecard (a key of `scores`): their points make the score. */
  weighted: IndicatorLine[];
  /** Weight 0: shown, never scored. */
  monitored: IndicatorLine[];
}

const indicatorOrder = (code: string) => {
  const i = (INDICATOR_CODES as readonly string[]).indexOf(code);
  return i === -1 ? INDICATOR_CODES.length : i;
};

/** The stored answer of GET /reviews/me, arranged for the screen. */
export function numbersView(stored: StoredMyNumbers): MyNumbersView {
  const { current, previous, show_rank, trend } = stored.numbers;
  // Known indicators in the review's order; any a newer server adds, after them.
  const codes = [...new Set([...Object.keys(current.figures), ...Object.keys(previous.figures)])];
  codes.sort((a, b) => indicatorOrder(a) - indicatorOrder(b) || cmp(a, b));
  const weighted: IndicatorLine[] = [];
  const monitored: IndicatorLine[] = [];
  for (const code of codes) {
    const thisPeriod = current.figures[code] ?? null;
    const lastPeriod = previous.figures[code] ?? null;
    const unit = (thisPeriod ?? lastPeriod)!.unit;
    const isWeighted = Object.hasOwn(current.scores, code);
    const line: IndicatorLine = {
      code,
      unit,
      current: thisPeriod,
      previous: lastPeriod,
      points: isWeighted ? (current.scores[code] ?? null) : null,
    };
    (isWeighted ? weighted : monitored).push(line);
  }
  const rank =
    show_rank && typeof current.rank === "number" && typeof current.team_size === "number"
      ? { rank: current.rank, teamSize: current.team_size }
      : null;
  return { fetchedAt: stored.fetched_at, current, previous, rank, trend, weighted, monitored };
}

/**
 * The signed-in user's numbers as of the last sync that fetched them; null before the
 * first one (or when the stored copy is not this user's).
 */
export async function myNumbers(): Promise<MyNumbersView | null> {
  const [stored, user] = await Promise.all([db.meta.get("my_numbers"), db.meta.get("user_id")]);
  const value = stored?.value as StoredMyNumbers | undefined;
  if (value === undefined || user === undefined || value.user_id !== user.value) return null;
  return numbersView(value);
}

/** How many answers a satisfaction figure counts (its `details.answers`, per score). */
export function answerCount(figure: IndicatorFigure | null): number {
  const answers = figure?.details.answers;
  if (typeof answers !== "object" || answers === null) return 0;
  return Object.values(answers as Record<string, unknown>).reduce<number>(
    (sum, n) => sum + (typeof n === "number" ? n : 0),
    0,
  );
}

// --- sync state -------------------------------------------------------------------

/** Changes made on this device that the server has not answered for yet. */
export function pendingCount(): Promise<number> {
  return db.outbox.where("status").anyOf("pending", "sending").count();
}

/** Rejected and conflicting changes to show the user, oldest first. */
export function syncResults(): Promise<ResultEntry[]> {
  return db.results.orderBy("seq").toArray();
}

export interface SyncState {
  /** Changes in the outbox and photos not yet sent. */
  pending: number;
  /** Rejected and conflicting results not yet dismissed. */
  results: number;
  lastSyncAt: string | null;
  /** False until the first full sync has finished (and again after a reset). */
  hasCopy: boolean;
  deviceId: Uuid | null;
}

export async function syncState(): Promise<SyncState> {
  const [changes, photos, results, lastSyncAt, cursor, deviceId] = await Promise.all([
    pendingCount(),
    // Photos waiting to be sent are unsent work too (the sign-out warning counts them).
    db.photos.where("status").equals("waiting").count(),
    db.results.count(),
    db.meta.get("last_sync_at"),
    db.meta.get("cursor"),
    db.meta.get("device_id"),
  ]);
  return {
    pending: changes + photos,
    results,
    lastSyncAt: (lastSyncAt?.value as string | undefined) ?? null,
    hasCopy: cursor !== undefined && lastSyncAt !== undefined,
    deviceId: (deviceId?.value as string | undefined) ?? null,
  };
}

/** Today's local date, for `agendaFor(today())`. */
export function todayLocal(): IsoDate {
  return localDate(now());
}
