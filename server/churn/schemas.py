"""Request and response shapes of the churn runs API (admins)."""

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from server.churn.learn import MODEL_KINDS, Settings
from server.churn.models import RunStatus
from server.pagination import PageSchema
from server.schemas import INT32_MAX, BoundedInteger, Day, UserRefSchema

# --- output ---------------------------------------------------------------------


class RunFiguresSchema(Schema):
    """A run's headline figures on its test months, beside the spend rules'; dumped from
    its `metrics` (None where undefined: ROC AUC of one class, lift without rule flags)."""

    auc = fields.Float(attribute="combination.auc", allow_none=True)
    rules_auc = fields.Float(attribute="rules.auc", allow_none=True)
    precision = fields.Float(attribute="combination.at_k.precision")
    recall = fields.Float(attribute="combination.at_k.recall")
    rules_precision = fields.Float(attribute="rules.at_k.precision")
    rules_recall = fields.Float(attribute="rules.at_k.recall")
    lift_over_rules = fields.Float(allow_none=True)


class ChurnRunSchema(Schema):
    id = fields.UUID()
    segment = fields.String()
    status = fields.Enum(RunStatus, by_value=True)
    # Why it is not predicting: worse_than_rules.
    not_activated_reason = fields.String(allow_none=True)
    trained_from = fields.Date()
    trained_to = fields.Date()
    tested_from = fields.Date()
    tested_to = fields.Date()
    window_months = fields.Integer()
    # k: the warnings a manager works a month; precision and recall are counted at it.
    warnings_per_manager = fields.Integer()
    settings = fields.Dict()
    figures = fields.Nested(RunFiguresSchema, attribute="metrics")
    created_at = fields.DateTime()
    created_by = fields.Nested(UserRefSchema, allow_none=True)


class ChurnRunDetailSchema(ChurnRunSchema):
    """Everything recorded: rows per split; per model, for the combination and for the
    rules: ROC AUC, precision/recall/lift at k, calibration (Brier, bins); the tree's
    feature importances; its rules as codes ({feature, op, value, low}), riskiest first."""

    # (a Method: `figures` already reads the `metrics` attribute)
    metrics = fields.Method("_metrics", metadata={"type": "object"})
    importances = fields.Dict()
    rules = fields.List(fields.Dict())

    def _metrics(self, run) -> dict:
        return run.metrics


class ChurnRunPageSchema(PageSchema):
    items = fields.List(fields.Nested(ChurnRunSchema))


# --- input ----------------------------------------------------------------------


class TrainSchema(Schema):
    """What an admin chooses; the defaults are the command line's."""

    members = fields.List(
        fields.String(validate=validate.OneOf(MODEL_KINDS)),
        load_default=lambda: list(Settings().members),
        validate=validate.Length(min=1, max=len(MODEL_KINDS)),
    )
    # union: flagged by any member (more leavers caught, more retention spent);
    # intersection: by every member (fewer, surer).
    combine = fields.String(
        load_default="union", validate=validate.OneOf(["union", "intersection"])
    )
    tree_depth = BoundedInteger(load_default=Settings().tree_depth, minimum=2, maximum=8)
    seed = BoundedInteger(load_default=0, minimum=0, maximum=INT32_MAX)
    # Months after which a customer not billed counts as left; default CHURN_WINDOW_MONTHS.
    window = BoundedInteger(minimum=1, maximum=6)

    @validates("members")
    def _once_each(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ValidationError("Name each model once.")

    @post_load
    def _settings(self, data, **kwargs):
        settings = Settings(
            members=tuple(data["members"]),
            combine=data["combine"],
            tree_depth=data["tree_depth"],
            seed=data["seed"],
        )
        return {"settings": settings, "window": data.get("window")}


class PredictSchema(Schema):
    # The billing month to predict from (any day of it); default: the latest with bills.
    month = Day()
