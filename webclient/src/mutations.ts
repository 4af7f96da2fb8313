/**
 * The contract of every change a device queues (docs/sync.md, "Mutations"): one map
 * from mutation name to its argument type, as server/sync/mutations.py checks them (each
 * the REST route's body, with the client-made `id`; edits `{id, changes, base}`).
 *
 * The outbox (`OutboxEntry`), the results, the writes (`enqueue`), the overlay
 * (`MUTATIONS`), the push body and the fake server are all typed by `MutationArgs`,
 * so a change sent with a wrong or missing argument fails `tsc`.
 */
import type {
  CampaignOutcome,
  Channel,
  ComplaintStatus,
  Customer,
  CustomerResponse,
  Gender,
  IntakeChannel,
  IsoDate,
  IsoDateTime,
  Purpose,
  Severity,
  SkipReason,
  Task,
  Uuid,
} from "./db";

// --- visits -----------------------------------------------------------------------

/** What a screen gives `logVisit` (the `POST /visits` body without the id). */
export interface LogVisitInput {
  customer_id: Uuid;
  channel: Channel;
  /** Required unless `plan_id` is given (then the plan's purpose). */
  purpose?: Purpose;
  /**
   * The plan the visit fulfils: its id, or null for none. Left out, the server
   * completes the open plan the matching rule picks (plans/services.py
   * `matching_plan`); `logVisit` never leaves it out, it sends the plan this device
   * picked by the same rule (data/queries.ts `matchingPlan`), so what the phone
   * shows done is what the server completes.
   */
  plan_id?: Uuid | null;
  /** When it happened; default now. */
  started_at?: IsoDateTime;
  ended_at?: IsoDateTime | null;
  latitude?: number | null;
  longitude?: number | null;
  accuracy_m?: number | null;
  location_age_s?: number | null;
  outcome?: string | null;
  notes?: string | null;
  products_discussed?: string[];
  customer_response?: CustomerResponse | null;
  /** Told the customer of their tier's exclusive privileges (default false). */
  privileges_explained?: boolean;
  next_step?: string | null;
  next_step_due?: IsoDate | null;
}

export interface LogVisitArgs extends LogVisitInput {
  id: Uuid;
  started_at: IsoDateTime;
}

export type VisitChanges = Partial<{
  outcome: string | null;
  notes: string | null;
  next_step: string | null;
  customer_response: CustomerResponse | null;
  products_discussed: string[];
  privileges_explained: boolean;
  ended_at: IsoDateTime | null;
}>;

/** A correction, kept as a revision: no `base`, never a conflict. */
export interface UpdateVisitArgs {
  id: Uuid;
  changes: VisitChanges;
}

// --- tasks ------------------------------------------------------------------------

export interface CreateTaskInput {
  title: string;
  customer_id?: Uuid | null;
  notes?: string | null;
  due_date?: IsoDate | null;
  /** Default: the signed-in user; a lead may give it to a team member. */
  owner_id?: Uuid | null;
  source_complaint_id?: Uuid | null;
}

export interface CreateTaskArgs extends CreateTaskInput {
  id: Uuid;
}

export type TaskChanges = Partial<Pick<Task, "title" | "notes" | "due_date" | "status">>;

/**
 * A mergeable edit: the fields that change, and `base`, the value the device had of
 * each of them as a pull showed it (the server merges field by field against it).
 */
export interface EditArgs<C extends object> {
  id: Uuid;
  changes: C;
  base: Base<C>;
}

/** The device's values, before the edit, of the fields `C` names (null when it had none). */
export type Base<C extends object> = { [K in keyof C]?: unknown };

// --- complaints -------------------------------------------------------------------

export interface LogComplaintInput {
  customer_id: Uuid;
  /** The category's code. */
  category: string;
  severity: Severity;
  intake_channel: IntakeChannel;
  description: string;
  /** When the customer raised it; default: the change's client_time. */
  received_at?: IsoDateTime | null;
  visit_id?: Uuid | null;
}

export interface LogComplaintArgs extends LogComplaintInput {
  id: Uuid;
}

export interface TransitionExtra {
  note?: string | null;
  /** Required when going to `resolved`. */
  resolution?: string | null;
  /** 1-5, required when going to `closed`. */
  satisfaction?: number | null;
}

export interface TransitionComplaintArgs extends TransitionExtra {
  id: Uuid;
  to: ComplaintStatus;
}

/** `id` is the complaint's. */
export interface AddComplaintNoteArgs {
  id: Uuid;
  note: string;
}

// --- plans ------------------------------------------------------------------------

export interface CreatePlanInput {
  customer_id: Uuid;
  purpose: Purpose;
  channel: Channel;
  due_from: IsoDate;
  due_to: IsoDate;
  title?: string | null;
  notes?: string | null;
}

export interface CreatePlanArgs extends CreatePlanInput {
  id: Uuid;
}

export type PlanChanges = Partial<{
  due_from: IsoDate;
  due_to: IsoDate;
  channel: Channel;
  title: string;
  notes: string | null;
  status: "cancelled";
  /** Skipping: sent with status "cancelled"; "other" needs `skip_note`. */
  skip_reason: SkipReason;
  skip_note: string | null;
}>;

// --- warnings ---------------------------------------------------------------------

export type ManualReason = "competitor" | "intent_to_leave" | "other";

export interface FlagWarningArgs {
  id: Uuid;
  customer_id: Uuid;
  reason: ManualReason;
  note: string;
}

export interface WarningAnswer {
  cause_analysis: string;
  retention_plan: string;
}

/** Both fields always travel, each with its `base`. */
export interface AnswerWarningArgs extends WarningAnswer {
  id: Uuid;
  base: Base<WarningAnswer>;
}

// --- customers --------------------------------------------------------------------

export type ProfileChanges = Partial<{
  phone: string | null;
  phone2: string | null;
  email: string | null;
  address: string | null;
  employer: string | null;
  position: string | null;
  industry: string | null;
  interests: string | null;
  birthday: IsoDate | null;
  birthday_lunar: boolean;
  gender: Gender | null;
  special_dates: { label: string; date: IsoDate }[];
  notes: string | null;
  latitude: number | null;
  longitude: number | null;
  /** Leads and admins only (the server checks). */
  name: string;
  /** A tier code (the row has `tier_id`); leads and admins only. */
  tier: string;
  kind: Customer["kind"];
}>;

// --- campaigns --------------------------------------------------------------------

/**
 * What the customer did with a campaign's offer: a contract names its months, a
 * refusal its reason, and no other outcome takes either (the server checks the same).
 */
export type CampaignOutcomeInput =
  | { outcome: Exclude<CampaignOutcome, "contracted" | "declined"> }
  | { outcome: "contracted"; contract_months: number }
  | { outcome: "declined"; decline_reason: string };

/** `id` is the campaign target's; `outcome_at`, when it happened on the phone. */
export type RecordCampaignOutcomeArgs = CampaignOutcomeInput & {
  id: Uuid;
  outcome_at?: IsoDateTime;
};

// --- conflicts --------------------------------------------------------------------

/** `kept`/`restored` for a field conflict; `applied`/`dismissed` (lead, admin) for lost access. */
export type ConflictChoice = "kept" | "restored" | "applied" | "dismissed";

export interface ResolveConflictArgs {
  id: Uuid;
  choice: ConflictChoice;
}

// --- the map ----------------------------------------------------------------------

/** Every mutation the server knows (server/sync/push.py `MUTATIONS`), by name. */
export interface MutationArgs {
  log_visit: LogVisitArgs;
  update_visit: UpdateVisitArgs;
  create_task: CreateTaskArgs;
  update_task: EditArgs<TaskChanges>;
  complete_task: { id: Uuid };
  log_complaint: LogComplaintArgs;
  transition_complaint: TransitionComplaintArgs;
  add_complaint_note: AddComplaintNoteArgs;
  create_plan: CreatePlanArgs;
  update_plan: EditArgs<PlanChanges>;
  flag_warning: FlagWarningArgs;
  answer_warning: AnswerWarningArgs;
  update_customer_profile: EditArgs<ProfileChanges>;
  record_campaign_outcome: RecordCampaignOutcomeArgs;
  resolve_conflict: ResolveConflictArgs;
}

export type MutationName = keyof MutationArgs;

/**
 * A mutation's name with its arguments. `Mutation` alone is the union over every
 * name, so checking `name` narrows `args`; `Mutation<"log_visit">` is that one.
 */
export type Mutation<K extends MutationName = MutationName> = {
  [P in K]: { name: P; args: MutationArgs[P] };
}[K];
