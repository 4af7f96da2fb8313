import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { fmtDate, fmtNumber, locale, t, useLocale } from "./i18n";
import { reloadForUpdate, updateReady } from "./pwa";
import type { SyncEngine, SyncStatus } from "./sync";
import { session } from "./sync/session";
import { CallbackPrompt } from "./ui/components/CallbackPrompt";
import { Login } from "./ui/Login";
import { href, useRoute, type RouteName } from "./ui/router";
import { checkReminders } from "./ui/reminders";
import { tabFor, type Tab } from "./ui/tabs";
import { syncProgressText } from "./ui/components/format";
import { SCREENS } from "./ui/screens";
import { localDate } from "./time";

/** Signed out: the sign-in form. Signed in: the header, the screen and the tab bar. */
export function App({ engine }: { engine: SyncEngine }) {
  useLocale();
  // Signals read here re-render the shell when they change.
  const state = session.value;
  const status = engine.status.value;
  const applyUpdate = updateReady.value;
  const route = useRoute();

  useEffect(() => {
    if (state.kind === "signed_in") engine.start();
    else engine.stop();
  }, [engine, state.kind]);

  // Reminders (src/reminders.ts) when the app opens, after each sync brought new
  // rows, and when it comes back to the front; nothing while they are off.
  const lastSyncAt = status.lastSyncAt;
  useEffect(() => {
    if (state.kind !== "signed_in") return;
    const look = () => void checkReminders().catch(() => undefined);
    look();
    const onVisible = () => document.visibilityState === "visible" && look();
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, [state.kind, lastSyncAt]);

  useEffect(() => {
    const screen =
      route.name === "myNumbers" ? t("numbers.title") : t(`shell.screen.${tabOf(route.name)}`);
    document.title = `${screen} · ${t("app.name")}`;
  });

  if (state.kind === "loading") return null;
  if (state.kind === "signed_out") {
    return (
      <main class="fb-auth">
        <Login />
      </main>
    );
  }

  const Screen = SCREENS[route.name];
  return (
    <div class="fb-shell">
      <header class="fb-topbar">
        <span class="fb-brand">{t("app.name")}</span>
        <SyncBar status={status} />
      </header>
      {state.user.role !== "manager" && (
        // Leads and admins work from the console (another page, online only).
        <p class="fb-console-link">
          <a href="/console" data-testid="console-link">
            {t("shell.console")}
          </a>
        </p>
      )}
      {applyUpdate && (
        <Banner>
          <span>{t("shell.updateReady")}</span>
          <button type="button" class="fb-button" onClick={applyUpdate}>
            {t("shell.reload")}
          </button>
        </Banner>
      )}
      {status.error === "update_required" && (
        <Banner>
          <span>{t("shell.updateRequired")}</span>
          <button type="button" class="fb-button" onClick={() => void reloadForUpdate()}>
            {t("shell.reload")}
          </button>
        </Banner>
      )}
      <main id="main" class="fb-main">
        {status.error === "signed_out" && (
          <Login
            expired
            username={state.user.username}
            pending={status.pending}
            onSignedIn={() => void engine.syncNow()}
          />
        )}
        <CallbackPrompt />
        <Screen key={route.name} route={route} engine={engine} />
      </main>
      <TabBar current={tabOf(route.name)} results={status.results} />
    </div>
  );
}

function Banner({ children }: { children: ComponentChildren }) {
  return (
    <div class="fb-banner" role="status">
      {children}
    </div>
  );
}

/** "10:42" today, a date otherwise. */
function shortTime(iso: string): string {
  const date = new Date(iso);
  if (localDate(date) !== localDate(new Date())) return fmtDate(iso);
  return new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" }).format(date);
}

/** Online or not, changes waiting, last sync, and progress during a full sync. Always shown. */
function SyncBar({ status }: { status: SyncStatus }) {
  // Until the first full sync has finished the device holds no copy: say how far it got.
  const firstSync =
    status.progress !== null ||
    (status.lastSyncAt === null && status.online && status.error === null);
  return (
    <a
      class={`fb-syncbar ${status.online ? "fb-is-online" : "fb-is-offline"}`}
      href={href("sync")}
      data-testid="sync-bar"
    >
      <span class="fb-sync-dot" aria-hidden="true" />
      <span data-testid="sync-online">{t(status.online ? "sync.online" : "sync.offline")}</span>
      <span class="fb-sync-sep" aria-hidden="true">
        ·
      </span>
      <span>
        <span data-testid="sync-pending">{status.pending}</span> {t("shell.waiting")}
      </span>
      <span class="fb-sync-sep" aria-hidden="true">
        ·
      </span>
      {firstSync ? (
        <span data-testid="sync-progress" role="status">
          {syncProgressText(status.progress ?? { rowsApplied: 0, total: null })}
        </span>
      ) : (
        <span data-testid="sync-last">
          {status.syncing
            ? t("shell.syncing")
            : status.lastSyncAt
              ? shortTime(status.lastSyncAt)
              : t("sync.never")}
        </span>
      )}
      {status.error && status.error !== "offline" && (
        <span class="fb-sync-problem">{t(`shell.problem.${status.error}`)}</span>
      )}
    </a>
  );
}

// The tab of the last screen shown: a screen reached from several tabs stays under it.
let lastTab: Tab | null = null;

function tabOf(route: RouteName): Tab {
  lastTab = tabFor(route, lastTab);
  return lastTab;
}

const TAB_ICONS: Record<Tab, string> = {
  // 24px outline glyphs: a calendar, people, two arrows, a person.
  today:
    "M7 3v3M17 3v3M4 8h16M5 5h14a1 1 0 0 1 1 1v13a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1z",
  portfolio:
    "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21v-1a6 6 0 0 1 12 0v1M16 3.5a4 4 0 0 1 0 7M18 14a6 6 0 0 1 4 6v1",
  sync: "M20 8a8 8 0 0 0-14.5-2M4 4v4h4M4 16a8 8 0 0 0 14.5 2M20 20v-4h-4",
  settings: "M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9zM4 21a8 8 0 0 1 16 0",
};

function TabBar({ current, results }: { current: Tab; results: number }) {
  const tabs: { tab: Tab; route: RouteName; label: string }[] = [
    { tab: "today", route: "today", label: t("nav.today") },
    { tab: "portfolio", route: "portfolio", label: t("nav.portfolio") },
    { tab: "sync", route: "sync", label: t("nav.sync") },
    { tab: "settings", route: "settings", label: t("nav.settings") },
  ];
  return (
    <nav class="fb-tabbar" aria-label={t("shell.navigation")}>
      <ul>
        {tabs.map(({ tab, route, label }) => (
          <li key={tab}>
            <a href={href(route)} aria-current={current === tab ? "page" : undefined}>
              <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
                <path
                  d={TAB_ICONS[tab]}
                  fill="none"
                  stroke="currentColor"
                  stroke-width="1.8"
                  stroke-linecap="round"
                  stroke-linejoin="round"
                />
              </svg>
              <span>{label}</span>
              {tab === "sync" && results > 0 && (
                <span class="fb-tab-badge">
                  {fmtNumber(results)}
                  <span class="fb-visually-hidden"> {t("shell.needAttention")}</span>
                </span>
              )}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
