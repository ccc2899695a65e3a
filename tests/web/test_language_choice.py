"""The language chosen with the header's link holds for the following pages and redirects."""


def test_lang_link_is_remembered(client, world):
    first = client.get("/?lang=en")
    assert "lang=en" in first.headers.get("Set-Cookie", "")
    assert "HttpOnly" in first.headers["Set-Cookie"]
    page = client.get("/").get_data(as_text=True)  # no parameter: the cookie holds
    assert 'lang="en"' in page
    client.get("/?lang=zh_CN")
    assert 'lang="zh-CN"' in client.get("/").get_data(as_text=True)


def test_an_unknown_language_is_not_stored(client, world):
    response = client.get("/?lang=xx")
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_the_api_keeps_no_language_between_calls(client, world):
    english = client.get("/api/v1/menu?lang=en")
    assert "Set-Cookie" not in english.headers
    client.get("/?lang=en")  # a page's choice does not leak into the API either
    assert client.get("/api/v1/menu").get_json()[0]["title"] == "防范电信网络诈骗"
