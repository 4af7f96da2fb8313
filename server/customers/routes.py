from flask_smorest import Blueprint

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers", description="Customers and assignment")
tiers_blp = Blueprint("tiers", __name__, url_prefix="/api/v1/tiers", description="Value tiers")
