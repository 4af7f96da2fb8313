/**
 * The most characters each text field takes: the server's own limits (the marshmallow
 * schema named beside each, `server/<domain>/schemas.py`), in one place for every
 * form. tests/test_field_limits.py checks each number against its schema, so a limit
 * changed on one side fails the build instead of cutting text on the phone.
 *
 * Forms never cut what was typed or pasted: the field counts and, past the limit,
 * says so and the form refuses to save (`limitError`, ui/components/Field.tsx).
 */
export const LIMITS = {
  taskTitle: 200, // tasks.TaskCreateSchema.title
  taskNotes: 4000, // tasks.TaskCreateSchema.notes
  visitOutcome: 200, // visits.VisitCreateSchema.outcome
  visitNotes: 4000, // visits.VisitCreateSchema.notes
  visitNextStep: 300, // visits.VisitCreateSchema.next_step
  complaintDescription: 4000, // complaints.ComplaintCreateSchema.description
  complaintResolution: 4000, // complaints.TransitionSchema.resolution
  complaintStepNote: 4000, // complaints.TransitionSchema.note
  complaintNote: 4000, // complaints.NoteSchema.note
  warningCause: 4000, // warnings.AnswerSchema.cause_analysis
  warningPlan: 4000, // warnings.AnswerSchema.retention_plan
  warningFlagNote: 1000, // warnings.FlagSchema.note
  warningResolveNote: 4000, // warnings.ResolveSchema.note
  warningExitReason: 300, // warnings.ResolveSchema.exit_reason
  campaignDeclineReason: 300, // campaigns.OutcomeSchema.decline_reason
  planTitle: 120, // plans.PlanCreateSchema.title
  planNotes: 4000, // plans.PlanCreateSchema.notes
  planSkipNote: 500, // plans.PlanPatchSchema.skip_note
  customerNotes: 4000, // customers.CustomerPatchSchema.notes
  customerAddress: 200, // customers.CustomerPatchSchema.address
  customerInterests: 300, // customers.CustomerPatchSchema.interests
  customerHabits: 300, // customers.CustomerPatchSchema.consumption_habits
  contactName: 60, // customers.ContactCreateSchema.name
  contactTitle: 60, // customers.ContactCreateSchema.title
} as const;

/**
 * The length the server measures: characters (code points) of the trimmed text, so an
 * emoji counts once, as Python's len() does, not twice as a UTF-16 `length` would.
 */
export function textLength(text: string): number {
  return [...text.trim()].length;
}
