"""Secrets are masked in every kind of text fips-setup shows."""

from __future__ import annotations

import pytest

from fipsconf.redact import MASK, Redactor, is_secret_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api_key: abc123def456 # prod key", f"api_key: {MASK} # prod key"),
        ("  app_key: 'x1y2z3w4'", f"  app_key: {MASK}"),
        ("- logs_api_key: s3cr3tvalue", f"- logs_api_key: {MASK}"),
        ("DD_API_KEY=abcdef123456 datadog-agent run", f"DD_API_KEY={MASK} datadog-agent run"),
        ('{"api_key": "ab\\"cd", "site": "x"}', f'{{"api_key": "{MASK}", "site": "x"}}'),
        ("proxy: https://user:hunter22@proxy:3128", f"proxy: https://user:{MASK}@proxy:3128"),
        ("token: t0k3n\r\nsite: ddog-gov.com\r\n", f"token: {MASK}\r\nsite: ddog-gov.com\r\n"),
        ("api_key:\nsite: x", "api_key:\nsite: x"),
        ("api_key: ~", "api_key: ~"),
        ("site: ddog-gov.com", "site: ddog-gov.com"),
    ],
)
def test_secret_looking_text_is_masked(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_a_registered_value_is_masked_anywhere() -> None:
    redactor = Redactor()
    redactor.register("0123456789abcdef")
    assert redactor.redact("error near 0123456789abcdef!") == f"error near {MASK}!"


def test_values_of_secret_keys_are_found_in_parsed_data() -> None:
    redactor = Redactor()
    redactor.register_from({"api_key": "k" * 32, "logs_config": {"api_key": "l" * 32}, "x": "y"})
    assert redactor.redact("k" * 32 + " " + "l" * 32 + " y") == f"{MASK} {MASK} y"


def test_short_values_are_not_registered() -> None:
    redactor = Redactor()
    redactor.register("ab")
    assert redactor.redact("abc ab") == "abc ab"


def test_data_is_redacted_recursively_without_touching_other_types() -> None:
    redactor = Redactor()
    redactor.register("supersecret")
    data = {"msg": "supersecret", "list": ["a supersecret", 3, True, None]}
    assert redactor.redact_data(data) == {"msg": MASK, "list": [f"a {MASK}", 3, True, None]}


@pytest.mark.parametrize("name", ["api_key", "APP_KEY", "logs_api_key", "password", "auth_token"])
def test_secret_key_names(name: str) -> None:
    assert is_secret_key(name)


@pytest.mark.parametrize("name", ["site", "api_key_file_path_x", "hostname", "tokenizer"])
def test_ordinary_key_names(name: str) -> None:
    assert not is_secret_key(name)


@pytest.mark.parametrize(
    "text",
    ["agent --api-key=abcd1234abcd", "curl -H DD-API-KEY=abcd1234abcd", "x --app-key=abcd1234abcd"],
)
def test_command_line_options_are_masked(text: str) -> None:
    assert "abcd1234abcd" not in Redactor().redact(text)


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("redis-server *:6379 --requirepass hunter2secret", "redis-server *:6379 --requirepass ********"),
        ("myapp --api-key abcdef123 --port 5", "myapp --api-key ******** --port 5"),
        ("svc --password s3cret --token  tk12345", "svc --password ******** --token  ********"),
        ("curl -H Authorization: Bearer eyJhbGciOi.abc", "curl -H Authorization: Bearer ********"),
        ('curl -H "Authorization: Basic dXNlcjpwYXNz"', 'curl -H "Authorization: Basic ********"'),
        ("worker --auth xyz123abc", "worker --auth ********"),
        # no secret: left alone
        ("agent run --pass-through", "agent run --pass-through"),
        ("python3 -m http.server 9806 --bind 127.0.0.1", "python3 -m http.server 9806 --bind 127.0.0.1"),
        ("vault --secret-file /etc/vault/secret.hcl", "vault --secret-file /etc/vault/secret.hcl"),
    ],
)  # fmt: skip
def test_secrets_in_other_processes_command_lines(line: str, shown: str) -> None:
    assert Redactor().redact(line) == shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api_key: ab#cd", f"api_key: {MASK}"),
        ("api_key: abcd  \t# a note", f"api_key: {MASK}  \t# a note"),
        ("api_key: a b c   ", f"api_key: {MASK}"),
        ("site: x\rapi_key: abcdef\rhost: h", f"site: x\rapi_key: {MASK}\rhost: h"),
        ("x-y-DD_API_KEY=abcdefgh rest", f"x-y-DD_API_KEY={MASK} rest"),
        ("see x.y+z://user:pw1234@host/", f"see x.y+z://user:{MASK}@host/"),
    ],
)
def test_values_comments_and_line_ends_are_told_apart(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_every_line_with_a_secret_is_masked_whatever_their_number() -> None:
    text = "".join(f"app{i}_token: value{i}\nsite: s{i}\n" for i in range(500))
    masked = Redactor().redact(text)
    assert masked.count(MASK) == 500 and "value" not in masked and "site: s499" in masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Latin-1 (a no-break space, as in the vendor's datadog.yaml.example)
        ("# see\xa0below\nAPI_KEY: abcd1234\n", f"# see\xa0below\nAPI_KEY: {MASK}\n"),
        ("café: 1\npassword: hunter22\n", f"café: 1\npassword: {MASK}\n"),
        # beyond Latin-1, and characters that lower to more than one
        ("名前: x\nToken: t0k3n99\n", f"名前: x\nToken: {MASK}\n"),
        ("İİ: x\napi-key: abcd1234 # n\n", f"İİ: x\napi-key: {MASK} # n\n"),
        ("x: \u212a\nsecret: s3cr3t99\n", f"x: \u212a\nsecret: {MASK}\n"),
    ],
)
def test_secrets_are_found_in_text_of_any_alphabet(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected
