/**
 * What the sync centre says about a change: the changes still waiting to be sent, and
 * which record and customer a change or a conflict is about, from the local copy.
 */
import { db, entityTable, ENTITY_NAMES, type EntityName, type OutboxEntry, type Uuid } from "../db";
import type { MutationName } from "../mutations";

/** The table whose row `args.id` names: the record a change makes or edits. */
const CHANGE_TABLE: Partial<Record<MutationName, EntityName>> = {
  log_visit: "visits",
  update_visit: "visits",
  create_task: "tasks",
  update_task: "tasks",
  complete_task: "tasks",
  log_complaint: "complaints",
  transition_complaint: "complaints",
  add_complaint_note: "complaints",
  create_plan: "care_plans",
  update_plan: "care_plans",
  flag_warning: "churn_warnings",
  answer_warning: "churn_warnings",
  update_customer_profile: "customers",
  record_campaign_outcome: "campaign_targets",
};

/** Changes not yet answered by the server, oldest first (those being retried aside). */
export function waitingChanges(): Promise<OutboxEntry[]> {
  return db.outbox
    .orderBy("seq")
    .filter(
      (entry) =>
        (entry.status === "pending" || entry.status === "sending") &&
        entry.result?.status !== "failed",
    )
    .toArray();
}

export interface Subject {
  /** The record's own name (a task's or plan's title), when it has one. */
  record: string | null;
  /** The customer it concerns. */
  customer: string | null;
}

function isEntity(name: string): name is EntityName {
  return (ENTITY_NAMES as readonly string[]).includes(name);
}

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

/** The record `id` of `entity` and its customer, named as the user knows them. */
export async function subjectOf(
  entity: string | null,
  id: Uuid | null,
  customerId: Uuid | null = null,
  fallbackTitle: string | null = null,
): Promise<Subject> {
  const row =
    entity && id && isEntity(entity)
      ? ((await entityTable(entity).get(id)) as Record<string, unknown> | undefined)
      : undefined;
  const customerOf = entity === "customers" ? id : (text(row?.customer_id) ?? customerId ?? null);
  const customer = customerOf ? await db.customers.get(customerOf) : undefined;
  return {
    record: entity === "customers" ? null : (text(row?.title) ?? fallbackTitle),
    customer: customer?.name ?? null,
  };
}

/** What a queued or answered change is about. */
export function changeSubject(name: MutationName, args: object): Promise<Subject> {
  const fields = args as Record<string, unknown>;
  return subjectOf(
    CHANGE_TABLE[name] ?? null,
    text(fields.id),
    text(fields.customer_id),
    text(fields.title) ?? text((fields.changes as Record<string, unknown> | undefined)?.title),
  );
}
