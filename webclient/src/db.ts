/**
 * The device's copy of its user's scope (docs/sync.md), the outbox of changes made
 * on the device, and the sync bookkeeping. One Dexie database, typed here and only here.
 *
 * Entity rows are stored exactly as a pull sends them ("every column by its name";
 * uuids, dates and datetimes as ISO strings, amounts as decimal strings), plus two
 * device-only fields while a change of this device is not yet confirmed:
 * `_local` on a row created here, `_base` with the server's values of the fields a
 * pending change overlays (see data/overlay.ts). A pulled row never carries them.
 */
import { Dexie, type EntityTable } from "dexie";
import type { Mutation, MutationName } from "./mutations";

export type Uuid = string;
/** An ISO 8601 datetime with its offset, e.g. 2026-11-25T08:00:00+00:00. */
export type IsoDateTime = string;
/** A local calendar date, YYYY-MM-DD. */
export type IsoDate = string;
/** A money amount as a decimal string ("128.50"): never a float. */
export type Decimal = string;

/** Device-only bookkeeping of an unconfirmed change; never sent, never pulled. */
export interface LocalState {
  /** Created on this device; the server has not answered for it yet. */
  _local?: true;
  /** The server's values of the fields pending changes overlay, to put back if refused. */
  _base?: Record<string, unknown>;
  /** Removed on this device (delete_contact), not yet confirmed: hidden, kept to put back if refused. */
  _deleted?: true;
}

interface Versioned {
  version: number;
}
interface Timestamps {
  created_at: IsoDateTime;
  updated_at: IsoDateTime;
}

export type Role = "manager" | "lead" | "admin";
export type Stage = "onboarding" | "introduction" | "maturity" | "warning" | "churned";
export type CustomerKind = "individual" | "organisation";
export type Gender = "female" | "male" | "unknown";
export type Channel = "visit" | "phone" | "sms" | "email" | "im";
export type Purpose =
  | "routine"
  | "birthday"
  | "holiday"
  | "contract_expiry"
  | "welcome"
  | "introduction_check"
  | "retention"
  | "complaint_followup"
  | "marketing"
  | "win_back";
/** Why a plan was skipped (server/plans/models.py SkipReason). */
export const SKIP_REASONS = [
  "unreachable",
  "declined",
  "contacted_otherwise",
  "not_applicable",
  "duplicate",
  "other",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type PlanStatus = "planned" | "done" | "missed" | "cancelled";
export type TaskStatus = "open" | "done" | "cancelled";
export type Severity = "low" | "medium" | "high" | "critical";
export type ComplaintStatus = "received" | "in_progress" | "resolved" | "informed" | "closed";
export type IntakeChannel = "in_person" | "phone" | "sms" | "email" | "im" | "hotline" | "store";
export type CustomerResponse = "positive" | "neutral" | "negative";
export type LocationStatus = "verified" | "out_of_range" | "unverified" | "not_applicable";
export type WarningStatus = "open" | "retained" | "churned";
/** Who raised a warning: the spend rule, complaints, the manager, or the churn model. */
export type WarningSource = "spend_rule" | "complaint_pressure" | "manual" | "model";
export type CampaignKind = "retention" | "privilege" | "marketing";
/** draft: being defined (never on a phone); launched: outcomes recorded; closed: final. */
export type CampaignStatus = "draft" | "launched" | "closed";
export type CampaignOutcome = "offered" | "took_part" | "contracted" | "declined" | "not_reached";

export interface Tier extends Versioned, Timestamps, LocalState {
  id: Uuid;
  code: string;
  name_zh: string;
  name_en: string;
  /** 1 is the most valuable tier. */
  rank: number;
  contact_interval_days: number;
  complaint_response_hours: number;
}

export interface ComplaintCategory extends Versioned, Timestamps, LocalState {
  id: Uuid;
  code: string;
  name_zh: string;
  name_en: string;
  active: boolean;
}

export interface User extends Versioned, Timestamps, LocalState {
  id: Uuid;
  username: string;
  display_name: string;
  role: Role;
  team_id: Uuid | null;
  phone: string | null;
  active: boolean;
}

/** The profile archive, without income_band and consumption_habits (never synced). */
export interface Customer extends Versioned, Timestamps, LocalState {
  id: Uuid;
  external_no: string;
  kind: CustomerKind;
  name: string;
  /**
   * The name's pinyin, spelled by the server for the search (docs/sync.md): readings
   * separated by "|", syllables by spaces. Null without Chinese; missing on a row
   * created here, until the server's answer.
   */
  name_pinyin?: string | null;
  phone: string | null;
  phone2: string | null;
  email: string | null;
  gender: Gender | null;
  birthday: IsoDate | null;
  birthday_lunar: boolean;
  address: string | null;
  employer: string | null;
  position: string | null;
  industry: string | null;
  interests: string | null;
  plan_name: string | null;
  products: string[];
  special_dates: { label: string; date: IsoDate }[];
  ported_in: boolean;
  activation_date: IsoDate | null;
  contract_end_date: IsoDate | null;
  notes: string | null;
  latitude: number | null;
  longitude: number | null;
  tier_id: Uuid;
  stage: Stage;
  manager_id: Uuid | null;
  assigned_at: IsoDateTime | null;
}

export interface Contact extends Versioned, Timestamps, LocalState {
  id: Uuid;
  customer_id: Uuid;
  name: string;
  /** As the customer's `name_pinyin`. */
  name_pinyin?: string | null;
  title: string | null;
  phone: string | null;
  email: string | null;
  is_decision_maker: boolean;
  birthday: IsoDate | null;
}

export interface MonthlySpend extends Versioned, LocalState {
  id: Uuid;
  customer_id: Uuid;
  /** Always the first day of the month. */
  month: IsoDate;
  service: string;
  amount: Decimal;
  imported_at: IsoDateTime;
}

export interface AssignmentHistory extends LocalState {
  id: Uuid;
  customer_id: Uuid;
  from_manager_id: Uuid | null;
  to_manager_id: Uuid | null;
  assigned_by_id: Uuid | null;
  source: string;
  reason: string;
  at: IsoDateTime;
}

export interface CarePlan extends Versioned, Timestamps, LocalState {
  id: Uuid;
  customer_id: Uuid;
  owner_id: Uuid | null;
  purpose: Purpose;
  channel: Channel;
  title: string;
  notes: string | null;
  due_from: IsoDate;
  due_to: IsoDate;
  status: PlanStatus;
  generation_key: string | null;
  completed_at: IsoDateTime | null;
  /** Set on a plan the manager skipped (then cancelled); absent from rows pulled before it existed. */
  skip_reason?: SkipReason | null;
  skip_note?: string | null;
  created_by_id: Uuid | null;
}

export interface Visit extends Versioned, Timestamps, LocalState {
  id: Uuid;
  customer_id: Uuid;
  manager_id: Uuid;
  plan_id: Uuid | null;
  channel: Channel;
  purpose: Purpose;
  started_at: IsoDateTime;
  ended_at: IsoDateTime | null;
  latitude: number | null;
  longitude: number | null;
  accuracy_m: number | null;
  location_age_s: number | null;
  location_status: LocationStatus;
  outcome: string | null;
  notes: string | null;
  products_discussed: string[];
  customer_response: CustomerResponse | null;
  /**
   * The manager told the customer of their tier's exclusive privileges (schema 2).
   * Rows pulled by an older client lack it: missing means false.
   */
  privileges_explained?: boolean;
  next_step: string | null;
  time_flag: string | null;
}

export interface VisitRevision extends LocalState {
  id: Uuid;
  visit_id: Uuid;
  editor_id: Uuid;
  at: IsoDateTime;
  changes: Record<string, { old: unknown; new: unknown }>;
}

export interface Complaint extends Versioned, Timestamps, LocalState {
  id: Uuid;
  customer_id: Uuid;
  owner_id: Uuid | null;
  category_id: Uuid;
  severity: Severity;
  intake_channel: IntakeChannel;
  description: string;
  received_at: IsoDateTime;
  deadline_at: IsoDateTime;
  status: ComplaintStatus;
  resolution: string | null;
  satisfaction: number | null;
  resolved_at: IsoDateTime | null;
  closed_at: IsoDateTime | null;
  reopen_count: number;
  time_flag: string | null;
  logged_by_id: Uuid;
  visit_id: Uuid | null;
}

export interface ComplaintEvent extends LocalState {
  id: Uuid;
  complaint_id: Uuid;
  actor_id: Uuid;
  at: IsoDateTime;
  from_status: ComplaintStatus | null;
  to_status: ComplaintStatus | null;
  /** What the user wrote with the step. */
  note: string | null;
  /** The resolution a step to "resolved" gave (rows pulled before it existed lack it). */
  resolution?: string | null;
  /** The satisfaction (1-5) a reopen cleared, if the complaint had been closed. */
  prior_satisfaction?: number | null;
}

export interface Task extends Versioned, Timestamps, LocalState {
  id: Uuid;
  owner_id: Uuid;
  customer_id: Uuid | null;
  title: string;
  notes: string | null;
  due_date: IsoDate | null;
  status: TaskStatus;
  completed_at: IsoDateTime | null;
  source_visit_id: Uuid | null;
  source_complaint_id: Uuid | null;
  created_by_id: Uuid;
}

export interface WarningReason {
  code: string;
  text_zh?: string;
  text_en?: string;
  [key: string]: unknown;
}

export interface ChurnWarning extends Versioned, Timestamps, LocalState {
  id: Uuid;
  customer_id: Uuid;
  status: WarningStatus;
  source: WarningSource;
  reasons: WarningReason[];
  finding_keys: string[];
  opened_at: IsoDateTime;
  raised_by_id: Uuid | null;
  previous_stage: Stage | null;
  cause_analysis: string | null;
  retention_plan: string | null;
  answered_at: IsoDateTime | null;
  answered_by_id: Uuid | null;
  resolved_at: IsoDateTime | null;
  resolved_by_id: Uuid | null;
  resolution_note: string | null;
  exit_reason: string | null;
}

/** A campaign (营销活动) or exclusive offer that targets customers of this device. */
export interface Campaign extends Versioned, Timestamps, LocalState {
  id: Uuid;
  name: string;
  kind: CampaignKind;
  /** What the customer is offered, in the words the manager will use. */
  offer: string;
  segment: Record<string, unknown>;
  team_id: Uuid | null;
  starts_on: IsoDate;
  ends_on: IsoDate;
  status: CampaignStatus;
  created_by_id: Uuid | null;
  launched_at: IsoDateTime | null;
  launched_by_id: Uuid | null;
  closed_at: IsoDateTime | null;
}

/** One targeted customer of a launched campaign, and what the customer did. */
export interface CampaignTarget extends Versioned, Timestamps, LocalState {
  id: Uuid;
  campaign_id: Uuid;
  customer_id: Uuid;
  /** The care plan made for it at launch: a reached outcome completes it. */
  plan_id: Uuid | null;
  /** Null: not recorded yet. */
  outcome: CampaignOutcome | null;
  contract_months: number | null;
  decline_reason: string | null;
  outcome_at: IsoDateTime | null;
  time_flag: string | null;
  recorded_by_id: Uuid | null;
}

export interface SyncConflict extends Versioned, LocalState {
  id: Uuid;
  kind: "field" | "lost_access";
  entity: string;
  row_id: Uuid | null;
  customer_id: Uuid | null;
  user_id: Uuid;
  device_id: Uuid | null;
  mutation_id: Uuid | null;
  mutation_name: string | null;
  field: string | null;
  base_value: unknown;
  kept_value: unknown;
  lost_value: unknown;
  args: Record<string, unknown> | null;
  status: "open" | "resolved";
  created_at: IsoDateTime;
  resolved_at: IsoDateTime | null;
  resolved_by_id: Uuid | null;
  resolution: "kept" | "restored" | "applied" | "dismissed" | null;
}

/** Every synced table by the name pulls give it (`entity`). */
export interface EntityRows {
  customers: Customer;
  contacts: Contact;
  monthly_spend: MonthlySpend;
  tiers: Tier;
  complaint_categories: ComplaintCategory;
  users: User;
  assignment_history: AssignmentHistory;
  care_plans: CarePlan;
  visits: Visit;
  visit_revisions: VisitRevision;
  complaints: Complaint;
  complaint_events: ComplaintEvent;
  tasks: Task;
  churn_warnings: ChurnWarning;
  campaigns: Campaign;
  campaign_targets: CampaignTarget;
  sync_conflicts: SyncConflict;
}
export type EntityName = keyof EntityRows;
export type AnyRow = EntityRows[EntityName];

export const ENTITY_NAMES: readonly EntityName[] = [
  "customers",
  "contacts",
  "monthly_spend",
  "tiers",
  "complaint_categories",
  "users",
  "assignment_history",
  "care_plans",
  "visits",
  "visit_revisions",
  "complaints",
  "complaint_events",
  "tasks",
  "churn_warnings",
  "campaigns",
  "campaign_targets",
  "sync_conflicts",
];

/**
 * Tables whose rows hang off a customer by `customer_id`: a cascading delete of the
 * customer drops them. sync_conflicts is left out on purpose: the device holds the
 * user's own conflicts whatever their customer, and a pull never sends them again
 * after a cascade (server/sync/pull.py `_conflicts`). A campaign is in scope through
 * its targets: one left without any goes too (sync/pull.ts `dropCustomer`).
 */
export const CUSTOMER_CHILD_TABLES = [
  "contacts",
  "monthly_spend",
  "assignment_history",
  "care_plans",
  "visits",
  "complaints",
  "tasks",
  "churn_warnings",
  "campaign_targets",
] as const satisfies readonly EntityName[];

/**
 * pending: waiting to be pushed; sending: in a push whose answer has not arrived
 * (sent again after a crash: the server answers a replay from its stored result);
 * rejected / conflict: the server's verdict, kept here only when it did not record
 * the mutation (`seq_reused`), else the entry leaves and its result goes to `results`.
 */
export type OutboxStatus = "pending" | "sending" | "rejected" | "conflict";

interface OutboxFields {
  /** Per-device sequence number, from meta `next_seq`: only ever increases. */
  seq: number;
  /** The mutation's id (a client UUID), distinct from the record's id. */
  mutation_id: Uuid;
  base_version: number | null;
  client_time: IsoDateTime;
  status: OutboxStatus;
  result?: PushResult;
  /** "entity:id" of each local row this change overlays, to re-apply it after a pull. */
  targets: string[];
}

/** A queued change: `name` and `args` as `MutationArgs` pairs them (src/mutations.ts). */
export type OutboxEntry<K extends MutationName = MutationName> = OutboxFields & Mutation<K>;

export interface PushResult {
  id: Uuid;
  seq: number;
  /** failed: the server could not apply it (a bug, not a refusal); sent again later. */
  status: "applied" | "conflict" | "rejected" | "failed";
  code: string | null;
  message: string | null;
  entity?: EntityName;
  record?: Record<string, unknown>;
  conflicts?: Record<string, unknown>[];
  http_status?: number;
  fields?: Record<string, unknown>;
  details?: Record<string, unknown>;
  /** A failed result: whether it is tried again, and how many attempts failed so far. */
  retryable?: boolean;
  attempts?: number;
}

interface ResultFields {
  /** The mutation id. */
  id: Uuid;
  seq: number;
  client_time: IsoDateTime;
  status: "rejected" | "conflict";
  code: string | null;
  message: string | null;
  result: PushResult;
  received_at: IsoDateTime;
}

/** A rejected or conflicting change, shown to the user until dismissed. */
export type ResultEntry<K extends MutationName = MutationName> = ResultFields & Mutation<K>;

/**
 * "My numbers" (我的指标) as GET /reviews/me answers them (server/reviews/schemas.py
 * `MyNumbersSchema`). Figures carry codes and numbers only: the client words them.
 */
export type IndicatorUnit = "ratio" | "score" | "count";

export interface IndicatorFigure {
  code: string;
  /** ratio: 0..1, shown as a percentage; score: 1..5; count: a whole number. */
  unit: IndicatorUnit;
  /** Null: no data (never the same as 0). */
  value: number | null;
  numerator: number;
  denominator: number;
  /** By indicator: satisfaction's `answers` per score ("1".."5"), coverage by tier, ... */
  details: Record<string, unknown>;
}

export interface ReviewPeriodRef {
  /** A configured review period's id; null for a plain calendar month. */
  id: Uuid | null;
  name: string;
  starts_on: IsoDate;
  ends_on: IsoDate;
}

export interface MyPeriodNumbers {
  period: ReviewPeriodRef;
  as_of: IsoDateTime;
  figures: Record<string, IndicatorFigure>;
  /** The points of each weighted indicator (null: no data); monitored ones are absent. */
  scores: Record<string, number | null>;
  /** The weighted score out of 100; null when no weighted indicator had data. */
  score: number | null;
  /** Only when the team's lead lets managers see it (`show_rank`). */
  rank?: number | null;
  team_size?: number | null;
}

export interface MyNumbers {
  show_rank: boolean;
  current: MyPeriodNumbers;
  previous: MyPeriodNumbers;
  /** The last 6 months, oldest first; `month` is YYYY-MM. */
  trend: { month: string; score: number | null }[];
}

/** The last answer of GET /reviews/me, kept for reading offline (meta `my_numbers`). */
export interface StoredMyNumbers {
  /** Whose numbers: shown only while this user is the one bound to the device. */
  user_id: Uuid;
  /** When the device fetched them: "as of" on the screen. */
  fetched_at: IsoDateTime;
  numbers: MyNumbers;
}

/**
 * A photo of a visit taken on this device (docs/photos.md). Kept here, not in the
 * outbox: it is sent by its own upload (PUT /visits/{visit_id}/photos/{id}), once the
 * visit's `log_visit` reached the server. `waiting`: not uploaded yet (sent again at
 * each sync until the server answers); `uploaded`: the server holds it, the full image
 * is dropped here and the thumbnail kept; `refused`: the server said no (`error`).
 */
export type PhotoStatus = "waiting" | "uploaded" | "refused";

export interface PhotoRow {
  /** Made here: the server stores a second upload of the same id once. */
  id: Uuid;
  visit_id: Uuid;
  customer_id: Uuid;
  /** The compressed image (about 1,600 px on its long side); null once uploaded. */
  data: ArrayBuffer | null;
  type: string;
  /** A small JPEG to show on the visit, offline. */
  thumb: ArrayBuffer;
  width: number;
  height: number;
  taken_at: IsoDateTime;
  status: PhotoStatus;
  /** The server's error code when refused. */
  error: string | null;
  uploaded_at: IsoDateTime | null;
}

export interface MetaValues {
  device_id: Uuid;
  /** The pull cursor; absent before the first full sync and after a reset. */
  cursor: string;
  last_sync_at: IsoDateTime;
  last_acknowledged_seq: number;
  /** The seq the next outbox entry takes. */
  next_seq: number;
  user_id: Uuid;
  csrf_token: string;
  schema_version: number;
  /** Written by the sync engine after a pull (sync/numbers.ts); wiped with the rest. */
  my_numbers: StoredMyNumbers;
  /** Changes numbered on this device that it no longer held when the server asked. */
  seq_gaps: SeqGap[];
  /** Local notifications (src/reminders.ts): off until the user turns them on. */
  reminders: ReminderSettings;
  /** Reminders already shown: key -> the local day it was shown (kept two days). */
  reminders_shown: Record<string, IsoDate>;
}

export interface ReminderSettings {
  enabled: boolean;
  /** The language to word them in (the service worker has no page to ask). */
  locale: "zh-CN" | "en";
}

/** Seqs `from`..`to` never reached the server and were gone from the outbox (sync/push.ts). */
export interface SeqGap {
  from: number;
  to: number;
  found_at: IsoDateTime;
}
export type MetaKey = keyof MetaValues;
export interface MetaRow {
  key: MetaKey;
  value: unknown;
}

/**
 * The sync protocol's schema version this client speaks (server/sync/schemas.py).
 * 2 added campaigns, campaign targets, `record_campaign_outcome` and visits'
 * `privileges_explained`. A copy pulled under another version is pulled again from
 * scratch (sync/pull.ts), as rows it already holds would never bring the new data.
 */
export const SCHEMA_VERSION = 2;

export type FieldbookDb = Dexie & {
  [K in EntityName]: EntityTable<EntityRows[K], "id">;
} & {
  outbox: EntityTable<OutboxEntry, "seq">;
  meta: EntityTable<MetaRow, "key">;
  results: EntityTable<ResultEntry, "id">;
  photos: EntityTable<PhotoRow, "id">;
};

export function openDb(name = "fieldbook"): FieldbookDb {
  const db = new Dexie(name) as FieldbookDb;
  db.version(1).stores({
    customers: "id, name, tier_id, stage, manager_id, contract_end_date, birthday",
    contacts: "id, customer_id",
    monthly_spend: "id, customer_id, [customer_id+month]",
    tiers: "id, &code, rank",
    complaint_categories: "id, &code",
    users: "id, team_id",
    assignment_history: "id, customer_id, at",
    care_plans: "id, customer_id, status, due_to, [status+due_to]",
    visits: "id, customer_id, plan_id, started_at",
    visit_revisions: "id, visit_id",
    complaints: "id, customer_id, status, deadline_at",
    complaint_events: "id, complaint_id",
    tasks: "id, customer_id, owner_id, status, due_date, [status+due_date]",
    churn_warnings: "id, customer_id, status",
    sync_conflicts: "id, status, row_id, customer_id",
    outbox: "seq, &mutation_id, status, *targets",
    meta: "key",
    results: "id, seq",
  });
  // Schema 2: campaigns and their targets (sync/pull.ts re-pulls an older copy).
  db.version(2).stores({
    campaigns: "id, status",
    campaign_targets: "id, customer_id, campaign_id, plan_id",
  });
  // Photos of visits, beside the outbox; not an entity: no pull brings them.
  db.version(3).stores({ photos: "id, visit_id, status" });
  return db;
}

/** The app's database. Tests reset it with `resetDb()` (fake-indexeddb). */
export let db: FieldbookDb = openDb();

/** Close and delete the database and open a fresh one (tests; a user switch). */
export async function resetDb(): Promise<void> {
  db.close();
  await Dexie.delete(db.name);
  db = openDb(db.name);
}

/** Reopen the same database, as after an app restart (tests). */
export function reopenDb(): FieldbookDb {
  db.close();
  db = openDb(db.name);
  return db;
}

export function entityTable<K extends EntityName>(
  name: K,
  on: FieldbookDb = db,
): EntityTable<EntityRows[K], "id"> {
  return on[name] as unknown as EntityTable<EntityRows[K], "id">;
}

export async function getMeta<K extends MetaKey>(key: K): Promise<MetaValues[K] | undefined> {
  const row = await db.meta.get(key);
  return row?.value as MetaValues[K] | undefined;
}

export async function setMeta<K extends MetaKey>(key: K, value: MetaValues[K]): Promise<void> {
  await db.meta.put({ key, value });
}

export async function deleteMeta(key: MetaKey): Promise<void> {
  await db.meta.delete(key);
}
