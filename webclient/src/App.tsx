import { useEffect, useState } from "preact/hooks";
import type { SyncEngine, SyncStatus } from "./sync";

/** A placeholder shell until the screens arrive: shows the sync status only. */
export function App({ engine }: { engine: SyncEngine }) {
  const [status, setStatus] = useState<SyncStatus>(engine.status.get());
  useEffect(() => engine.status.subscribe(setStatus), [engine]);
  return (
    <main>
      <h1>Fieldbook</h1>
      <p>
        {status.online ? "在线 online" : "离线 offline"} · {status.pending} pending
        {status.lastSyncAt ? ` · last sync ${status.lastSyncAt}` : ""}
        {status.error ? ` · ${status.error}` : ""}
      </p>
    </main>
  );
}
