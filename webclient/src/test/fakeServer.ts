/**
 * A small in-memory server that behaves like docs/sync.md, for testing the client's
 * sync against behaviour rather than against mocked calls: it stamps every write,
 * serves pulls in rounds with keyset pages and an opaque cursor, records each
 * device's last seq with the mutation's result, answers replays from stored results,
 * merges edits field by field, and can lose answers, fail, sign out or change epoch.
 */
import { ENTITY_NAMES, type EntityName, type IndicatorFigure, type MyNumbers } from "../db";
import type { FetchLike, PullChange, PushBody, PushMutation } from "../sync/api";

type Row = Record<string, unknown> & { id: string };

interface Stored {
  entity: EntityName;
  row: Row;
  stamp: number;
}

interface Tombstone {
  key: string;
  stamp: number;
  entity: EntityName;
  id: string;
  cascade: boolean;
}

interface Result {
  id: string;
  seq: number;
  status: "applied" | "conflict" | "rejected" | "failed";
  code: string | null;
  message: string | null;
  [key: string]: unknown;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

const TRANSITIONS: Record<string, string[]> = {
  received: ["in_progress"],
  in_progress: ["resolved"],
  resolved: ["informed", "in_progress"],
  informed: ["closed", "in_progress"],
  closed: ["in_progress"],
};

const T0 = "2026-11-25T00:00:00+00:00";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

function error(status: number, code: string, message = code): Response {
  return json(status, { error: { code, message, fields: {} } });
}

const PHOTO_PATH = /^\/api\/v1\/visits\/([^/]+)\/photos\/([^/]+)$/;
const encode = (value: unknown) => btoa(JSON.stringify(value)); // cursors are ASCII
const decode = (text: string) => JSON.parse(atob(text)) as Record<string, unknown>;

export class FakeServer {
  userId = "00000000-0000-4000-8000-000000000001";
  csrfToken = "csrf-1";
  signedIn = true;
  supportedSchema = [2];
  epoch = "epoch-1";
  /** The next stamp; the watermark (every stamp below it is finished). */
  clock = 1;
  rows = new Map<string, Stored>();
  tombstones: Tombstone[] = [];
  /** Customers that left the user's scope. */
  hidden = new Set<string>();
  devices = new Map<string, { user: string; lastSeq: number }>();
  stored = new Map<string, { mutationId: string; result: Result }>();
  /** How many times each mutation id changed the data: exactly once is the promise. */
  applications = new Map<string, number>();
  /** Answers to lose after the request was processed (the network dropped them). */
  dropAnswers = 0;
  /** Statuses to answer with, without processing, one per request. */
  failures: { status: number; code: string }[] = [];
  /** Mutation names that crash (a server bug, not a refusal) until removed. */
  crashing = new Set<string>();
  /** Unexpected failures per device and seq, as server/sync/push.py counts them. */
  attempts = new Map<string, number>();
  log: { method: string; path: string }[] = [];
  /** What GET /reviews/me answers ("My numbers"); tests change it. */
  numbers: MyNumbers = sampleNumbers();
  /** GET /reviews/me answers 503 this many more times (the sync itself is unaffected). */
  numbersFailures = 0;
  /** Photos stored, by id (PUT /visits/{visit}/photos/{id}): the same id is stored once. */
  photos = new Map<string, { visit_id: string; bytes: number }>();

  // --- data ------------------------------------------------------------------------

  /** One writing transaction: every row it writes gets this stamp. */
  tick(): number {
    return this.clock++;
  }

  put(entity: EntityName, row: Row, stamp = this.tick()): Row {
    this.rows.set(`${entity}:${row.id}`, { entity, row: structuredClone(row), stamp });
    return row;
  }

  get(entity: EntityName, id: string): Row | undefined {
    const stored = this.rows.get(`${entity}:${id}`);
    return stored ? structuredClone(stored.row) : undefined;
  }

  /** Change a row as another device or the back office would: a new version and stamp. */
  update(
    entity: EntityName,
    id: string,
    changes: Record<string, unknown>,
    stamp = this.tick(),
  ): Row {
    const row = this.get(entity, id);
    if (!row) throw new Error(`no ${entity} ${id}`);
    const next = { ...row, ...changes, version: Number(row.version ?? 0) + 1, updated_at: T0 };
    return this.put(entity, next, stamp);
  }

  remove(entity: EntityName, id: string): void {
    this.rows.delete(`${entity}:${id}`);
    const stamp = this.tick();
    this.tombstones.push({ key: `t${stamp}`, stamp, entity, id, cascade: entity === "customers" });
  }

  /** The customer is reassigned to another manager: it leaves this user's scope. */
  reassignAway(customerId: string): void {
    this.hidden.add(customerId);
    const stamp = this.tick();
    this.tombstones.push({
      key: `t${stamp}`,
      stamp,
      entity: "customers",
      id: customerId,
      cascade: true,
    });
    // The user's own tasks of it stay in scope: served again after the cascading delete.
    for (const stored of [...this.rows.values()]) {
      if (
        stored.entity === "tasks" &&
        stored.row.customer_id === customerId &&
        stored.row.owner_id === this.userId
      ) {
        this.put("tasks", stored.row, stamp);
      }
    }
  }

  /** A restore from backup: every cursor must start again. */
  newEpoch(): void {
    this.epoch = `epoch-${this.clock}`;
  }

  private customerOf(stored: Stored): string | null {
    const row = stored.row;
    if (stored.entity === "customers") return row.id;
    if (stored.entity === "visit_revisions")
      return (this.get("visits", String(row.visit_id))?.customer_id as string) ?? null;
    if (stored.entity === "complaint_events")
      return (this.get("complaints", String(row.complaint_id))?.customer_id as string) ?? null;
    if (stored.entity === "sync_conflicts") return null; // the user's own, whatever the customer
    return typeof row.customer_id === "string" ? row.customer_id : null;
  }

  private visible(stored: Stored): boolean {
    if (stored.entity === "campaigns") {
      // In scope through its targets (server/sync/pull.py `_targeting`).
      return [...this.rows.values()].some(
        (other) =>
          other.entity === "campaign_targets" &&
          other.row.campaign_id === stored.row.id &&
          this.visible(other),
      );
    }
    const customer = this.customerOf(stored);
    if (customer !== null && this.hidden.has(customer)) {
      // The user's own tasks stay in scope.
      return stored.entity === "tasks" && stored.row.owner_id === this.userId;
    }
    return true;
  }

  /** What a device of the user should hold now: entity -> id -> row. */
  scope(): Map<EntityName, Map<string, Row>> {
    const view = new Map<EntityName, Map<string, Row>>(
      ENTITY_NAMES.map((name) => [name, new Map()]),
    );
    for (const stored of this.rows.values()) {
      if (this.visible(stored))
        view.get(stored.entity)!.set(stored.row.id, structuredClone(stored.row));
    }
    return view;
  }

  // --- HTTP ------------------------------------------------------------------------

  fetch: FetchLike = async (input, init = {}) => {
    const url = new URL(input, "http://fieldbook.test");
    const method = init.method ?? "GET";
    this.log.push({ method, path: url.pathname });
    const failure = this.failures.shift();
    if (failure) return error(failure.status, failure.code);
    if (!this.signedIn) return error(401, "unauthorized");
    let response: Response;
    if (url.pathname === "/api/v1/auth/me") response = json(200, { csrf_token: this.csrfToken });
    else if (url.pathname === "/api/v1/sync/pull" && method === "GET")
      response = this.pull(url.searchParams);
    else if (url.pathname === "/api/v1/sync/push" && method === "POST") {
      const headers = new Headers(init.headers);
      if (headers.get("X-CSRF-Token") !== this.csrfToken) return error(403, "csrf_failed");
      response = this.push(JSON.parse(String(init.body)) as PushBody);
    } else if (PHOTO_PATH.test(url.pathname) && method === "PUT") {
      const headers = new Headers(init.headers);
      if (headers.get("X-CSRF-Token") !== this.csrfToken) return error(403, "csrf_failed");
      const [, visitId, photoId] = PHOTO_PATH.exec(url.pathname)!;
      response = await this.storePhoto(visitId!, photoId!, init.body as Blob);
    } else if (url.pathname === "/api/v1/reviews/me" && method === "GET") {
      if (this.numbersFailures > 0) {
        this.numbersFailures -= 1;
        return error(503, "unavailable");
      }
      response = json(200, this.numbers);
    } else response = error(404, "not_found");
    if (this.dropAnswers > 0) {
      this.dropAnswers -= 1;
      throw new TypeError("Failed to fetch");
    }
    return response;
  };

  private async storePhoto(visitId: string, photoId: string, body: Blob): Promise<Response> {
    const stored = this.rows.get(`visits:${visitId}`);
    if (!stored || !this.visible(stored)) return error(404, "not_found");
    const answer = (status: number) =>
      json(status, {
        id: photoId,
        visit_id: visitId,
        url: `/api/v1/photos/${photoId}`,
        thumbnail_url: `/api/v1/photos/${photoId}/thumbnail`,
      });
    if (this.photos.has(photoId)) return answer(200);
    this.photos.set(photoId, { visit_id: visitId, bytes: (await body.arrayBuffer()).byteLength });
    return answer(201);
  }

  private device(id: string): { user: string; lastSeq: number } | Response {
    let device = this.devices.get(id);
    if (!device) this.devices.set(id, (device = { user: this.userId, lastSeq: 0 }));
    if (device.user !== this.userId) return error(403, "device_mismatch");
    return device;
  }

  // --- pull ------------------------------------------------------------------------

  private pull(params: URLSearchParams): Response {
    if (!this.supportedSchema.includes(Number(params.get("schema_version") ?? 1)))
      return error(426, "upgrade_required");
    const device = this.device(String(params.get("device_id")));
    if (device instanceof Response) return device;
    const limit = Number(params.get("limit") ?? 500);
    const raw = params.get("cursor");
    let at: { e: string; lo: number; hi: number | null; k: [number, string] | null };
    if (raw === null) at = { e: this.epoch, lo: 0, hi: null, k: null };
    else {
      try {
        at = decode(raw) as typeof at;
      } catch {
        return error(410, "reset_required");
      }
      if (at.e !== this.epoch || (at.hi ?? at.lo) > this.clock) return error(410, "reset_required");
    }
    const answer = (changes: PullChange[], cursor: typeof at, hasMore: boolean) =>
      json(200, {
        changes,
        cursor: encode(cursor),
        has_more: hasMore,
        last_acknowledged_seq: device.lastSeq,
        server_time: T0,
      });
    if (at.hi === null) {
      if (at.lo === this.clock && raw !== null) return answer([], at, false);
      at = { ...at, hi: this.clock, k: null };
    }
    const { lo, hi } = at as { lo: number; hi: number };
    // The round's items in a fixed order: upserts by table then id, tombstones last.
    const items: { key: [number, string]; change: PullChange }[] = [];
    for (const stored of this.rows.values()) {
      if (stored.stamp < lo || stored.stamp >= hi || !this.visible(stored)) continue;
      items.push({
        key: [ENTITY_NAMES.indexOf(stored.entity), stored.row.id],
        change: {
          entity: stored.entity,
          op: "upsert",
          id: stored.row.id,
          row: structuredClone(stored.row),
        },
      });
    }
    for (const t of this.tombstones) {
      if (t.stamp < lo || t.stamp >= hi) continue;
      const change: PullChange = { entity: t.entity, op: "delete", id: t.id };
      if (t.cascade) change.cascade = true;
      // Customers leaving come first (the server's "leaving" stream), other deletions last.
      items.push({ key: [t.cascade ? -1 : ENTITY_NAMES.length, t.key.padStart(12, "0")], change });
    }
    const order = (a: [number, string], b: [number, string]) =>
      a[0] - b[0] || a[1].localeCompare(b[1]);
    items.sort((a, b) => order(a.key, b.key));
    const after = at.k;
    const rest = after === null ? items : items.filter((item) => order(item.key, after) > 0);
    const page = rest.slice(0, limit);
    if (rest.length > limit)
      return answer(
        page.map((i) => i.change),
        { ...at, k: page[page.length - 1]!.key },
        true,
      );
    return answer(
      page.map((i) => i.change),
      { e: this.epoch, lo: hi, hi: null, k: null },
      false,
    );
  }

  // --- push ------------------------------------------------------------------------

  private push(body: PushBody): Response {
    if (!this.supportedSchema.includes(body.schema_version)) return error(426, "upgrade_required");
    const device = this.device(body.device_id);
    if (device instanceof Response) return device;
    const results: Result[] = body.mutations.map(() => ({}) as Result);
    const order = body.mutations
      .map((_, i) => i)
      .sort((a, b) => body.mutations[a]!.seq - body.mutations[b]!.seq);
    // A batch must follow on from the last seq received (409 seq_gap otherwise).
    let expected = device.lastSeq + 1;
    for (const seq of [...new Set(body.mutations.map((m) => m.seq))].sort((a, b) => a - b)) {
      if (seq <= device.lastSeq) continue;
      if (seq !== expected)
        return json(409, {
          error: {
            code: "seq_gap",
            message: `the next change expected is number ${expected}`,
            fields: {},
            expected_seq: expected,
            last_acknowledged_seq: device.lastSeq,
          },
        });
      expected += 1;
    }
    for (const index of order) {
      const m = body.mutations[index]!;
      const key = `${body.device_id}:${m.seq}`;
      const stored = this.stored.get(key);
      if (m.seq <= device.lastSeq && stored) {
        if (stored.mutationId !== m.id)
          results[index] = {
            id: m.id,
            seq: m.seq,
            status: "rejected",
            http_status: 409,
            code: "seq_reused",
            message: "seq reused",
            fields: {},
          };
        else results[index] = structuredClone(stored.result);
        continue;
      }
      // New, or failed before and tried again.
      const result = this.crashing.has(m.name) ? this.crash(key, m) : this.apply(m);
      if (result.status !== "failed")
        this.stored.set(key, { mutationId: m.id, result: structuredClone(result) });
      device.lastSeq = Math.max(device.lastSeq, m.seq);
      results[index] = result;
    }
    return json(200, { results, last_acknowledged_seq: device.lastSeq });
  }

  private crash(key: string, m: PushMutation): Result {
    const attempts = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempts);
    const gaveUp = attempts >= 3;
    return {
      id: m.id,
      seq: m.seq,
      status: gaveUp ? "rejected" : "failed",
      http_status: 500,
      code: gaveUp ? "mutation_failed" : "server_error",
      message: gaveUp ? "kept for an administrator" : "will be tried again",
      fields: {},
      retryable: !gaveUp,
      attempts,
    };
  }

  private apply(m: PushMutation): Result {
    const snapshot = {
      rows: new Map(this.rows),
      tombstones: [...this.tombstones],
      clock: this.clock,
    };
    try {
      const { entity, row, conflicts, unchanged } = this.run(m);
      if (!unchanged) this.applications.set(m.id, (this.applications.get(m.id) ?? 0) + 1);
      const result: Result = {
        id: m.id,
        seq: m.seq,
        status: conflicts.length ? "conflict" : "applied",
        code: conflicts.length ? "field_conflict" : null,
        message: conflicts.length ? "Someone else changed it too." : null,
        entity,
        record: row,
      };
      if (conflicts.length) result.conflicts = conflicts;
      return result;
    } catch (err) {
      // The savepoint: a refused mutation changes nothing.
      Object.assign(this, snapshot);
      if (!(err instanceof Refusal)) throw err;
      return {
        id: m.id,
        seq: m.seq,
        status: "rejected",
        http_status: err.status,
        code: err.code,
        message: err.message,
        fields: err.fields,
      };
    }
  }

  private visibleRow(entity: EntityName, id: string): Row {
    const stored = this.rows.get(`${entity}:${id}`);
    if (!stored || !this.visible(stored))
      throw new Refusal(404, "not_found", `${entity} not found`);
    return structuredClone(stored.row);
  }

  private run(m: PushMutation): {
    entity: EntityName;
    row: Row;
    conflicts: Row[];
    unchanged?: boolean;
  } {
    // Checking `name` narrows `a` to that mutation's arguments (src/mutations.ts).
    const { name, args: a } = m;
    const stamp = this.tick();
    const create = (entity: EntityName, make: () => Row) => {
      // A retried create (its answer lost) answers with the existing record.
      const existing = this.get(entity, a.id);
      return {
        entity,
        row: existing ?? this.put(entity, make(), stamp),
        conflicts: [],
        unchanged: !!existing,
      };
    };
    switch (name) {
      case "log_visit": {
        this.visibleRow("customers", a.customer_id);
        if (this.get("visits", a.id)) return create("visits", () => ({ id: a.id }));
        let plan: Row | undefined;
        if (typeof a.plan_id === "string") {
          plan = this.get("care_plans", a.plan_id);
          if (!plan || plan.customer_id !== a.customer_id)
            throw new Refusal(422, "validation_error", "Some fields are invalid: plan_id.", {
              plan_id: ["This customer has no plan with this id."],
            });
        }
        const purpose = a.purpose ?? (plan?.purpose as string | undefined);
        if (!purpose)
          throw new Refusal(422, "validation_error", "Some fields are invalid: purpose.", {
            purpose: ["Missing data for required field (no plan to take it from)."],
          });
        // Left out: the plan the visit fulfils (plans/services.py `matching_plan`).
        if (!("plan_id" in a)) plan = this.matchingPlan(a.customer_id, purpose, a.started_at);
        if (plan) this.completePlan(String(plan.id), a.started_at, stamp);
        return create("visits", () => ({
          id: a.id,
          customer_id: a.customer_id,
          manager_id: this.userId,
          plan_id: plan?.id ?? null,
          channel: a.channel,
          purpose,
          started_at: a.started_at,
          ended_at: a.ended_at ?? null,
          latitude: null,
          longitude: null,
          accuracy_m: null,
          location_age_s: null,
          location_status: "not_applicable",
          outcome: a.outcome ?? null,
          notes: a.notes ?? null,
          products_discussed: a.products_discussed ?? [],
          customer_response: a.customer_response ?? null,
          privileges_explained: a.privileges_explained ?? false,
          next_step: a.next_step ?? null,
          time_flag: null,
          version: 1,
          created_at: T0,
          updated_at: T0,
        }));
      }
      case "create_task":
        return create("tasks", () => ({
          id: a.id,
          owner_id: a.owner_id ?? this.userId,
          customer_id: a.customer_id ?? null,
          title: a.title,
          notes: a.notes ?? null,
          due_date: a.due_date ?? null,
          status: "open",
          completed_at: null,
          source_visit_id: null,
          source_complaint_id: a.source_complaint_id ?? null,
          created_by_id: this.userId,
          version: 1,
          created_at: T0,
          updated_at: T0,
        }));
      case "log_complaint": {
        const customer = this.visibleRow("customers", a.customer_id);
        const category = [...this.rows.values()].find(
          (s) => s.entity === "complaint_categories" && s.row.code === a.category,
        );
        if (!category)
          throw new Refusal(422, "validation_error", "Some fields are invalid: category.", {
            category: ["Unknown category."],
          });
        return create("complaints", () => ({
          id: a.id,
          customer_id: a.customer_id,
          owner_id: customer.manager_id,
          category_id: category.row.id,
          severity: a.severity,
          intake_channel: a.intake_channel,
          description: a.description,
          received_at: a.received_at ?? m.client_time,
          deadline_at: T0,
          status: "received",
          resolution: null,
          satisfaction: null,
          resolved_at: null,
          closed_at: null,
          reopen_count: 0,
          time_flag: null,
          logged_by_id: this.userId,
          visit_id: a.visit_id ?? null,
          version: 1,
          created_at: T0,
          updated_at: T0,
        }));
      }
      case "transition_complaint": {
        const complaint = this.visibleRow("complaints", a.id);
        const from = String(complaint.status);
        const to = a.to;
        if (!TRANSITIONS[from]?.includes(to))
          throw new Refusal(
            409,
            "illegal_transition",
            `A complaint cannot go from ${from} to ${to}.`,
          );
        const changes: Record<string, unknown> = { status: to };
        if (to === "resolved")
          Object.assign(changes, { resolution: a.resolution ?? null, resolved_at: T0 });
        if (to === "closed")
          Object.assign(changes, { satisfaction: a.satisfaction ?? null, closed_at: T0 });
        return {
          entity: "complaints",
          row: this.update("complaints", a.id, changes, stamp),
          conflicts: [],
        };
      }
      case "complete_task":
        this.visibleRow("tasks", a.id);
        return {
          entity: "tasks",
          row: this.update("tasks", a.id, { status: "done", completed_at: T0 }, stamp),
          conflicts: [],
        };
      case "create_plan":
        this.visibleRow("customers", a.customer_id);
        return create("care_plans", () => ({
          id: a.id,
          customer_id: a.customer_id,
          owner_id: this.userId,
          purpose: a.purpose,
          channel: a.channel,
          title: a.title ?? a.purpose,
          notes: a.notes ?? null,
          due_from: a.due_from,
          due_to: a.due_to,
          status: "planned",
          generation_key: null,
          completed_at: null,
          skip_reason: null,
          skip_note: null,
          created_by_id: this.userId,
          version: 1,
          created_at: T0,
          updated_at: T0,
        }));
      case "update_plan": {
        // As plans/services.py: a skip cancels the plan; "other" needs the note.
        const changes: Record<string, unknown> = { ...a.changes };
        if (changes.skip_reason === "other" && !changes.skip_note)
          throw new Refusal(422, "validation_error", "Some fields are invalid: skip_note.", {
            skip_note: ["Say why the plan is skipped."],
          });
        if (changes.skip_reason) changes.status = "cancelled";
        return this.merge(m, "care_plans", a.id, changes, a.base ?? {}, stamp);
      }
      case "update_task":
      case "update_customer_profile":
      case "answer_warning": {
        const entity: EntityName =
          name === "update_task"
            ? "tasks"
            : name === "answer_warning"
              ? "churn_warnings"
              : "customers";
        const changes: Record<string, unknown> =
          name === "answer_warning"
            ? { cause_analysis: a.cause_analysis, retention_plan: a.retention_plan }
            : a.changes;
        return this.merge(m, entity, a.id, changes, a.base ?? {}, stamp);
      }
      case "record_campaign_outcome": {
        const target = this.visibleRow("campaign_targets", a.id);
        const campaign = this.get("campaigns", String(target.campaign_id));
        if (campaign?.status !== "launched")
          throw new Refusal(
            409,
            "campaign_closed",
            `This campaign is ${String(campaign?.status)}: outcomes can no longer change.`,
          );
        // Checked as the server does, whatever the client's types promised.
        const raw = a as Record<string, unknown>;
        const fields: Record<string, string[]> = {};
        if (a.outcome === "contracted") {
          const months = raw.contract_months;
          if (typeof months !== "number" || !Number.isInteger(months) || months < 1 || months > 120)
            fields.contract_months = ["How many months the contract runs."];
        } else if (raw.contract_months != null) fields.contract_months = ["Only for a contract."];
        if (a.outcome === "declined") {
          if (!raw.decline_reason) fields.decline_reason = ["Say why the customer declined."];
        } else if (raw.decline_reason != null)
          fields.decline_reason = ["Only when the customer declined."];
        if (Object.keys(fields).length)
          throw new Refusal(
            422,
            "validation_error",
            `Some fields are invalid: ${Object.keys(fields).join(", ")}.`,
            fields,
          );
        const at = a.outcome_at ?? m.client_time;
        const row = this.update(
          "campaign_targets",
          a.id,
          {
            outcome: a.outcome,
            contract_months: raw.contract_months ?? null,
            decline_reason: raw.decline_reason ?? null,
            outcome_at: at,
            time_flag: null,
            recorded_by_id: this.userId,
          },
          stamp,
        );
        if (a.outcome !== "not_reached" && typeof target.plan_id === "string")
          this.completePlan(target.plan_id, at, stamp);
        return { entity: "campaign_targets", row, conflicts: [] };
      }
      case "resolve_conflict":
        return {
          entity: "sync_conflicts",
          row: this.update(
            "sync_conflicts",
            a.id,
            { status: "resolved", resolution: a.choice },
            stamp,
          ),
          conflicts: [],
        };
      default:
        throw new Refusal(
          422,
          "unknown_mutation",
          `This server does not know the change '${m.name}'.`,
        );
    }
  }

  /** The open plan a contact on the local day of `startedAt` fulfils, as the server picks it. */
  matchingPlan(customerId: string, purpose: string, startedAt: string): Row | undefined {
    const day = startedAt.slice(0, 10); // the phone's wall-clock date, with its offset
    const open = [...this.rows.values()]
      .filter(
        (s) =>
          s.entity === "care_plans" &&
          s.row.customer_id === customerId &&
          s.row.purpose === purpose &&
          (s.row.status === "planned" || s.row.status === "missed") &&
          String(s.row.due_from) <= day,
      )
      .map((s) => s.row);
    const key = (p: Row) => [String(p.due_to), String(p.due_from), p.id];
    open.sort((x, y) => {
      const [a, b] = [key(x), key(y)];
      for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
      return 0;
    });
    return open[0] ? structuredClone(open[0]) : undefined;
  }

  /** plans/services.py `complete_plan`: only an open plan is completed. */
  private completePlan(id: string, at: string, stamp: number): void {
    const plan = this.get("care_plans", id);
    if (plan && (plan.status === "planned" || plan.status === "missed"))
      this.update("care_plans", id, { status: "done", completed_at: at }, stamp);
  }

  /** docs/sync.md "Conflicts lose nothing", field by field. */
  private merge(
    m: PushMutation,
    entity: EntityName,
    id: string,
    changes: Record<string, unknown>,
    base: Record<string, unknown>,
    stamp: number,
  ) {
    const row = this.visibleRow(entity, id);
    const same = (x: unknown, y: unknown) =>
      JSON.stringify(x ?? null) === JSON.stringify(y ?? null);
    let wanted: Record<string, unknown> = {};
    const lost: Record<string, unknown> = {};
    if (m.base_version !== null && m.base_version === row.version) wanted = { ...changes };
    else {
      for (const [name, mine] of Object.entries(changes)) {
        const current = row[name];
        if (name in base && same(base[name], mine)) continue;
        if (same(current, mine)) continue;
        wanted[name] = mine;
        if (!(name in base && same(base[name], current))) lost[name] = current;
      }
    }
    const updated = Object.keys(wanted).length ? this.update(entity, id, wanted, stamp) : row;
    const conflicts = Object.entries(lost).map(([field, value]) =>
      this.put(
        "sync_conflicts",
        {
          id: crypto.randomUUID(),
          kind: "field",
          entity,
          row_id: id,
          customer_id: row.customer_id ?? null,
          user_id: this.userId,
          device_id: null,
          mutation_id: m.id,
          mutation_name: m.name,
          field,
          base_value: base[field] ?? null,
          kept_value: wanted[field],
          lost_value: value,
          args: null,
          status: "open",
          created_at: T0,
          resolved_at: null,
          resolved_by_id: null,
          resolution: null,
          version: 1,
        },
        stamp,
      ),
    );
    return { entity, row: updated, conflicts };
  }
}

// --- a portfolio -----------------------------------------------------------------

export const TIER_GOLD = "10000000-0000-4000-8000-000000000001";
export const CATEGORY_BILLING = "20000000-0000-4000-8000-000000000001";

const uuid = (prefix: string, n: number) =>
  `${prefix}-0000-4000-8000-${String(n).padStart(12, "0")}`;
export const customerId = (n: number) => uuid("30000000", n);
export const taskId = (n: number) => uuid("40000000", n);
export const contactId = (n: number) => uuid("50000000", n);
export const visitId = (n: number) => uuid("60000000", n);
export const revisionId = (n: number) => uuid("61000000", n);
export const warningId = (n: number) => uuid("70000000", n);
export const complaintId = (n: number) => uuid("80000000", n);
export const planId = (n: number) => uuid("90000000", n);
export const campaignId = (n: number) => uuid("a0000000", n);
export const targetId = (n: number) => uuid("b0000000", n);

/** A care plan of customer `customer` (open, routine, due 2026-11-20..2026-11-30 by default). */
export function seedPlan(
  server: FakeServer,
  n: number,
  customer: number,
  fields: Record<string, unknown> = {},
): Row {
  return server.put("care_plans", {
    id: planId(n),
    customer_id: customerId(customer),
    owner_id: server.userId,
    purpose: "routine",
    channel: "phone",
    title: `计划${n}`,
    notes: null,
    due_from: "2026-11-20",
    due_to: "2026-11-30",
    status: "planned",
    generation_key: null,
    completed_at: null,
    created_by_id: null,
    version: 1,
    created_at: T0,
    updated_at: T0,
    ...fields,
  });
}

/**
 * Campaign `n` (launched unless `status` says otherwise) targeting `customers`, each
 * target `targetId(n * 100 + customer)` with a marketing plan `planId(n * 100 + customer)`,
 * as a launch makes them (campaigns/services.py).
 */
export function seedCampaign(
  server: FakeServer,
  n: number,
  customers: number[],
  status: "launched" | "closed" = "launched",
): void {
  const stamp = server.tick();
  server.put(
    "campaigns",
    {
      id: campaignId(n),
      name: `Campaign ${n}`,
      kind: "privilege",
      offer: "Double data for a year",
      segment: {},
      team_id: null,
      starts_on: "2026-11-01",
      ends_on: "2026-12-31",
      status,
      created_by_id: null,
      launched_at: T0,
      launched_by_id: null,
      closed_at: status === "closed" ? T0 : null,
      version: 1,
      created_at: T0,
      updated_at: T0,
    },
    stamp,
  );
  for (const c of customers) {
    const plan = seedPlan(server, n * 100 + c, c, {
      purpose: "marketing",
      title: `Campaign ${n}`,
      due_from: "2026-11-01",
      due_to: "2026-12-31",
      generation_key: `campaign:${campaignId(n)}`,
    });
    server.put(
      "campaign_targets",
      {
        id: targetId(n * 100 + c),
        campaign_id: campaignId(n),
        customer_id: customerId(c),
        plan_id: plan.id,
        outcome: null,
        contract_months: null,
        decline_reason: null,
        outcome_at: null,
        time_flag: null,
        recorded_by_id: null,
        version: 1,
        created_at: T0,
        updated_at: T0,
      },
      stamp,
    );
  }
}

/** Reference data, the user, and `customers` customers each with a contact, a task and a visit. */
export function seedPortfolio(server: FakeServer, customers = 3): void {
  const stamp = server.tick();
  const base = { version: 1, created_at: T0, updated_at: T0 };
  server.put(
    "tiers",
    {
      id: TIER_GOLD,
      code: "gold",
      name_zh: "黄金",
      name_en: "Gold",
      rank: 5,
      contact_interval_days: 60,
      complaint_response_hours: 48,
      ...base,
    },
    stamp,
  );
  server.put(
    "complaint_categories",
    {
      id: CATEGORY_BILLING,
      code: "billing",
      name_zh: "计费",
      name_en: "Billing",
      active: true,
      ...base,
    },
    stamp,
  );
  server.put(
    "users",
    {
      id: server.userId,
      username: "li",
      display_name: "李经理",
      role: "manager",
      team_id: null,
      phone: null,
      active: true,
      ...base,
    },
    stamp,
  );
  for (let n = 1; n <= customers; n++) {
    server.put(
      "customers",
      {
        id: customerId(n),
        external_no: `C${n}`,
        kind: "individual",
        name: `客户${n}`,
        phone: `1380000${String(n).padStart(4, "0")}`,
        phone2: null,
        email: null,
        gender: null,
        birthday: null,
        birthday_lunar: false,
        address: null,
        employer: null,
        position: null,
        industry: null,
        interests: null,
        plan_name: null,
        products: [],
        special_dates: [],
        ported_in: false,
        activation_date: null,
        contract_end_date: null,
        notes: null,
        latitude: null,
        longitude: null,
        tier_id: TIER_GOLD,
        stage: "maturity",
        manager_id: server.userId,
        assigned_at: T0,
        ...base,
      },
      stamp,
    );
    server.put(
      "contacts",
      {
        id: contactId(n),
        customer_id: customerId(n),
        name: `联系人${n}`,
        title: null,
        phone: null,
        email: null,
        is_decision_maker: false,
        birthday: null,
        ...base,
      },
      stamp,
    );
    server.put(
      "tasks",
      {
        id: taskId(n),
        owner_id: server.userId,
        customer_id: customerId(n),
        title: `回访${n}`,
        notes: null,
        due_date: "2026-11-25",
        status: "open",
        completed_at: null,
        source_visit_id: null,
        source_complaint_id: null,
        created_by_id: server.userId,
        ...base,
      },
      stamp,
    );
    server.put(
      "visits",
      {
        id: visitId(n),
        customer_id: customerId(n),
        manager_id: server.userId,
        plan_id: null,
        channel: "phone",
        purpose: "routine",
        started_at: T0,
        ended_at: null,
        latitude: null,
        longitude: null,
        accuracy_m: null,
        location_age_s: null,
        location_status: "not_applicable",
        outcome: null,
        notes: "first call",
        products_discussed: [],
        customer_response: null,
        next_step: null,
        time_flag: null,
        ...base,
      },
      stamp,
    );
    server.put(
      "visit_revisions",
      {
        id: revisionId(n),
        visit_id: visitId(n),
        editor_id: server.userId,
        at: T0,
        changes: { notes: { old: "", new: "first call" } },
      },
      stamp,
    );
  }
}

function figure(
  code: string,
  unit: IndicatorFigure["unit"],
  value: number | null,
  details: Record<string, unknown> = {},
): IndicatorFigure {
  return { code, unit, value, numerator: value ?? 0, denominator: value === null ? 0 : 1, details };
}

/**
 * A manager's numbers as GET /reviews/me sends them (server/reviews/schemas.py
 * `MyNumbersSchema`), keys in the server's sorted order: routine care and offers with
 * data this period, greetings without; satisfaction from 2 answers; no score last period.
 */
export function sampleNumbers(): MyNumbers {
  const period = (id: string | null, name: string, starts: string, ends: string) => ({
    id,
    name,
    starts_on: starts,
    ends_on: ends,
  });
  const noData = (code: string, unit: IndicatorFigure["unit"] = "ratio") =>
    figure(code, unit, null);
  return {
    show_rank: false,
    current: {
      period: period(null, "2026-11", "2026-11-01", "2026-11-30"),
      as_of: "2026-11-25T00:00:00+00:00",
      figures: {
        complaints_on_time: noData("complaints_on_time"),
        contact_coverage: figure("contact_coverage", "ratio", 0.25, {
          by_tier: { gold: { covered: 1, customers: 4 } },
        }),
        customers_retained: noData("customers_retained"),
        greetings_on_time: noData("greetings_on_time"),
        offer_participation: figure("offer_participation", "ratio", 1),
        open_warnings: figure("open_warnings", "count", 1, { mean_age_days: 2.5 }),
        overdue_tasks: figure("overdue_tasks", "count", 0),
        privilege_awareness: figure("privilege_awareness", "ratio", 0.25),
        retention_contract_rate: noData("retention_contract_rate"),
        routine_care: figure("routine_care", "ratio", 0.5),
        satisfaction: figure("satisfaction", "score", 4.5, { answers: { "4": 1, "5": 1 } }),
        value_retained: noData("value_retained"),
        warnings_kept: noData("warnings_kept"),
      },
      scores: {
        customers_retained: null,
        greetings_on_time: null,
        offer_participation: 13.2,
        privilege_awareness: 0,
        retention_contract_rate: null,
        routine_care: 0,
        satisfaction: 18,
        value_retained: null,
      },
      score: 60,
      rank: null,
      team_size: null,
    },
    previous: {
      period: period(null, "2026-10", "2026-10-01", "2026-10-31"),
      as_of: "2026-11-01T00:00:00+08:00",
      figures: Object.fromEntries(
        [
          "complaints_on_time",
          "contact_coverage",
          "customers_retained",
          "greetings_on_time",
          "offer_participation",
          "privilege_awareness",
          "retention_contract_rate",
          "routine_care",
          "value_retained",
          "warnings_kept",
        ]
          .map((code) => [code, noData(code)])
          .concat([
            ["open_warnings", figure("open_warnings", "count", 0)],
            ["overdue_tasks", figure("overdue_tasks", "count", 0)],
            ["satisfaction", noData("satisfaction", "score")],
          ]),
      ) as Record<string, IndicatorFigure>,
      scores: {
        customers_retained: null,
        greetings_on_time: null,
        offer_participation: null,
        privilege_awareness: null,
        retention_contract_rate: null,
        routine_care: null,
        satisfaction: null,
        value_retained: null,
      },
      score: null,
      rank: null,
      team_size: null,
    },
    trend: [
      { month: "2026-06", score: null },
      { month: "2026-07", score: null },
      { month: "2026-08", score: null },
      { month: "2026-09", score: null },
      { month: "2026-10", score: null },
      { month: "2026-11", score: 60 },
    ],
  };
}
