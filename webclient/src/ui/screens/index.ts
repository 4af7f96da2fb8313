/** Which screen shows each route (see ../router.ts). */
import type { FunctionComponent } from "preact";
import type { RouteName } from "../router";
import { CampaignOutcome } from "./CampaignOutcome";
import { Complaint } from "./Complaint";
import { CustomerCard } from "./CustomerCard";
import { lazyScreen } from "./lazy";
import { LogComplaint } from "./LogComplaint";
import { LogVisit } from "./LogVisit";
import { Portfolio } from "./Portfolio";
import { Settings } from "./Settings";
import { SyncCenter } from "./SyncCenter";
import { Task } from "./Task";
import { Today } from "./Today";
import type { ScreenProps } from "./types";
import { Warning } from "./Warning";

export const SCREENS: Record<RouteName, FunctionComponent<ScreenProps>> = {
  today: Today,
  portfolio: Portfolio,
  customer: CustomerCard,
  logVisit: LogVisit,
  logComplaint: LogComplaint,
  complaint: Complaint,
  task: Task,
  warning: Warning,
  campaignTarget: CampaignOutcome,
  sync: SyncCenter,
  settings: Settings,
  // Forms opened from Today or a customer's card, each in a chunk of its own.
  plan: lazyScreen(() => import("./PlanActions").then((module) => module.PlanActions)),
  newTask: lazyScreen(() => import("./NewWork").then((module) => module.NewTask)),
  newPlan: lazyScreen(() => import("./NewWork").then((module) => module.NewPlan)),
  // Not needed on the first view, and it draws a chart: in a chunk of its own.
  myNumbers: lazyScreen(() => import("./MyNumbers").then((module) => module.MyNumbers)),
};
