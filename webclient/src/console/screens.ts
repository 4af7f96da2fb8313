/**
 * Each console screen in a chunk of its own, fetched when first opened: the first
 * load is the shell and the screen asked for, never all six areas (nor ECharts).
 */
import type { FunctionComponent } from "preact";
import type { Route, RouteName } from "./router";
import type { SessionUser } from "./types";

export interface ScreenProps {
  route: Route;
  user: SessionUser;
}

type Loader = () => Promise<FunctionComponent<ScreenProps>>;

export const SCREENS: Record<RouteName, Loader> = {
  dashboard: () => import("./screens/Dashboard").then((m) => m.Dashboard),
  manager: () => import("./screens/ManagerDetail").then((m) => m.ManagerDetail),
  assign: () => import("./screens/Assign").then((m) => m.Assign),
  customer: () => import("./screens/Customer").then((m) => m.Customer),
  handover: () => import("./screens/Handover").then((m) => m.Handover),
  rebalance: () => import("./screens/Rebalance").then((m) => m.Rebalance),
  atRisk: () => import("./screens/AtRisk").then((m) => m.AtRisk),
  campaigns: () => import("./screens/Campaigns").then((m) => m.Campaigns),
  campaignNew: () => import("./screens/CampaignEdit").then((m) => m.CampaignNew),
  campaign: () => import("./screens/CampaignDetail").then((m) => m.CampaignDetail),
  reviews: () => import("./screens/Reviews").then((m) => m.Reviews),
  users: () => import("./screens/admin/Users").then((m) => m.Users),
  teams: () => import("./screens/admin/Teams").then((m) => m.Teams),
  tiers: () => import("./screens/admin/Tiers").then((m) => m.Tiers),
  categories: () => import("./screens/admin/Categories").then((m) => m.Categories),
  periods: () => import("./screens/admin/Periods").then((m) => m.Periods),
  imports: () => import("./screens/admin/Imports").then((m) => m.Imports),
  audit: () => import("./screens/admin/Audit").then((m) => m.Audit),
  syncFailed: () => import("./screens/admin/SyncFailed").then((m) => m.SyncFailed),
  churn: () => import("./screens/admin/Churn").then((m) => m.Churn),
  churnRun: () => import("./screens/admin/ChurnRun").then((m) => m.ChurnRunDetail),
};

/** Screens of the administration area: admins only (a lead does not even see the links). */
export const ADMIN_ONLY: ReadonlySet<RouteName> = new Set([
  "users",
  "teams",
  "tiers",
  "categories",
  "periods",
  "imports",
  "audit",
  "syncFailed",
  "churn",
  "churnRun",
]);
