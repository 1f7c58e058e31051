"""Admin pages for members: listing, adding, editing, deactivating, passwords."""

import re
from html import unescape

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.passwords import verify_password
from app.audit.models import AuditEvent
from app.extensions import db
from tests.support import PASSWORD, csrf_token, login, post_form, text_of

NEW_PASSWORD = "another synthetic passphrase"

NEW_MEMBER = {
    "username": "nina",
    "full_name": "Nina Newcomer",
    "email": "nina@hospital.example",
    "specialty": "physiotherapy",
    "is_coordinator": "y",
    "password": NEW_PASSWORD,
    "password_confirmation": NEW_PASSWORD,
}


def _member(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _user_events() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "user")
            .where(AuditEvent.action.in_(["created", "changed"]))
            .order_by(AuditEvent.id)
        )
    )


def _error_of(page: str, field: str) -> str:
    """The error shown next to a field ('' when none)."""
    match = re.search(rf'<ul class="errors" id="{field}-error">(.*?)</ul>', page, re.S)
    return unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def _edit_data(member: User, **changes) -> dict:
    data = {
        "username": member.username,
        "full_name": member.full_name,
        "email": member.email or "",
        "specialty": member.specialty or "",
    }
    if member.is_admin:
        data["is_admin"] = "y"
    if member.is_coordinator:
        data["is_coordinator"] = "y"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- who may see the admin pages -------------------------------------------------------------


def _admin_urls(members) -> list[tuple[str, str]]:
    member_id = members["surgeon"].id
    return [
        ("GET", "/admin/members"),
        ("GET", "/admin/members/new"),
        ("GET", f"/admin/members/{member_id}/edit"),
        ("GET", f"/admin/members/{member_id}/password"),
        ("GET", "/admin/audit"),
        ("POST", "/admin/members/new"),
        ("POST", f"/admin/members/{member_id}/edit"),
        ("POST", f"/admin/members/{member_id}/password"),
        ("POST", f"/admin/members/{member_id}/deactivate"),
        ("POST", f"/admin/members/{member_id}/reactivate"),
    ]


def test_anonymous_visitor_is_sent_to_log_in(client, members):
    for method, url in _admin_urls(members):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login?next="), url


@pytest.mark.parametrize("username", ["oncologist", "coordinator", "surgeon"])
def test_members_without_admin_permission_are_refused(client, members, username):
    login(client, username)
    # A refusal page carries a valid token (the log-out form), so POSTs reach the check.
    token = csrf_token(text_of(client.get("/admin/members")))
    for method, url in _admin_urls(members):
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token, **NEW_MEMBER})
        assert response.status_code == 403, (method, url)
        assert "not allowed" in text_of(response)
    assert _member("nina") is None
    assert _member("surgeon").is_active


# --- the list ---------------------------------------------------------------------------------


def test_list_shows_every_member_with_specialty_permissions_status_and_last_login(client, members):
    members["physio"].is_active = False
    db.session.commit()
    login(client, "oncologist")
    client.post("/logout", data={"csrf_token": csrf_token(text_of(client.get("/admin/members")))})
    login(client, "admin")

    response = client.get("/admin/members")
    assert response.status_code == 200
    page = text_of(response)
    rows = {
        re.search(r"<td>([^<]+)</td>", row).group(1): row
        for row in re.findall(r"<tr[^>]*>\s*<td>.*?</tr>", page, re.S)
    }
    assert set(rows) == set(members)
    assert "Olga Oncologist" in rows["oncologist"]
    assert "Medical oncology" in rows["oncologist"]
    assert "Interventional radiology" in rows["radiologist"]
    assert "No specialty" in rows["admin"] and ">Admin<" in rows["admin"]
    assert ">Coordinator<" in rows["coordinator"]
    assert ">Active<" in rows["oncologist"]
    assert ">Deactivated<" in rows["physio"]
    assert ">Reactivate</button>" in rows["physio"]
    assert ">Deactivate</button>" not in rows["physio"]
    assert ">Deactivate</button>" in rows["surgeon"]
    assert "Never" in rows["surgeon"] and "Never" not in rows["oncologist"]
    assert ">Deactivate</button>" not in rows["admin"]  # no button to lock oneself out
    assert "argon2" not in page


# --- adding -----------------------------------------------------------------------------------


def test_admin_adds_a_member_who_can_then_log_in(app, client, members):
    login(client, "admin")
    form = text_of(client.get("/admin/members/new"))
    assert '<option selected value="">No specialty</option>' in form

    response = post_form(client, "/admin/members/new", NEW_MEMBER)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/members"
    assert "Added Nina Newcomer (nina)." in text_of(client.get("/admin/members"))

    nina = _member("nina")
    assert (nina.full_name, nina.email, nina.specialty) == (
        "Nina Newcomer",
        "nina@hospital.example",
        "physiotherapy",
    )
    assert (nina.is_admin, nina.is_coordinator, nina.is_active) == (False, True, True)
    assert nina.password_hash.startswith("$argon2id$")

    [event] = _user_events()
    assert (event.action, event.entity_id, event.user_id) == (
        "created",
        nina.id,
        members["admin"].id,
    )
    assert event.detail == {
        "fields": [
            "username",
            "full_name",
            "password",
            "email",
            "specialty",
            "is_coordinator",
        ]
    }
    assert NEW_PASSWORD not in str(event.detail)

    other = app.test_client()
    assert login(other, "nina", NEW_PASSWORD).status_code == 302


def test_member_without_specialty_or_email(client, members):
    login(client, "admin")
    data = dict(NEW_MEMBER, specialty="", email="")
    del data["is_coordinator"]
    assert post_form(client, "/admin/members/new", data).status_code == 302
    nina = _member("nina")
    assert (nina.specialty, nina.email, nina.is_coordinator) == (None, None, False)


def test_duplicate_username_is_refused_next_to_the_field_with_text_kept(client, members):
    login(client, "admin")
    for username in ("surgeon", "Surgeon"):
        response = post_form(client, "/admin/members/new", dict(NEW_MEMBER, username=username))
        assert response.status_code == 200
        page = text_of(response)
        assert _error_of(page, "username") == (
            f"A member with the username “{username}” already exists. Choose another username."
        )
        assert f'value="{username}"' in page
        assert 'value="Nina Newcomer"' in page
        assert 'value="nina@hospital.example"' in page
        assert '<option selected value="physiotherapy">' in page
    assert db.session.scalars(select(User).where(User.full_name == "Nina Newcomer")).all() == []
    assert _user_events() == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": ""}, "username", "Enter a username."),
        ({"username": "nina newcomer"}, "username", "Use letters, digits, dots"),
        ({"full_name": "  "}, "full_name", "Enter the member's full name."),
        ({"email": "not-an-address"}, "email", "Enter an email address such as"),
        ({"specialty": "surgery"}, "specialty", "Choose a specialty from the list"),
        (
            {"password": "short", "password_confirmation": "short"},
            "password",
            "The password must have at least 12 characters.",
        ),
        (
            {"password_confirmation": "a different passphrase"},
            "password_confirmation",
            "The two passwords do not match",
        ),
    ],
)
def test_bad_new_member_input_is_explained(client, members, changes, field, message):
    login(client, "admin")
    response = post_form(client, "/admin/members/new", dict(NEW_MEMBER, **changes))
    assert response.status_code == 200
    assert message in _error_of(text_of(response), field)
    assert _member("nina") is None


def test_every_problem_shows_at_once(client, members):
    login(client, "admin")
    data = dict(NEW_MEMBER, username="surgeon", password="short", password_confirmation="")
    page = text_of(post_form(client, "/admin/members/new", data))
    assert "already exists" in _error_of(page, "username")
    assert "at least 12 characters" in _error_of(page, "password")
    assert "do not match" in _error_of(page, "password_confirmation")


def test_password_is_not_sent_back_in_the_form(client, members):
    login(client, "admin")
    response = post_form(client, "/admin/members/new", dict(NEW_MEMBER, username=""))
    assert NEW_PASSWORD not in text_of(response)


# --- editing ----------------------------------------------------------------------------------


def test_admin_edits_a_member_and_the_event_names_the_changed_fields(client, members):
    login(client, "admin")
    surgeon = members["surgeon"]
    form = text_of(client.get(f"/admin/members/{surgeon.id}/edit"))
    assert 'value="Sven Surgeon"' in form
    assert '<option selected value="spine_surgery">' in form

    data = _edit_data(surgeon, full_name="Sven Surgeon-Smith", is_coordinator="y")
    response = post_form(client, f"/admin/members/{surgeon.id}/edit", data)
    assert response.status_code == 302
    assert "Saved the changes to Sven Surgeon-Smith." in text_of(client.get("/admin/members"))

    surgeon = _member("surgeon")
    assert (surgeon.full_name, surgeon.is_coordinator, surgeon.specialty) == (
        "Sven Surgeon-Smith",
        True,
        "spine_surgery",
    )
    assert verify_password(surgeon.password_hash, PASSWORD)
    [event] = _user_events()
    assert (event.action, event.entity_id, event.patient_id) == ("changed", surgeon.id, None)
    assert event.detail == {"fields": ["full_name", "is_coordinator"]}


def test_edit_to_no_specialty_and_back(client, members):
    login(client, "admin")
    physio = members["physio"]
    post_form(client, f"/admin/members/{physio.id}/edit", _edit_data(physio, specialty=""))
    assert _member("physio").specialty is None
    post_form(
        client,
        f"/admin/members/{physio.id}/edit",
        _edit_data(_member("physio"), specialty="physiotherapy"),
    )
    assert _member("physio").specialty == "physiotherapy"
    assert [event.detail for event in _user_events()] == [{"fields": ["specialty"]}] * 2


def test_saving_without_changes_records_nothing(client, members):
    login(client, "admin")
    surgeon = members["surgeon"]
    response = post_form(client, f"/admin/members/{surgeon.id}/edit", _edit_data(surgeon))
    assert response.status_code == 302
    assert "Nothing changed for Sven Surgeon." in text_of(client.get("/admin/members"))
    assert _user_events() == []


def test_edit_refuses_another_members_username(client, members):
    login(client, "admin")
    surgeon = members["surgeon"]
    data = _edit_data(surgeon, username="SURGEON2", full_name="Typed Name")
    response = post_form(client, f"/admin/members/{surgeon.id}/edit", data)
    assert response.status_code == 200
    page = text_of(response)
    assert "already exists" in _error_of(page, "username")
    assert 'value="SURGEON2"' in page and 'value="Typed Name"' in page
    assert _member("surgeon").full_name == "Sven Surgeon"


def test_member_may_keep_their_username_in_another_case(client, members):
    login(client, "admin")
    surgeon = members["surgeon"]
    data = _edit_data(surgeon, username="Surgeon")
    assert post_form(client, f"/admin/members/{surgeon.id}/edit", data).status_code == 302
    assert _member("Surgeon") is not None


def test_admin_cannot_remove_their_own_admin_permission(client, members):
    login(client, "admin")
    admin = members["admin"]
    data = _edit_data(admin, is_admin=None, full_name="Ada A. Admin")
    response = post_form(client, f"/admin/members/{admin.id}/edit", data)
    assert response.status_code == 200
    page = text_of(response)
    assert "You cannot remove your own admin permission" in _error_of(page, "is_admin")
    assert 'value="Ada A. Admin"' in page
    admin = _member("admin")
    assert admin.is_admin and admin.full_name == "Ada Admin"
    assert _user_events() == []


def test_admin_may_grant_and_remove_admin_for_others(client, members):
    login(client, "admin")
    coordinator = members["coordinator"]
    url = f"/admin/members/{coordinator.id}/edit"
    post_form(client, url, _edit_data(coordinator, is_admin="y"))
    assert _member("coordinator").is_admin
    post_form(client, url, _edit_data(_member("coordinator"), is_admin=None))
    assert not _member("coordinator").is_admin


def test_unknown_member_is_not_found(client, members):
    login(client, "admin")
    assert client.get("/admin/members/9999/edit").status_code == 404
    assert client.get("/admin/members/9999/password").status_code == 404
    response = post_form(client, "/admin/members/9999/deactivate", form_url="/admin/members")
    assert response.status_code == 404


# --- deactivating -----------------------------------------------------------------------------


def test_deactivate_and_reactivate(app, client, members):
    login(client, "admin")
    surgeon_id = members["surgeon"].id
    response = post_form(
        client, f"/admin/members/{surgeon_id}/deactivate", form_url="/admin/members"
    )
    assert response.status_code == 302
    assert "Sven Surgeon is deactivated" in text_of(client.get("/admin/members"))
    assert not _member("surgeon").is_active
    assert "Username or password not recognised." in text_of(login(app.test_client(), "surgeon"))

    response = post_form(
        client, f"/admin/members/{surgeon_id}/reactivate", form_url="/admin/members"
    )
    assert response.status_code == 302
    assert "Sven Surgeon is active again" in text_of(client.get("/admin/members"))
    assert _member("surgeon").is_active
    assert login(app.test_client(), "surgeon").status_code == 302

    assert [(e.action, e.entity_id, e.detail) for e in _user_events()] == [
        ("changed", surgeon_id, {"fields": ["is_active"]}),
        ("changed", surgeon_id, {"fields": ["is_active"]}),
    ]


def test_admin_cannot_deactivate_themselves(client, members):
    login(client, "admin")
    admin_id = members["admin"].id
    response = post_form(
        client,
        f"/admin/members/{admin_id}/deactivate",
        form_url="/admin/members",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "You cannot deactivate your own account" in text_of(response)
    assert _member("admin").is_active
    assert _user_events() == []


def test_deactivate_needs_the_csrf_token_and_a_post(client, members):
    login(client, "admin")
    surgeon_id = members["surgeon"].id
    assert client.post(f"/admin/members/{surgeon_id}/deactivate").status_code == 400
    assert client.get(f"/admin/members/{surgeon_id}/deactivate").status_code == 405
    assert _member("surgeon").is_active


# --- passwords --------------------------------------------------------------------------------


def test_admin_sets_a_new_password(app, client, members):
    login(client, "admin")
    surgeon_id = members["surgeon"].id
    url = f"/admin/members/{surgeon_id}/password"
    assert "New password for Sven Surgeon" in text_of(client.get(url))
    data = {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD}
    response = post_form(client, url, data)
    assert response.status_code == 302
    assert "Set a new password for Sven Surgeon." in text_of(client.get("/admin/members"))

    surgeon = _member("surgeon")
    assert surgeon.password_hash.startswith("$argon2id$")
    assert verify_password(surgeon.password_hash, NEW_PASSWORD)
    assert "not recognised" in text_of(login(app.test_client(), "surgeon", PASSWORD))
    assert login(app.test_client(), "surgeon", NEW_PASSWORD).status_code == 302

    [event] = _user_events()
    assert (event.action, event.entity_id, event.detail) == (
        "changed",
        surgeon_id,
        {"fields": ["password"]},
    )
    assert NEW_PASSWORD not in str(event.detail)
    assert surgeon.password_hash not in str(event.detail)


@pytest.mark.parametrize(
    ("password", "confirmation", "field", "message"),
    [
        ("short one", "short one", "password", "at least 12 characters"),
        (NEW_PASSWORD, "something else here", "password_confirmation", "do not match"),
    ],
)
def test_bad_new_password_is_explained(client, members, password, confirmation, field, message):
    login(client, "admin")
    url = f"/admin/members/{members['surgeon'].id}/password"
    response = post_form(client, url, {"password": password, "password_confirmation": confirmation})
    assert response.status_code == 200
    assert message in _error_of(text_of(response), field)
    assert verify_password(_member("surgeon").password_hash, PASSWORD)
    assert _user_events() == []
