import type { FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { locale, setLocale, t, useLocale, type ConsoleKey } from "./i18n";
import { Login } from "./Login";
import { PasswordDialog } from "./PasswordDialog";
import { href, route as currentRoute, type RouteName } from "./router";
import { ADMIN_ONLY, SCREENS, type ScreenProps } from "./screens";
import { session, signOut } from "./session";
import type { SessionUser } from "./types";
import { Loading, NotFound } from "./ui/States";

/** Signed out: sign-in. A manager: pointed to the phone app. A lead or admin: the console. */
export function App() {
  useLocale();
  const state = session.value;
  if (state.kind === "loading") return <Loading />;
  if (state.kind === "unreachable") {
    return (
      <main class="cn-login" id="main">
        <p role="alert">{t("console.login.offline")}</p>
        <button type="button" class="cn-button" onClick={() => location.reload()}>
          {t("console.retry")}
        </button>
      </main>
    );
  }
  if (state.kind === "signed_out") return <Login />;
  if (state.user.role === "manager") return <ManagerNotice user={state.user} />;
  return <Shell user={state.user} />;
}

function ManagerNotice({ user }: { user: SessionUser }) {
  useEffect(() => {
    document.title = `${t("console.manager.title")} · ${t("console.name")}`;
  });
  return (
    <main class="cn-login" id="main">
      <section class="cn-panel" data-testid="manager-notice">
        <h1>{t("console.manager.title")}</h1>
        <p>{t("console.manager.explain", { name: user.display_name })}</p>
        <p class="cn-actions">
          <a class="cn-button" href="/">
            {t("console.manager.open")}
          </a>
          <button type="button" class="cn-button cn-secondary" onClick={() => void signOut()}>
            {t("console.signOut")}
          </button>
        </p>
      </section>
    </main>
  );
}

const NAV: { name: RouteName; key: ConsoleKey; also?: RouteName[] }[] = [
  { name: "dashboard", key: "console.nav.dashboard", also: ["manager"] },
  { name: "assign", key: "console.nav.assign", also: ["handover", "rebalance"] },
  { name: "atRisk", key: "console.nav.atRisk" },
  { name: "campaigns", key: "console.nav.campaigns", also: ["campaign", "campaignNew"] },
  { name: "reviews", key: "console.nav.reviews" },
];

const ADMIN_NAV: { name: RouteName; key: ConsoleKey; also?: RouteName[] }[] = [
  { name: "users", key: "console.nav.users" },
  { name: "teams", key: "console.nav.teams" },
  { name: "tiers", key: "console.nav.tiers" },
  { name: "categories", key: "console.nav.categories" },
  { name: "periods", key: "console.nav.periods" },
  { name: "imports", key: "console.nav.imports" },
  { name: "audit", key: "console.nav.audit" },
  { name: "syncFailed", key: "console.nav.syncFailed" },
  { name: "churn", key: "console.nav.churn", also: ["churnRun"] },
];

function titleKey(name: RouteName): ConsoleKey {
  const found =
    NAV.find((n) => n.name === name || n.also?.includes(name)) ??
    ADMIN_NAV.find((n) => n.name === name || n.also?.includes(name));
  return found?.key ?? "console.name";
}

function Shell({ user }: { user: SessionUser }) {
  const route = currentRoute.value;
  const name = route.name;
  const allowed = name !== "notFound" && (user.role === "admin" || !ADMIN_ONLY.has(name));
  const [changingPassword, setChangingPassword] = useState(false);

  useEffect(() => {
    const screen = name === "notFound" ? "console.notFound.title" : titleKey(name);
    document.title = `${t(screen)} · ${t("console.name")}`;
  });

  const link = (item: { name: RouteName; key: ConsoleKey; also?: RouteName[] }) => {
    const here = item.name === name || (item.also?.includes(name as RouteName) ?? false);
    return (
      <li key={item.name}>
        <a href={href(item.name)} aria-current={here ? "page" : undefined}>
          {t(item.key)}
        </a>
      </li>
    );
  };

  return (
    <div class="cn-shell">
      <a class="cn-skip" href="#main">
        {t("console.skip")}
      </a>
      <header class="cn-top">
        <a class="cn-brand" href={href("dashboard")}>
          {t("console.name")}
        </a>
        <span class="cn-who" data-testid="console-user">
          {user.display_name} · {t(`console.role.${user.role}`)}
          {user.team && <> · {user.team.name}</>}
        </span>
        <span class="cn-top-actions">
          <button
            type="button"
            class="cn-link"
            lang={locale() === "en" ? "zh-CN" : "en"}
            aria-label={t("console.languageLabel")}
            data-testid="language"
            onClick={() => setLocale(locale() === "en" ? "zh-CN" : "en")}
          >
            {t("console.language")}
          </button>
          <a href="/">{t("console.phoneApp")}</a>
          <button
            type="button"
            class="cn-link"
            onClick={() => setChangingPassword(true)}
            data-testid="change-password"
          >
            {t("console.password.open")}
          </button>
          <button
            type="button"
            class="cn-link"
            onClick={() => void signOut()}
            data-testid="sign-out"
          >
            {t("console.signOut")}
          </button>
        </span>
      </header>
      {changingPassword && <PasswordDialog onClose={() => setChangingPassword(false)} />}
      <nav class="cn-nav" aria-label={t("console.nav")}>
        <ul>{NAV.map(link)}</ul>
        {user.role === "admin" && (
          <>
            <p class="cn-nav-group" id="nav-admin">
              {t("console.nav.admin")}
            </p>
            <ul aria-labelledby="nav-admin">{ADMIN_NAV.map(link)}</ul>
          </>
        )}
      </nav>
      <main class="cn-main" id="main" tabIndex={-1}>
        {allowed ? (
          <LazyScreen
            key={`${name}:${route.params["id"] ?? ""}`}
            name={name as RouteName}
            props={{ route, user }}
          />
        ) : (
          <>
            <h1>{t("console.notFound.title")}</h1>
            <NotFound />
          </>
        )}
      </main>
    </div>
  );
}

const loaded = new Map<RouteName, FunctionComponent<ScreenProps>>();

function LazyScreen({ name, props }: { name: RouteName; props: ScreenProps }) {
  const [, setReady] = useState(0);
  const [failed, setFailed] = useState(false);
  const Screen = loaded.get(name);

  useEffect(() => {
    if (Screen || failed) return;
    let current = true;
    SCREENS[name]().then(
      (component) => {
        loaded.set(name, component);
        if (current) setReady((n) => n + 1);
      },
      () => current && setFailed(true),
    );
    return () => {
      current = false;
    };
  }, [name, failed, Screen]);

  if (Screen) return <Screen {...props} />;
  if (failed) {
    return (
      <div role="alert">
        <p>{t("console.screenFailed")}</p>
        <button type="button" class="cn-button" onClick={() => setFailed(false)}>
          {t("console.retry")}
        </button>
      </div>
    );
  }
  return <Loading />;
}
