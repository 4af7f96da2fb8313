/**
 * Optimistic changes: how each queued mutation shows on the local rows until the
 * server has answered for it.
 *
 * A row in an entity table is the server's row (as last pulled or as a push answered
 * it) with the pending changes of this device laid over it. Laying a change over a row
 * keeps the server's values of the fields it touches in `_base`; a row the device
 * created carries `_local`. So the server's row can always be recovered
 * (`pristine`), and after a pull or a push answer the row is rebuilt as
 * "server row + changes still pending" (`rebaseRow`). Without this, a pulled row
 * would hide a pending edit, or a pending edit the server had already applied (its
 * answer lost) would stay laid over a newer server value for good.
 */
import {
  db,
  entityTable,
  type AnyRow,
  type CampaignOutcome,
  type CarePlan,
  type Complaint,
  type ComplaintStatus,
  type EntityName,
  type EntityRows,
  type OutboxEntry,
  type Uuid,
} from "../db";
import type { MutationArgs, MutationName } from "../mutations";

export interface OverlayContext {
  /** The signed-in user (meta user_id); null before the first sign-in. */
  userId: Uuid | null;
}

type Overlay<K extends MutationName> = (
  entity: EntityName,
  row: AnyRow | undefined,
  entry: OutboxEntry<K>,
  ctx: OverlayContext,
) => Promise<AnyRow | undefined>;

/** How mutation `K` shows on local rows. */
export interface MutationSpec<K extends MutationName> {
  /**
   * "entity:id" of each local row the mutation changes, worked out once when it is
   * queued (inside the write's transaction, so it may read the rows it builds on) and
   * kept on the outbox entry.
   */
  targets(args: MutationArgs[K]): string[] | Promise<string[]>;
  apply: Overlay<K>;
  /** Applied, it removed the row it targets: the server's row is gone too (delete_contact). */
  removes?: true;
}

export function targetKey(entity: EntityName, id: string): string {
  return `${entity}:${id}`;
}

export function parseTarget(key: string): [EntityName, string] {
  const at = key.indexOf(":");
  return [key.slice(0, at) as EntityName, key.slice(at + 1)];
}

/** The server's row under any pending changes of this device; undefined for a local create. */
export function pristine<T extends AnyRow>(row: T | undefined): T | undefined {
  if (row === undefined || row._local) return undefined;
  if (row._base === undefined) return row;
  const { _base, ...rest } = row;
  return { ...rest, ..._base } as T;
}

/** `row` with `fields` laid over it, remembering the server's values of those fields. */
export function patch<T extends AnyRow>(row: T | undefined, fields: Partial<T>): T | undefined {
  if (row === undefined) return undefined;
  const next = { ...row, ...fields };
  if (!row._local) {
    const base: Record<string, unknown> = { ...row._base };
    const current = row as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (!(key in base)) base[key] = current[key];
    }
    next._base = base;
  }
  return next;
}

/** A local create: the row as the device guesses the server will store it. */
function created<T extends AnyRow>(row: T | undefined, fresh: () => Promise<T>): Promise<T> {
  // The server already holds it (a pull brought it before the push's answer did).
  if (row !== undefined) return Promise.resolve(row);
  return fresh();
}

function timestamps(entry: OutboxEntry) {
  return { version: 0, created_at: entry.client_time, updated_at: entry.client_time };
}

/** Hours to resolve, by severity, as the server's COMPLAINT_SEVERITY_FACTORS (config.py). */
const SEVERITY_FACTORS: Record<string, number> = { critical: 0.5, high: 1, medium: 2, low: 4 };

/** Plans a contact can still complete: a missed plan is late, not gone (plans/services.py). */
export const OPEN_PLAN_STATUSES: readonly CarePlan["status"][] = ["planned", "missed"];

/** Outcomes that mean the customer was reached: the campaign's plan is done (campaigns/models.py). */
export const REACHED_OUTCOMES: ReadonlySet<CampaignOutcome> = new Set([
  "offered",
  "took_part",
  "contracted",
  "declined",
]);

/** A plan completed at `at` by a contact, as plans/services.py `complete_plan`: only an open one. */
function completed(row: CarePlan | undefined, at: string): CarePlan | undefined {
  if (row === undefined || !OPEN_PLAN_STATUSES.includes(row.status)) return row;
  return patch(row, { status: "done", completed_at: at });
}

export const COMPLAINT_TRANSITIONS: Record<ComplaintStatus, ComplaintStatus[]> = {
  received: ["in_progress"],
  in_progress: ["resolved"],
  resolved: ["informed", "in_progress"],
  informed: ["closed", "in_progress"],
  closed: ["in_progress"],
};

/** Laid over a row only when the mutation targets that table. */
function only<E extends EntityName, K extends MutationName>(
  wanted: E,
  fn: (
    row: EntityRows[E] | undefined,
    entry: OutboxEntry<K>,
    ctx: OverlayContext,
  ) => Promise<EntityRows[E] | undefined>,
): Overlay<K> {
  return async (entity, row, entry, ctx) =>
    entity === wanted ? fn(row as EntityRows[E] | undefined, entry, ctx) : row;
}

/** An edit of one row: its `changes` laid over it. */
function edit<K extends "update_visit" | "update_task" | "update_plan", E extends EntityName>(
  wanted: E,
): MutationSpec<K> {
  return {
    targets: (args) => [targetKey(wanted, args.id)],
    apply: only(wanted, async (row, entry) =>
      patch(row, entry.args.changes as Partial<EntityRows[E]>),
    ),
  };
}

/** Every mutation's overlay, by name: `MUTATIONS.log_visit` gets `log_visit` entries only. */
export const MUTATIONS: { [K in MutationName]: MutationSpec<K> } = {
  log_visit: {
    targets: (args) => [
      targetKey("visits", args.id),
      ...(args.plan_id ? [targetKey("care_plans", args.plan_id)] : []),
    ],
    apply: async (entity, row, entry, ctx) => {
      const a = entry.args;
      if (entity === "care_plans") {
        return completed(row as EntityRows["care_plans"] | undefined, a.started_at);
      }
      return created<EntityRows["visits"]>(row as EntityRows["visits"] | undefined, async () => {
        const plan = a.plan_id ? await db.care_plans.get(a.plan_id) : undefined;
        return {
          id: a.id,
          customer_id: a.customer_id,
          manager_id: ctx.userId ?? "",
          plan_id: a.plan_id ?? null,
          channel: a.channel,
          purpose: a.purpose ?? plan?.purpose ?? "routine",
          started_at: a.started_at,
          ended_at: a.ended_at ?? null,
          latitude: a.latitude ?? null,
          longitude: a.longitude ?? null,
          accuracy_m: a.accuracy_m ?? null,
          location_age_s: a.location_age_s ?? null,
          location_status: a.channel === "visit" ? "unverified" : "not_applicable",
          outcome: a.outcome ?? null,
          notes: a.notes ?? null,
          products_discussed: a.products_discussed ?? [],
          customer_response: a.customer_response ?? null,
          privileges_explained: a.privileges_explained ?? false,
          next_step: a.next_step ?? null,
          time_flag: null,
          ...timestamps(entry),
          _local: true,
        };
      });
    },
  },
  update_visit: edit("visits"),
  create_task: {
    targets: (args) => [targetKey("tasks", args.id)],
    apply: only("tasks", (row, entry, ctx) =>
      created<EntityRows["tasks"]>(row, async () => {
        const a = entry.args;
        return {
          id: a.id,
          owner_id: a.owner_id ?? ctx.userId ?? "",
          customer_id: a.customer_id ?? null,
          title: a.title,
          notes: a.notes ?? null,
          due_date: a.due_date ?? null,
          status: "open",
          completed_at: null,
          source_visit_id: null,
          source_complaint_id: a.source_complaint_id ?? null,
          created_by_id: ctx.userId ?? "",
          ...timestamps(entry),
          _local: true,
        };
      }),
    ),
  },
  update_task: edit("tasks"),
  complete_task: {
    targets: (args) => [targetKey("tasks", args.id)],
    apply: only("tasks", async (row, entry) =>
      patch(row, { status: "done", completed_at: entry.client_time }),
    ),
  },
  log_complaint: {
    targets: (args) => [targetKey("complaints", args.id)],
    apply: only("complaints", (row, entry, ctx) =>
      created<EntityRows["complaints"]>(row, async () => {
        const a = entry.args;
        const receivedAt = a.received_at ?? entry.client_time;
        const category = await db.complaint_categories.where("code").equals(a.category).first();
        const customer = await db.customers.get(a.customer_id);
        const tier = customer ? await db.tiers.get(customer.tier_id) : undefined;
        // An estimate until the server answers with the deadline it computed.
        const hours = (tier?.complaint_response_hours ?? 24) * (SEVERITY_FACTORS[a.severity] ?? 1);
        const deadline = new Date(Date.parse(receivedAt) + hours * 3_600_000).toISOString();
        const complaint: Complaint = {
          id: a.id,
          customer_id: a.customer_id,
          owner_id: customer?.manager_id ?? ctx.userId,
          category_id: category?.id ?? "",
          severity: a.severity,
          intake_channel: a.intake_channel,
          description: a.description,
          received_at: receivedAt,
          deadline_at: deadline,
          status: "received",
          resolution: null,
          satisfaction: null,
          resolved_at: null,
          closed_at: null,
          reopen_count: 0,
          time_flag: null,
          logged_by_id: ctx.userId ?? "",
          visit_id: a.visit_id ?? null,
          ...timestamps(entry),
          _local: true,
        };
        return complaint;
      }),
    ),
  },
  transition_complaint: {
    targets: (args) => [targetKey("complaints", args.id)],
    apply: only("complaints", async (row, entry) => {
      const a = entry.args;
      const to = a.to;
      const fields: Partial<Complaint> = { status: to };
      if (to === "resolved") {
        fields.resolution = a.resolution ?? null;
        fields.resolved_at = entry.client_time;
      }
      if (to === "closed") {
        fields.satisfaction = a.satisfaction ?? null;
        fields.closed_at = entry.client_time;
      }
      return patch(row, fields);
    }),
  },
  // The note's event row gets its id on the server; the outbox shows it until then.
  add_complaint_note: { targets: () => [], apply: async (_entity, row) => row },
  create_plan: {
    targets: (args) => [targetKey("care_plans", args.id)],
    apply: only("care_plans", (row, entry, ctx) =>
      created<EntityRows["care_plans"]>(row, async () => {
        const a = entry.args;
        return {
          id: a.id,
          customer_id: a.customer_id,
          owner_id: ctx.userId,
          purpose: a.purpose,
          channel: a.channel,
          title: a.title ?? a.purpose,
          notes: a.notes ?? null,
          due_from: a.due_from,
          due_to: a.due_to,
          status: "planned",
          generation_key: null,
          completed_at: null,
          created_by_id: ctx.userId,
          ...timestamps(entry),
          _local: true,
        };
      }),
    ),
  },
  update_plan: edit("care_plans"),
  flag_warning: {
    // A customer has at most one open warning: a report joins it, as on the server
    // (warnings/services.py `flag_customer`), so the phone never shows two.
    targets: async (args) => [
      targetKey("churn_warnings", (await openWarning(args.customer_id))?.id ?? args.id),
      targetKey("customers", args.customer_id),
    ],
    apply: async (entity, row, entry, ctx) => {
      const a = entry.args;
      const reason = { code: a.reason, note: a.note, by: ctx.userId, at: entry.client_time };
      if (entity === "customers") {
        const customer = row as EntityRows["customers"] | undefined;
        return customer && customer.stage !== "churned"
          ? patch(customer, { stage: "warning" })
          : customer;
      }
      if (entity !== "churn_warnings") return row;
      const warning = row as EntityRows["churn_warnings"] | undefined;
      if (warning !== undefined && warning.id !== a.id) {
        return patch(warning, { reasons: [...warning.reasons, reason] });
      }
      return created<EntityRows["churn_warnings"]>(warning, async () => {
        const customer = await db.customers.get(a.customer_id);
        const stage = customer ? (pristine(customer) ?? customer).stage : null;
        return {
          id: a.id,
          customer_id: a.customer_id,
          status: "open",
          source: "manual",
          reasons: [reason],
          finding_keys: [],
          opened_at: entry.client_time,
          raised_by_id: ctx.userId,
          previous_stage: stage === "warning" || stage === "churned" ? null : stage,
          cause_analysis: null,
          retention_plan: null,
          answered_at: null,
          answered_by_id: null,
          resolved_at: null,
          resolved_by_id: null,
          resolution_note: null,
          exit_reason: null,
          ...timestamps(entry),
          _local: true,
        };
      });
    },
  },
  answer_warning: {
    targets: (args) => [targetKey("churn_warnings", args.id)],
    apply: only("churn_warnings", async (row, entry, ctx) =>
      patch(row, {
        cause_analysis: entry.args.cause_analysis,
        retention_plan: entry.args.retention_plan,
        answered_at: entry.client_time,
        answered_by_id: ctx.userId,
      }),
    ),
  },
  update_customer_profile: {
    targets: (args) => [targetKey("customers", args.id)],
    apply: only("customers", async (row, entry) => {
      const { tier, ...fields } = entry.args.changes;
      if (tier !== undefined) {
        // Changes name the tier by code, the row by id.
        const found = await db.tiers.where("code").equals(tier).first();
        if (found) (fields as Partial<EntityRows["customers"]>).tier_id = found.id;
      }
      return patch(row, fields);
    }),
  },
  resolve_warning: {
    targets: async (args) => {
      const warning = await db.churn_warnings.get(args.id);
      return [
        targetKey("churn_warnings", args.id),
        ...(warning ? [targetKey("customers", warning.customer_id)] : []),
      ];
    },
    apply: async (entity, row, entry, ctx) => {
      const a = entry.args;
      if (entity === "customers") {
        // The customer's stage follows, as warnings/services.py `resolve_warning` moves it.
        const warning = pristine(await db.churn_warnings.get(a.id));
        const stage = a.outcome === "churned" ? "churned" : (warning?.previous_stage ?? "maturity");
        return patch(row as EntityRows["customers"] | undefined, { stage });
      }
      if (entity !== "churn_warnings") return row;
      return patch(row as EntityRows["churn_warnings"] | undefined, {
        status: a.outcome,
        resolved_at: entry.client_time,
        resolved_by_id: ctx.userId,
        resolution_note: a.note ?? null,
        exit_reason: a.outcome === "churned" ? a.exit_reason : null,
      });
    },
  },
  add_contact: {
    targets: async (args) => [
      targetKey("contacts", args.id),
      ...(args.is_decision_maker ? await otherDecisionMakers(args.customer_id, args.id) : []),
    ],
    apply: only("contacts", async (row, entry) => {
      const a = entry.args;
      if (row !== undefined && row.id !== a.id) return patch(row, { is_decision_maker: false });
      return created<EntityRows["contacts"]>(row, async () => ({
        id: a.id,
        customer_id: a.customer_id,
        name: a.name,
        title: a.title ?? null,
        phone: a.phone ?? null,
        email: a.email ?? null,
        is_decision_maker: a.is_decision_maker ?? false,
        birthday: a.birthday ?? null,
        ...timestamps(entry),
        _local: true,
      }));
    }),
  },
  update_contact: {
    targets: async (args) => {
      const contact = await db.contacts.get(args.id);
      return [
        targetKey("contacts", args.id),
        ...(contact && args.changes.is_decision_maker
          ? await otherDecisionMakers(contact.customer_id, args.id)
          : []),
      ];
    },
    apply: only("contacts", async (row, entry) =>
      row !== undefined && row.id !== entry.args.id
        ? patch(row, { is_decision_maker: false })
        : patch(row, entry.args.changes as Partial<EntityRows["contacts"]>),
    ),
  },
  delete_contact: {
    targets: (args) => [targetKey("contacts", args.id)],
    // Hidden rather than dropped, so a refusal can put the server's row back.
    apply: only("contacts", async (row) =>
      row?._local ? undefined : patch(row, { _deleted: true }),
    ),
    removes: true,
  },
  record_campaign_outcome: {
    targets: async (args) => {
      // The args name the target only; its plan (done when the customer was reached)
      // is read from the local row, as the server reads it from its own.
      const target = await db.campaign_targets.get(args.id);
      return [
        targetKey("campaign_targets", args.id),
        ...(target?.plan_id && REACHED_OUTCOMES.has(args.outcome)
          ? [targetKey("care_plans", target.plan_id)]
          : []),
      ];
    },
    apply: async (entity, row, entry, ctx) => {
      const a = entry.args;
      const at = a.outcome_at ?? entry.client_time;
      if (entity === "care_plans") {
        return REACHED_OUTCOMES.has(a.outcome)
          ? completed(row as EntityRows["care_plans"] | undefined, at)
          : row;
      }
      if (entity !== "campaign_targets") return row;
      return patch(row as EntityRows["campaign_targets"] | undefined, {
        outcome: a.outcome,
        contract_months: a.outcome === "contracted" ? a.contract_months : null,
        decline_reason: a.outcome === "declined" ? a.decline_reason : null,
        outcome_at: at,
        time_flag: null,
        recorded_by_id: ctx.userId,
      });
    },
  },
  resolve_conflict: {
    targets: (args) => [targetKey("sync_conflicts", args.id)],
    apply: only("sync_conflicts", async (row, entry, ctx) =>
      patch(row, {
        status: "resolved",
        resolution: entry.args.choice,
        resolved_at: entry.client_time,
        resolved_by_id: ctx.userId,
      }),
    ),
  },
};

/** The customer's open warning on this device, if any. */
async function openWarning(customerId: Uuid) {
  const warnings = await db.churn_warnings.where("customer_id").equals(customerId).toArray();
  return warnings.find((w) => w.status === "open");
}

/** "contacts:id" of the customer's decision makers other than `except` (a new one un-marks them). */
async function otherDecisionMakers(customerId: Uuid, except: Uuid): Promise<string[]> {
  const contacts = await db.contacts.where("customer_id").equals(customerId).toArray();
  return contacts
    .filter((c) => c.id !== except && c.is_decision_maker)
    .map((c) => targetKey("contacts", c.id));
}

/** Entries whose changes still show on local rows: not yet answered by the server. */
export function isUnanswered(entry: OutboxEntry): boolean {
  return entry.status === "pending" || entry.status === "sending";
}

export async function overlayContext(): Promise<OverlayContext> {
  const userId = (await db.meta.get("user_id"))?.value;
  return { userId: typeof userId === "string" ? userId : null };
}

async function store(entity: EntityName, rowId: string, row: AnyRow | undefined): Promise<void> {
  const table = entityTable(entity);
  if (row === undefined) await table.delete(rowId);
  else await table.put(row as never);
}

/** "entity:id" of each local row mutation `name` with `args` changes (inside the write's transaction). */
export async function targetsOf<K extends MutationName>(
  name: K,
  args: MutationArgs[K],
): Promise<string[]> {
  const spec: MutationSpec<K> = MUTATIONS[name];
  return spec.targets(args);
}

/** `row` with `entry`'s change laid over it, by the overlay of the entry's mutation. */
function overlay<K extends MutationName>(
  entity: EntityName,
  row: AnyRow | undefined,
  entry: OutboxEntry<K>,
  ctx: OverlayContext,
): Promise<AnyRow | undefined> {
  const spec: MutationSpec<K> = MUTATIONS[entry.name];
  return spec.apply(entity, row, entry, ctx);
}

/** Lay one entry's change over the local rows it targets (inside the caller's transaction). */
export async function applyEntry<K extends MutationName>(
  entry: OutboxEntry<K>,
  ctx: OverlayContext,
): Promise<void> {
  for (const key of entry.targets) {
    const [entity, rowId] = parseTarget(key);
    const row = await entityTable(entity).get(rowId);
    const next = await overlay(entity, row, entry, ctx);
    if (next !== row) await store(entity, rowId, next);
  }
}

/**
 * Rebuild one local row as `server` (the server's row; undefined: none; omitted: the
 * server's row recovered from the local one) with the unanswered changes laid over it.
 * Call inside a transaction that covers the outbox and the row's table.
 */
export async function rebaseRow(
  entity: EntityName,
  rowId: string,
  ctx: OverlayContext,
  server?: AnyRow | null,
): Promise<void> {
  let row: AnyRow | undefined =
    server === undefined ? pristine(await entityTable(entity).get(rowId)) : (server ?? undefined);
  const pending = await db.outbox.where("targets").equals(targetKey(entity, rowId)).sortBy("seq");
  for (const entry of pending) {
    if (isUnanswered(entry)) row = await overlay(entity, row, entry, ctx);
  }
  await store(entity, rowId, row);
}
