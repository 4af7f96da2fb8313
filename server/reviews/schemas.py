"""Request and response shapes of the reviews API.

Figures carry codes and numbers only: the clients word them (zh-CN, English).
A value of null is "no data", never 0.
"""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.auth.schemas import TeamRefSchema
from server.jobs.schemas import JobSchema
from server.reviews.indicators import CODES
from server.schemas import Day, StrictBoolean, UserRefSchema, VersionedSchema, required_text


class FigureSchema(Schema):
    code = fields.String()
    # "ratio" (0..1, shown as a percentage), "score" (1..5) or "count".
    unit = fields.String()
    value = fields.Float(allow_none=True)
    numerator = fields.Float()
    denominator = fields.Float()
    # By indicator: answers per satisfaction score, coverage by tier, warnings' ages.
    details = fields.Dict()


def _figures():
    return fields.Dict(keys=fields.String(), values=fields.Nested(FigureSchema))


def _scores():
    return fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class ScorecardEntrySchema(Schema):
    indicator = fields.String(required=True, validate=validate.OneOf(CODES))
    weight = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=100))
    target = fields.Float(allow_none=True)
    floor = fields.Float(allow_none=True)
    cap = fields.Float(validate=validate.Range(min=1, max=2))


class PeriodRefSchema(Schema):
    id = fields.Function(lambda p: str(p.stored.id) if p.stored else None)
    name = fields.String()
    starts_on = Day()
    ends_on = Day()


class ManagerReviewSchema(Schema):
    manager = fields.Nested(UserRefSchema)
    team_id = fields.Function(lambda r: str(r.manager.team_id) if r.manager.team_id else None)
    figures = _figures()
    scores = fields.Function(lambda r: r.scored.scores)
    score = fields.Function(lambda r: r.scored.total)
    rank = fields.Integer(allow_none=True)


class GroupReviewSchema(Schema):
    team = fields.Nested(TeamRefSchema, allow_none=True)
    managers = fields.Integer()
    figures = _figures()
    scores = fields.Function(lambda g: g.scored.scores)
    score = fields.Function(lambda g: g.scored.total)


class ReviewSchema(Schema):
    period = fields.Nested(PeriodRefSchema)
    as_of = fields.Function(lambda r: r.window.as_of.isoformat())
    scope = fields.Function(lambda r: r.scope.kind)
    scorecard = fields.Function(lambda r: r.period.scorecard)
    managers = fields.List(fields.Nested(ManagerReviewSchema))
    teams = fields.List(fields.Nested(GroupReviewSchema))
    total = fields.Nested(GroupReviewSchema)


class ReviewQuerySchema(Schema):
    period_id = fields.UUID()
    starts_on = Day()
    ends_on = Day()
    team_id = fields.UUID()
    manager_id = fields.UUID()

    @validates_schema
    def _period(self, data, **kwargs):
        if "period_id" not in data and ("starts_on" not in data or "ends_on" not in data):
            raise ValidationError("Give period_id, or starts_on and ends_on.", "starts_on")


class TrendQuerySchema(Schema):
    team_id = fields.UUID()
    manager_id = fields.UUID()
    months = fields.Integer(load_default=6, validate=validate.Range(min=1, max=24))
    until = Day()


class TrendPointSchema(Schema):
    month = fields.String()
    score = fields.Float(allow_none=True)
    managers = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class TrendSchema(Schema):
    points = fields.List(fields.Nested(TrendPointSchema))


class MinePeriodSchema(Schema):
    period = fields.Nested(PeriodRefSchema)
    # The period's weights of the scored indicators (points are out of these).
    weights = fields.Function(
        lambda m: {e["indicator"]: e["weight"] for e in m["period"].scorecard if e["weight"] > 0}
    )
    as_of = fields.DateTime()
    figures = _figures()
    scores = fields.Function(lambda m: m["scored"].scores)
    score = fields.Function(lambda m: m["scored"].total)
    rank = fields.Integer(allow_none=True)
    team_size = fields.Integer(allow_none=True)


class MyNumbersSchema(Schema):
    show_rank = fields.Boolean()
    current = fields.Nested(MinePeriodSchema)
    previous = fields.Nested(MinePeriodSchema)
    trend = fields.List(fields.Dict())


class ReviewPeriodSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    starts_on = Day()
    ends_on = Day()
    scorecard = fields.List(fields.Dict())
    version = fields.Integer()


class ReviewPeriodCreateSchema(Schema):
    name = required_text(60, required=True)
    starts_on = Day(required=True)
    ends_on = Day(required=True)
    # Default: the default scorecard (server/reviews/scoring.py).
    scorecard = fields.List(fields.Nested(ScorecardEntrySchema), validate=validate.Length(max=40))


class ReviewPeriodPatchSchema(VersionedSchema):
    name = required_text(60)
    starts_on = Day()
    ends_on = Day()
    scorecard = fields.List(fields.Nested(ScorecardEntrySchema), validate=validate.Length(max=40))


class TeamSettingsSchema(Schema):
    show_rank = StrictBoolean(required=True)


class TeamSettingsOutSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    show_rank = fields.Boolean()


class ExportRecordSchema(Schema):
    id = fields.Function(lambda r: str(r["export"].id))
    at = fields.Function(lambda r: r["export"].at.isoformat())
    user = fields.Function(lambda r: UserRefSchema().dump(r["user"]))
    format = fields.Function(lambda r: r["export"].format)
    scope = fields.Function(lambda r: r["export"].scope)
    rows = fields.Function(lambda r: r["export"].rows)
    unmasked = fields.Function(lambda r: r["export"].unmasked)
    job_id = fields.Function(lambda r: str(r["export"].job_id) if r["export"].job_id else None)
    # While the file is kept: its creator (or an admin) may download it again.
    download_url = fields.Function(
        lambda r: JobSchema().dump(r["job"])["download_url"] if r["job"] is not None else None
    )


class ExportRequestSchema(Schema):
    period_id = fields.UUID()
    starts_on = Day()
    ends_on = Day()
    team_id = fields.UUID()
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))
    language = fields.String(load_default="zh-CN", validate=validate.OneOf(["zh-CN", "en"]))
    # Phone numbers and birthdays in full (an admin only); masked otherwise.
    unmasked = StrictBoolean(load_default=False)

    @validates_schema
    def _period(self, data, **kwargs):
        if "period_id" not in data and ("starts_on" not in data or "ends_on" not in data):
            raise ValidationError("Give period_id, or starts_on and ends_on.", "starts_on")
