/**
 * Links that open a customer's place in the phone's map app. `geo:` opens the
 * default map app on Android; AMap (高德) and Baidu's web URIs open their app when it
 * is installed (and the web map when not), which is what Chinese phones have. Each
 * takes WGS-84 coordinates as a phone's GPS and the server store them (the Chinese
 * apps are told so: they use their own datums otherwise), else the address text.
 */

export interface Place {
  name: string;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
}

export interface MapLinks {
  geo: string;
  amap: string;
  baidu: string;
}

/** Identifies the caller to AMap and Baidu, as their URI APIs ask. */
const SOURCE = "fieldbook";

const query = (params: Record<string, string>) => new URLSearchParams(params).toString();

/** The links for a place, or null when there is neither a position nor an address. */
export function mapLinks(place: Place): MapLinks | null {
  const { latitude: lat, longitude: lng } = place;
  const address = place.address?.trim() ?? "";
  if (lat !== null && lng !== null) {
    const label = address || place.name;
    return {
      geo: `geo:${lat},${lng}?q=${lat},${lng}(${encodeURIComponent(label)})`,
      amap: `https://uri.amap.com/marker?${query({
        position: `${lng},${lat}`,
        name: label,
        coordinate: "wgs84",
        callnative: "1",
        src: SOURCE,
      })}`,
      baidu: `https://api.map.baidu.com/marker?${query({
        location: `${lat},${lng}`,
        title: place.name,
        content: address || place.name,
        coord_type: "wgs84",
        output: "html",
        src: SOURCE,
      })}`,
    };
  }
  if (address === "") return null;
  return {
    geo: `geo:0,0?q=${encodeURIComponent(address)}`,
    amap: `https://uri.amap.com/search?${query({ keyword: address, callnative: "1", src: SOURCE })}`,
    baidu: `https://api.map.baidu.com/geocoder?${query({ address, output: "html", src: SOURCE })}`,
  };
}
