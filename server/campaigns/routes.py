"""Campaigns and offers under /api/v1/campaigns: define, preview, launch, record outcomes.

Leads define their team's campaigns, admins anyone's; a manager sees the campaigns
that target their customers and records each customer's outcome.
"""

import uuid

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.auth.models import Role
from server.auth.security import require_roles, signed_in
from server.campaigns import services
from server.campaigns.models import Campaign, CampaignTarget
from server.campaigns.schemas import (
    CampaignCreateSchema,
    CampaignListQuerySchema,
    CampaignPageSchema,
    CampaignPatchSchema,
    CampaignSchema,
    FunnelSchema,
    OutcomeSchema,
    PreviewSchema,
    TargetListQuerySchema,
    TargetPageSchema,
    TargetSchema,
)
from server.jobs.schemas import JobSchema
from server.scope import get_visible

blp = Blueprint(
    "campaigns", __name__, url_prefix="/api/v1/campaigns", description="Campaigns and offers"
)


@blp.get("")
@blp.arguments(CampaignListQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, CampaignPageSchema)
@signed_in()
def list_campaigns(**filters):
    """Campaigns you may see, the latest first."""
    return services.list_campaigns(current_user, **filters)


@blp.post("")
@blp.arguments(CampaignCreateSchema)
@blp.response(201, CampaignSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def create_campaign(data):
    """Define a campaign (a draft: nobody is targeted until it is launched)."""
    return services.create_campaign(current_user, data)


@blp.get("/<uuid:campaign_id>")
@blp.response(200, CampaignSchema)
@signed_in()
def get_campaign(campaign_id: uuid.UUID):
    return get_visible(current_user, Campaign, campaign_id)


@blp.patch("/<uuid:campaign_id>")
@blp.arguments(CampaignPatchSchema)
@blp.response(200, CampaignSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def update_campaign(changes, campaign_id: uuid.UUID):
    """Edit a draft; once launched, only the name, the offer's words and a later end."""
    campaign = get_visible(current_user, Campaign, campaign_id, for_update=True)
    return services.update_campaign(current_user, campaign, changes)


@blp.get("/<uuid:campaign_id>/preview")
@blp.response(200, PreviewSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def preview(campaign_id: uuid.UUID):
    """How many customers the segment picks now, per manager."""
    return services.preview(get_visible(current_user, Campaign, campaign_id))


@blp.post("/<uuid:campaign_id>/launch")
@blp.response(202, JobSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def launch(campaign_id: uuid.UUID):
    """Launch a draft: a job picks the targets and plans a contact with each (follow it)."""
    campaign = get_visible(current_user, Campaign, campaign_id, for_update=True)
    return services.launch_campaign(current_user, campaign)


@blp.post("/<uuid:campaign_id>/close")
@blp.response(200, CampaignSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def close(campaign_id: uuid.UUID):
    """End the campaign: outcomes are final."""
    return services.close_campaign(
        get_visible(current_user, Campaign, campaign_id, for_update=True)
    )


@blp.get("/<uuid:campaign_id>/targets")
@blp.arguments(TargetListQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
@blp.response(200, TargetPageSchema)
@signed_in()
def list_targets(campaign_id: uuid.UUID, **filters):
    """The targeted customers you may see, with their outcomes."""
    campaign = get_visible(current_user, Campaign, campaign_id)
    return services.list_targets(current_user, campaign, **filters)


@blp.get("/<uuid:campaign_id>/funnel")
@blp.response(200, FunnelSchema)
@signed_in()
def funnel(campaign_id: uuid.UUID):
    """Targets -> reached -> took part -> contracted, in all, per team and per manager."""
    return services.funnel(current_user, get_visible(current_user, Campaign, campaign_id))


@blp.post("/targets/<uuid:target_id>/outcome")
@blp.arguments(OutcomeSchema)
@blp.response(200, TargetSchema)
@signed_in()
def record_outcome(data, target_id: uuid.UUID):
    """What the customer did: offered, took part, contracted, declined or not reached."""
    target = get_visible(current_user, CampaignTarget, target_id, for_update=True)
    return services.record_outcome(current_user, target, data)
