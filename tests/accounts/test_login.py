"""Logging in and out."""

from tests.support import login, logout, text_of


def test_login_then_logout(client, members):
    response = login(client, "oncologist")
    assert response.status_code == 302
    assert client.get("/cases/").status_code == 200
    assert logout(client).status_code == 302
    assert client.get("/cases/").status_code == 302


def test_wrong_password_is_refused_with_message_next_to_field(client, members):
    response = login(client, "oncologist", "wrong password here")
    assert response.status_code == 200
    assert "Username or password not recognised." in text_of(response)
