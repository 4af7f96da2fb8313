/**
 * What the lazily loaded screens read (the warnings list, a visit with its history, a
 * contact): kept apart from ./queries so the first load does not carry them.
 */
import {
  db,
  getMeta,
  type ChurnWarning,
  type Contact,
  type Customer,
  type OutboxEntry,
  type Uuid,
  type Visit,
  type VisitRevision,
} from "../db";
import { isUnanswered } from "./overlay";
import { customerSummary, summary, type CustomerSummary } from "./queries";

export interface WarningRow {
  warning: ChurnWarning;
  customer: CustomerSummary | null;
}

export interface WarningLists {
  /** Open, waiting for the cause analysis and retention plan; oldest first. */
  unanswered: WarningRow[];
  /** Open and answered: the retention under way; oldest first. */
  answered: WarningRow[];
  /** Retained or churned; the latest outcome first. */
  closed: WarningRow[];
}

/** Every warning on this device (its user's customers), in the three lists a manager works from. */
export async function warningLists(): Promise<WarningLists> {
  const [warnings, tiers] = await Promise.all([db.churn_warnings.toArray(), db.tiers.toArray()]);
  const byTier = new Map(tiers.map((tier) => [tier.id, tier]));
  const customers = new Map(
    (await db.customers.bulkGet([...new Set(warnings.map((w) => w.customer_id))]))
      .filter((c): c is Customer => c !== undefined)
      .map((c) => [c.id, summary(c, byTier)]),
  );
  const rows = warnings.map((warning) => ({
    warning,
    customer: customers.get(warning.customer_id) ?? null,
  }));
  const oldest = (a: WarningRow, b: WarningRow) =>
    a.warning.opened_at.localeCompare(b.warning.opened_at);
  const open = rows.filter((r) => r.warning.status === "open");
  return {
    unanswered: open.filter((r) => r.warning.answered_at === null).sort(oldest),
    answered: open.filter((r) => r.warning.answered_at !== null).sort(oldest),
    closed: rows
      .filter((r) => r.warning.status !== "open")
      .sort((a, b) => (b.warning.resolved_at ?? "").localeCompare(a.warning.resolved_at ?? "")),
  };
}

export interface VisitDetail {
  visit: Visit;
  customer: CustomerSummary | null;
  /** The corrections the server kept, newest first. */
  revisions: VisitRevision[];
  /** Corrections made on this device the server has not answered yet, oldest first. */
  pending: OutboxEntry<"update_visit">[];
  /** The signed-in user, who alone may correct their own log. */
  userId: Uuid | null;
  /** Names of the users who corrected it, by id. */
  editors: Record<Uuid, string>;
}

export async function visitDetail(id: Uuid): Promise<VisitDetail | undefined> {
  const visit = await db.visits.get(id);
  if (visit === undefined) return undefined;
  const [customer, revisions, queued, userId] = await Promise.all([
    customerSummary(visit.customer_id),
    db.visit_revisions.where("visit_id").equals(id).toArray(),
    db.outbox.where("targets").equals(`visits:${id}`).sortBy("seq"),
    getMeta("user_id"),
  ]);
  const users = await db.users.bulkGet([...new Set(revisions.map((r) => r.editor_id))]);
  return {
    visit,
    customer,
    userId: typeof userId === "string" ? userId : null,
    editors: Object.fromEntries(users.flatMap((u) => (u ? [[u.id, u.display_name]] : []))),
    revisions: revisions.sort((a, b) => Date.parse(b.at) - Date.parse(a.at)),
    pending: queued.filter(
      (entry): entry is OutboxEntry<"update_visit"> =>
        entry.name === "update_visit" && isUnanswered(entry),
    ),
  };
}

export interface ContactDetail {
  customer: Customer;
  /** Undefined: a new contact. */
  contact?: Contact;
}

/** The customer, and its contact `contactId` unless it is "new"; undefined when either is missing. */
export async function contactDetail(
  customerId: Uuid,
  contactId: string,
): Promise<ContactDetail | undefined> {
  const customer = await db.customers.get(customerId);
  if (customer === undefined) return undefined;
  if (contactId === "new") return { customer };
  const contact = await db.contacts.get(contactId);
  if (contact === undefined || contact._deleted || contact.customer_id !== customerId)
    return undefined;
  return { customer, contact };
}
