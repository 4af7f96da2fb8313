/**
 * The shapes the console reads and sends, as the server's schemas.py files dump and load them
 * (the OpenAPI document at /api/v1/openapi.json). Codes and numbers only: the console
 * words them.
 */

export type Role = "manager" | "lead" | "admin";

export interface Ref {
  id: string;
  display_name: string;
}

export interface TeamRef {
  id: string;
  name: string;
}

export interface SessionUser {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  team: TeamRef | null;
  phone: string | null;
}

export interface SessionAnswer {
  user: SessionUser;
  csrf_token: string;
  remember: boolean;
  expires_at: string | null;
}

export interface Page<T> {
  items: T[];
  page: number;
  pages: number;
  per_page: number;
  total: number;
}

// --- teams and users ------------------------------------------------------------------

export interface TeamSummary {
  id: string;
  name: string;
  version: number;
  lead: { id: string; username: string; display_name: string } | null;
  member_count: number;
}

export interface Member {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  active: boolean;
  phone: string | null;
  portfolio_size: number | null;
  capacity: number | null;
}

export interface TeamDetail extends TeamSummary {
  members: Member[];
  /** Whether the team's managers see their rank (present when the server sends it). */
  show_rank?: boolean;
}

export interface AdminUser {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  team: TeamRef | null;
  team_id: string | null;
  phone: string | null;
  active: boolean;
  version: number;
  created_at: string;
  /** Set while too many wrong passwords keep the account locked. */
  locked_until: string | null;
}

export interface Device {
  id: string;
  created_at: string;
  last_seen_at: string | null;
  expires_at: string | null;
  remember: boolean;
  user_agent: string | null;
}

// --- reference data -------------------------------------------------------------------

export interface Tier {
  id: string;
  code: string;
  name_zh: string;
  name_en: string;
  rank: number;
  contact_interval_days: number;
  complaint_response_hours: number;
  version: number;
}

export interface TierRef {
  code: string;
  name_zh: string;
  name_en: string;
  rank: number;
}

export interface Category {
  /** The NEW PATCH names a category by id; older servers send only the code. */
  id?: string;
  code: string;
  name_zh: string;
  name_en: string;
  active?: boolean;
  version?: number;
}

// --- reviews --------------------------------------------------------------------------

export type Unit = "ratio" | "score" | "count";

export interface Figure {
  code: string;
  unit: Unit;
  value: number | null;
  numerator: number;
  denominator: number;
  details: Record<string, unknown>;
}

export interface ScorecardEntry {
  indicator: string;
  weight: number;
  target?: number | null;
  floor?: number | null;
  cap?: number;
}

export interface PeriodRef {
  id: string | null;
  name: string;
  starts_on: string;
  ends_on: string;
}

export interface ReviewPeriod {
  id: string;
  name: string;
  starts_on: string;
  ends_on: string;
  scorecard: ScorecardEntry[];
  version: number;
}

export interface ManagerReview {
  manager: Ref;
  team_id: string | null;
  figures: Record<string, Figure>;
  scores: Record<string, number | null>;
  score: number | null;
  rank: number | null;
}

export interface GroupReview {
  team: TeamRef | null;
  managers: number;
  figures: Record<string, Figure>;
  scores: Record<string, number | null>;
  score: number | null;
}

export interface Review {
  period: PeriodRef;
  as_of: string;
  scope: string;
  scorecard: ScorecardEntry[];
  managers: ManagerReview[];
  teams: GroupReview[];
  total: GroupReview;
}

export interface TrendPoint {
  month: string;
  score: number | null;
  managers: Record<string, number | null>;
}

export interface ExportRecord {
  id: string;
  at: string;
  user: Ref;
  format: "xlsx" | "csv";
  scope: { kind: string; team_id: string | null; starts_on: string; ends_on: string };
  rows: number;
  unmasked: boolean;
  job_id: string | null;
  download_url: string | null;
}

// --- dashboard (NEW endpoints) --------------------------------------------------------

export interface ManagerDashboard {
  manager: Ref & { team_id: string | null };
  portfolio_size: number;
  capacity: number;
  by_tier: Record<string, number>;
  by_stage: Record<string, number>;
  overdue: { plans: number; tasks: number; complaints: number };
  open_warnings: number;
  recent_visits: {
    id: string;
    started_at: string;
    customer: { id: string; name: string };
    channel: string;
    purpose: string;
    outcome: string | null;
    location_status: string | null;
  }[];
}

export interface Reason {
  code: string;
  text_zh?: string;
  text_en?: string;
  [more: string]: unknown;
}

export interface RiskWarning {
  id: string;
  customer: { id: string; name: string; tier: string };
  manager: Ref | null;
  reasons: Reason[];
  opened_at: string;
  age_days: number;
  answered_at: string | null;
  cause_analysis: string | null;
  retention_plan: string | null;
  status: string;
}

export interface RiskComplaint {
  id: string;
  customer: { id: string; name: string; tier: string };
  owner: Ref | null;
  category: string;
  severity: string;
  status: string;
  received_at: string;
  deadline_at: string;
  overdue: boolean;
}

export interface AtRisk {
  warnings: RiskWarning[];
  complaints: RiskComplaint[];
}

// --- customers and assignment ---------------------------------------------------------

export interface CustomerRow {
  id: string;
  external_no: string;
  name: string;
  kind: "individual" | "organisation";
  phone: string | null;
  tier: TierRef;
  stage: string;
  manager: Ref | null;
  contract_end_date: string | null;
  version: number;
  /** NEW fields; absent from an older server. */
  last_contact_at?: string | null;
  open_warning?: boolean;
  address?: string | null;
}

/** A customer's profile; personal fields masked for leads and admins (`masked`). */
export interface CustomerDetail extends CustomerRow {
  masked: boolean;
  erased_at: string | null;
  phone2: string | null;
  email: string | null;
  /** YYYY-MM-DD, or --MM-DD when masked. */
  birthday: string | null;
  birthday_lunar: boolean;
  employer: string | null;
  plan_name: string | null;
  contacts: {
    id: string;
    name: string;
    title: string | null;
    phone: string | null;
    email: string | null;
    birthday: string | null;
  }[];
}

/** One row of the personal-data access log (names of fields, never values). */
export interface AccessEntry {
  id: string;
  at: string;
  user_id: string;
  customer_id: string | null;
  kind: "view" | "reveal" | "export" | "sync_pull" | "personal_data_export" | "erasure";
  fields: string[];
  count: number;
  device_id: string | null;
}

export interface CustomerQuery {
  tier?: string;
  stage?: string;
  kind?: string;
  manager_id?: string;
  unassigned?: boolean;
  q?: string;
  area?: string;
  no_contact_days?: number;
  open_warning?: boolean;
  sort?: "name" | "tier" | "contract_end_date" | "last_contact";
  page?: number;
  per_page?: number;
}

export interface Assignment {
  id: string;
  at: string;
  reason: string;
  source: string;
  from_manager: Ref | null;
  to_manager: Ref | null;
  assigned_by: Ref | null;
}

export interface CapacityWarning {
  code: string;
  manager_id?: string;
  portfolio_size?: number;
  capacity?: number;
  [more: string]: unknown;
}

export interface Moves {
  plans: number;
  tasks: number;
  complaints: number;
}

export interface AssignResult {
  assigned: number;
  unchanged: number;
  dry_run: boolean;
  warnings: CapacityWarning[];
  /** NEW: the open work that moves with the customers. */
  moves?: Moves;
}

export interface Share {
  manager: Ref;
  customers: number;
  value: number | string;
}

export interface HandoverResult {
  assigned: number;
  shares: Share[];
  warnings: CapacityWarning[];
  dry_run?: boolean;
  /** The open work that moves with the customers (as a bulk move reports it). */
  moves?: Moves;
}

export interface RebalanceMove {
  customer: { id: string; name: string; tier: string };
  from_manager_id: string | null;
  to_manager_id: string;
  value: number | string;
  workload: number;
}

export interface Load {
  manager: Ref;
  customers: number;
  value: number | string;
  workload: number;
}

export interface Rebalance {
  moves: RebalanceMove[];
  before: Load[];
  after: Load[];
}

// --- campaigns and jobs ---------------------------------------------------------------

export type CampaignKind = "retention" | "privilege" | "marketing";
export type CampaignStatus = "draft" | "launched" | "closed";

export interface Segment {
  tiers?: string[];
  stages?: string[];
  open_warning?: boolean | null;
  spend_min?: string | null;
  spend_max?: string | null;
  customer_ids?: string[];
}

export interface Campaign {
  id: string;
  name: string;
  kind: CampaignKind;
  offer: string;
  segment: Segment;
  team_id: string | null;
  starts_on: string;
  ends_on: string;
  status: CampaignStatus;
  launched_at: string | null;
  closed_at: string | null;
  created_at: string;
  version: number;
}

export interface CampaignInput {
  name: string;
  kind: CampaignKind;
  offer: string;
  segment: Segment;
  team_id?: string | null;
  starts_on: string;
  ends_on: string;
  version?: number;
}

export interface Preview {
  targets: number;
  managers: { manager: Ref; targets: number }[];
}

export interface FunnelRow {
  key: string;
  label: string;
  targets: number;
  reached: number;
  offered: number;
  took_part: number;
  contracted: number;
  declined: number;
  not_reached: number;
  pending: number;
}

export interface Funnel {
  total: FunnelRow;
  teams: FunnelRow[];
  managers: FunnelRow[];
}

export type JobStatus = "queued" | "running" | "done" | "failed";

export interface Job {
  id: string;
  kind: string;
  status: JobStatus;
  progress: number;
  stage: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  download_url: string | null;
}

// --- imports --------------------------------------------------------------------------

export interface RowError {
  line: number;
  field: string;
  message: string;
}

export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  errors: RowError[];
}

// --- audit trail ----------------------------------------------------------------------

export interface AuditEvent {
  id: string;
  at: string;
  actor_id: string | null;
  /** As it was then; null: the system (a command, a job). */
  actor_username: string | null;
  /** "area.what", e.g. "customers.handover". */
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  device_id: string | null;
}

// --- sync: failed phone changes --------------------------------------------------------

/** GET /sync/failed: a phone's change the server failed to apply, kept as it was sent. */
export interface FailedMutation {
  id: string;
  device_id: string;
  user_id: string;
  username: string;
  seq: number;
  mutation_id: string;
  name: string;
  args: Record<string, unknown>;
  base_version: number | null;
  client_time: string | null;
  error: string;
  attempts: number;
  first_failed_at: string;
  last_failed_at: string;
  gave_up_at: string | null;
  settled_at: string | null;
  status: "failed" | "retrying" | "settled";
}

// --- the churn model (admins) ------------------------------------------------------------

export type ChurnModelKind = "tree" | "bayes" | "logistic" | "boosting";
export type ChurnCombine = "union" | "intersection";

export interface ChurnSettings {
  members: ChurnModelKind[];
  combine: ChurnCombine;
  tree_depth: number;
  min_leaf_share: number;
  seed: number;
}

/** One condition of a tree's rule, as codes (the console words it: lib/churnRules.ts). */
export interface RuleCondition {
  feature: string;
  op: "le" | "gt" | "ge" | "between" | "between_ge" | "is" | "is_not" | "blank" | "present";
  value?: number | string | null;
  low?: number | null;
}

export interface ChurnRule {
  conditions: RuleCondition[];
  rows: number;
  left_share: number;
}

export interface AtK {
  flagged: number;
  caught: number;
  precision: number;
  recall: number;
  lift: number;
}

export interface CalibrationBin {
  from: number;
  rows: number;
  predicted: number;
  left: number;
}

export interface ChurnMetrics {
  rows: { train: number; train_leavers: number; test: number; test_leavers: number };
  models: Record<
    ChurnModelKind,
    {
      auc: number | null;
      at_k: AtK;
      calibration: { brier: number; ece: number; bins: CalibrationBin[] };
    }
  >;
  combination: { auc: number | null; at_k: AtK; at_rules_count: AtK };
  rules: { auc: number | null; at_k: AtK };
  lift_over_rules: number | null;
}

export interface ChurnRun {
  id: string;
  segment: string;
  status: "active" | "retired" | "not_activated";
  not_activated_reason: string | null;
  trained_from: string;
  trained_to: string;
  tested_from: string;
  tested_to: string;
  window_months: number;
  warnings_per_manager: number;
  settings: ChurnSettings;
  figures: {
    auc: number | null;
    rules_auc: number | null;
    precision: number;
    recall: number;
    rules_precision: number;
    rules_recall: number;
    lift_over_rules: number | null;
  };
  created_at: string;
  created_by: Ref | null;
}

export interface ChurnRunDetail extends ChurnRun {
  metrics: ChurnMetrics;
  importances: { tree?: Record<string, number> };
  rules: ChurnRule[];
}
