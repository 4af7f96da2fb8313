/**
 * The portfolio list's search, filters and sorts, as pure functions over rows the
 * device holds, so typing runs none of IndexedDB: `preparePortfolio` reads the rows
 * into an index once (queries.ts `loadPortfolio`, again when they change) and
 * `findCustomers` answers each keystroke from it (bench/portfolio_search.py: under
 * 50 ms for 500 customers on a slow phone).
 *
 * A name is found by what it says (substring, case and spaces ignored) and by its
 * pinyin, which the server spells (server/customers/pinyin.py, docs/sync.md): the
 * initials anywhere ("zf", "c" for 张芳, 陈) or the full spelling from the start of a
 * syllable ("zhangfang", "fang", "zhangf"). A phone number by any run of its digits,
 * the last four typically, whatever spaces or dashes it was written with. Contacts'
 * names and phones find their organisation.
 */
import type { Contact, Customer, IsoDate, IsoDateTime, Stage, Tier, Uuid, Visit } from "../db";
import { distanceM } from "../ui/geo";
import { summary, type CustomerSummary } from "./queries";

/** A customer in the list, with what its sorts and the search found out. */
export interface PortfolioRow extends CustomerSummary {
  /** The latest contact of any channel (a visit row), when the device knows one. */
  last_contact_at: IsoDateTime | null;
  /** The latest month's total spend (decimal string), when the device holds any. */
  spend: string | null;
  /** From the position given to the search (near me); null without coordinates. */
  distance_m: number | null;
  /** The contact whose name or phone matched the search, when not the customer's own. */
  matched_contact: string | null;
}

export type PortfolioSort =
  "name" | "tier" | "last_contact" | "spend" | "contract_end" | "distance";

export const PORTFOLIO_SORTS: PortfolioSort[] = [
  "name",
  "tier",
  "last_contact",
  "spend",
  "contract_end",
  "distance",
];

export interface Position {
  latitude: number;
  longitude: number;
}

export interface CustomerSearch {
  /** Name (or its pinyin), phone numbers, customer number, employer, contacts. */
  q?: string;
  /** Tier codes (any of). */
  tier?: string | string[];
  stage?: Stage | Stage[];
  /** Only customers without a contact in the last N days (never contacted included). */
  notContactedDays?: number;
  /** Default: by name. "distance" needs `near`, and leaves out customers without a place. */
  sort?: PortfolioSort;
  near?: Position;
}

/** A name's ways of being typed: what it says, and each pinyin reading. */
interface NameKeys {
  text: string;
  readings: { full: string; starts: number[]; initials: string }[];
}

interface Entry {
  customer: Customer;
  summary: Omit<PortfolioRow, "distance_m" | "matched_contact">;
  name: NameKeys;
  /** The customer number: matched as typed, when the search has a digit. */
  number: string;
  /** The employer: matched as typed. */
  texts: string[];
  phones: string[];
  contacts: { name: string; keys: NameKeys; phone: string | null }[];
  rank: number;
  /** Sort keys worked out once: epoch ms of the last contact, cents of the spend. */
  lastContactMs: number | null;
  spendCents: number | null;
}

export interface PortfolioIndex {
  entries: Entry[];
}

export interface PortfolioRows {
  customers: Customer[];
  tiers: Tier[];
  contacts?: Contact[];
  /** For the last contact; without them every customer counts as never contacted. */
  visits?: Pick<Visit, "customer_id" | "started_at">[];
  /** For the spend sort: rows of the months held. */
  spend?: { customer_id: Uuid; month: IsoDate; amount: string }[];
}

const fold = (text: string) => text.toLocaleLowerCase().replace(/\s+/g, "");
const digits = (text: string) => text.replace(/\D+/g, "");
const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * The name's keys. A name changed on this device and not yet confirmed keeps the
 * server's pinyin of the old name: then, as for a row created here, the name alone.
 */
function nameKeys(row: {
  name: string;
  name_pinyin?: string | null;
  _base?: Record<string, unknown>;
}): NameKeys {
  const spelled = row._base && "name" in row._base ? null : row.name_pinyin;
  return {
    text: fold(row.name),
    readings: (spelled ? spelled.split("|") : []).map((reading) => {
      const syllables = reading.split(" ").filter(Boolean);
      const starts: number[] = [];
      let at = 0;
      for (const s of syllables) {
        starts.push(at);
        at += s.length;
      }
      return {
        full: syllables.join(""),
        starts,
        initials: syllables.map((s) => s[0]).join(""),
      };
    }),
  };
}

const LETTERS = /^[a-z]+$/;

function nameMatches(keys: NameKeys, q: string, letters: boolean): boolean {
  if (keys.text.includes(q)) return true;
  if (!letters) return false;
  return keys.readings.some(
    (r) => r.initials.includes(q) || r.starts.some((start) => r.full.startsWith(q, start)),
  );
}

/** Cents of a decimal string, as a number: exact up to 90 trillion, enough to order by. */
function cents(amount: string): number {
  const [whole = "0", frac = ""] = amount.trim().split(".");
  const sign = whole.startsWith("-") ? -1 : 1;
  return sign * (Math.abs(Number(whole)) * 100 + Number((frac + "00").slice(0, 2)));
}

function latestSpend(rows: PortfolioRows["spend"]): Map<Uuid, string> {
  const latest = new Map<Uuid, { month: IsoDate; cents: number }>();
  for (const row of rows ?? []) {
    const held = latest.get(row.customer_id);
    if (held === undefined || row.month > held.month)
      latest.set(row.customer_id, { month: row.month, cents: cents(row.amount) });
    else if (row.month === held.month) held.cents += cents(row.amount);
  }
  const out = new Map<Uuid, string>();
  for (const [id, { cents: c }] of latest) {
    const abs = Math.abs(c);
    out.set(
      id,
      `${c < 0 ? "-" : ""}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`,
    );
  }
  return out;
}

/** The rows read into an index `findCustomers` answers from. */
export function preparePortfolio(rows: PortfolioRows): PortfolioIndex {
  const tiers = new Map(rows.tiers.map((tier) => [tier.id, tier]));
  const contacts = new Map<Uuid, Contact[]>();
  for (const c of rows.contacts ?? []) {
    const list = contacts.get(c.customer_id);
    if (list) list.push(c);
    else contacts.set(c.customer_id, [c]);
  }
  const lastContact = new Map<Uuid, IsoDateTime>();
  for (const v of rows.visits ?? []) {
    const held = lastContact.get(v.customer_id);
    // ISO datetimes with offsets: compared as instants.
    if (held === undefined || Date.parse(v.started_at) > Date.parse(held))
      lastContact.set(v.customer_id, v.started_at);
  }
  const spend = latestSpend(rows.spend);
  const collator = new Intl.Collator("zh-CN");
  const entries = rows.customers
    .slice()
    .sort((a, b) => collator.compare(a.name, b.name))
    .map((c): Entry => {
      const tier = tiers.get(c.tier_id);
      const last = lastContact.get(c.id);
      const amount = spend.get(c.id);
      return {
        customer: c,
        summary: {
          ...summary(c, tiers),
          last_contact_at: last ?? null,
          spend: amount ?? null,
        },
        name: nameKeys(c),
        number: fold(c.external_no),
        texts: c.employer ? [fold(c.employer)] : [],
        phones: [c.phone, c.phone2].filter((p): p is string => !!p).map(digits),
        contacts: (contacts.get(c.id) ?? []).map((p) => ({
          name: p.name,
          keys: nameKeys(p),
          phone: p.phone ? digits(p.phone) : null,
        })),
        rank: tier?.rank ?? Number.MAX_SAFE_INTEGER,
        lastContactMs: last === undefined ? null : Date.parse(last),
        spendCents: amount === undefined ? null : cents(amount),
      };
    });
  return { entries };
}

/** Why the entry matches `q` ("" for the customer itself), or null when it does not. */
function matchOf(entry: Entry, q: string, qDigits: string, letters: boolean): string | null {
  if (nameMatches(entry.name, q, letters) || entry.texts.some((t) => t.includes(q))) return "";
  // Customer numbers share their letters ("C1024"): "c" alone must not find them all.
  if (!letters && /\d/.test(q) && entry.number.includes(q)) return "";
  if (qDigits && entry.phones.some((p) => p.includes(qDigits))) return "";
  for (const contact of entry.contacts) {
    if (
      nameMatches(contact.keys, q, letters) ||
      (qDigits !== "" && contact.phone !== null && contact.phone.includes(qDigits))
    )
      return contact.name;
  }
  return null;
}

const DAY_MS = 86_400_000;

type Found = { entry: Entry; matched: string | null; distance: number | null };

/**
 * The customers matching `search`, sorted as it asks (then by name). `now` is the
 * device's clock, for "not contacted for N days".
 */
export function findCustomers(
  index: PortfolioIndex,
  search: CustomerSearch = {},
  now: Date = new Date(),
): PortfolioRow[] {
  const q = search.q ? fold(search.q) : "";
  // A phone typed with spaces or dashes; letters alone are not a phone search.
  const qDigits = /^[\d+\-()]+$/.test(q) ? digits(q) : "";
  const letters = LETTERS.test(q);
  const tiers = new Set(asList(search.tier));
  const stages = new Set(asList(search.stage));
  const since =
    search.notContactedDays !== undefined ? now.getTime() - search.notContactedDays * DAY_MS : null;
  const near = search.sort === "distance" ? search.near : undefined;

  const found: Found[] = [];
  for (const entry of index.entries) {
    const s = entry.summary;
    if (tiers.size > 0 && !(s.tier && tiers.has(s.tier.code))) continue;
    if (stages.size > 0 && !stages.has(s.stage)) continue;
    if (since !== null && entry.lastContactMs !== null && entry.lastContactMs >= since) continue;
    let distance: number | null = null;
    if (search.sort === "distance") {
      const { latitude, longitude } = entry.customer;
      if (!near || latitude === null || longitude === null) continue;
      distance = distanceM(near.latitude, near.longitude, latitude, longitude);
    }
    let matched: string | null = "";
    if (q !== "") {
      matched = matchOf(entry, q, qDigits, letters);
      if (matched === null) continue;
    }
    found.push({ entry, matched, distance });
  }

  const order = COMPARE[search.sort ?? "name"];
  // The entries are in name order already and Array.sort is stable: ties stay by name.
  if (order) found.sort(order);
  return found.map(({ entry, matched, distance }) => ({
    ...entry.summary,
    distance_m: distance === null ? null : Math.round(distance),
    matched_contact: matched || null,
  }));
}

/** Ascending, null first or last. */
function byKey(key: (f: Found) => number | null, nulls: "first" | "last") {
  const none = nulls === "first" ? -1 : 1;
  return (a: Found, b: Found) => {
    const x = key(a);
    const y = key(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? none : -none;
    return x - y;
  };
}

const COMPARE: Record<PortfolioSort, ((a: Found, b: Found) => number) | null> = {
  name: null,
  tier: (a, b) => a.entry.rank - b.entry.rank,
  // Longest without contact first, never contacted before all (as the server's list).
  last_contact: byKey((f) => f.entry.lastContactMs, "first"),
  // Highest first; without spend last.
  spend: byKey((f) => (f.entry.spendCents === null ? null : -f.entry.spendCents), "last"),
  // Soonest first (ended ones before), without a contract last.
  contract_end: (a, b) => {
    const x = a.entry.summary.contract_end_date;
    const y = b.entry.summary.contract_end_date;
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    return x < y ? -1 : x > y ? 1 : 0;
  },
  distance: (a, b) => (a.distance ?? 0) - (b.distance ?? 0),
};

/** Customers the "near me" list leaves out: those without a known place. */
export function withoutPlace(index: PortfolioIndex): number {
  return index.entries.filter((e) => e.customer.latitude === null || e.customer.longitude === null)
    .length;
}
