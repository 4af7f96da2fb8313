import type { FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { t, useLocale } from "../../i18n";
import type { ScreenProps } from "./types";

/**
 * A screen in a chunk of its own, fetched the first time it is opened: it stays out of
 * the first load (STYLE.md, "The phone bundle stays small"). The service worker
 * precaches every chunk, so it opens offline too once the app is installed.
 */
export function lazyScreen(
  load: () => Promise<FunctionComponent<ScreenProps>>,
): FunctionComponent<ScreenProps> {
  let loaded: FunctionComponent<ScreenProps> | null = null;
  let loading: Promise<FunctionComponent<ScreenProps>> | null = null;

  return function LazyScreen(props: ScreenProps) {
    useLocale();
    const [, setReady] = useState(false);
    const [failed, setFailed] = useState(false);

    useEffect(() => {
      if (loaded || failed) return;
      let current = true;
      loading ??= load();
      loading.then(
        (screen) => {
          loaded = screen;
          if (current) setReady(true);
        },
        () => {
          loading = null; // the next attempt fetches again
          if (current) setFailed(true);
        },
      );
      return () => {
        current = false;
      };
    }, [failed]);

    if (loaded) {
      const Screen = loaded;
      return <Screen {...props} />;
    }
    if (failed) {
      return (
        <section class="fb-screen">
          <p role="alert">{t("shell.screenFailed")}</p>
          <button type="button" class="fb-button" onClick={() => setFailed(false)}>
            {t("shell.tryAgain")}
          </button>
        </section>
      );
    }
    return (
      <p class="fb-screen fb-empty" aria-busy="true">
        {t("shell.loadingScreen")}
      </p>
    );
  };
}
