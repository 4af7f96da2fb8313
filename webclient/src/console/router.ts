/**
 * The console's router: real paths under /console (Flask answers console.html for any
 * of them), history.pushState between screens, filters kept in the query string so a
 * view can be bookmarked and reloaded.
 */
import { signal } from "@preact/signals";

export const ROUTES = {
  dashboard: "/console",
  manager: "/console/managers/:id",
  assign: "/console/assign",
  customer: "/console/customers/:id",
  handover: "/console/assign/handover",
  rebalance: "/console/assign/rebalance",
  atRisk: "/console/at-risk",
  campaigns: "/console/campaigns",
  campaignNew: "/console/campaigns/new",
  campaign: "/console/campaigns/:id",
  reviews: "/console/reviews",
  users: "/console/admin/users",
  teams: "/console/admin/teams",
  tiers: "/console/admin/tiers",
  categories: "/console/admin/categories",
  periods: "/console/admin/periods",
  imports: "/console/admin/imports",
  audit: "/console/admin/audit",
  syncFailed: "/console/admin/sync-failed",
  churn: "/console/admin/churn",
  churnRun: "/console/admin/churn/runs/:id",
} as const;

export type RouteName = keyof typeof ROUTES;

export interface Route {
  name: RouteName | "notFound";
  params: Record<string, string>;
  query: URLSearchParams;
}

const compiled = (Object.entries(ROUTES) as [RouteName, string][]).map(([name, pattern]) => {
  const names: string[] = [];
  const regex = new RegExp(
    "^" + pattern.replace(/:(\w+)/g, (_, n: string) => (names.push(n), "([^/]+)")) + "/?$",
  );
  return { name, names, regex };
});

/** The route of a path and query ("/console/managers/42", "?period=this_month"). */
export function match(pathname: string, search = ""): Route {
  const query = new URLSearchParams(search);
  for (const { name, names, regex } of compiled) {
    const found = regex.exec(pathname);
    if (found) {
      const params = Object.fromEntries(
        names.map((n, i) => [n, decodeURIComponent(found[i + 1]!)]),
      );
      return { name, params, query };
    }
  }
  return { name: "notFound", params: {}, query };
}

type QueryValues = Record<string, string | number | boolean | null | undefined>;

function search(query?: QueryValues): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The address of a route, e.g. `href("manager", { id })` => "/console/managers/<id>". */
export function href(name: RouteName, params: Record<string, string> = {}, query?: QueryValues) {
  const path = ROUTES[name].replace(/:(\w+)/g, (_, n: string) =>
    encodeURIComponent(params[n] ?? ""),
  );
  return path + search(query);
}

const here = () => (typeof location === "undefined" ? "/console" : location.pathname);
const hereQuery = () => (typeof location === "undefined" ? "" : location.search);

/** The current route; components that read `.value` follow it. */
export const route = signal<Route>(match(here(), hereQuery()));

function follow(): void {
  route.value = match(here(), hereQuery());
}

/** Go to an address of the console (a new history entry, or in place with `replace`). */
export function go(url: string, { replace = false } = {}): void {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  follow();
  if (!replace) scrollTo(0, 0);
}

/** Change some of the current address's query (filters) in place. */
export function setQuery(patch: QueryValues): void {
  const next = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || value === null || value === "") next.delete(key);
    else next.set(key, String(value));
  }
  const text = next.toString();
  go(location.pathname + (text ? `?${text}` : ""), { replace: true });
}

/**
 * Follow the back and forward buttons, and take over clicks on links inside the console
 * (a plain left click on a same-origin /console link): no page load between screens.
 */
export function startRouter(): void {
  addEventListener("popstate", follow);
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element | null)?.closest?.("a");
    if (!link || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || !/^\/console(\/|$)/.test(url.pathname)) return;
    event.preventDefault();
    go(url.pathname + url.search);
  });
}
