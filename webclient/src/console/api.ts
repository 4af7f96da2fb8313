/**
 * The console's HTTP client: the only console module that calls `fetch` (or, for an
 * upload with progress, `XMLHttpRequest`). Online only: nothing is kept in browser
 * storage. Writes carry the session's CSRF token (from /auth/login or /auth/me), as
 * the phone's src/sync/api.ts does; a `csrf_failed` answer fetches it again once.
 */
import type {
  AccessEntry,
  AdminUser,
  Assignment,
  AssignResult,
  AtRisk,
  AuditEvent,
  FailedMutation,
  Campaign,
  CampaignInput,
  ChurnCombine,
  ChurnModelKind,
  ChurnRun,
  ChurnRunDetail,
  Category,
  CustomerDetail,
  CustomerQuery,
  CustomerRow,
  Device,
  ExportRecord,
  Funnel,
  HandoverResult,
  ImportResult,
  Job,
  ManagerDashboard,
  Page,
  Preview,
  Rebalance,
  Review,
  ReviewPeriod,
  ScorecardEntry,
  SessionAnswer,
  TeamDetail,
  TeamSummary,
  Tier,
  TrendPoint,
} from "./types";

/** Field messages as the API sends them: `{field: [message]}`, nested for lists. */
export type FieldErrors = Record<string, unknown>;

/**
 * A non-2xx answer: `{"error": {"code", "message", "fields"}}`; `details` is that whole
 * error object (`locked_until`, `retry_after`...).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
    readonly fields: FieldErrors = {},
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  get notFound(): boolean {
    return this.status === 404;
  }
}

/**
 * The messages for one field path ("name", "scorecard.2.weight") in an error's
 * `fields`, nested however marshmallow nested them; empty when there are none.
 */
export function fieldMessages(fields: FieldErrors | undefined, path: string): string[] {
  let node: unknown = fields ?? {};
  for (const part of path.split(".")) {
    if (node === null || typeof node !== "object") return [];
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node === "string") return [node];
  if (Array.isArray(node)) return node.filter((m): m is string => typeof m === "string");
  return [];
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;
export type Query = Record<string, string | number | boolean | null | undefined>;

/** `?a=1&b=x`, leaving out empty values (an unset filter is no filter). */
export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** What an upload reports while it goes: bytes sent of the total. */
export type UploadProgress = (sent: number, total: number) => void;

/** Sends a file as multipart/form-data and reports upload progress (fetch cannot). */
export type Uploader = (
  url: string,
  form: FormData,
  headers: Record<string, string>,
  onProgress: UploadProgress,
) => Promise<{ status: number; body: unknown }>;

export const xhrUpload: Uploader = (url, form, headers, onProgress) =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Accept", "application/json");
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // A proxy's error page: the status says enough.
      }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => reject(new TypeError("Network error"));
    xhr.send(form);
  });

function errorFrom(status: number, body: unknown): ApiError {
  const error = (
    body as {
      error?: { code?: string; message?: string; fields?: FieldErrors } & Record<string, unknown>;
    }
  )?.error;
  return new ApiError(
    status,
    error?.code ?? null,
    error?.message ?? `HTTP ${status}`,
    error?.fields ?? {},
    error ?? {},
  );
}

export class ConsoleApi {
  private csrf: string | null = null;

  constructor(
    private readonly fetchFn: FetchLike = (input, init) => fetch(input, init),
    private readonly uploader: Uploader = xhrUpload,
    readonly base = "/api/v1",
  ) {}

  // --- the session --------------------------------------------------------------------

  async login(username: string, password: string, remember: boolean): Promise<SessionAnswer> {
    const answer = await this.send<SessionAnswer>("POST", "/auth/login", {
      username,
      password,
      remember,
    });
    this.csrf = answer.csrf_token;
    return answer;
  }

  async me(): Promise<SessionAnswer> {
    const answer = await this.get<SessionAnswer>("/auth/me");
    this.csrf = answer.csrf_token;
    return answer;
  }

  /** Your own password; the server signs out your other devices and keeps this one. */
  changePassword = (currentPassword: string, newPassword: string) =>
    this.send<null>("POST", "/auth/password", {
      current_password: currentPassword,
      new_password: newPassword,
    });

  async logout(): Promise<void> {
    await this.send<null>("POST", "/auth/logout");
    this.csrf = null;
  }

  // --- teams, users, reference data ---------------------------------------------------

  teams = () => this.get<TeamSummary[]>("/teams");
  team = (id: string) => this.get<TeamDetail>(`/teams/${id}`);
  createTeam = (name: string) => this.send<TeamDetail>("POST", "/teams", { name });
  renameTeam = (id: string, name: string) =>
    this.send<TeamDetail>("PATCH", `/teams/${id}`, { name });
  deleteTeam = (id: string) => this.send<null>("DELETE", `/teams/${id}`);
  setShowRank = (teamId: string, show_rank: boolean) =>
    this.send<{ id: string; name: string; show_rank: boolean }>(
      "PATCH",
      `/reviews/teams/${teamId}`,
      { show_rank },
    );

  users = (query: Query = {}) => this.get<AdminUser[]>(`/users${queryString(query)}`);
  createUser = (body: Record<string, unknown>) => this.send<AdminUser>("POST", "/users", body);
  updateUser = (id: string, body: Record<string, unknown>) =>
    this.send<{ user: AdminUser; warnings: { code: string; count: number }[] }>(
      "PATCH",
      `/users/${id}`,
      body,
    );
  resetPassword = (id: string, password: string) =>
    this.send<null>("POST", `/users/${id}/password`, { password });
  unlockUser = (id: string) => this.send<AdminUser>("POST", `/users/${id}/unlock`);
  devices = (userId: string) => this.get<Device[]>(`/users/${userId}/devices`);
  revokeDevice = (userId: string, deviceId: string) =>
    this.send<null>("DELETE", `/users/${userId}/devices/${deviceId}`);

  tiers = () => this.get<Tier[]>("/tiers");
  updateTier = (id: string, body: Partial<Tier>) => this.send<Tier>("PATCH", `/tiers/${id}`, body);
  /** Active categories; `all`: the retired ones too (admins). */
  categories = async (all = false) =>
    (
      await this.get<{ items: Category[] }>(
        `/complaint-categories${queryString({ all: all || undefined })}`,
      )
    ).items;
  createCategory = (body: Omit<Category, "id" | "version">) =>
    this.send<Category>("POST", "/complaint-categories", body);
  updateCategory = (key: string, body: Partial<Omit<Category, "id" | "code">>) =>
    this.send<Category>("PATCH", `/complaint-categories/${key}`, body);

  // --- reviews ------------------------------------------------------------------------

  periods = () => this.get<ReviewPeriod[]>("/reviews/periods");
  createPeriod = (body: {
    name: string;
    starts_on: string;
    ends_on: string;
    scorecard?: ScorecardEntry[];
  }) => this.send<ReviewPeriod>("POST", "/reviews/periods", body);
  updatePeriod = (id: string, body: Partial<ReviewPeriod>) =>
    this.send<ReviewPeriod>("PATCH", `/reviews/periods/${id}`, body);
  review = (query: Query) => this.get<Review>(`/reviews${queryString(query)}`);
  trend = (query: Query) =>
    this.get<{ points: TrendPoint[] }>(`/reviews/trend${queryString(query)}`);
  exportReview = (body: Record<string, unknown>) =>
    this.send<Job>("POST", "/reviews/exports", body);
  exports = () => this.get<ExportRecord[]>("/reviews/exports");

  // --- dashboard (NEW) ----------------------------------------------------------------

  managerDashboard = (id: string) => this.get<ManagerDashboard>(`/dashboard/managers/${id}`);
  atRisk = (teamId?: string) =>
    this.get<AtRisk>(`/dashboard/at-risk${queryString({ team_id: teamId })}`);

  // --- customers and assignment -------------------------------------------------------

  customers = (query: CustomerQuery) =>
    this.get<Page<CustomerRow>>(`/customers${queryString(query as Query)}`);
  assignments = (customerId: string) =>
    this.get<Assignment[]>(`/customers/${customerId}/assignments`);
  /** The profile, masked for leads and admins (the view is on the access log). */
  customer = (id: string) => this.get<CustomerDetail>(`/customers/${id}`);
  /** The profile in full, once (leads, admins); recorded on the access log. */
  revealCustomer = (id: string) => this.send<CustomerDetail>("POST", `/customers/${id}/reveal`);
  /** All that is held about one customer (admins): a PIPL access request. */
  personalData = (id: string) =>
    this.get<Record<string, unknown>>(`/customers/${id}/personal-data`);
  /** Erase the customer's personal data (admins); `confirm`: its number, typed. */
  eraseCustomer = (id: string, confirm: string) =>
    this.send<CustomerDetail>("POST", `/customers/${id}/erase`, { confirm });
  accessLog = (query: Query) => this.get<Page<AccessEntry>>(`/access-log${queryString(query)}`);
  assign = (body: {
    customer_ids: string[];
    manager_id: string | null;
    reason: string;
    dry_run: boolean;
  }) => this.send<AssignResult>("POST", "/customers/assign", body);
  reassign = (body: {
    moves: { customer_id: string; manager_id: string }[];
    reason: string;
    dry_run: boolean;
  }) => this.send<AssignResult>("POST", "/customers/reassign", body);
  handover = (teamId: string, body: { manager_id: string; reason: string; dry_run: boolean }) =>
    this.send<HandoverResult>("POST", `/teams/${teamId}/handover`, body);
  rebalance = (teamId: string) => this.send<Rebalance>("POST", `/teams/${teamId}/rebalance`, {});

  // --- campaigns and jobs -------------------------------------------------------------

  campaigns = (query: Query = {}) => this.get<Page<Campaign>>(`/campaigns${queryString(query)}`);
  campaign = (id: string) => this.get<Campaign>(`/campaigns/${id}`);
  createCampaign = (body: CampaignInput) => this.send<Campaign>("POST", "/campaigns", body);
  updateCampaign = (id: string, body: Partial<CampaignInput>) =>
    this.send<Campaign>("PATCH", `/campaigns/${id}`, body);
  preview = (id: string) => this.get<Preview>(`/campaigns/${id}/preview`);
  launch = (id: string) => this.send<Job>("POST", `/campaigns/${id}/launch`);
  closeCampaign = (id: string) => this.send<Campaign>("POST", `/campaigns/${id}/close`);
  funnel = (id: string) => this.get<Funnel>(`/campaigns/${id}/funnel`);
  job = (id: string) => this.get<Job>(`/jobs/${id}`);

  // --- imports ------------------------------------------------------------------------

  /** Upload a CSV (multipart `file`), reporting progress; 422 rejections throw ApiError. */
  async importCsv(
    kind: "customers" | "spend",
    file: Blob,
    filename: string,
    partial: boolean,
    onProgress: UploadProgress,
  ): Promise<ImportResult> {
    const form = new FormData();
    form.append("file", file, filename);
    const url = `${this.base}/imports/${kind}${queryString({ partial: partial || undefined })}`;
    const answer = await this.uploader(url, form, await this.csrfHeaders(), onProgress);
    if (answer.status < 200 || answer.status >= 300) throw errorFrom(answer.status, answer.body);
    return answer.body as ImportResult;
  }

  // --- audit trail (admins) -----------------------------------------------------------

  audit = (query: Query = {}) => this.get<Page<AuditEvent>>(`/audit${queryString(query)}`);

  // --- phone changes the server failed to apply (admins) ------------------------------

  syncFailed = (query: Query = {}) =>
    this.get<{ items: FailedMutation[] }>(`/sync/failed${queryString(query)}`);

  // --- the churn model (admins) ------------------------------------------------------

  churnRuns = (query: Query = {}) => this.get<Page<ChurnRun>>(`/churn/runs${queryString(query)}`);
  churnRun = (id: string) => this.get<ChurnRunDetail>(`/churn/runs/${id}`);
  /** Training as a job; a bad choice is a 422 naming the field. */
  trainChurn = (body: {
    members: ChurnModelKind[];
    combine: ChurnCombine;
    tree_depth: number;
    seed: number;
    window?: number;
  }) => this.send<Job>("POST", "/churn/train", body);
  /** Model warnings for the latest billed month (or `month`), as a job. */
  predictChurn = (month?: string) =>
    this.send<Job>("POST", "/churn/predict", month ? { month } : {});

  // --- plumbing -----------------------------------------------------------------------

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  /** A write: JSON body (if any) and the CSRF token; refetches the token once if refused. */
  async send<T>(method: "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
    try {
      return await this.request<T>(method, path, body, await this.csrfHeaders(path));
    } catch (err) {
      if (!(err instanceof ApiError && err.code === "csrf_failed")) throw err;
      this.csrf = null;
      return this.request<T>(method, path, body, await this.csrfHeaders(path));
    }
  }

  private async csrfHeaders(path = ""): Promise<Record<string, string>> {
    if (path === "/auth/login") return {};
    if (this.csrf === null) await this.me();
    return this.csrf ? { "X-CSRF-Token": this.csrf } : {};
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const init: RequestInit = {
      method,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        ...headers,
      },
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await this.fetchFn(`${this.base}${path}`, init);
    if (!response.ok) {
      let parsed: unknown = null;
      try {
        parsed = await response.json();
      } catch {
        // Not our JSON (a proxy's error page): the status says enough.
      }
      throw errorFrom(response.status, parsed);
    }
    return (response.status === 204 ? null : await response.json()) as T;
  }
}

/** The console's one client. */
export const api = new ConsoleApi();
