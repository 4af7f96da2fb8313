/**
 * The console (管理台) for team leads and administrators: a second entry of the web
 * client's build (console.html), online only. No service worker, no IndexedDB: it
 * reads the API as it goes and keeps nothing in the browser but the language choice.
 */
import { render } from "preact";
import { App } from "./App";
import { locale } from "./i18n";
import { startRouter } from "./router";
import { restore } from "./session";
import "./console.css";

document.documentElement.lang = locale();
startRouter();
void restore();
render(<App />, document.getElementById("console")!);
