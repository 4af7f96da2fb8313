import { describe, expect, it } from "vitest";
import { checkInVerdict, distanceM, locate, problemOf } from "./geo";

const fix = (latitude: number, longitude: number) => ({
  latitude,
  longitude,
  accuracy_m: 20,
  location_age_s: 3,
});

describe("check-in verdict", () => {
  it("measures the distance on the globe", () => {
    // One thousandth of a degree of latitude is 6371 km * pi / 180 / 1000 = 111.19 m.
    expect(distanceM(31.2, 121.4, 31.201, 121.4)).toBeCloseTo(111.19, 1);
  });

  it("flags a fix more than 500 m from the customer's place, never refuses one", () => {
    const place = { latitude: 31.2, longitude: 121.4 };
    // 0.004 degrees of latitude: 444.8 m, inside; 0.005: 556.0 m, outside.
    expect(checkInVerdict(fix(31.204, 121.4), place)).toEqual({ verdict: "near", distance_m: 445 });
    expect(checkInVerdict(fix(31.205, 121.4), place)).toEqual({
      verdict: "out_of_range",
      distance_m: 556,
    });
    expect(checkInVerdict(null, place)).toEqual({ verdict: "unverified", distance_m: null });
    expect(checkInVerdict(fix(31.2, 121.4), { latitude: null, longitude: null })).toEqual({
      verdict: "recorded",
      distance_m: null,
    });
  });
});

describe("locating for a check-in", () => {
  /** A Geolocation that answers with an error of `code`, as Chromium does when denied. */
  const failing = (code: number) =>
    ({
      getCurrentPosition: (_ok: PositionCallback, fail?: PositionErrorCallback | null) =>
        fail?.({ code } as GeolocationPositionError),
    }) as unknown as Geolocation;

  it("says why there is no fix: denied, unavailable, timeout, no API", async () => {
    expect(await locate(1_000, failing(1))).toEqual({ fix: null, problem: "denied" });
    expect(await locate(1_000, failing(2))).toEqual({ fix: null, problem: "unavailable" });
    expect(await locate(1_000, failing(3))).toEqual({ fix: null, problem: "timeout" });
    expect(await locate(1_000, undefined)).toEqual({ fix: null, problem: "unsupported" });
    expect(problemOf(99)).toBe("unavailable");
  });

  it("gives the fix when there is one", async () => {
    const geo = {
      getCurrentPosition: (ok: PositionCallback) =>
        ok({
          coords: { latitude: 31.2, longitude: 121.4, accuracy: 12.4 },
          timestamp: Date.now(),
        } as GeolocationPosition),
    } as unknown as Geolocation;
    const located = await locate(1_000, geo);
    expect(located.problem).toBeNull();
    expect(located.fix).toMatchObject({ latitude: 31.2, longitude: 121.4, accuracy_m: 12 });
  });
});
