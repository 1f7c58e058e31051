"""Error pages say what happened and what to do next."""

from tests.support import login, text_of


def test_unknown_page_says_not_found_with_a_way_back(client, members):
    login(client, "oncologist")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = text_of(response)
    assert "<h1>Not found</h1>" in page
    assert "There is no such page or record" in page
    assert 'href="/"' in page


def test_refused_page_explains_why(client, members):
    login(client, "oncologist")
    response = client.get("/admin/members")
    assert response.status_code == 403
    page = text_of(response)
    assert "<h1>Not allowed</h1>" in page
    assert "not allowed to do this" in page
    assert "Olga Oncologist, Medical oncology" in page
    assert "admin permission" in page


def test_anonymous_visitor_is_sent_to_log_in_not_refused(client, members):
    response = client.get("/admin/members")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert "Please log in to see this page." in text_of(client.get(response.headers["Location"]))


def test_server_error_page_says_nothing_was_saved(app, members):
    from app import create_app

    # A second app on the same database, with one route that fails, answering as production
    # does (errors handled, not raised into the test).
    failing = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    )
    failing.testing = False

    @failing.route("/failure")
    def failure():
        raise RuntimeError("an unexpected failure")

    with failing.app_context():
        response = failing.test_client().get("/failure")
    assert response.status_code == 500
    assert "nothing from it was saved" in text_of(response)
