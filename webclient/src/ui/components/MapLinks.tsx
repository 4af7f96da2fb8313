import { t } from "../../i18n";
import { mapLinks, type Place } from "../maps";
import "../reach.css";

/** The address, with links that open it in the phone's map app. */
export function Address({ place }: { place: Place }) {
  const links = mapLinks(place);
  return (
    <>
      {place.address ?? t("map.noAddress")}
      {links && (
        <span class="fb-map-links" role="group" aria-label={t("map.links")} data-testid="map-links">
          <a href={links.geo} data-testid="map-geo">
            {t("map.open")}
          </a>
          <a href={links.amap} target="_blank" rel="noopener" data-testid="map-amap">
            {t("map.amap")}
          </a>
          <a href={links.baidu} target="_blank" rel="noopener" data-testid="map-baidu">
            {t("map.baidu")}
          </a>
        </span>
      )}
    </>
  );
}
