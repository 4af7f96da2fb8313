/** The data layer: what screens call. It never talks to the server (see ../sync). */
export * from "./writes";
export * from "./queries";
export * from "./portfolio";
export { dismissSeqGaps, onLocalChange, retryingChanges, seqGaps } from "./outbox";
export { changeSubject, subjectOf, waitingChanges, type Subject } from "./changes";
