from flask_smorest import Blueprint

users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Users (admin)")
teams_blp = Blueprint("teams", __name__, url_prefix="/api/v1/teams", description="Teams")
