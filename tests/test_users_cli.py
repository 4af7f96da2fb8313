"""`fieldbook users ...` commands, run through Flask's CLI test runner."""

import shlex

import sqlalchemy as sa

from server.auth.models import Role, User
from server.extensions import db
from server.team.models import Team
from tests.conftest import AuthActions

SECRET = "a-long-enough-secret"


def _user(in_app, username: str) -> User | None:
    with in_app():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is not None:
            user.team  # noqa: B018  (load before the context ends)
        return user


def _run(runner, command_line: str, input: str | None = None):
    """`fieldbook users <command_line>`, split as a shell would."""
    return runner.invoke(args=["users", *shlex.split(command_line)], input=input)


def _count(in_app, model) -> int:
    with in_app():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _create(runner, username: str, extra: str = "", password: str = SECRET):
    return _run(runner, f"create {username} --display-name Li --password {password} {extra}")


def test_create_admin_with_password_option_can_sign_in(app, runner, in_app):
    result = _run(runner, f"create root --role admin --display-name 管理员 --password {SECRET}")
    assert result.exit_code == 0, result.output
    assert result.output == "Created admin root.\n"
    user = _user(in_app, "root")
    assert (user.role, user.display_name, user.team, user.active) == (
        Role.ADMIN,
        "管理员",
        None,
        True,
    )
    assert AuthActions(app.test_client()).login("root", SECRET).status_code == 200


def test_create_prompts_twice_for_a_hidden_password(app, runner, in_app):
    result = _run(
        runner, "create zhang --role manager --display-name Zhang", input=f"{SECRET}\n{SECRET}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Password: " in result.output
    assert "Repeat for confirmation: " in result.output
    assert SECRET not in result.output
    assert AuthActions(app.test_client()).login("zhang", SECRET).status_code == 200


def test_mismatched_prompted_passwords_are_asked_again(app, runner):
    result = _run(
        runner,
        "create zhang --role manager --display-name Zhang",
        input=f"{SECRET}\ntypo-in-second\n{SECRET}\n{SECRET}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert AuthActions(app.test_client()).login("zhang", SECRET).status_code == 200


def test_create_team_then_a_lead_in_it(runner, in_app):
    made = _run(runner, "create-team 西区")
    assert made.exit_code == 0, made.output
    assert made.output == "Created team 西区.\n"
    result = _create(runner, "lead_w", "--role lead --team 西区")
    assert result.exit_code == 0, result.output
    assert result.output == "Created lead lead_w in team 西区.\n"
    assert _user(in_app, "lead_w").team.name == "西区"


def test_unknown_team_is_an_error_and_creates_nothing(runner, in_app):
    result = _create(runner, "li", "--role manager --team Nowhere")
    assert result.exit_code == 1
    assert result.output.startswith("Error: No team named 'Nowhere'")
    assert result.output.count("\n") == 1
    assert _user(in_app, "li") is None
    assert _count(in_app, Team) == 0


def test_invalid_input_is_a_one_line_error_naming_the_field(runner, in_app):
    for command_line, field in [
        (f"create 'Bad Name' --role manager --display-name X --password {SECRET}", "username"),
        ("create li --role manager --display-name Li --password short", "password"),
        (f"create li --role manager --display-name '' --password {SECRET}", "display_name"),
        (
            f"create li --role manager --display-name Li --password {SECRET} --phone 'call me'",
            "phone",
        ),
    ]:
        result = _run(runner, command_line)
        assert result.exit_code == 1, result.output
        assert result.output.startswith(f"Error: {field}: ")
        assert result.output.count("\n") == 1
    assert _count(in_app, User) == 0


def test_unknown_role_is_refused_by_the_option(runner, in_app):
    result = _create(runner, "li", "--role superuser")
    assert result.exit_code == 2
    assert "superuser" in result.output
    assert _count(in_app, User) == 0


def test_taken_username_and_second_lead_are_errors(runner, in_app, make_team, make_user):
    team = make_team("东区")
    make_user(Role.LEAD, username="lead_e", team=team)
    taken = _create(runner, "lead_e", "--role manager")
    assert taken.exit_code == 1
    assert taken.output == "Error: Username 'lead_e' is taken.\n"
    second = _create(runner, "lead_e2", "--role lead --team 东区")
    assert second.exit_code == 1
    assert second.output == "Error: Team '东区' already has a lead (lead_e).\n"
    assert _count(in_app, User) == 1


def test_duplicate_team_is_an_error(runner, make_team):
    make_team("北区")
    result = _run(runner, "create-team 北区")
    assert result.exit_code == 1
    assert result.output == "Error: A team named '北区' already exists.\n"


def test_deactivate_signs_out_and_warns_about_customers(
    app, runner, in_app, make_team, make_user, make_customer
):
    manager = make_user(Role.MANAGER, username="wu", team=make_team("南区"))
    make_customer(manager=manager)
    make_customer(manager=manager)
    phone = app.test_client()
    assert AuthActions(phone).login("wu").status_code == 200
    result = _run(runner, "deactivate wu")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Deactivated wu; all their devices are signed out.\n"
    assert result.stderr == "Warning: wu still holds 2 customer(s); reassign them.\n"
    assert _user(in_app, "wu").active is False
    assert phone.get("/api/v1/auth/me").status_code == 401


def test_deactivate_unknown_user_is_an_error(runner):
    result = _run(runner, "deactivate ghost")
    assert result.exit_code == 1
    assert result.output == "Error: User 'ghost' not found.\n"


def test_list_shows_every_account_by_username(runner, in_app, make_team, make_user):
    team = make_team("东区")
    make_user(Role.MANAGER, username="zhou", team=team, display_name="周经理")
    make_user(Role.ADMIN, username="admin", display_name="Admin")
    gone = make_user(Role.LEAD, username="lead_x", team=team, display_name="Lead X")
    with in_app():
        db.session.get(User, gone.id).active = False
        db.session.commit()
    result = _run(runner, "list")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "admin\tadmin\t-\tactive\tAdmin",
        "lead_x\tlead\t东区\tinactive\tLead X",
        "zhou\tmanager\t东区\tactive\t周经理",
    ]
