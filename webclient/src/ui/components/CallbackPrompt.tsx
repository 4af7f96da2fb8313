import { useEffect } from "preact/hooks";
import { customerCard } from "../../data";
import { t } from "../../i18n";
import { offer, settleTap, watchContactTaps } from "../callback";
import { navigate } from "../router";
import { useLive } from "./useLive";
import "../reach.css";

/** After a call or message from a customer's card: offer to log it (ui/callback.ts). */
export function CallbackPrompt() {
  useEffect(() => watchContactTaps(), []);
  const tap = offer.value;
  const id = tap?.customer_id ?? "";
  const card = useLive(() => (id ? customerCard(id) : Promise.resolve(undefined)), [id]);
  const name = card.value?.customer.name;
  if (!tap || !name) return null;
  return (
    <section
      class="fb-notice fb-callback"
      role="region"
      aria-label={t("callback.region")}
      data-testid="callback-prompt"
    >
      <p>{t(tap.channel === "phone" ? "callback.phone" : "callback.sms", { name })}</p>
      <div class="fb-callback-actions">
        <button
          type="button"
          class="fb-button"
          data-testid="callback-log"
          onClick={() => {
            settleTap();
            navigate("logVisit", { id }, { channel: tap.channel });
          }}
        >
          {t("callback.log")}
        </button>
        <button
          type="button"
          class="fb-button fb-secondary"
          data-testid="callback-dismiss"
          onClick={settleTap}
        >
          {t("callback.dismiss")}
        </button>
      </div>
    </section>
  );
}
