/**
 * The phone's position for a visit check-in. The server decides the stored
 * location status (server/visits/services.py `check_location`); the phone only
 * shows a first verdict so the manager knows at once. Nothing here ever blocks a visit.
 */

export interface Fix {
  latitude: number;
  longitude: number;
  /** Radius of 68% confidence, in metres. */
  accuracy_m: number;
  /** How old the fix was when taken, in seconds. */
  location_age_s: number;
}

function toFix(position: GeolocationPosition): Fix {
  return {
    latitude: position.coords.latitude,
    longitude: position.coords.longitude,
    accuracy_m: Math.round(position.coords.accuracy),
    location_age_s: Math.max(0, Math.round((Date.now() - position.timestamp) / 1000)),
  };
}

/** Beyond this distance from the customer's known place a check-in is flagged. */
export const MAX_DISTANCE_M = 500;

/** Why there is no fix: the manager is told, so a check-in is not "unverified" for no reason. */
export type LocationProblem = "denied" | "unavailable" | "timeout" | "unsupported";

/** A fix, or why there is none. */
export type Located = { fix: Fix; problem: null } | { fix: null; problem: LocationProblem };

/** GeolocationPositionError's codes: 1 permission denied, 2 position unavailable, 3 timeout. */
export function problemOf(code: number): LocationProblem {
  if (code === 1) return "denied";
  if (code === 3) return "timeout";
  return "unavailable";
}

/** How sharp and how fresh a fix must be. */
export interface FixNeeds {
  highAccuracy: boolean;
  maxAgeMs: number;
}

/** A check-in's: the GPS, a fix up to a minute old (indoors a fresh one may never come). */
const CHECK_IN: FixNeeds = { highAccuracy: true, maxAgeMs: 60_000 };
/** "Near me": a few minutes' old, coarse fix orders a list well enough, and comes at once. */
export const LIST_ORDER: FixNeeds = { highAccuracy: false, maxAgeMs: 300_000 };

/** One fix, or why there is none in time (no permission, no signal, no API). */
export function locate(
  timeoutMs = 15_000,
  geo: Geolocation | undefined = globalThis.navigator?.geolocation,
  needs: FixNeeds = CHECK_IN,
): Promise<Located> {
  if (!geo) return Promise.resolve({ fix: null, problem: "unsupported" });
  return new Promise((resolve) => {
    // Some browsers never call back when the permission prompt is ignored.
    const guard = setTimeout(() => resolve({ fix: null, problem: "timeout" }), timeoutMs + 1_000);
    geo.getCurrentPosition(
      (position) => {
        clearTimeout(guard);
        resolve({ fix: toFix(position), problem: null });
      },
      (error) => {
        clearTimeout(guard);
        resolve({ fix: null, problem: problemOf(error.code) });
      },
      { enableHighAccuracy: needs.highAccuracy, timeout: timeoutMs, maximumAge: needs.maxAgeMs },
    );
  });
}

/** One fix, or null when there is none in time (`locate` says why). */
export async function currentFix(timeoutMs = 15_000): Promise<Fix | null> {
  return (await locate(timeoutMs)).fix;
}

const EARTH_RADIUS_M = 6_371_000;

/** Great-circle (haversine) distance in metres, as the server computes it. */
export function distanceM(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const dphi = (lat2 - lat1) * rad;
  const dlmb = (lng2 - lng1) * rad;
  const a =
    Math.sin(dphi / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dlmb / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(a));
}

export type CheckInVerdict = "unverified" | "out_of_range" | "near" | "recorded";

/**
 * What the phone can tell before the server: no fix is unverified; a fix far from a
 * known place is out of range; near a known place, near; with no known place, recorded
 * (the server may learn the customer's place from it).
 */
export function checkInVerdict(
  fix: Fix | null,
  place: { latitude: number | null; longitude: number | null },
): { verdict: CheckInVerdict; distance_m: number | null } {
  if (fix === null) return { verdict: "unverified", distance_m: null };
  if (place.latitude === null || place.longitude === null)
    return { verdict: "recorded", distance_m: null };
  const distance = Math.round(
    distanceM(fix.latitude, fix.longitude, place.latitude, place.longitude),
  );
  return { verdict: distance > MAX_DISTANCE_M ? "out_of_range" : "near", distance_m: distance };
}
