import { render } from "preact";
import { App } from "./App";
import { locale } from "./i18n";
import { registerServiceWorker } from "./pwa";
import { SyncEngine } from "./sync";
import { me, restoreSession } from "./sync/session";
import "./ui/app.css";

document.documentElement.lang = locale();
registerServiceWorker();

// The shell starts the engine once a user is bound (App); signing out stops it.
const engine = new SyncEngine();
void restoreSession().then((state) => {
  // Refresh the profile and CSRF token; offline or expired, the sync bar says so later.
  if (state.kind === "signed_in" && navigator.onLine) void me().catch(() => undefined);
});

render(<App engine={engine} />, document.getElementById("app")!);
