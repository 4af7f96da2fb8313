import type { SyncEngine } from "../../sync";
import type { Route } from "../router";

/** What every screen receives from the shell. */
export interface ScreenProps {
  route: Route;
  engine: SyncEngine;
}
