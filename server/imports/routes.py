from flask_smorest import Blueprint

blp = Blueprint("imports", __name__, url_prefix="/api/v1/imports", description="CSV imports")
