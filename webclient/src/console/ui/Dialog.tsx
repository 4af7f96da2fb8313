import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../i18n";

/**
 * A modal dialog, open from the start: focus moves in, the page behind is inert, and
 * Escape or the close button at its foot leave it (`onClose`).
 */
export function Dialog({
  title,
  titleId,
  testid,
  wide = false,
  closeTestid,
  onClose,
  children,
}: {
  title: ComponentChildren;
  titleId: string;
  testid: string;
  wide?: boolean;
  closeTestid?: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog
      ref={dialog}
      class={wide ? "cn-dialog cn-dialog-wide" : "cn-dialog"}
      aria-labelledby={titleId}
      onClose={onClose}
      data-testid={testid}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
      <form method="dialog">
        <button type="submit" class="cn-button cn-secondary" data-testid={closeTestid}>
          {t("console.close")}
        </button>
      </form>
    </dialog>
  );
}
