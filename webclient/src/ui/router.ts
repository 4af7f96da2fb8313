/**
 * A hash router: `#/customers/<id>` survives reloads offline and needs no server routes.
 *
 * Routes are patterns with `:params`; the query string after `?` is parsed too.
 */
import { useEffect, useRef, useState } from "preact/hooks";

export const ROUTES = {
  today: "/today",
  portfolio: "/customers",
  customer: "/customers/:id",
  logVisit: "/customers/:id/visit",
  logComplaint: "/customers/:id/complaint",
  complaint: "/complaints/:id",
  // Before "/tasks/:id" and "/plans/:id": the first pattern that matches wins.
  newTask: "/tasks/new",
  newPlan: "/plans/new",
  task: "/tasks/:id",
  plan: "/plans/:id",
  warning: "/warnings/:id",
  campaignTarget: "/campaign-targets/:id",
  sync: "/sync",
  settings: "/settings",
  myNumbers: "/me/numbers",
} as const;

export type RouteName = keyof typeof ROUTES;

export interface Route {
  name: RouteName;
  params: Record<string, string>;
  query: URLSearchParams;
}

export function match(hash: string): Route {
  const [path = "", search = ""] = hash.replace(/^#/, "").split("?");
  for (const [name, pattern] of Object.entries(ROUTES) as [RouteName, string][]) {
    const names: string[] = [];
    const regex = new RegExp(
      "^" + pattern.replace(/:(\w+)/g, (_, n: string) => (names.push(n), "([^/]+)")) + "$",
    );
    const found = regex.exec(path);
    if (found) {
      const params = Object.fromEntries(
        names.map((n, i) => [n, decodeURIComponent(found[i + 1]!)]),
      );
      return { name, params, query: new URLSearchParams(search) };
    }
  }
  return { name: "today", params: {}, query: new URLSearchParams(search) };
}

/** The link to a route, e.g. `href("customer", { id })` => "#/customers/<id>". */
export function href(
  name: RouteName,
  params: Record<string, string> = {},
  query?: Record<string, string>,
): string {
  const path = ROUTES[name].replace(/:(\w+)/g, (_, n: string) =>
    encodeURIComponent(params[n] ?? ""),
  );
  const search = query ? `?${new URLSearchParams(query)}` : "";
  return `#${path}${search}`;
}

export function navigate(
  name: RouteName,
  params: Record<string, string> = {},
  query?: Record<string, string>,
): void {
  location.hash = href(name, params, query);
}

export function useRoute(): Route {
  const initialHash = useRef(location.hash);
  const [route, setRoute] = useState(() => match(initialHash.current));
  useEffect(() => {
    let shown = initialHash.current;
    const onChange = () => {
      if (location.hash === shown) return;
      shown = location.hash;
      setRoute(match(shown));
    };
    addEventListener("hashchange", onChange);
    // Effects run after the first paint: a link followed in between fired its
    // hashchange before anyone listened. Catch up once now that we do.
    onChange();
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
