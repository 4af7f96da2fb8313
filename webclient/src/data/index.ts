/** The data layer: what screens call. It never talks to the server (see ../sync). */
export * from "./writes";
export * from "./queries";
export { onLocalChange } from "./outbox";
