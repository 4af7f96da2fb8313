import { render } from "preact";
import { App } from "./App";
import { SyncEngine } from "./sync";

const engine = new SyncEngine();
engine.start();

render(<App engine={engine} />, document.getElementById("app")!);
