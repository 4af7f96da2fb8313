from flask_smorest import Blueprint

blp = Blueprint("complaints", __name__, url_prefix="/api/v1/complaints", description="complaints")
