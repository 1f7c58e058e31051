"""`flask users create` and `flask users list`: passwords never as arguments."""

from sqlalchemy import select

from app.accounts.cli import users_cli
from app.accounts.models import User
from app.audit.models import AuditEvent
from app.extensions import db
from tests.support import login, text_of

NEW_PASSWORD = "a synthetic passphrase"


def _member(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def test_create_reads_the_password_from_stdin_and_the_member_can_log_in(app, client):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "nina",
            "--name",
            "Nina Newcomer",
            "--specialty",
            "physiotherapy",
            "--coordinator",
            "--password-stdin",
        ],
        input=NEW_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created member nina." in result.output
    assert NEW_PASSWORD not in result.output

    member = _member("nina")
    assert (member.full_name, member.specialty) == ("Nina Newcomer", "physiotherapy")
    assert (member.is_coordinator, member.is_admin, member.is_active) == (True, False, True)
    assert member.password_hash.startswith("$argon2id$")

    response = login(client, "nina", NEW_PASSWORD)
    assert response.status_code == 302
    assert client.get("/login").status_code == 302  # logged in: sent on


def test_create_prompts_for_the_password_twice(app, client):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "paul", "--name", "Paul Prompted", "--admin"],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert "Repeat the password" in result.output
    assert NEW_PASSWORD not in result.output  # the prompt hides what is typed
    member = _member("paul")
    assert member.is_admin and member.specialty is None
    assert login(client, "paul", NEW_PASSWORD).status_code == 302


def test_create_refuses_when_the_prompted_passwords_differ(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "paul", "--name", "Paul Prompted"],
        input=f"{NEW_PASSWORD}\nsomething else entirely\n",
    )
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert _member("paul") is None


def test_create_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "sam", "--name", "Sam Short", "--password-stdin"],
        input="too short\n",
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert _member("sam") is None


def test_create_refuses_a_duplicate_username_whatever_its_case(app, members):
    for username in ("oncologist", "Oncologist"):
        result = app.test_cli_runner().invoke(
            args=["users", "create", username, "--name", "Other Person", "--password-stdin"],
            input=NEW_PASSWORD + "\n",
        )
        assert result.exit_code == 1
        assert "already exists" in result.output
    assert db.session.scalars(select(User.full_name)).all().count("Other Person") == 0


def test_create_refuses_an_unknown_specialty(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "x1", "--name", "X", "--specialty", "surgery", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )
    assert result.exit_code == 2
    assert "spine_surgery" in result.output  # the valid codes are listed
    assert _member("x1") is None


def test_there_is_no_way_to_give_the_password_as_an_argument(app):
    create = users_cli.commands["create"]
    options = {option for param in create.params for option in param.opts}
    assert not {"--password", "-p", "--pass"} & options
    assert [param.name for param in create.params if "password" in param.name] == ["password_stdin"]
    result = app.test_cli_runner().invoke(
        args=["users", "create", "pat", "--name", "Pat", "--password", NEW_PASSWORD],
    )
    assert result.exit_code == 2
    assert "No such option" in result.output
    assert _member("pat") is None


def test_create_records_an_audit_event_without_the_password(app):
    app.test_cli_runner().invoke(
        args=["users", "create", "nina", "--name", "Nina", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.entity_type, event.entity_id, event.user_id) == (
        "created",
        "user",
        _member("nina").id,
        None,
    )
    assert event.detail == {
        "fields": ["username", "full_name", "password"],
        "source": "command_line",
    }


def test_list_shows_members_without_passwords(app, client, members):
    members["physio"].is_active = False
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert set(lines) == set(members)
    assert "Olga Oncologist" in lines["oncologist"]
    assert "Medical oncology" in lines["oncologist"]
    assert lines["oncologist"].endswith("active")
    assert "admin" in lines["admin"] and "No specialty" in lines["admin"]
    assert "coordinator" in lines["coordinator"]
    assert lines["physio"].endswith("deactivated")
    assert "argon2" not in result.output
    assert "USERNAME" in result.output.splitlines()[0]


def test_list_with_no_members_says_how_to_add_one(app):
    result = app.test_cli_runner().invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert "flask users create" in result.output


def test_created_member_shows_on_the_admin_list(app, client, members):
    app.test_cli_runner().invoke(
        args=["users", "create", "nina", "--name", "Nina Newcomer", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )
    login(client, "admin")
    assert "Nina Newcomer" in text_of(client.get("/admin/members"))
