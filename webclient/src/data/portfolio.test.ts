import { describe, expect, it } from "vitest";
import { db, type Contact, type Customer, type Tier } from "../db";
import { findCustomers, preparePortfolio, withoutPlace, type PortfolioRows } from "./portfolio";
import { searchCustomers } from "./queries";

const T = "2026-01-01T00:00:00+00:00";
const tier = (id: string, code: string, rank: number): Tier => ({
  id,
  code,
  name_zh: code,
  name_en: code,
  rank,
  contact_interval_days: 30,
  complaint_response_hours: 24,
  version: 1,
  created_at: T,
  updated_at: T,
});
const TIERS = [tier("t1", "diamond", 1), tier("t5", "gold", 5), tier("t6", "crystal", 6)];

let numbers = 0;

function customer(id: string, name: string, fields: Partial<Customer> = {}): Customer {
  return {
    id,
    external_no: String(90000 + ++numbers),
    kind: "individual",
    name,
    phone: null,
    phone2: null,
    email: null,
    gender: null,
    birthday: null,
    birthday_lunar: false,
    address: null,
    employer: null,
    position: null,
    industry: null,
    interests: null,
    plan_name: null,
    products: [],
    special_dates: [],
    ported_in: false,
    activation_date: null,
    contract_end_date: null,
    notes: null,
    latitude: null,
    longitude: null,
    tier_id: "t5",
    stage: "maturity",
    manager_id: null,
    assigned_at: null,
    version: 1,
    created_at: T,
    updated_at: T,
    ...fields,
  };
}

function contact(id: string, customerId: string, name: string, fields: Partial<Contact> = {}) {
  return {
    id,
    customer_id: customerId,
    name,
    title: null,
    phone: null,
    email: null,
    is_decision_maker: false,
    birthday: null,
    version: 1,
    created_at: T,
    updated_at: T,
    ...fields,
  } satisfies Contact;
}

const ROWS: PortfolioRows = {
  tiers: TIERS,
  customers: [
    customer("a", "陈静", { name_pinyin: "chen jing", phone: "138 0013 8000", tier_id: "t1" }),
    customer("b", "张芳", { name_pinyin: "zhang fang", phone: "139-2222-4321" }),
    customer("c", "单丽", { name_pinyin: "dan li|shan li", tier_id: "t6" }),
    customer("d", "华城酒店", {
      name_pinyin: "hua cheng jiu dian",
      kind: "organisation",
      employer: "Huacheng Hotel",
    }),
    // Made on this phone, not yet sent: no pinyin yet.
    customer("e", "王五", { _local: true }),
    // Renamed on this phone (a lead): the pinyin is still the old name's.
    customer("f", "刘洋", { name_pinyin: "li ming", _base: { name: "李明" } }),
  ],
  contacts: [contact("k1", "d", "钟芳", { name_pinyin: "zhong fang", phone: "+86 135 0000 5566" })],
};

const names = (rows: { name: string }[]) => rows.map((r) => r.name);
const find = (q: string, rows: PortfolioRows = ROWS) =>
  names(findCustomers(preparePortfolio(rows), { q }));

describe("portfolio search", () => {
  it("finds a Chinese name by its pinyin: initials anywhere, spelling from a syllable", () => {
    // 华城 hua cheng too: "chen" is on its way to "cheng".
    expect(find("chen")).toEqual(["陈静", "华城酒店"]);
    expect(find("chenj")).toEqual(["陈静"]);
    expect(find("c")).toEqual(["陈静", "华城酒店"]);
    expect(find("zf")).toEqual(["华城酒店", "张芳"]);
    expect(find("zhangfang")).toEqual(["张芳"]);
    expect(find("Zhang Fang")).toEqual(["张芳"]);
    expect(find("zhangf")).toEqual(["张芳"]);
    expect(find("fang")).toEqual(["华城酒店", "张芳"]);
    // Not the middle of a syllable, nor initials mixed with spelling.
    expect(find("hang")).toEqual([]);
    expect(find("zhf")).toEqual([]);
    // A polyphone surname by either reading.
    expect(find("shanli")).toEqual(["单丽"]);
    expect(find("danli")).toEqual(["单丽"]);
  });

  it("finds by the name as written, and only so without the server's pinyin", () => {
    expect(find("陈")).toEqual(["陈静"]);
    expect(find("王")).toEqual(["王五"]);
    expect(find("wang")).toEqual([]);
    // The renamed customer by its new name, not by the old name's pinyin.
    expect(find("刘洋")).toEqual(["刘洋"]);
    expect(find("liming")).toEqual([]);
    expect(find("hotel")).toEqual(["华城酒店"]);
  });

  it("finds a customer number with its digits, not every number by its letter", () => {
    const rows = { tiers: TIERS, customers: [customer("x", "陈静", { external_no: "C1024" })] };
    expect(find("c1024", rows)).toEqual(["陈静"]);
    expect(find("1024", rows)).toEqual(["陈静"]);
    expect(find("c", { ...rows, customers: [customer("y", "Li", { external_no: "C7" })] })).toEqual(
      [],
    );
  });

  it("finds by the last digits of a phone, the customer's or a contact's", () => {
    const rows = findCustomers(preparePortfolio(ROWS), { q: "8000" });
    expect(rows.map((r) => [r.name, r.matched_contact])).toEqual([["陈静", null]]);
    expect(find("4321")).toEqual(["张芳"]);
    expect(find("2222-4321")).toEqual(["张芳"]);
    const byContact = findCustomers(preparePortfolio(ROWS), { q: "5566" });
    expect(byContact.map((r) => [r.name, r.matched_contact])).toEqual([["华城酒店", "钟芳"]]);
    expect(find("zhongfang")).toEqual(["华城酒店"]);
  });
});

describe("portfolio sorts and filters", () => {
  const now = new Date("2026-12-03T12:00:00+08:00");
  const rows: PortfolioRows = {
    tiers: TIERS,
    customers: [
      customer("a", "A", { tier_id: "t5", contract_end_date: "2027-03-01" }),
      customer("b", "B", { tier_id: "t1", contract_end_date: null }),
      customer("c", "C", { tier_id: "t6", contract_end_date: "2026-12-20" }),
      customer("d", "D", { tier_id: "t5", contract_end_date: "2026-11-30" }),
    ],
    visits: [
      { customer_id: "a", started_at: "2026-12-01T09:00:00+08:00" },
      { customer_id: "a", started_at: "2026-10-01T09:00:00+08:00" },
      { customer_id: "c", started_at: "2026-11-20T09:00:00+08:00" },
      // The same instant written in UTC: compared as instants, not as text.
      { customer_id: "d", started_at: "2026-11-02T23:00:00+00:00" },
    ],
    spend: [
      { customer_id: "a", month: "2026-11-01", amount: "80.00" },
      { customer_id: "a", month: "2026-11-01", amount: "9.50" },
      { customer_id: "a", month: "2026-10-01", amount: "900.00" },
      { customer_id: "c", month: "2026-11-01", amount: "120.00" },
      { customer_id: "d", month: "2026-11-01", amount: "89.49" },
    ],
  };
  const index = preparePortfolio(rows);
  const sorted = (sort: Parameters<typeof findCustomers>[1]) =>
    names(findCustomers(index, sort, now));

  it("sorts by tier, last contact, spend and contract end, then by name", () => {
    expect(sorted({ sort: "name" })).toEqual(["A", "B", "C", "D"]);
    expect(sorted({ sort: "tier" })).toEqual(["B", "A", "D", "C"]);
    // Never contacted first, then the longest without contact.
    expect(sorted({ sort: "last_contact" })).toEqual(["B", "D", "C", "A"]);
    // The latest month's total, highest first; no spend last.
    expect(sorted({ sort: "spend" })).toEqual(["C", "A", "D", "B"]);
    expect(findCustomers(index, { sort: "spend" }, now)[1]?.spend).toBe("89.50");
    // Soonest end first (one already ended), none last.
    expect(sorted({ sort: "contract_end" })).toEqual(["D", "C", "A", "B"]);
  });

  it("keeps those not contacted for N days, never contacted included", () => {
    expect(sorted({ notContactedDays: 7 })).toEqual(["B", "C", "D"]);
    expect(sorted({ notContactedDays: 20 })).toEqual(["B", "D"]);
    expect(sorted({ notContactedDays: 60 })).toEqual(["B"]);
    expect(sorted({ notContactedDays: 7, tier: "gold" })).toEqual(["D"]);
    const [b] = findCustomers(index, { notContactedDays: 60 }, now);
    expect(b?.last_contact_at).toBeNull();
  });
});

describe("near me", () => {
  // 0.01 degree of latitude is 1,112 m on the haversine's sphere (6,371 km radius).
  const rows: PortfolioRows = {
    tiers: TIERS,
    customers: [
      customer("far", "Far", { latitude: 31.25, longitude: 121.47 }),
      customer("near", "Near", { latitude: 31.24, longitude: 121.47 }),
      customer("here", "Here", { latitude: 31.23, longitude: 121.47 }),
      customer("nowhere", "Nowhere"),
    ],
  };
  const index = preparePortfolio(rows);

  it("sorts the customers with a place by their distance and leaves the others out", () => {
    const found = findCustomers(index, {
      sort: "distance",
      near: { latitude: 31.23, longitude: 121.47 },
    });
    expect(found.map((r) => [r.name, r.distance_m])).toEqual([
      ["Here", 0],
      ["Near", 1112],
      ["Far", 2224],
    ]);
    expect(withoutPlace(index)).toBe(1);
  });

  it("lists nobody before the position is known", () => {
    expect(findCustomers(index, { sort: "distance" })).toEqual([]);
  });
});

describe("the portfolio read from the device", () => {
  it("takes each customer's latest month of spend and latest visit", async () => {
    await db.tiers.bulkPut(TIERS);
    await db.customers.bulkPut([customer("a", "A"), customer("b", "B"), customer("c", "C")]);
    const spend = (customer_id: string, month: string, service: string, amount: string) => ({
      id: `${customer_id}-${month}-${service}`,
      customer_id,
      month,
      service,
      amount,
      version: 1,
      imported_at: T,
    });
    await db.monthly_spend.bulkPut([
      spend("a", "2026-10-01", "mobile", "500.00"),
      spend("a", "2026-11-01", "mobile", "30.00"),
      spend("a", "2026-11-01", "data", "20.50"),
      spend("b", "2026-09-01", "mobile", "70.00"),
    ]);
    const rows = await searchCustomers({ sort: "spend" });
    expect(rows.map((r) => [r.name, r.spend])).toEqual([
      ["B", "70.00"],
      ["A", "50.50"],
      ["C", null],
    ]);
  });
});
