from flask_smorest import Blueprint

blp = Blueprint("warnings", __name__, url_prefix="/api/v1/warnings", description="warnings")
