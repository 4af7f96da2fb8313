import { describe, expect, it } from "vitest";
import { tapOf } from "./callback";
import { mapLinks } from "./maps";

describe("map links", () => {
  it("point at the coordinates when the customer has them, as WGS-84", () => {
    const links = mapLinks({
      name: "华城酒店",
      address: "上海市黄浦区南京东路 1 号",
      latitude: 31.2304,
      longitude: 121.4737,
    });
    expect(links?.geo).toBe(
      "geo:31.2304,121.4737?q=31.2304,121.4737(" +
        encodeURIComponent("上海市黄浦区南京东路 1 号") +
        ")",
    );
    const amap = new URL(links!.amap);
    expect(amap.origin + amap.pathname).toBe("https://uri.amap.com/marker");
    // AMap takes longitude first.
    expect(amap.searchParams.get("position")).toBe("121.4737,31.2304");
    expect(amap.searchParams.get("coordinate")).toBe("wgs84");
    const baidu = new URL(links!.baidu);
    expect(baidu.origin + baidu.pathname).toBe("https://api.map.baidu.com/marker");
    expect(baidu.searchParams.get("location")).toBe("31.2304,121.4737");
    expect(baidu.searchParams.get("coord_type")).toBe("wgs84");
    expect(baidu.searchParams.get("title")).toBe("华城酒店");
  });

  it("search the address text without coordinates, and are absent without either", () => {
    const place = { name: "陈静", address: " 北京市朝阳区 ", latitude: null, longitude: null };
    const links = mapLinks(place);
    expect(links?.geo).toBe(`geo:0,0?q=${encodeURIComponent("北京市朝阳区")}`);
    expect(new URL(links!.amap).searchParams.get("keyword")).toBe("北京市朝阳区");
    expect(new URL(links!.baidu).pathname).toBe("/geocoder");
    expect(new URL(links!.baidu).searchParams.get("address")).toBe("北京市朝阳区");
    expect(mapLinks({ ...place, address: null })).toBeNull();
  });
});

describe("a call or message tap", () => {
  const link = (href: string) => ({ getAttribute: () => href }) as unknown as Element;
  it("is remembered with its channel when made on a customer's card", () => {
    expect(tapOf(link("tel:13800138000"), "#/customers/c-1", 5)).toEqual({
      customer_id: "c-1",
      channel: "phone",
      at: 5,
      away: false,
    });
    expect(tapOf(link("sms:13800138000"), "#/customers/c-1", 5)?.channel).toBe("sms");
  });

  it("is not, elsewhere or for other links", () => {
    expect(tapOf(link("tel:13800138000"), "#/today", 5)).toBeNull();
    expect(tapOf(link("mailto:a@b.cn"), "#/customers/c-1", 5)).toBeNull();
    expect(tapOf(link("#/customers/c-1/visit"), "#/customers/c-1", 5)).toBeNull();
  });
});
