/**
 * The changes a screen can make. Each writes the local record and its outbox entry in
 * one transaction (`enqueue`) and returns at once: the sync engine sends it later.
 * Arguments are the REST bodies (the schemas.py of each server domain) with client-made UUIDs.
 */
import {
  db,
  type ChurnWarning,
  type Complaint,
  type ComplaintStatus,
  type IsoDate,
  type OutboxEntry,
  type Uuid,
} from "../db";
import type {
  Base,
  CampaignOutcomeInput,
  ConflictChoice,
  CreatePlanInput,
  CreateTaskInput,
  EditArgs,
  LogComplaintInput,
  LogVisitInput,
  ManualReason,
  PlanChanges,
  ProfileChanges,
  TaskChanges,
  TransitionExtra,
  VisitChanges,
  WarningAnswer,
} from "../mutations";
import { localDate, nowIso, today } from "../time";
import { COMPLAINT_TRANSITIONS } from "./overlay";
import { defined, enqueue } from "./outbox";
import { matchingPlan } from "./queries";

export type {
  CampaignOutcomeInput,
  ConflictChoice,
  CreatePlanInput,
  CreateTaskInput,
  LogComplaintInput,
  LogVisitInput,
  ManualReason,
  PlanChanges,
  ProfileChanges,
  TaskChanges,
  TransitionExtra,
  VisitChanges,
} from "../mutations";

/** A change the device refuses before queueing it (the server would refuse it too). */
export class LocalRefusal extends Error {
  constructor(
    message: string,
    readonly code: "not_found" | "illegal_transition" | "validation_error" | "campaign_closed",
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
    this.name = "LocalRefusal";
  }
}

export async function mustGet<T>(promise: Promise<T | undefined>, what: string): Promise<T> {
  const row = await promise;
  if (row === undefined) throw new LocalRefusal(`${what} not found on this device.`, "not_found");
  return row;
}

/**
 * The protocol's `base` and `base_version` for an edit: the values the device had of
 * each field it changes, as a pull showed them, and the row's version (none for a row
 * created here and not yet confirmed: the server then merges field by field).
 */
function baseOf<C extends object>(
  row: { version: number; _local?: true },
  changes: C,
  current: (name: string) => unknown = (name) => (row as Record<string, unknown>)[name],
): { base: Base<C>; base_version: number | null } {
  const base: Record<string, unknown> = {};
  for (const name of Object.keys(changes)) base[name] = current(name) ?? null;
  return { base: base as Base<C>, base_version: row._local ? null : row.version };
}

/** Only the fields whose new value differs from the row's (an edit that changes nothing queues nothing). */
function changedFields<C extends object>(changes: C, current: (name: string) => unknown): C {
  return Object.fromEntries(
    Object.entries(changes).filter(
      ([name, value]) =>
        value !== undefined && JSON.stringify(value) !== JSON.stringify(current(name) ?? null),
    ),
  ) as C;
}

// --- visits -----------------------------------------------------------------------

/**
 * Log a contact. `plan_id` names the plan it fulfils (null: none); left out, the open
 * plan the matching rule picks on this device for the purpose and the day it started
 * (`matchingPlan`), sent by id so the plan the phone shows done is the one the server
 * completes. `alongside` runs inside the same IndexedDB transaction with the new
 * visit's id (the photos taken with it: kept with the visit, or not at all); it may
 * only touch the database.
 */
export async function logVisit(
  input: LogVisitInput,
  alongside?: (visitId: Uuid) => Promise<void>,
): Promise<Uuid> {
  const id = crypto.randomUUID();
  await enqueue(
    "log_visit",
    async () => {
      await alongside?.(id);
      const started_at = input.started_at ?? nowIso();
      let plan_id = input.plan_id;
      if (plan_id === undefined) {
        const day = localDate(new Date(started_at));
        const plan = input.purpose && (await matchingPlan(input.customer_id, input.purpose, day));
        plan_id = plan ? plan.id : null;
      }
      return { args: defined({ id, ...input, started_at, plan_id }) };
    },
    // The photos' table joins the transaction only when there are photos to keep.
    alongside ? [db.photos] : [],
  );
  return id;
}

/** A correction; the server keeps it as a revision (append-only, never a conflict). */
export async function updateVisit(id: Uuid, changes: VisitChanges): Promise<void> {
  await enqueue("update_visit", async () => {
    await mustGet(db.visits.get(id), "Visit");
    return { args: { id, changes: defined(changes) } };
  });
}

// --- complaints -------------------------------------------------------------------

export async function logComplaint(input: LogComplaintInput): Promise<Uuid> {
  const id = crypto.randomUUID();
  await enqueue("log_complaint", () => ({ args: defined({ id, ...input }) }));
  return id;
}

/** One step of the complaint loop; refused here when the local status does not allow it. */
export async function transitionComplaint(
  id: Uuid,
  to: ComplaintStatus,
  extra: TransitionExtra = {},
): Promise<void> {
  await enqueue("transition_complaint", async () => {
    const complaint: Complaint = await mustGet(db.complaints.get(id), "Complaint");
    const allowed = COMPLAINT_TRANSITIONS[complaint.status];
    if (!allowed.includes(to)) {
      throw new LocalRefusal(
        `A complaint cannot go from ${complaint.status} to ${to}; it may go to: ${allowed.join(", ")}.`,
        "illegal_transition",
      );
    }
    return { args: defined({ id, to, ...extra }) };
  });
}

export async function addComplaintNote(id: Uuid, note: string): Promise<void> {
  await enqueue("add_complaint_note", async () => {
    await mustGet(db.complaints.get(id), "Complaint");
    return { args: { id, note } };
  });
}

// --- tasks ------------------------------------------------------------------------

export function refuse(field: string, message: string): never {
  throw new LocalRefusal(`Some fields are invalid: ${field}.`, "validation_error", {
    [field]: [message],
  });
}

/** A new task; a due date before today is refused, as the server refuses it. */
export async function createTask(input: CreateTaskInput): Promise<Uuid> {
  if (input.due_date && input.due_date < today()) refuse("due_date", "Must not be in the past.");
  const id = crypto.randomUUID();
  await enqueue("create_task", () => ({ args: defined({ id, ...input }) }));
  return id;
}

/**
 * Edit a task. Sends only the fields that change, each with its `base` (the value the
 * device had), and the row's version as `base_version`, so the server can merge
 * field by field with edits made elsewhere meanwhile. Null when nothing changes.
 */
export async function updateTask(
  id: Uuid,
  changes: TaskChanges,
): Promise<OutboxEntry<"update_task"> | null> {
  return enqueue("update_task", async () => {
    const task = await mustGet(db.tasks.get(id), "Task");
    return editOf(task, changes);
  });
}

/** An edit's arguments, or null when it changes nothing. */
function editOf<C extends object>(
  row: { id: Uuid; version: number; _local?: true },
  changes: C,
  current: (name: string) => unknown = (name) => (row as unknown as Record<string, unknown>)[name],
): { args: EditArgs<C>; base_version: number | null } | null {
  const changed = changedFields(changes, current);
  if (Object.keys(changed).length === 0) return null;
  const { base, base_version } = baseOf(row, changed, current);
  return { args: { id: row.id, changes: changed, base }, base_version };
}

export async function completeTask(id: Uuid): Promise<void> {
  await enqueue("complete_task", async () => {
    await mustGet(db.tasks.get(id), "Task");
    return { args: { id } };
  });
}

// --- plans ------------------------------------------------------------------------

/** A plan made by hand; its window must end on or after it starts, and not before today. */
export async function createPlan(input: CreatePlanInput): Promise<Uuid> {
  checkWindow(input.due_from, input.due_to);
  const id = crypto.randomUUID();
  await enqueue("create_plan", () => ({ args: defined({ id, ...input }) }));
  return id;
}

export async function updatePlan(
  id: Uuid,
  changes: PlanChanges,
): Promise<OutboxEntry<"update_plan"> | null> {
  return enqueue("update_plan", async () =>
    editOf(await mustGet(db.care_plans.get(id), "Plan"), changes),
  );
}

/** A plan's window: in order, and not ending before today (the forms say the same). */
export function checkWindow(from: IsoDate, to: IsoDate): void {
  if (to < from) refuse("due_to", "Must not be before due_from.");
  if (to < today()) refuse("due_to", "Must not be in the past.");
}

// --- warnings ---------------------------------------------------------------------

export async function flagWarning(
  customer_id: Uuid,
  reason: ManualReason,
  note: string,
): Promise<Uuid> {
  const id = crypto.randomUUID();
  await enqueue("flag_warning", () => ({ args: { id, customer_id, reason, note } }));
  return id;
}

/** The manager's cause analysis and retention plan for an open warning. */
export async function answerWarning(id: Uuid, answer: WarningAnswer): Promise<void> {
  await enqueue("answer_warning", async () => {
    const warning: ChurnWarning = await mustGet(db.churn_warnings.get(id), "Warning");
    // Both fields always travel; one the device left as it was has base == value and stays untouched.
    const { base, base_version } = baseOf(warning, answer);
    return { args: { id, ...answer, base }, base_version };
  });
}

// --- customers --------------------------------------------------------------------

export async function updateCustomerProfile(
  id: Uuid,
  changes: ProfileChanges,
): Promise<OutboxEntry<"update_customer_profile"> | null> {
  return enqueue("update_customer_profile", async () => {
    const customer = await mustGet(db.customers.get(id), "Customer");
    const tierCode = (await db.tiers.get(customer.tier_id))?.code ?? null;
    // The server compares `tier` by code (server/sync/merge.py `_customer_field`).
    const current = (name: string) =>
      name === "tier" ? tierCode : (customer as unknown as Record<string, unknown>)[name];
    return editOf(customer, changes, current);
  });
}

// --- campaigns --------------------------------------------------------------------

const MAX_CONTRACT_MONTHS = 120;
const MAX_DECLINE_REASON = 300;

/** The outcome's arguments, with only the fields its kind takes (as campaigns/services.py checks). */
function outcomeArgs(input: CampaignOutcomeInput): CampaignOutcomeInput {
  switch (input.outcome) {
    case "contracted": {
      const months = input.contract_months;
      if (!Number.isInteger(months) || months < 1 || months > MAX_CONTRACT_MONTHS) {
        throw new LocalRefusal("Some fields are invalid: contract_months.", "validation_error", {
          contract_months: [`A whole number of months, 1 to ${MAX_CONTRACT_MONTHS}.`],
        });
      }
      return { outcome: "contracted", contract_months: months };
    }
    case "declined": {
      const reason = input.decline_reason.trim();
      if (reason === "" || reason.length > MAX_DECLINE_REASON) {
        throw new LocalRefusal("Some fields are invalid: decline_reason.", "validation_error", {
          decline_reason: [`Say why, in at most ${MAX_DECLINE_REASON} characters.`],
        });
      }
      return { outcome: "declined", decline_reason: reason };
    }
    default:
      return { outcome: input.outcome };
  }
}

/**
 * What the customer did with a campaign's offer, as it happened now. A later answer
 * replaces an earlier one while the campaign runs; a closed campaign takes none.
 * A reached customer's campaign plan shows done at once (data/overlay.ts).
 */
export async function recordCampaignOutcome(id: Uuid, input: CampaignOutcomeInput): Promise<void> {
  await enqueue("record_campaign_outcome", async () => {
    const target = await mustGet(db.campaign_targets.get(id), "Campaign target");
    const campaign = await db.campaigns.get(target.campaign_id);
    if (campaign?.status !== "launched") {
      throw new LocalRefusal(
        "This campaign is closed: outcomes can no longer change.",
        "campaign_closed",
      );
    }
    return { args: { id, ...outcomeArgs(input), outcome_at: nowIso() } };
  });
}

// --- conflicts and results --------------------------------------------------------

export async function resolveConflict(id: Uuid, choice: ConflictChoice): Promise<void> {
  await enqueue("resolve_conflict", async () => {
    await mustGet(db.sync_conflicts.get(id), "Conflict");
    return { args: { id, choice } };
  });
}

/** The user has read a rejected or conflicting result: forget it. */
export async function dismissResult(mutationId: Uuid): Promise<void> {
  await db.transaction("rw", db.results, db.outbox, async () => {
    await db.results.delete(mutationId);
    // A change the server refused without recording it (seq_reused) waits here too.
    await db.outbox
      .where("mutation_id")
      .equals(mutationId)
      .and((entry) => entry.status === "rejected" || entry.status === "conflict")
      .delete();
  });
}
