from flask_smorest import Blueprint

blp = Blueprint("agenda", __name__, url_prefix="/api/v1/agenda", description="agenda")
